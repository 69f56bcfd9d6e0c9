//! MISC_CHECK with real scripts run by the shared script runner: exit 0 / 1,
//! misc_dynamic weights, a timeout, and the log lines and weights Debian's
//! keepalived 2.2.7 gives for the same sequence (tests/data/check/09, 11).

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use keepalived_rs::check::misc;
use keepalived_rs::check::plan::{PlanInputs, Probe, plan};
use keepalived_rs::check::server::Event;
use keepalived_rs::check::state::Input;
use keepalived_rs::config::{load_str, preprocess, validate::SystemView};
use keepalived_rs::script::{Preparer, ScriptPolicy, ScriptRunner};

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch() -> Scratch {
    let p = std::env::temp_dir().join(format!("kr-check-misc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    Scratch(p)
}

/// A script that exits with the status written in `code`, or sleeps when it
/// says "sleep".
fn script(dir: &Path) -> PathBuf {
    let s = dir.join("check.sh");
    let code = dir.join("code");
    std::fs::write(
        &s,
        format!("#!/bin/sh\nc=$(cat {})\n[ \"$c\" = sleep ] && exec sleep 5\nexit $c\n", code.display()),
    )
    .unwrap();
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).unwrap();
    s
}

fn render(e: &Event) -> Option<String> {
    match e {
        Event::Verdict { alive, weight } => Some(format!("verdict {} {weight}", if *alive { "up" } else { "down" })),
        Event::Notify { up } => Some(format!("notify {}", if *up { "up" } else { "down" })),
        Event::Log(l) => Some(format!("log {l}")),
        Event::Probe { .. } => None,
    }
}

#[tokio::test(flavor = "current_thread")]
async fn dynamic_weights_failures_and_timeout_with_real_scripts() {
    let dir = scratch();
    let path = script(&dir.0);
    let conf = format!(
        "virtual_server 10.9.0.1 80 {{\n lb_algo rr\n lb_kind NAT\n protocol TCP\n\
         real_server 127.0.0.4 8080 {{\n weight 9\n MISC_CHECK {{\n misc_path \"{}\"\n misc_dynamic\n misc_timeout 1\n\
         delay_loop 1\n warmup 0\n }}\n }}\n}}\n",
        path.display()
    );
    let loaded = load_str(Path::new("misc.conf"), &conf, &preprocess::Options::default(), &SystemView::default());
    let (mut planned, warnings) = plan(&loaded.config.lvs, &PlanInputs::default());
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut p = planned.remove(0);
    let Probe::Misc { script, timeout } = p.probes[0].clone() else { panic!("not a MISC_CHECK plan") };
    assert_eq!(timeout, Duration::from_secs(1));
    let program = Preparer::new(ScriptPolicy::default()).prepare(&script).unwrap_or_else(|e| panic!("{e:?}"));
    let (runner, _rx) = ScriptRunner::<()>::new(4);

    let name = format!("[[127.0.0.4]:tcp:8080 VS [10.9.0.1]:tcp:80] by [{}]", path.display());
    let t0 = Instant::now();
    let mut got: Vec<String> = p.server.start(t0, || 0).iter().filter_map(render).collect();
    // (exit status written before the run, lines expected from it)
    let steps: Vec<(&str, Vec<String>)> = vec![
        ("0", vec![format!("log Misc check for {name} succeeded.")]),
        (
            "5",
            vec![
                "log Changing weight from 9 to 3 for active service [127.0.0.4]:tcp:8080 of VS [10.9.0.1]:tcp:80"
                    .into(),
                "verdict up 3".into(),
            ],
        ),
        (
            "1",
            vec![
                format!("log Misc check for {name} failed with retry disabled (exited with status 1)."),
                "verdict down 3".into(),
                "notify down".into(),
            ],
        ),
        (
            "4",
            vec![
                "log Changing weight from 9 to 2 for inactive service [127.0.0.4]:tcp:8080 of VS [10.9.0.1]:tcp:80"
                    .into(),
                format!("log Misc check for {name} succeeded."),
                "verdict up 2".into(),
                "notify up".into(),
            ],
        ),
        (
            "sleep",
            vec![
                format!("log Misc check for {name} timed out with retry disabled."),
                "verdict down 2".into(),
                "notify down".into(),
            ],
        ),
        (
            "0",
            // The weight went back to 9 quietly when it went down.
            vec![format!("log Misc check for {name} succeeded."), "verdict up 9".into(), "notify up".into()],
        ),
    ];
    assert_eq!(got, vec!["verdict up 9".to_owned()]);
    for (code, want) in steps {
        std::fs::write(dir.0.join("code"), code).unwrap();
        let deadline = p.server.next_deadline().unwrap();
        tokio::time::sleep_until(deadline.into()).await;
        let events = p.server.timer(Instant::now());
        assert!(matches!(events.as_slice(), [Event::Probe { checker: 0, url: None }]), "{events:?}");
        let started = Instant::now();
        let outcome = misc::run(&runner, program.clone(), timeout).await.expect("a verdict");
        if code == "sleep" {
            // Terminated on misc_timeout.
            let took = started.elapsed();
            assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(3), "{took:?}");
        }
        got = p.server.handle(Instant::now(), 0, Input::Done(outcome)).iter().filter_map(render).collect();
        assert_eq!(got, want, "exit {code}");
    }
}
