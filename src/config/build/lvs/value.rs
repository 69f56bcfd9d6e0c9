//! Value parsers with upstream's range messages.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::config::ast::Word;
use crate::config::build::value::{negative_number, read_signed};
use crate::config::build::{Ctx, parse_timer};

/// An integer in `[min, max]`. Like upstream, a bad value is reported as
/// "number 'X' outside range [MIN, MAX]" (or "invalid number"), and the
/// caller adds the keyword's own message.
pub(super) fn num(ctx: &mut Ctx, w: &Word, min: i64, max: i64) -> Option<i64> {
    // A negative number is never in an unsigned range; upstream names it so.
    if min >= 0 && w.text.parse::<i64>().is_ok_and(|v| v < 0) {
        negative_number(ctx, w);
        return None;
    }
    read_signed(ctx, w, min, max)
}

/// A <TIMER> in `[min_us, max_us]` microseconds, reported like [`num`].
pub(super) fn timer(ctx: &mut Ctx, w: &Word, min_us: u64, max_us: u64) -> Option<Duration> {
    let show = |us: u64| format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
    let show = |us: u64| {
        let s = show(us);
        let s = s.trim_end_matches('0');
        s.trim_end_matches('.').to_owned()
    };
    match parse_timer(&w.text) {
        Some(d) => {
            let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
            if us >= min_us && us <= max_us {
                Some(d)
            } else {
                ctx.error(w.span, format!("number '{}' outside range [{}, {}]", w.text, show(min_us), show(max_us)));
                None
            }
        }
        None if w.text.starts_with('-') => {
            negative_number(ctx, w);
            None
        }
        None => {
            ctx.error(w.span, format!("invalid number '{}'", w.text));
            None
        }
    }
}

/// A port number 0..=65535.
pub(super) fn port(s: &str) -> Option<u16> {
    s.parse::<u16>().ok()
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum RangeError {
    Invalid,
    EndTooLarge(String),
    EndBeforeStart,
}

/// A virtual_server_group address range: `A`, `A-N` (last byte / last
/// 16-bit group), `A-B` (full end address) or `A/len`.
pub(super) fn ip_range(s: &str) -> Result<(IpAddr, IpAddr), RangeError> {
    if let Some((a, len)) = s.split_once('/') {
        let a: IpAddr = a.parse().map_err(|_| RangeError::Invalid)?;
        let len: u32 = len.parse().map_err(|_| RangeError::Invalid)?;
        return match a {
            IpAddr::V4(v) if len <= 32 => {
                let host = u32::MAX.checked_shr(len).unwrap_or(0);
                let base = u32::from(v) & !host;
                Ok((IpAddr::V4(Ipv4Addr::from(base)), IpAddr::V4(Ipv4Addr::from(base | host))))
            }
            IpAddr::V6(v) if len <= 128 => {
                let host = u128::MAX.checked_shr(len).unwrap_or(0);
                let base = u128::from(v) & !host;
                Ok((IpAddr::V6(Ipv6Addr::from(base)), IpAddr::V6(Ipv6Addr::from(base | host))))
            }
            _ => Err(RangeError::Invalid),
        };
    }
    let Some((a, end)) = s.split_once('-') else {
        let a: IpAddr = s.parse().map_err(|_| RangeError::Invalid)?;
        return Ok((a, a));
    };
    let a: IpAddr = a.parse().map_err(|_| RangeError::Invalid)?;
    let b = match (a, end.parse::<IpAddr>()) {
        (IpAddr::V4(_), Ok(b @ IpAddr::V4(_))) | (IpAddr::V6(_), Ok(b @ IpAddr::V6(_))) => b,
        (_, Ok(_)) => return Err(RangeError::Invalid),
        (IpAddr::V4(v), Err(_)) => {
            let n: u32 = end.parse().map_err(|_| RangeError::Invalid)?;
            if n > 255 {
                return Err(RangeError::EndTooLarge(end.to_owned()));
            }
            IpAddr::V4(Ipv4Addr::from((u32::from(v) & !0xff) | n))
        }
        (IpAddr::V6(v), Err(_)) => {
            let n = u32::from_str_radix(end, 16).map_err(|_| RangeError::Invalid)?;
            if n > 0xffff {
                return Err(RangeError::EndTooLarge(end.to_owned()));
            }
            IpAddr::V6(Ipv6Addr::from((u128::from(v) & !0xffff) | u128::from(n)))
        }
    };
    if b < a {
        return Err(RangeError::EndBeforeStart);
    }
    Ok((a, b))
}

/// A free-format hex string ("Ab12f 3 456" -> AB 12 0F 03 45 06): each
/// word is split into bytes from the left, an odd last nibble standing alone.
/// With `wild`, X/x nibbles are allowed and cleared in the returned mask.
pub(super) fn hex(words: &[Word], wild: bool) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut data = Vec::new();
    let mut mask = Vec::new();
    for w in words {
        let digits: Vec<(u8, u8)> = w
            .text
            .chars()
            .map(|c| match c {
                'x' | 'X' if wild => Some((0, 0)),
                c => c.to_digit(16).map(|d| (d as u8, 0xf)),
            })
            .collect::<Option<_>>()?;
        for pair in digits.chunks(2) {
            match pair {
                [(h, hm), (l, lm)] => {
                    data.push(h << 4 | l);
                    mask.push(hm << 4 | lm);
                }
                [(l, lm)] => {
                    data.push(*l);
                    mask.push(*lm);
                }
                _ => {}
            }
        }
    }
    if data.is_empty() { None } else { Some((data, mask)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ast::Span;

    fn w(s: &str) -> Word {
        Word { text: s.to_owned(), span: Span::default(), quoted: false }
    }

    #[test]
    fn ranges() {
        let v4 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(ip_range("192.168.200.1-10"), Ok((v4("192.168.200.1"), v4("192.168.200.10"))));
        assert_eq!(ip_range("192.168.200.250-192.168.201.10"), Ok((v4("192.168.200.250"), v4("192.168.201.10"))));
        assert_eq!(ip_range("192.168.202.8/29"), Ok((v4("192.168.202.8"), v4("192.168.202.15"))));
        assert_eq!(ip_range("10.1.1.1-300"), Err(RangeError::EndTooLarge("300".into())));
        assert_eq!(ip_range("10.1.1.9-3"), Err(RangeError::EndBeforeStart));
        assert_eq!(ip_range("2001::1-ff"), Ok((v4("2001::1"), v4("2001::ff"))));
        assert_eq!(ip_range("zz"), Err(RangeError::Invalid));
        assert_eq!(ip_range("10.0.0.0/33"), Err(RangeError::Invalid));
    }

    #[test]
    fn hex_strings() {
        let words = [w("Ab12f"), w("3"), w("456"), w("546443123")];
        let (d, _) = hex(&words, false).unwrap();
        assert_eq!(d, [0xAB, 0x12, 0x0F, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03]);
        let (d, m) = hex(&[w("1x")], true).unwrap();
        assert_eq!((d, m), (vec![0x10], vec![0xf0]));
        assert_eq!(hex(&[w("zz")], false), None);
        assert_eq!(hex(&[w("1x")], false), None);
    }
}
