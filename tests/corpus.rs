//! Our `keepalived -t` on a corpus of real-world configurations from public
//! repositories (tests/corpus/configs, origins in tests/corpus/ORIGINS.tsv),
//! against the verdicts of Debian's keepalived 2.2.7 recorded beside them by
//! tests/corpus/record.sh (tests/corpus/expected/NNNN.verdict).
//!
//! Each file runs as it was recorded: `keepalived -t -f NNNN.conf` in a
//! network namespace holding exactly the interfaces listed in its verdict.
//! Files with the same interfaces share a namespace (`-t` changes nothing).
//! The test fails when ours disagrees with 2.2.7 on the exit status, or on
//! the first line a message names wherever 2.2.7 names one, in more than
//! 1 % of the files; it prints every disagreement and the agreement figures.
//!
//! tests/corpus/kinds holds a few files we wrote, one per kind of difference
//! seen between keepalived versions (recorded by `record.sh --kinds`): every
//! one of them must agree.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Netns, is_root, require};

/// The PATH scripts are looked up in, as record.sh sets it.
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("corpus")
}

/// One recorded verdict of keepalived 2.2.7.
#[derive(Debug)]
struct Verdict {
    id: String,
    interfaces: Vec<String>,
    exit: i32,
    first: Option<u32>,
    messages: String,
}

fn parse_verdict(id: &str, text: &str) -> Verdict {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(str::trim))
            .unwrap_or_else(|| panic!("{id}.verdict: no '{name}' line"))
    };
    let messages = text.split_once("\nmessages:\n").map(|(_, m)| m.to_owned()).unwrap_or_default();
    Verdict {
        id: id.to_owned(),
        interfaces: field("interfaces:").split_whitespace().map(str::to_owned).collect(),
        exit: field("exit:").parse().unwrap_or_else(|e| panic!("{id}.verdict: bad exit: {e}")),
        first: match field("first:") {
            "none" => None,
            n => Some(n.parse().unwrap_or_else(|e| panic!("{id}.verdict: bad first: {e}"))),
        },
        messages,
    }
}

fn verdicts(dir: &Path) -> Vec<Verdict> {
    let mut out = Vec::new();
    let mut entries: Vec<_> =
        std::fs::read_dir(dir.join("expected")).expect("tests/corpus/expected").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".verdict") else { continue };
        let text = std::fs::read_to_string(e.path()).expect("verdict text");
        assert!(dir.join("configs").join(format!("{id}.conf")).is_file(), "{id}.verdict has no {id}.conf");
        out.push(parse_verdict(id, &text));
    }
    out
}

/// The line number of the first message naming a line: `(FILE: Line N)` or
/// `(Line N)` at the start of a line. Our notes about keywords we parse but
/// do not act on yet are not keepalived messages and are skipped.
fn first_named_line(output: &str) -> Option<u32> {
    output.lines().filter(|l| !l.contains("keepalived-rs")).find_map(|l| {
        let rest = l.strip_prefix('(')?;
        let (inside, _) = rest.split_once(')')?;
        let n = match inside.rsplit_once(": Line ") {
            Some((file, n)) if !file.contains('(') => n,
            Some(_) => return None,
            None => inside.strip_prefix("Line ")?,
        };
        n.parse().ok()
    })
}

/// Our verdict: exit status and output.
struct Ours {
    exit: i32,
    output: String,
}

fn run_ours(ns: &Netns, configs: &Path, id: &str) -> Ours {
    let o = Command::new("ip")
        .args(["netns", "exec", &ns.name, "timeout", "20", env!("CARGO_BIN_EXE_keepalived"), "-t", "-f"])
        .arg(format!("{id}.conf"))
        .current_dir(configs)
        .env("PATH", PATH)
        .output()
        .expect("run ip netns exec");
    let mut output = String::from_utf8_lossy(&o.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&o.stderr));
    Ours { exit: o.status.code().unwrap_or(-1), output }
}

/// A namespace holding `interfaces`, each one end of a veth pair.
fn lab(interfaces: &[String]) -> Netns {
    let ns = Netns::new("cp");
    for i in interfaces {
        ns.dummy(i);
    }
    ns
}

