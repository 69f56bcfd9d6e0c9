//! The global part of the configuration: global_defs, the top-level global
//! keywords and blocks, and bfd_instance.
//!
//! Golden tests: `tests/data/config/global/NAME.conf` is loaded and the dump
//! of the global and BFD parts, every rendered diagnostic and the `-t` exit
//! status are compared with `NAME.out`. `UPDATE_GOLDEN=1 cargo test --test
//! config_global` rewrites the expected files.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keepalived_rs::config::build::{bfd as bfd_build, global as global_build};
use keepalived_rs::config::error::{Class, Severity};
use keepalived_rs::config::model::global::{LinkbeatType, SmtpHost};
use keepalived_rs::config::preprocess::{self, Options};
use keepalived_rs::config::validate::SystemView;
use keepalived_rs::config::{Loaded, lexer, load};

mod common;

const DATA: &str = "tests/data/config/global";

/// The machine the golden tests pretend to run on.
fn sys() -> SystemView {
    SystemView {
        interfaces: ["lo", "eth0"].iter().map(|s| s.to_string()).collect(),
        interfaces_known: true,
        ..SystemView::default()
    }
}

fn load_file(path: &Path) -> Loaded {
    load(path, &Options::default(), &sys())
}

/// Writes `text` to a temporary file and loads it (the file is removed).
fn load_text(name: &str, text: &str) -> Loaded {
    let dir = common::TempDir::new("cfgglobal");
    load_file(&dir.write(name, text))
}

fn render(l: &Loaded) -> String {
    let mut out = String::new();
    global_build::dump(&l.config, &mut out);
    bfd_build::dump(&l.config, &mut out);
    out.push_str("------< Diagnostics >------\n");
    for d in &l.diags {
        out.push_str(&format!("[{:?}/{:?}] ", d.severity, d.class));
        out.push_str(&l.sources.render(d));
        out.push('\n');
    }
    out.push_str(&format!("exit: {}\n", l.exit_code()));
    out
}

fn golden(name: &str) {
    let conf = PathBuf::from(DATA).join(format!("{name}.conf"));
    let expected_path = PathBuf::from(DATA).join(format!("{name}.out"));
    let got = render(&load_file(&conf));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &got).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", expected_path.display()));
    if got != want {
        panic!("golden mismatch for {name}:\n--- want\n{want}\n--- got\n{got}");
    }
}

#[test]
fn golden_defaults() {
    golden("defaults");
}

#[test]
fn golden_full() {
    golden("full");
}

#[test]
fn golden_errors() {
    golden("errors");
}

#[test]
fn golden_blocks() {
    golden("blocks");
}

#[test]
fn golden_static() {
    golden("static");
}

#[test]
fn golden_bfd() {
    golden("bfd");
}

/// The messages that count for the exit status.
fn messages(l: &Loaded) -> Vec<String> {
    l.diags.iter().filter(|d| d.severity >= Severity::Warning).map(|d| d.message.clone()).collect()
}

#[test]
fn defaults_are_the_man_pages() {
    let l = load_text("defaults.conf", "global_defs {\n}\n");
    let g = &l.config.global;
    assert!(l.diags.is_empty(), "{:?}", l.diags);
    assert_eq!(g.router_id, None);
    assert_eq!(g.router_id_or("myhost"), "myhost");
    assert_eq!(g.smtp.connect_timeout, Duration::from_secs(30));
    assert_eq!(g.startup_script_timeout, Duration::from_secs(10));
    assert_eq!(g.shutdown_script_timeout, Duration::from_secs(10));
    assert_eq!(g.child_wait_time, Duration::from_secs(5));
    assert_eq!(g.umask.value, 0o177);
    assert_eq!(g.json_version, 1);
    assert_eq!(g.dbus.service_name, "org.keepalived.Vrrp1");
    assert_eq!(g.bfd_sched.rlimit_rttime, 10_000);
    assert!(g.scripts().is_empty());
    assert_eq!(l.exit_code(), 0);
}

