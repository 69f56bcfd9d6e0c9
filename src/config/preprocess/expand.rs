//! Parameter definitions and their substitution, the pre-defined definitions,
//! and the `~SEQ` / `~LST` line generators (keepalived.conf(5), "Parameter
//! substitution", "Pre-defined definitions", "Sequence blocks", "List blocks").

use std::collections::{BTreeMap, HashMap};

use super::text::in_quotes;

/// The longest line substitution may produce, in bytes.
pub(crate) const MAX_LINE: usize = 64 * 1024;
/// The most replacements done on one line (a definition that refers to itself
/// would otherwise never end).
pub(crate) const MAX_SUBSTITUTIONS: usize = 10_000;

/// A `$NAME=value` definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Def {
    /// The value; the lines of a multiline definition are separated by `\n`.
    pub value: String,
}

impl Def {
    pub(crate) fn multiline(&self) -> bool {
        self.value.contains('\n')
    }
}

/// What the pre-defined definitions are made of; gathered by the caller so
/// that the preprocessor does not read the system.
pub(crate) struct Facts<'a> {
    /// `${_INSTANCE}`.
    pub instance: &'a str,
    /// `${_ENV NAME}`.
    pub env: &'a BTreeMap<String, String>,
    /// `${_PWD}`: the directory of the file being read.
    pub pwd: &'a str,
}

/// Why substitution gave up on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SubstError {
    /// The line would grow past [`MAX_LINE`].
    TooLong,
    /// More than [`MAX_SUBSTITUTIONS`] replacements: a definition refers to itself.
    TooMany,
}

/// A line after substitution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Substituted {
    pub text: String,
    /// The remaining lines of multiline definitions, in the order they were
    /// replaced (the last one is to be read first).
    pub rest: Vec<Vec<String>>,
}

/// The definitions in force, and the generator behind `${_RANDOM}`.
#[derive(Debug, Default)]
pub(crate) struct Defs {
    map: HashMap<String, Def>,
    rng: u64,
}

/// A `$NAME` or `${NAME params}` reference found in a line.
struct Ref<'a> {
    name: &'a str,
    params: Option<&'a str>,
    /// Byte offset just after the reference.
    end: usize,
}

impl Defs {
    pub(crate) fn new(seed: u64) -> Self {
        Defs { map: HashMap::new(), rng: seed }
    }

    /// Restarts `${_RANDOM}` from `seed` (global_defs `random_seed`).
    pub(crate) fn reseed(&mut self, seed: u64) {
        self.rng = seed;
    }

    pub(crate) fn set(&mut self, name: &str, value: String) {
        self.map.insert(name.to_owned(), Def { value });
    }

