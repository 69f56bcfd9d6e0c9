//! The layering, checked on the sources: the supervisor (`src/watchdog/`)
//! imports no subsystem, no subsystem imports the supervisor, and the seam
//! between them (`src/child/`) imports neither. Arrows point down only:
//! bin -> watchdog -> child <- vrrp / check / ipvs / bfd.
//!
//! A reference is any path through the crate root naming the module:
//! `crate::vrrp::...`, `keepalived_rs::vrrp`, `crate::{vrrp, ...}` (nested
//! groups included), or `super::...` climbing out of the module. Comments and
//! string literals are ignored.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::path::{Path, PathBuf};

/// The subsystems: each runs in a child process, behind the seam.
const SUBSYSTEMS: &[&str] = &["vrrp", "check", "ipvs", "bfd"];
/// The supervisor.
const SUPERVISOR: &str = "watchdog";
/// The seam.
const SEAM: &str = "child";

/// The `.rs` files under `dir` (a module folder) and the file `dir.rs` beside it.
fn module_files(root: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let file = root.join(format!("{name}.rs"));
    if file.is_file() {
        out.push(file);
    }
    let mut stack = vec![root.join(name)];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The source without comments, string and char literals (each replaced by
/// a space), so that only code is searched.
fn code_only(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            out.push(' ');
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b.get(i.wrapping_sub(1)).is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // raw string r"..." / r#"..."#
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && next.is_some() && (b.get(i + 2) == Some(&'\'') || (next == Some('\\'))) {
            // a char literal ('x', '\n', '\''), not a lifetime
            i += 1;
            while i < b.len() && b[i] != '\'' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push(' ');
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The crate-level modules a source file refers to: the first segment after
/// `crate::` or `keepalived_rs::`, and every top-level name of a
/// `crate::{...}` group. `super` paths that climb to the crate root from a
/// file `depth` modules deep count as `crate`.
fn referenced_modules(code: &str, depth: usize) -> Vec<String> {
    let compact = code.split_whitespace().collect::<Vec<_>>().join(" ").replace(" ::", "::").replace(":: ", "::");
    let mut roots = vec!["crate::".to_string(), "keepalived_rs::".to_string()];
    if depth > 0 {
        roots.push("super::".repeat(depth));
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for root in &roots {
        for (pos, _) in compact.match_indices(root.as_str()) {
            let before = compact[..pos].chars().last();
            let after = &compact[pos + root.len()..];
            // `xsuper::`, `foo_crate::` or `a::crate::` are other paths, and a
            // `super::` inside a longer `super::super::` chain is not its start.
            if before.is_some_and(|c| ident(c) || c == ':') {
                continue;
            }
            // A longer `super::` chain than the one asked for leaves the crate.
            if root.starts_with("super") && after.starts_with("super::") {
                continue;
            }
            if let Some(group) = after.strip_prefix('{') {
                out.extend(group_names(group));
            } else {
                let name: String = after.chars().take_while(|c| ident(*c)).collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// The top-level names of a `{a, b::c, d::{e, f}}` group (given without its
/// opening brace).
fn group_names(group: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut item = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => items.push(std::mem::take(&mut item)),
            _ if depth == 0 => item.push(c),
            _ => {}
        }
    }
    items.push(item);
    items
        .iter()
        .map(|i| i.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|n| !n.is_empty())
        .collect()
}

/// How many modules deep a file is below `src/` (`src/a.rs` and
/// `src/a/mod.rs` are 1, `src/a/b.rs` is 2).
fn depth(src: &Path, file: &Path) -> usize {
    let rel = file.strip_prefix(src).unwrap();
    let parts = rel.components().count();
    if rel.file_name().is_some_and(|n| n == "mod.rs") { parts - 1 } else { parts }
}

/// Every (file, forbidden module) pair among the files of `module`.
fn violations(module: &str, forbidden: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for file in module_files(&src, module) {
        let text = std::fs::read_to_string(&file).unwrap();
        let refs = referenced_modules(&code_only(&text), depth(&src, &file));
        for f in forbidden {
            if refs.iter().any(|r| r == f) {
                out.push(format!("{} refers to crate::{f}", file.strip_prefix(&src).unwrap().display()));
            }
        }
    }
    out
}

#[test]
fn the_supervisor_imports_no_subsystem() {
    let files = module_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), SUPERVISOR);
    assert!(files.len() >= 4, "the supervisor's files were not found: {files:?}");
    let bad = violations(SUPERVISOR, SUBSYSTEMS);
    assert!(bad.is_empty(), "the supervisor must be handed the subsystems, not import them:\n{}", bad.join("\n"));
}

#[test]
fn no_subsystem_imports_the_supervisor() {
    let mut bad = Vec::new();
    for s in SUBSYSTEMS {
        bad.extend(violations(s, &[SUPERVISOR]));
    }
    assert!(bad.is_empty(), "a subsystem talks to the supervisor through crate::child only:\n{}", bad.join("\n"));
}

#[test]
fn the_seam_is_a_leaf() {
    let files = module_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), SEAM);
    assert!(!files.is_empty(), "src/child not found");
    let forbidden: Vec<&str> = SUBSYSTEMS.iter().copied().chain([SUPERVISOR, "daemon"]).collect();
    let bad = violations(SEAM, &forbidden);
    assert!(bad.is_empty(), "the seam knows no subsystem and no supervisor:\n{}", bad.join("\n"));
}

/// The runtimes take time from `crate::clock` only, so that a test can run
/// them on tokio's paused time. Test modules (after `#[cfg(test)]`) may
/// read the real clock.
#[test]
fn runtimes_read_the_one_clock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    let mut seen = 0;
    for m in ["vrrp/runtime", "check/runtime", "ipvs/runtime", "bfd/runtime", "child"] {
        for file in module_files(&src, m) {
            seen += 1;
            let text = std::fs::read_to_string(&file).unwrap();
            let code = code_only(text.split("#[cfg(test)]").next().unwrap_or(""));
            let compact: String = code.split_whitespace().collect();
            for call in ["Instant::now(", "SystemTime::now(", "tokio::time::Instant::now("] {
                if compact.contains(call) {
                    bad.push(format!("{} calls {call}", file.strip_prefix(&src).unwrap().display()));
                }
            }
        }
    }
    assert!(seen >= 8, "the runtime files were not found ({seen})");
    assert!(bad.is_empty(), "use crate::clock::now() / clock::wall():\n{}", bad.join("\n"));
}

#[test]
fn the_checker_finds_every_spelling() {
    let refs = |s: &str, d: usize| referenced_modules(&code_only(s), d);
    assert_eq!(refs("use crate::vrrp::runtime;", 1), ["vrrp"]);
    assert_eq!(refs("use crate :: vrrp;", 1), ["vrrp"]);
    assert_eq!(refs("use crate::{cli, vrrp::fsm::State, config::{a, b}};", 1), ["cli", "vrrp", "config"]);
    assert_eq!(refs("use crate::{\n    check,\n};", 1), ["check"]);
    assert_eq!(refs("let x = crate::ipvs::diff(a);", 2), ["ipvs"]);
    assert_eq!(refs("use keepalived_rs::bfd;", 0), ["bfd"]);
    // `super::super::vrrp` from src/watchdog/child.rs (depth 2) is crate::vrrp.
    assert_eq!(refs("use super::super::vrrp::fsm;", 2), ["vrrp"]);
    assert_eq!(refs("use super::pidfile;", 2), Vec::<String>::new());
    // Comments and strings are not code.
    assert!(refs("// crate::vrrp\n/* crate::check */ let s = \"crate::ipvs\";", 1).is_empty());
    assert!(refs("let s = r#\"crate::ipvs\"#; let c = '\"'; let d = crate::cli::x;", 1) == ["cli"]);
    assert_eq!(refs("fn f<'a>(x: &'a str) { crate::vrrp::x() }", 1), ["vrrp"]);
}