/// Agreement of our verdicts with the recorded ones.
struct Agreement {
    files: usize,
    accepted: (usize, usize),
    flagged: (usize, usize),
    named: (usize, usize),
    disagreements: Vec<String>,
}

impl Agreement {
    fn figures(&self, what: &str) -> String {
        format!(
            "{what}: {} files; exit status agrees on {}/{} that 2.2.7 accepts and on {}/{} that it flags; \
             first named line agrees on {}/{}; {} disagree",
            self.files,
            self.accepted.0,
            self.accepted.1,
            self.flagged.0,
            self.flagged.1,
            self.named.0,
            self.named.1,
            self.disagreements.len()
        )
    }
}

/// Runs ours on every recorded file of `dir` (configs/ and expected/) and
/// compares.
fn compare(dir: &Path) -> Agreement {
    let configs = dir.join("configs");
    let verdicts = verdicts(dir);
    // Files grouped by the interfaces their namespace holds.
    let mut groups: BTreeMap<Vec<String>, Vec<&Verdict>> = BTreeMap::new();
    for v in &verdicts {
        groups.entry(v.interfaces.clone()).or_default().push(v);
    }
    let groups: Vec<_> = groups.into_iter().collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(&Verdict, Ours)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((interfaces, files)) = groups.get(i) else { break };
                    let ns = lab(interfaces);
                    for v in files {
                        let ours = run_ours(&ns, &configs, &v.id);
                        results.lock().unwrap().push((v, ours));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    assert_eq!(results.len(), verdicts.len());

    let mut a =
        Agreement { files: results.len(), accepted: (0, 0), flagged: (0, 0), named: (0, 0), disagreements: Vec::new() };
    for (v, ours) in &results {
        let exit_ok = ours.exit == v.exit;
        let count = if v.exit == 0 { &mut a.accepted } else { &mut a.flagged };
        count.0 += usize::from(exit_ok);
        count.1 += 1;
        let our_first = first_named_line(&ours.output);
        let first_ok = match v.first {
            Some(n) => {
                let ok = our_first == Some(n);
                a.named.0 += usize::from(ok);
                a.named.1 += 1;
                ok
            }
            None => true,
        };
        if !exit_ok || !first_ok {
            a.disagreements.push(format!(
                "== {}.conf: ours exit {} first line {}; 2.2.7 exit {} first line {}\n--- 2.2.7:\n{}--- ours:\n{}",
                v.id,
                ours.exit,
                our_first.map_or("none".to_owned(), |n| n.to_string()),
                v.exit,
                v.first.map_or("none".to_owned(), |n| n.to_string()),
                v.messages,
                ours.output
            ));
        }
    }
    for d in &a.disagreements {
        eprintln!("{d}");
    }
    a
}

#[test]
fn corpus_agrees_with_keepalived_2_2_7() {
    if !require("root (network namespaces)", is_root()) {
        return;
    }
    let a = compare(&corpus_dir());
    assert!(a.files >= 300, "the corpus has {} recorded files, expected at least 300", a.files);
    let figures = a.figures("corpus");
    eprintln!("{figures}");
    // At most 1 % of the files may disagree.
    assert!(a.disagreements.len() * 100 <= a.files, "{figures}");
}

#[test]
fn each_kind_of_difference_agrees_with_keepalived_2_2_7() {
    if !require("root (network namespaces)", is_root()) {
        return;
    }
    let a = compare(&corpus_dir().join("kinds"));
    assert!(a.files >= 20, "only {} kinds recorded", a.files);
    let figures = a.figures("kinds");
    eprintln!("{figures}");
    assert!(a.disagreements.is_empty(), "{figures}");
}

#[test]
fn first_named_line_reads_both_forms() {
    assert_eq!(first_named_line("x\n(k.conf: Line 12) Unknown keyword 'a'\n(Line 3) b"), Some(12));
    assert_eq!(first_named_line("(Line 14) number '0' outside range"), Some(14));
    assert_eq!(first_named_line("(VI_1) Unknown interface!\n --> k.conf:3:1"), None);
    assert_eq!(
        first_named_line(
            "(k.conf: Line 4) keyword 'x' is parsed but not yet implemented by keepalived-rs\n(k.conf: Line 9) y"
        ),
        Some(9)
    );
}