    /// A random number in `[min, max]` (splitmix64: only reproducibility
    /// matters, `Options::random_seed` fixes it).
    fn random(&mut self, min: u64, max: u64) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        if max <= min { min } else { min + z % (max - min + 1) }
    }

    /// Replaces every defined `$NAME` (followed by a blank or the end of the
    /// line) and `${NAME}` in `text`, recursively: the replacement text is
    /// scanned again. Undefined names stay as written. Returns `Ok(None)` when
    /// nothing was replaced. `notes` receives warnings about the line.
    pub(crate) fn substitute(
        &mut self,
        text: &str,
        facts: &Facts<'_>,
        notes: &mut Vec<String>,
    ) -> Result<Option<Substituted>, SubstError> {
        if !text.contains('$') {
            return Ok(None);
        }
        let mut buf = text.to_owned();
        let mut rest = Vec::new();
        let mut pos = 0;
        let mut count = 0usize;
        while let Some(rel) = buf.get(pos..).and_then(|s| s.find('$')) {
            let dollar = pos + rel;
            let Some(r) = reference(&buf, dollar) else {
                pos = dollar + 1;
                continue;
            };
            let at_end = r.end == buf.len();
            let quoted = in_quotes(&buf, dollar);
            let (name, params, end) = (r.name.to_owned(), r.params.map(str::to_owned), r.end);
            let Some(value) = self.value(&name, params.as_deref(), at_end, quoted, facts, notes) else {
                pos = dollar + 1;
                continue;
            };
            count += 1;
            if count > MAX_SUBSTITUTIONS {
                return Err(SubstError::TooMany);
            }
            let mut lines = value.split('\n');
            let first = lines.next().unwrap_or_default().to_owned();
            let more: Vec<String> = lines.map(str::to_owned).collect();
            if buf.len() - (end - dollar) + first.len() > MAX_LINE {
                return Err(SubstError::TooLong);
            }
            buf.replace_range(dollar..end, &first);
            if !more.is_empty() {
                rest.push(more);
            }
            // A value starting a ~SEQ/~LST is expanded by the generator, not here.
            if first.trim_start().starts_with('~') {
                break;
            }
            pos = dollar;
        }
        if count == 0 { Ok(None) } else { Ok(Some(Substituted { text: buf, rest })) }
    }

    /// The replacement of one reference, `None` when it is not to be replaced.
    fn value(
        &mut self,
        name: &str,
        params: Option<&str>,
        at_end: bool,
        quoted: bool,
        facts: &Facts<'_>,
        notes: &mut Vec<String>,
    ) -> Option<String> {
        if let Some(def) = self.map.get(name) {
            // A multiline definition may only stand at the end of a line.
            if params.is_some() || (def.multiline() && !at_end) {
                return None;
            }
            return Some(def.value.clone());
        }
        match (name, params) {
            ("_PWD", None) => Some(facts.pwd.to_owned()),
            ("_INSTANCE", None) => Some(facts.instance.to_owned()),
            // Outside quotes the lexer would take a bare '#' or '!' for a
            // comment: quote it so it stays a character of the word.
            ("_HASH", None) => Some(if quoted { "#".into() } else { "\"#\"".into() }),
            ("_BANG", None) => Some(if quoted { "!".into() } else { "\"!\"".into() }),
            ("_ENV", Some(var)) => Some(facts.env.get(var.trim()).cloned().unwrap_or_default()),
            ("_RANDOM", params) => {
                let (min, max) = random_range(params.unwrap_or(""), notes);
                Some(self.random(min, max).to_string())
            }
            _ => None,
        }
    }
}

/// `${_RANDOM [MIN [MAX]]}`: defaults 0 and 32767.
fn random_range(params: &str, notes: &mut Vec<String>) -> (u64, u64) {
    let mut it = params.split_whitespace();
    let mut num = |d: u64| -> u64 {
        match it.next() {
            Some(w) => w.parse::<u64>().unwrap_or_else(|_| {
                notes.push(format!("Invalid number '{w}' for ${{_RANDOM {params}}} - using {d}"));
                d
            }),
            None => d,
        }
    };
    let min = num(0);
    let max = num(32767);
    if it.next().is_some() {
        notes.push(format!("Too many parameters or extra text for ${{_RANDOM {params}}}"));
    }
    (min, max)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The reference starting at the `$` at byte `dollar`, if the text there is one.
fn reference(buf: &str, dollar: usize) -> Option<Ref<'_>> {
    let bytes = buf.as_bytes();
    let braces = *bytes.get(dollar + 1)? == b'{';
    let start = dollar + 1 + usize::from(braces);
    if !is_ident_start(*bytes.get(start)?) {
        return None;
    }
    let mut end = start + 1;
    while bytes.get(end).is_some_and(|&b| is_ident(b)) {
        end += 1;
    }
    let name = buf.get(start..end)?;
    if !braces {
        return match bytes.get(end) {
            None | Some(b' ' | b'\t') => Some(Ref { name, params: None, end }),
            _ => None,
        };
    }
    match bytes.get(end)? {
        b'}' => Some(Ref { name, params: None, end: end + 1 }),
        b' ' | b'\t' => {
            let close = end + buf.get(end..)?.find('}')?;
            let params = buf.get(end..close)?.trim();
            if params.contains(['{', '$']) {
                return None;
            }
            Some(Ref { name, params: Some(params), end: close + 1 })
        }
        _ => None,
    }
}