#[test]
fn values_are_typed() {
    let l = load_file(&PathBuf::from(DATA).join("full.conf"));
    let g = &l.config.global;
    assert_eq!(g.router_id.as_ref().map(|r| r.value.as_str()), Some("LVS_DEVEL"));
    let srv = g.smtp.server.as_ref().map(|s| s.value.clone());
    assert_eq!(srv.as_ref().map(|s| s.port), Some(2525));
    assert!(matches!(srv.map(|s| s.host), Some(SmtpHost::Addr(a)) if a.is_ipv6()));
    assert_eq!(g.smtp.emails.len(), 3);
    assert_eq!(g.smtp.emails[1].value, "My admin <admin@example2.com>");
    assert_eq!(g.umask.value, 0o077);
    assert_eq!(g.bfd_sched.cpu_affinity, vec![0]);
    assert_eq!(g.bfd_sched.rlimit_rttime, 2, "1 is raised to 2");
    assert_eq!(l.config.vrrp.globals.process_name.as_deref(), Some("keepalived_vrrp"));
    assert_eq!(g.process_names.bfd.as_deref(), Some("ka_bfd"));
    assert_eq!(
        g.interface_up_down_delays[0].up,
        Duration::ZERO,
        "an omitted up delay is 0, as keepalived 2.2.7 dumps it"
    );
    assert_eq!(g.interface_up_down_delays[1].up, Duration::from_micros(2_000_001));
    assert_eq!(g.linkbeat_interfaces[1].kind, LinkbeatType::Ethtool);
    assert_eq!(g.config_save_dir.as_ref().map(|d| d.value.as_str()), Some("/var/lib/keepalived/saved"));
    let su = g.script_user.as_ref().map(|u| (u.user.as_str(), u.group.as_deref(), u.supplementary_groups));
    assert_eq!(su, Some(("keepalived_script", Some("scripts"), true)));
    let startup = g.startup_script.as_ref().map(|s| (s.argv.clone(), s.user.clone(), s.group.clone()));
    assert_eq!(
        startup,
        Some((vec!["/usr/local/bin/start".to_string(), "a b".into()], Some("root".into()), Some("wheel".into())))
    );
    assert_eq!(g.scripts().len(), 3, "startup, shutdown, notify_fifo_script");
    assert!(g.use_pid_dir);
    // Every global keyword in full.conf is known: no error at all.
    assert!(l.diags.iter().all(|d| d.severity == Severity::Note), "{:#?}", l.diags);
    assert_eq!(l.exit_code(), 0);
}

#[test]
fn unknown_keyword_suggests_the_closest() {
    let l = load_text("dym.conf", "global_defs {\n  router_di X\n  enable_script_securty\n}\n");
    let d: Vec<_> = l.diags.iter().filter(|d| d.class == Class::UnknownKeyword).collect();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].message, "Unknown keyword 'router_di'");
    assert_eq!(d[0].help.as_deref(), Some("did you mean 'router_id'?"));
    assert_eq!(d[1].help.as_deref(), Some("did you mean 'enable_script_security'?"));
    let l = load_text("dym2.conf", "bfd_instance B {\n  neighbor_ip 1.1.1.1\n  min_r 5\n}\n");
    let d = l.diags.iter().find(|d| d.class == Class::UnknownKeyword).expect("unknown keyword");
    assert_eq!(d.help.as_deref(), Some("did you mean 'min_rx'?"));
}

/// Loads `global_defs { KW VALUE }` and returns the messages about it.
fn one(kw: &str, value: &str) -> Vec<String> {
    let l = load_text("one.conf", &format!("global_defs {{\n  {kw} {value}\n}}\n"));
    l.diags.iter().filter(|d| d.severity >= Severity::Warning).map(|d| d.message.clone()).collect()
}

