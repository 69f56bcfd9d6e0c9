//! FILE_CHECK's tracked files: the value a file holds, read as keepalived
//! reads it (the first 127 bytes, C `strtol` with base 0: leading blanks, a
//! sign, `0x` hex, `0` octal, then whatever follows is ignored). A missing
//! or empty file reads 0; a number outside -2^31..=2^31 is logged and
//! ignored. What the value does to the real server is [`super::server`]'s.

use std::io::Read;
use std::path::Path;

/// keepalived reads at most this many bytes of the file.
const READ_MAX: usize = 127;

/// How a file's contents read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileValue {
    /// The value to use.
    Value(i64),
    /// Out of range: log "Invalid number N read from PATH - ignoring" and
    /// keep the previous value.
    Invalid(i64),
}

/// C `strtol(s, NULL, 0)` on bytes, saturating like C (with the overflow
/// reported as `None`).
pub fn strtol0(s: &[u8]) -> Option<i64> {
    let mut i = s.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')).count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let rest = s.get(i..).unwrap_or_default();
    let (radix, digits) = match rest {
        [b'0', b'x' | b'X', d, ..] if d.is_ascii_hexdigit() => (16, rest.get(2..).unwrap_or_default()),
        [b'0', ..] => (8, rest),
        _ => (10, rest),
    };
    let mut v: i128 = 0;
    for &b in digits {
        let Some(d) = char::from(b).to_digit(radix) else { break };
        v = v * i128::from(radix) + i128::from(d);
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// Interprets a file's contents.
pub fn parse(contents: &[u8]) -> FileValue {
    let head = contents.get(..READ_MAX.min(contents.len())).unwrap_or_default();
    if head.is_empty() {
        return FileValue::Value(0);
    }
    match strtol0(head) {
        None => FileValue::Invalid(if head.contains(&b'-') { i64::MIN } else { i64::MAX }),
        Some(v) if v < i64::from(i32::MIN) || v > i64::from(i32::MAX) + 1 => FileValue::Invalid(v),
        Some(v) => FileValue::Value(v),
    }
}

/// Reads a tracked file now (0 when it does not exist).
pub fn read(path: &Path) -> FileValue {
    let mut buf = [0u8; READ_MAX];
    match std::fs::File::open(path) {
        Err(_) => FileValue::Value(0),
        Ok(mut f) => {
            let n = f.read(&mut buf).unwrap_or(0);
            parse(buf.get(..n).unwrap_or_default())
        }
    }
}

/// keepalived's line for an out-of-range value.
pub fn invalid_line(value: i64, path: &Path) -> String {
    format!("Invalid number {value} read from {} - ignoring", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_like_strtol_base_0() {
        assert_eq!(parse(b"3\n"), FileValue::Value(3));
        assert_eq!(parse(b"  -5 trailing"), FileValue::Value(-5));
        assert_eq!(parse(b"0x10"), FileValue::Value(16));
        assert_eq!(parse(b"010"), FileValue::Value(8));
        assert_eq!(parse(b"abc"), FileValue::Value(0));
        assert_eq!(parse(b""), FileValue::Value(0));
        assert_eq!(parse(b"2147483648"), FileValue::Value(2_147_483_648));
        assert_eq!(parse(b"2147483649"), FileValue::Invalid(2_147_483_649));
        assert_eq!(parse(b"-2147483649"), FileValue::Invalid(-2_147_483_649));
        assert_eq!(parse(b"99999999999999999999"), FileValue::Invalid(i64::MAX));
        assert_eq!(read(Path::new("/nonexistent/kr-file-check")), FileValue::Value(0));
        assert_eq!(invalid_line(5, Path::new("/x")), "Invalid number 5 read from /x - ignoring");
    }
}