/// A `$NAME=value` definition line (leading blanks already removed): the name
/// and the value with its leading blanks removed.
pub(crate) fn parse_definition(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('$')?;
    let bytes = rest.as_bytes();
    if !is_ident_start(*bytes.first()?) {
        return None;
    }
    let len = bytes.iter().position(|&b| !is_ident(b))?;
    if bytes.get(len) != Some(&b'=') {
        return None;
    }
    Some((rest.get(..len)?, rest.get(len + 1..)?.trim_start_matches([' ', '\t'])))
}

/// A `~SEQ` / `~LST` generator: the variables and the values they take, one
/// set per generated line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Generator {
    pub vars: Vec<String>,
    pub values: GenValues,
}

/// The values of a generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GenValues {
    /// `~SEQ(var, start, step, end)`: `hex` for `~SEQx`.
    Seq { start: i64, step: i64, end: i64, hex: bool },
    /// `~LST(...)`: one tuple per generated line.
    List(Vec<Vec<String>>),
}

impl GenValues {
    /// The `i`-th set of values, `None` after the last.
    pub(crate) fn nth(&self, i: u64) -> Option<Vec<String>> {
        match self {
            GenValues::Seq { start, step, end, hex } => {
                let v = (*step).checked_mul(i64::try_from(i).ok()?)?.checked_add(*start)?;
                if (*step > 0 && v > *end) || (*step < 0 && v < *end) {
                    return None;
                }
                Some(vec![if *hex { format!("{v:x}") } else { v.to_string() }])
            }
            GenValues::List(l) => l.get(usize::try_from(i).ok()?).cloned(),
        }
    }
}

/// Parses a line starting with `~SEQ`, `~SEQx` or `~LST` (blanks removed):
/// `Ok(None)` when it is neither, `Err(message)` when it is malformed,
/// otherwise the generator and the rest of the line. `subst` replaces
/// definitions in the parameters.
pub(crate) fn parse_generator<'a>(
    line: &'a str,
    subst: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Option<(Generator, &'a str)>, String> {
    if let Some(rest) = line.strip_prefix("~SEQ") {
        parse_seq(line, rest, subst).map(Some)
    } else if let Some(rest) = line.strip_prefix("~LST") {
        parse_list(line, rest, subst).map(Some)
    } else {
        Ok(None)
    }
}

fn blanks(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

fn parse_seq<'a>(
    line: &'a str,
    rest: &'a str,
    subst: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(Generator, &'a str), String> {
    let invalid = || format!("Invalid ~SEQ definition '{line}'");
    let (hex, rest) = match rest.strip_prefix('x') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = blanks(rest).strip_prefix('(').ok_or_else(invalid)?;
    let rest = blanks(rest);
    let var_len = rest.find([' ', '\t', ',', ')']).unwrap_or(rest.len());
    let (var, rest) = rest.split_at(var_len);
    let rest = blanks(rest);
    if var.is_empty() || !rest.starts_with(',') {
        return Err(invalid());
    }
    let rest = rest.get(1..).unwrap_or_default();
    let close = rest.find(')').ok_or_else(invalid)?;
    let params = subst(rest.get(..close).unwrap_or_default())?;
    let after = blanks(rest.get(close + 1..).unwrap_or_default());
    let nums: Vec<&str> = params.split(',').collect();
    let mut parsed = Vec::new();
    for n in &nums {
        let (v, tail) = strtol0(blanks(n));
        if !blanks(tail).is_empty() {
            return Err(invalid());
        }
        parsed.push(v);
    }
    let (start, step, end) = match parsed.as_slice() {
        [end] => ((if *end < 0 { -1 } else { 1 }), (if *end < 1 { -1 } else { 1 }), *end),
        [start, end] => (*start, if start <= end { 1 } else { -1 }, *end),
        [start, step, end] => {
            if *step == 0 || (start < end && *step < 0) || (start > end && *step > 0) {
                return Err(format!("Invalid ~SEQ values '{line}'"));
            }
            (*start, *step, *end)
        }
        _ => return Err(invalid()),
    };
    if hex && (start < 0 || end < 0) {
        return Err(format!("~SEQx is only valid for positive numbers '{line}'"));
    }
    Ok((Generator { vars: vec![var.to_owned()], values: GenValues::Seq { start, step, end, hex } }, after))
}

/// `strtol(s, &end, 0)`: optional sign, `0x` hex, leading-`0` octal or
/// decimal; saturates instead of overflowing. Returns the rest of `s`.
fn strtol0(s: &str) -> (i64, &str) {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        if h.as_bytes().first().is_some_and(u8::is_ascii_hexdigit) { (16, h) } else { (10, body) }
    } else if body.starts_with('0') {
        (8, body)
    } else {
        (10, body)
    };
    let len = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
    if len == 0 {
        return (0, s);
    }
    let mut v: i64 = 0;
    for c in digits[..len].chars() {
        let d = i64::from(c.to_digit(radix).unwrap_or(0));
        v = v.saturating_mul(i64::from(radix)).saturating_add(d);
    }
    (if neg { -v } else { v }, &digits[len..])
}