#[test]
fn range_edges() {
    for ok in ["1", "1000"] {
        assert_eq!(one("startup_script_timeout", ok), Vec::<String>::new(), "{ok}");
    }
    for bad in ["0", "1001", "-1", "1.5"] {
        let number = if bad == "1.5" {
            "invalid number '1.5'".to_string()
        } else if bad == "-1" {
            "negative number '-1'".to_string()
        } else {
            format!("number '{bad}' outside range [1, 1000]")
        };
        assert_eq!(
            one("startup_script_timeout", bad),
            vec![number, format!("startup_script_timeout '{bad}' must be in [1, 1000] - ignoring")]
        );
    }
    for ok in ["-20", "19"] {
        assert!(one("bfd_priority", ok).is_empty());
    }
    for bad in ["-21", "20"] {
        assert_eq!(
            one("bfd_priority", bad),
            vec![format!("number '{bad}' outside range [-20, 19]"), "Invalid bfd process priority specified".into()]
        );
    }
    assert!(one("smtp_connect_timeout", "4294").is_empty());
    assert_eq!(
        one("smtp_connect_timeout", "4295"),
        vec!["number '4295' outside range [0, 4294]", "smtp_connect_timeout '4295' must be in [0, 4294] - ignoring"]
    );
    assert!(one("json_version", "2").is_empty());
    assert_eq!(one("json_version", "0"), vec!["number '0' outside range [1, 2]", "Invalid JSON version"]);
    assert!(one("umask", "0777").is_empty());
    assert_eq!(one("umask", "01000"), vec!["invalid umask value 01000"]);
    assert!(one("smtp_server", "mail.example.com 65535").is_empty());
    assert_eq!(
        one("smtp_server", "mail.example.com 0"),
        vec!["number '0' outside range [1, 65535]", "Invalid smtp server mail.example.com 0"]
    );
    assert!(one("bfd_rt_priority", "99").is_empty());
    assert_eq!(
        one("bfd_rt_priority", "100"),
        vec!["bfd process real-time priority 100 greater than maximum 99 - setting to maximum"]
    );

    let delay = |v: &str| {
        let l = load_text("ud.conf", &format!("interface_up_down_delays {{\n  lo {v}\n}}\n"));
        l.diags.iter().filter(|d| d.severity >= Severity::Warning).map(|d| d.message.clone()).collect::<Vec<_>>()
    };
    assert!(delay("255").is_empty());
    assert!(delay("0").is_empty());
    assert_eq!(delay("255.000001"), vec!["number '255.000001' outside range [0.000000, 255.000000]"]);

    let bfd = |kw: &str, v: &str| {
        let l = load_text("b.conf", &format!("bfd_instance B {{\n  neighbor_ip 10.0.0.1\n  {kw} {v}\n}}\n"));
        l.diags.iter().filter(|d| d.severity >= Severity::Warning).map(|d| d.message.clone()).collect::<Vec<_>>()
    };
    assert!(bfd("multiplier", "1").is_empty());
    assert!(bfd("multiplier", "255").is_empty());
    assert_eq!(bfd("multiplier", "0").len(), 2);
    assert!(bfd("min_rx", "1").is_empty());
    assert!(bfd("min_rx", "4294967").is_empty());
    assert_eq!(
        bfd("min_rx", "0.999"),
        vec![
            "number '0.999' outside range [1.000, 4294967.000]",
            "Configuration error: BFD instance B min_rx value 0.999 is not valid (must be in range [1-4294967]), ignoring"
        ]
    );
    assert!(bfd("idle_tx", "1000").is_empty());
    assert_eq!(bfd("idle_tx", "999.999").len(), 2);
    assert!(bfd("weight", "-253").is_empty());
    assert_eq!(bfd("weight", "254").len(), 2);
    assert!(bfd("max_hops", "-1").is_empty());
}

#[test]
fn exit_codes() {
    // Unknown interface for linkbeat / up-down delays: upstream cannot run
    // (-t exits 5 as keepalived 2.2.7 does).
    let l = load_text("e1.conf", "linkbeat_interfaces {\n  nosuchif\n}\n");
    assert_eq!(messages(&l), vec!["unknown interface nosuchif specified for linkbeat interface"]);
    assert_eq!(l.exit_code(), 5);
    let l = load_text("e2.conf", "interface_up_down_delays {\n  nosuchif 1\n}\n");
    assert_eq!(l.exit_code(), 5);
    // ... unless interfaces may come and go.
    let l = load_text("e3.conf", "global_defs {\n  dynamic_interfaces\n}\nlinkbeat_interfaces {\n  nosuchif\n}\n");
    assert!(!l.diags.iter().any(|d| d.severity == Severity::Fatal), "{:?}", l.diags);
    // ... or the interface list is unknown.
    let dir = common::TempDir::new("cfgglobal");
    let l = load(
        &dir.write("e4.conf", "linkbeat_interfaces {\n  nosuchif\n}\n"),
        &Options::default(),
        &SystemView::default(),
    );
    assert!(!l.diags.iter().any(|d| d.severity == Severity::Fatal));
    // Errors upstream works around: 5 (keepalived 2.2.7's -t status).
    let l = load_text("e5.conf", "global_defs {\n  router_id\n}\n");
    assert_eq!(l.exit_code(), 5);
    // Things upstream only logs (deprecated spellings): 0.
    let l = load_text("e6.conf", "global_defs {\n  bfd_rlimit_rtime 5000\n}\n");
    assert_eq!(l.exit_code(), 0);
    assert!(l.diags.iter().any(|d| d.class == Class::Deprecated && d.severity == Severity::Note));
}

