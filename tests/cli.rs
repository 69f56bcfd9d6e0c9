//! The `keepalived` binary's command line: options, `-v`/`-h`, `--signum`,
//! `-t` and the pid-file refusal, run as a user would run them.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const KEEPALIVED: &str = env!("CARGO_BIN_EXE_keepalived");

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cli").join(name)
}

fn run(args: &[&str]) -> Output {
    Command::new(KEEPALIVED).args(args).stdin(Stdio::null()).output().expect("run keepalived")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("kr-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn version_goes_to_stderr_and_exits_0() {
    for flag in ["-v", "--version"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0));
        let err = text(&out.stderr);
        let first = err.lines().next().unwrap_or_default();
        assert_eq!(first, format!("Keepalived-rs v{}", env!("CARGO_PKG_VERSION")));
        assert!(err.contains("GNU General Public License"), "{err}");
        assert!(err.contains("Running on Linux"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help_lists_the_options_in_keepalived_layout() {
    let out = run(&["-h"]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(err.starts_with("Usage: "), "{err}");
    assert!(err.lines().next().unwrap_or_default().ends_with(" [OPTION...]"));
    for line in [
        "  -f, --use-file=FILE ",
        "  -P, --vrrp ",
        "  -t, --config-test[=LOG_FILE] ",
        "      --signum=SIGFUNC ",
        "  -h, --help ",
    ] {
        assert!(err.contains(line), "missing {line:?} in\n{err}");
    }
    assert_eq!(run(&["--help"]).stderr, out.stderr);
}

#[test]
fn signum_prints_keepalived_numbers() {
    let rtmin = libc::SIGRTMIN();
    let rtmax = libc::SIGRTMAX();
    for (name, num) in
        [("STOP", 15), ("RELOAD", 1), ("DATA", 10), ("STATS", 12), ("STATS_CLEAR", rtmax - 1), ("JSON", rtmin + 2)]
    {
        let out = run(&[&format!("--signum={name}")]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert_eq!(text(&out.stdout), format!("{num}\n"), "{name}");
    }
    let out = run(&["--signum", "TDATA"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Unknown sigfunc TDATA\n");
}

#[test]
fn bad_options_are_reported_like_getopt() {
    let out = run(&["--bogus"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Unknown option --bogus\n");
    let out = run(&["-f"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Missing parameter for option -f\n");
    let out = run(&["-S", "local8"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn config_test_exit_codes() {
    let t = |conf: &Path| {
        let out = run(&["-t", "-f", &conf.to_string_lossy()]);
        (out.status.code(), text(&out.stderr))
    };
    let (code, err) = t(&data("empty.conf"));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "");

    // keepalived 2.2.7: a missing file or a directory is only noted, and
    // `-t` exits 0 (the daemon does not start: exit status 6).
    let (code, err) = t(&data("does-not-exist.conf"));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("Config files missing '") && !err.contains("os error"), "{err}");
    let dir = data("");
    let (code, err) = t(dir.parent().unwrap_or(&dir));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("is a directory - skipping"), "{err}");

    // The mapping from diagnostics to a status is the config module's; the
    // binary must print each diagnostic and exit with that status.
    for name in ["unknown-keyword.conf", "unbalanced.conf"] {
        let path = data(name);
        let loaded = keepalived_rs::config::load(
            &path,
            &keepalived_rs::watchdog::preprocess_options(&clap_default()),
            &keepalived_rs::config::validate::SystemView::probe(),
        );
        let (code, err) = t(&path);
        assert_eq!(code, Some(loaded.exit_code()), "{name}: {err}");
        assert_ne!(code, Some(0), "{name}");
        for d in &loaded.diags {
            assert!(err.contains(&loaded.sources.headline(d)), "{name}: {err}");
        }
    }
}

fn clap_default() -> keepalived_rs::cli::Options {
    use clap::Parser;
    keepalived_rs::cli::Options::parse_from(["keepalived"])
}

#[test]
fn config_test_writes_to_the_named_file() {
    let s = Scratch::new("t");
    let out_file = s.path("t.out");
    let conf = data("unknown-keyword.conf");
    let out = run(&[&format!("--config-test={out_file}"), "-f", &conf.to_string_lossy()]);
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&out_file).expect("output file");
    assert!(written.contains("Unknown keyword 'no_such_keyword_kr'"), "{written}");
    // The short form takes the file attached, as getopt's optional arguments do.
    let out_file2 = s.path("t2.out");
    let out = run(&[&format!("-t{out_file2}"), "-f", &conf.to_string_lossy()]);
    assert_ne!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&out_file2).is_ok_and(|w| w.contains("no_such_block_kr")));
}

#[test]
fn refuses_to_start_when_the_pid_file_names_a_live_process() {
    let s = Scratch::new("pid");
    let pid = s.path("k.pid");
    // This test process is alive: it stands for a running keepalived.
    std::fs::write(&pid, format!("{}\n", std::process::id())).expect("pid file");
    let mut child = Command::new(KEEPALIVED)
        .args(["-n", "-l", "-G", "-f", &data("empty.conf").to_string_lossy(), "-p", &pid])
        .args(["-r", &s.path("v.pid"), "-c", &s.path("c.pid"), "-b", &s.path("b.pid")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("keepalived did not refuse to start");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output().expect("output");
    let err = text(&out.stderr);
    // keepalived reports this and exits 0.
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("daemon is already running"), "{err}");
    // The pid file of the "running" daemon is left alone.
    assert_eq!(std::fs::read_to_string(&pid).ok(), Some(format!("{}\n", std::process::id())));
}

#[test]
fn unsupported_subsystem_options_say_so() {
    let out = run(&["-t", "-x", "--perf", "-f", &data("empty.conf").to_string_lossy()]);
    assert_eq!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(err.contains("Option --snmp accepted but not acted on"), "{err}");
    assert!(err.contains("Option --perf accepted but not acted on"), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
}

#[test]
fn config_test_with_dump_prints_the_dump() {
    let path = data("vrrp.conf");
    let loaded = keepalived_rs::config::load(
        &path,
        &keepalived_rs::watchdog::preprocess_options(&clap_default()),
        &keepalived_rs::config::validate::SystemView::probe(),
    );
    let dump = keepalived_rs::config::dump(&loaded.config);
    assert!(dump.contains("VI_1"), "{dump}");
    let out = run(&["-t", "-d", "-f", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(loaded.exit_code()));
    assert!(text(&out.stderr).ends_with(&dump), "{}", text(&out.stderr));
}

#[test]
fn config_test_of_a_binary_file_echoes_no_control_bytes() {
    let s = Scratch::new("bin");
    let conf = s.path("binary.conf");
    std::fs::write(&conf, b"\x01\x02bin\x1b[2Jary\x7f\n{\n").expect("write binary config");
    let out = run(&["-t", "-f", &conf]);
    // keepalived 2.2.7 exits 5 on it (and echoes the bytes raw).
    assert_eq!(out.status.code(), Some(5));
    let err = text(&out.stderr);
    assert!(err.contains("Unknown keyword '^A^Bbin^[[2Jary^?'"), "{err}");
    assert!(
        !out.stderr.iter().any(|&b| (b < 0x20 && b != b'\n') || b == 0x7f),
        "raw control bytes on the terminal: {:?}",
        err
    );
}

#[test]
fn config_test_statuses_are_keepalived_2_2_7s() {
    let s = Scratch::new("st");
    let t = |name: &str, text: &str| {
        let conf = s.path(name);
        std::fs::write(&conf, text).expect("write config");
        let out = run(&["-t", "-f", &conf]);
        (out.status.code(), text_of(&out.stderr))
    };
    // A keyword missing its parameter: keepalived stops reading, exit 2.
    let (code, err) = t("abort.conf", "global_defs {\n  smtp_server\n  router_id\n}\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(
            "Line 2) *** Configuration line starting `smtp_server` is missing a parameter after keyword `smtp_server` at word position 2"
        ),
        "{err}"
    );
    assert!(!err.contains("Line 3)"), "nothing after it is read: {err}");
    // Anything else reported: 5, typos and missing braces included.
    let (code, err) = t("typo.conf", "global_defs {\n  router_idd x\n}\n");
    assert_eq!(code, Some(5), "{err}");
    let (code, err) = t("brace.conf", "global_defs {\n  router_id x\n");
    assert_eq!(code, Some(5), "{err}");
    assert!(err.contains("There are 1 missing '}'s or extra '{'s"), "{err}");
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
