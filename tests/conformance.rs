//! `keepalived -t` on upstream's sample configurations, side by side with the
//! verdicts and messages of Debian's keepalived 2.2.7 recorded in
//! tests/data/keepalived-samples (see its README.md).
//!
//! Each sample is tested in a network namespace holding every interface the
//! samples name. Our `-t` exit statuses are 2.2.7's (5 on any problem, 6 on
//! script security; 2.4.3 did not renumber them).

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Netns, needs_root, run, samples_dir};

/// VERDICTS-2.2.7.txt: `code file` per line.
fn verdicts(dir: &Path) -> BTreeMap<String, i32> {
    let text = std::fs::read_to_string(dir.join("VERDICTS-2.2.7.txt")).expect("VERDICTS-2.2.7.txt");
    text.lines()
        .filter_map(|l| {
            let (code, file) = l.split_once(' ')?;
            Some((file.trim().to_owned(), code.parse().ok()?))
        })
        .collect()
}

/// MESSAGES-2.2.7.txt: `== file`, message lines, `exit: N`.
fn messages(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(dir.join("MESSAGES-2.2.7.txt")).expect("MESSAGES-2.2.7.txt");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cur = None;
    for l in text.lines() {
        if let Some(f) = l.strip_prefix("== ") {
            cur = Some(f.trim().to_owned());
            out.entry(f.trim().to_owned()).or_default();
        } else if l.starts_with("exit: ") {
            cur = None;
        } else if let Some(f) = &cur {
            out.entry(f.clone()).or_default().push(l.to_owned());
        }
    }
    out
}

/// The samples name eth0..eth3 and eth0.1.
fn lab() -> Netns {
    let ns = Netns::new("conf");
    for i in ["eth0", "eth1", "eth2", "eth3", "eth0.1"] {
        ns.dummy(i);
    }
    ns
}

#[test]
fn samples_match_keepalived_2_2_7() {
    if !needs_root() {
        return;
    }
    let dir = samples_dir();
    let verdicts = verdicts(&dir);
    let messages = messages(&dir);
    assert_eq!(verdicts.len(), 25, "expected upstream's 25 samples");
    let ns = lab();
    let mut failures = Vec::new();
    for (file, code) in &verdicts {
        let out = run(ns.cmd(env!("CARGO_BIN_EXE_keepalived")).args(["-t", "-f", file]).current_dir(&dir));
        let got = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if got != *code {
            failures.push(format!("{file}: exit {got}, 2.2.7 gives {code}\n{stderr}"));
        }
        for m in messages.get(file).into_iter().flatten() {
            if !stderr.lines().any(|l| l.trim() == m.trim()) {
                failures.push(format!("{file}: missing 2.2.7's message: {m}\n--- ours:\n{stderr}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