#[test]
fn start_stop_scripts_have_their_own_security_message() {
    let l = load_text("s.conf", "global_defs {\n  startup_script /bin/true\n}\n");
    let sec: Vec<_> = l.diags.iter().filter(|d| d.class == Class::ScriptSecurity).map(|d| d.message.as_str()).collect();
    assert_eq!(
        sec,
        vec!["SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled."]
    );
    assert_eq!(l.exit_code(), 6);
    let l = load_text("s2.conf", "global_defs {\n  startup_script /bin/true\n  enable_script_security\n}\n");
    assert!(!l.diags.iter().any(|d| d.class == Class::ScriptSecurity));
    let l = load_text("s3.conf", "global_defs {\n  notify_fifo_script /bin/true\n}\n");
    let sec: Vec<_> = l.diags.iter().filter(|d| d.class == Class::ScriptSecurity).map(|d| d.message.as_str()).collect();
    assert_eq!(sec, vec!["SECURITY VIOLATION - scripts are being executed but script_security not enabled."]);
}

#[test]
fn not_yet_keywords_say_so() {
    let l = load_text("n.conf", "global_defs {\n  router_id A\n  smtp_server 127.0.0.1\n}\n");
    let notes: Vec<_> = l.diags.iter().filter(|d| d.class == Class::NotImplemented).collect();
    assert_eq!(notes.len(), 1, "router_id is acted on, smtp_server is not yet");
    assert!(notes[0].message.contains("'smtp_server'"));
    assert_eq!(l.exit_code(), 0);
}

#[test]
fn bfd_instances() {
    let l = load_file(&PathBuf::from(DATA).join("bfd.conf"));
    let names: Vec<_> = l.config.bfd.instances.iter().map(|b| b.name.value.as_str()).collect();
    // B1 mixes address families, B2 has no neighbor, B4 and B7 (a source
    // against none) duplicate B3's session, B6 is malformed, the long name is
    // refused.
    assert_eq!(names, vec!["B3", "B5"]);
    let b3 = l.config.bfd.instance("B3").expect("B3");
    assert_eq!((b3.ttl, b3.max_hops), (Some(5), 5));
    let b5 = l.config.bfd.instance("B5").expect("B5");
    assert_eq!(b5.min_rx, Duration::from_micros(1001));
    assert_eq!(b5.effective_ttl(), 64);
    assert!(b5.notify_checker && !b5.notify_vrrp);
    assert!(l.config.needs_bfd());
}

/// Lines of the sample configs that hold global statements (those of our
/// tables, so that other parts' keywords do not count).
fn global_lines(path: &Path) -> BTreeSet<u32> {
    let pre = preprocess::preprocess(path, &Options::default());
    let parsed = lexer::parse_lines(&pre.lines);
    let ours =
        |name: &str, tables: &[&[keepalived_rs::config::build::Keyword<keepalived_rs::config::model::Config>]]| {
            tables.iter().flat_map(|t| t.iter()).any(|k| k.name == name)
        };
    let mut lines = BTreeSet::new();
    fn all(s: &keepalived_rs::config::ast::Stmt, out: &mut BTreeSet<u32>) {
        out.insert(s.keyword.span.line);
        for c in s.children() {
            all(c, out);
        }
    }
    for s in &parsed.stmts {
        if s.keyword.text == "global_defs" {
            lines.insert(s.span().line);
            for c in s.children() {
                if ours(&c.keyword.text, &[global_build::GLOBAL_DEFS]) {
                    all(c, &mut lines);
                }
            }
        } else if ours(&s.keyword.text, &[global_build::TOP, bfd_build::TOP]) {
            all(s, &mut lines);
        }
    }
    lines
}