fn parse_list<'a>(
    line: &'a str,
    rest: &'a str,
    subst: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(Generator, &'a str), String> {
    let invalid = || format!("Invalid ~LST specification '{line}'");
    let rest = blanks(rest).strip_prefix('(').ok_or_else(invalid)?;
    let close = rest.find(')').ok_or_else(invalid)?;
    let spec = subst(rest.get(..close).unwrap_or_default())?;
    let after = blanks(rest.get(close + 1..).unwrap_or_default());
    let mut items = split_list(&spec).ok_or_else(invalid)?.into_iter();
    let vars = items.next().ok_or_else(invalid)?;
    if vars.iter().any(|v| v.is_empty() || v.contains([' ', '\t'])) {
        return Err(invalid());
    }
    let mut values = Vec::new();
    for tuple in items {
        if tuple.len() > vars.len() {
            return Err(format!("~LST specification has too many values '{line}'"));
        }
        if tuple.len() < vars.len() {
            return Err(invalid());
        }
        values.push(tuple);
    }
    if values.is_empty() {
        return Err(invalid());
    }
    Ok((Generator { vars, values: GenValues::List(values) }, after))
}

/// `a, {b, c}, d` -> `[[a], [b, c], [d]]`; `None` on unbalanced braces.
fn split_list(spec: &str) -> Option<Vec<Vec<String>>> {
    let mut out = Vec::new();
    let mut rest = blanks(spec);
    loop {
        if let Some(r) = rest.strip_prefix('{') {
            let close = r.find('}')?;
            let inner = r.get(..close)?;
            if inner.contains('{') {
                return None;
            }
            out.push(inner.split(',').map(|s| s.trim().to_owned()).collect());
            rest = blanks(r.get(close + 1..)?);
            if rest.is_empty() {
                return Some(out);
            }
            rest = blanks(rest.strip_prefix(',')?);
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let item = rest.get(..end)?.trim();
            if item.contains(['{', '}']) {
                return None;
            }
            out.push(vec![item.to_owned()]);
            match rest.get(end..)?.strip_prefix(',') {
                Some(r) => rest = blanks(r),
                None => return Some(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> (BTreeMap<String, String>, String) {
        let mut env = BTreeMap::new();
        env.insert("HOME".to_owned(), "/root".to_owned());
        (env, "/etc/keepalived".to_owned())
    }

    fn sub(d: &mut Defs, s: &str) -> String {
        let (env, pwd) = facts();
        let f = Facts { instance: "main", env: &env, pwd: &pwd };
        let mut notes = Vec::new();
        match d.substitute(s, &f, &mut notes) {
            Ok(Some(r)) => r.text,
            Ok(None) => s.to_owned(),
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn references() {
        let mut d = Defs::new(1);
        d.set("X", "5".into());
        assert_eq!(sub(&mut d, "a $X b"), "a 5 b");
        assert_eq!(sub(&mut d, "a $X"), "a 5");
        assert_eq!(sub(&mut d, "a $Xz ${X}z"), "a $Xz 5z");
        assert_eq!(sub(&mut d, "$UNDEF ${UNDEF} $ $1"), "$UNDEF ${UNDEF} $ $1");
        assert_eq!(sub(&mut d, "${_INSTANCE} ${_PWD} ${_ENV HOME} ${_ENV NOPE}."), "main /etc/keepalived /root .");
        assert_eq!(sub(&mut d, "h_${_HASH} \"${_BANG}\""), "h_\"#\" \"!\"");
        assert_eq!(sub(&mut d, "${_RANDOM 7 7}"), "7");
        d.set("A", "${A}".into());
        assert_eq!(sub(&mut d, "${A}"), "TooMany");
        d.set("B", format!("${{B}}{}", "x".repeat(100)));
        assert_eq!(sub(&mut d, "${B}"), "TooLong");
    }

    #[test]
    fn definitions() {
        assert_eq!(parse_definition("$X=5"), Some(("X", "5")));
        assert_eq!(parse_definition("$_a1=  x y"), Some(("_a1", "x y")));
        assert_eq!(parse_definition("$X = 5"), None);
        assert_eq!(parse_definition("$1=5"), None);
        assert_eq!(parse_definition("$X"), None);
    }

    fn gen_all(line: &str) -> Result<Vec<Vec<String>>, String> {
        let mut id = |s: &str| Ok(s.to_owned());
        let (g, _) = parse_generator(line, &mut id)?.ok_or("none")?;
        Ok((0..).map_while(|i| g.values.nth(i)).collect())
    }

    fn flat(v: Vec<Vec<String>>) -> Vec<String> {
        v.into_iter().map(|t| t.join(",")).collect()
    }

    #[test]
    fn sequences() {
        assert_eq!(flat(gen_all("~SEQ(S, 0, 3) x").unwrap()), ["0", "1", "2", "3"]);
        assert_eq!(flat(gen_all("~SEQ(S, 3) x").unwrap()), ["1", "2", "3"]);
        assert_eq!(flat(gen_all("~SEQ(S, -2) x").unwrap()), ["-1", "-2"]);
        assert_eq!(flat(gen_all("~SEQ(S, 5, -2, 1) x").unwrap()), ["5", "3", "1"]);
        assert_eq!(flat(gen_all("~SEQx(S, 0x90, 0x10, 0xc0) x").unwrap()), ["90", "a0", "b0", "c0"]);
        assert_eq!(flat(gen_all("~SEQx(S, 144, 16, 192) x").unwrap()), ["90", "a0", "b0", "c0"]);
        assert!(gen_all("~SEQ(S, 1, 0, 3) x").unwrap_err().starts_with("Invalid ~SEQ values"));
        assert!(gen_all("~SEQ(S) x").unwrap_err().starts_with("Invalid ~SEQ definition"));
        assert!(gen_all("~SEQx(S, -1, 3) x").unwrap_err().starts_with("~SEQx is only"));
        assert_eq!(flat(gen_all("~SEQ(S, 9223372036854775806, 9223372036854775807) x").unwrap()).len(), 2);
    }

    #[test]
    fn lists() {
        assert_eq!(flat(gen_all("~LST(IP, 1, 2, 3) x").unwrap()), ["1", "2", "3"]);
        assert_eq!(flat(gen_all("~LST({IP, IP1}, {10,1},{20,4}) x").unwrap()), ["10,1", "20,4"]);
        assert!(gen_all("~LST({A,B}, {1,2,3}) x").unwrap_err().contains("too many values"));
        assert!(gen_all("~LST({A,B}, {1}) x").unwrap_err().starts_with("Invalid ~LST"));
        assert!(gen_all("~LST(A) x").unwrap_err().starts_with("Invalid ~LST"));
    }

    #[test]
    fn strtol() {
        assert_eq!(strtol0("0x1f,"), (31, ","));
        assert_eq!(strtol0("017"), (15, ""));
        assert_eq!(strtol0("-12 "), (-12, " "));
        assert_eq!(strtol0("z"), (0, "z"));
    }
}