#[test]
fn samples_have_no_spurious_global_messages() {
    let dir = common::samples_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    // What 2.2.7 says about each sample: "(NAME: Line N) message".
    let said = std::fs::read_to_string(dir.join("MESSAGES-2.2.7.txt")).unwrap_or_default();
    let said: BTreeSet<&str> = said.lines().collect();
    let mut checked = 0;
    let mut matched = 0;
    for e in entries.flatten() {
        let p = e.path();
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else { continue };
        if !name.starts_with("keepalived.conf") {
            continue;
        }
        let lines = global_lines(&p);
        let l = load(&p, &Options::default(), &SystemView::default());
        for d in &l.diags {
            let Some(span) = d.span else { continue };
            let upstream = format!("({name}: Line {}) {}", span.line, d.message);
            if d.severity >= Severity::Warning && lines.contains(&span.line) && !said.contains(upstream.as_str()) {
                panic!("{name}: unexpected message on a global line: {}", l.sources.render(d));
            }
        }
        // ... and what 2.2.7 said about our lines, we say too.
        let ours: BTreeSet<String> = l
            .diags
            .iter()
            .filter_map(|d| d.span.map(|sp| format!("({name}: Line {}) {}", sp.line, d.message)))
            .collect();
        let prefix = format!("({name}: Line ");
        for m in said.iter().filter(|m| m.starts_with(&prefix)) {
            let line: Option<u32> = m[prefix.len()..].split(')').next().and_then(|n| n.parse().ok());
            if line.is_some_and(|n| lines.contains(&n)) {
                assert!(ours.contains(*m), "{name}: 2.2.7 says {m:?}, we do not");
                matched += 1;
            }
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} samples found");
    assert!(matched >= 2, "only {matched} of 2.2.7's messages were about global lines");
}

#[test]
fn include_check_is_left_to_the_preprocessor() {
    let l = load_text("ic.conf", "global_defs {\n  include_check match +brace_match\n}\n");
    assert!(l.diags.is_empty(), "{:?}", l.diags);
}

#[test]
fn umask_forms() {
    let um = |v: &str| {
        let l = load_text("um.conf", &format!("global_defs {{\n  umask {v}\n}}\n"));
        (l.config.global.umask.value, messages(&l))
    };
    assert_eq!(um("022"), (0o022, vec![]));
    assert_eq!(um("0x1ff"), (0o777, vec![]));
    assert_eq!(um("18"), (0o022, vec![]));
    assert_eq!(um("IRWXG|IRWXO"), (0o077, vec![]));
    assert_eq!(um("IRWXG | IWOTH"), (0o072, vec![]));
    assert_eq!(um("IRUSR|"), (0o177, vec!["umask missing bit value".to_string()]));
    assert_eq!(um("0x"), (0o177, vec!["invalid umask value 0x".to_string()]));
}

#[test]
fn process_names() {
    let l = load_text(
        "pn.conf",
        "global_defs {\n  process_names\n  bfd_process_name éééééééééé\n  process_name parent\n}\n",
    );
    let n = &l.config.global.process_names;
    assert_eq!(n.parent.as_deref(), Some("parent"));
    assert_eq!(l.config.vrrp.globals.process_name.as_deref(), Some("keepalived_vrrp"));
    // 15 bytes at most, cut on a character boundary.
    assert_eq!(n.bfd.as_deref(), Some("ééééééé"));
    assert_eq!(messages(&l), vec!["Process name éééééééééé more than 15 characters, truncating"]);
}

#[test]
fn track_group_members_are_vrrp_instances() {
    let text = "track_group G {\n  group {\n    VI_1\n    VI_9\n  }\n}\n\
                vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  \
                virtual_ipaddress {\n    10.0.0.1\n  }\n}\n";
    let l = load_text("tg.conf", text);
    let about: Vec<_> = l.diags.iter().filter(|d| d.message.starts_with("Virtual router")).collect();
    assert_eq!(about.len(), 1, "{:#?}", l.diags);
    assert_eq!(about[0].message, "Virtual router VI_9 specified in track group G doesn't exist - ignoring");
    assert_eq!(about[0].severity, Severity::Note, "upstream only logs it");
    assert_eq!(about[0].span.map(|s| s.line), Some(4));
}

#[test]
fn deprecated_spellings_reach_the_owning_part() {
    let l = load_text("dep.conf", "global_defs {\n  vrrp_rlimit_rtime 1000\n  process_names\n}\n");
    assert_eq!(l.config.vrrp.globals.rlimit_rttime, Some(1000));
    assert_eq!(l.config.vrrp.globals.process_name.as_deref(), Some("keepalived_vrrp"));
    let dep: Vec<_> = l.diags.iter().filter(|d| d.class == Class::Deprecated).map(|d| d.message.as_str()).collect();
    assert_eq!(dep, vec!["Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'"]);
    assert_eq!(l.exit_code(), 0);
}
