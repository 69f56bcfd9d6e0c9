//! Checker state-machine conformance: each file under `tests/data/check/`
//! configures one real server with its checkers, then lists inputs at given
//! times, each followed by the exact events expected and the next deadline.
//! Times are seconds from the start, microsecond resolution, so every timer
//! is asserted. The scenarios reproduce what Debian's keepalived 2.2.7 was
//! seen to do (log lines, when a server leaves and comes back, weights).
//!
//! File format (`#` starts a comment):
//! ```text
//! names [127.0.0.1]:tcp:80 [10.0.0.1]:tcp:80 [127.0.0.1]:80   # rs vs target
//! weight 5                          # configured weight (default 1)
//! checker tcp                       # tcp udp ping dns smtp
//! checker http /a,/b [fast_recovery]
//! checker misc PROGRAM [dynamic]
//! timing delay_loop 4 retry 2 delay_before_retry 1 warmup 0 [alpha] [log_all]
//! file WEIGHT VALUE [reverse]       # a FILE_CHECK
//! start 0 [rand N]
//!   verdict up 5                    # Event::Verdict
//!   deadline 1                      # Server::next_deadline, or `none`
//! timer 1
//!   probe [checker N] [url U]
//! ok 1.2 [checker N]                # Outcome::Success
//! fail 1.2 timeout|failed|mismatch|text WORDS... [checker N]
//! http 1.2 ok status|digest|regex [mismatch CONTENT RX]
//! http 1.2 fail WORDS...
//! misc 1.2 exit N | signal N | timeout
//! filevalue 3 IDX VALUE
//! enable 3 on|off [checker N]
//! ```
//! Events render as `probe ...`, `verdict up|down W`, `notify up|down` and
//! `log TEXT`.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::path::Path;
use std::time::{Duration, Instant};

use keepalived_rs::check::misc::MiscExit;
use keepalived_rs::check::server::{Event, Server, TrackedFile};
use keepalived_rs::check::state::{
    Checker, Failure, HttpMatch, HttpVerdict, Input, Kind, Names, Outcome, Params, Timing,
};

fn parse_secs(s: &str) -> Result<Duration, String> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 6 {
        return Err(format!("more than microsecond precision: {s}"));
    }
    let secs: u64 = whole.parse().map_err(|e| format!("bad time {s}: {e}"))?;
    let micros: u64 =
        if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().map_err(|e| format!("bad time {s}: {e}"))? };
    Ok(Duration::from_secs(secs) + Duration::from_micros(micros))
}

fn fmt_secs(d: Duration) -> String {
    let s = format!("{}.{:06}", d.as_secs(), d.subsec_micros());
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

fn render(e: &Event) -> String {
    match e {
        Event::Probe { checker, url } => {
            let mut s = "probe".to_owned();
            if *checker != 0 {
                s.push_str(&format!(" checker {checker}"));
            }
            if let Some(u) = url {
                s.push_str(&format!(" url {u}"));
            }
            s
        }
        Event::Verdict { alive, weight } => format!("verdict {} {weight}", if *alive { "up" } else { "down" }),
        Event::Notify { up } => format!("notify {}", if *up { "up" } else { "down" }),
        Event::Log(l) => format!("log {l}"),
    }
}

struct Setup {
    names: (String, String, String),
    weight: u32,
    checkers: Vec<(Kind, Timing)>,
    files: Vec<TrackedFile>,
}

fn default_timing() -> Timing {
    Timing {
        delay_loop: Duration::from_secs(60),
        retry: 1,
        delay_before_retry: Duration::from_secs(1),
        warmup: Duration::ZERO,
        alpha: false,
        log_all_failures: false,
    }
}

fn parse_timing(t: &mut Timing, words: &[&str]) -> Result<(), String> {
    let mut it = words.iter();
    while let Some(&w) = it.next() {
        match w {
            "alpha" => t.alpha = true,
            "log_all" => t.log_all_failures = true,
            "delay_loop" | "retry" | "delay_before_retry" | "warmup" => {
                let v = it.next().ok_or(format!("{w} needs a value"))?;
                match w {
                    "delay_loop" => t.delay_loop = parse_secs(v)?,
                    "delay_before_retry" => t.delay_before_retry = parse_secs(v)?,
                    "warmup" => t.warmup = parse_secs(v)?,
                    _ => t.retry = v.parse().map_err(|e| format!("retry {v}: {e}"))?,
                }
            }
            other => return Err(format!("unknown timing word {other}")),
        }
    }
    Ok(())
}

/// Splits off a trailing `checker N`.
fn checker_index(words: &mut Vec<&str>) -> Result<usize, String> {
    if words.len() >= 2 && words[words.len() - 2] == "checker" {
        let n = words[words.len() - 1].parse().map_err(|e| format!("checker index: {e}"))?;
        words.truncate(words.len() - 2);
        return Ok(n);
    }
    Ok(0)
}

fn run_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut setup = Setup {
        names: ("[127.0.0.1]:tcp:80".into(), "[10.0.0.1]:tcp:80".into(), "[127.0.0.1]:80".into()),
        weight: 1,
        checkers: Vec::new(),
        files: Vec::new(),
    };
    let t0 = Instant::now();
    let mut server: Option<Server> = None;
    let mut expected: Vec<String> = Vec::new();
    let mut actual: Vec<String> = Vec::new();
    let mut step = String::new();
    let mut errors = Vec::new();

    let flush = |server: &Option<Server>,
                 step: &str,
                 actual: &mut Vec<String>,
                 expected: &mut Vec<String>,
                 errors: &mut Vec<String>| {
        if step.is_empty() {
            return;
        }
        if let Some(s) = server {
            actual.push(match s.next_deadline() {
                Some(d) => format!("deadline {}", fmt_secs(d - t0)),
                None => "deadline none".into(),
            });
        }
        if actual != expected {
            errors.push(format!(
                "{step}\n  expected:\n    {}\n  actual:\n    {}",
                expected.join("\n    "),
                actual.join("\n    ")
            ));
        }
        actual.clear();
        expected.clear();
    };

    for (lineno, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let ctx = |e: String| format!("{}:{}: {e}", path.display(), lineno + 1);
        if raw.starts_with(' ') || raw.starts_with('\t') {
            expected.push(line.trim().to_owned());
            continue;
        }
        flush(&server, &step, &mut actual, &mut expected, &mut errors);
        step = format!("{}:{}: {}", path.display(), lineno + 1, line);
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let verb = words.remove(0);
        match verb {
            "names" => {
                if words.len() != 3 {
                    return Err(ctx("names RS VS TARGET".into()));
                }
                setup.names = (words[0].into(), words[1].into(), words[2].into());
                step.clear();
            }
            "weight" => {
                setup.weight = words.first().ok_or(ctx("weight N".into()))?.parse().map_err(|e| ctx(format!("{e}")))?;
                step.clear();
            }
            "checker" => {
                let kind = match words.first().copied() {
                    Some("tcp") => Kind::Tcp,
                    Some("udp") => Kind::Udp,
                    Some("ping") => Kind::Ping,
                    Some("dns") => Kind::Dns,
                    Some("smtp") => Kind::Smtp,
                    Some("http") => Kind::Http {
                        paths: words.get(1).map(|p| p.split(',').map(str::to_owned).collect()).unwrap_or_default(),
                        fast_recovery: words.contains(&"fast_recovery"),
                    },
                    Some("misc") => Kind::Misc {
                        program: words.get(1).copied().unwrap_or("/bin/true").to_owned(),
                        dynamic: words.contains(&"dynamic"),
                    },
                    other => return Err(ctx(format!("unknown checker {other:?}"))),
                };
                setup.checkers.push((kind, default_timing()));
                step.clear();
            }
            "timing" => {
                let (_, t) = setup.checkers.last_mut().ok_or(ctx("timing before checker".into()))?;
                parse_timing(t, &words).map_err(ctx)?;
                step.clear();
            }
            "file" => {
                let weight = words.first().ok_or(ctx("file W V".into()))?.parse().map_err(|e| ctx(format!("{e}")))?;
                let value = words.get(1).ok_or(ctx("file W V".into()))?.parse().map_err(|e| ctx(format!("{e}")))?;
                setup.files.push(TrackedFile { weight, reverse: words.contains(&"reverse"), value });
                step.clear();
            }
            _ => {
                let at = t0 + parse_secs(words.first().ok_or(ctx("time missing".into()))?).map_err(ctx)?;
                let mut rest: Vec<&str> = words.get(1..).unwrap_or_default().to_vec();
                if verb == "start" {
                    let rand = match rest.as_slice() {
                        ["rand", n] => n.parse().map_err(|e| ctx(format!("rand: {e}")))?,
                        _ => 0,
                    };
                    let (rs, vs, target) = setup.names.clone();
                    let checkers = setup
                        .checkers
                        .iter()
                        .map(|(kind, timing)| {
                            Checker::new(Params {
                                kind: kind.clone(),
                                timing: (*timing).into(),
                                names: Names {
                                    rs: rs.as_str().into(),
                                    vs: vs.as_str().into(),
                                    target: target.as_str().into(),
                                },
                            })
                        })
                        .collect();
                    let mut s = Server::new(rs, vs, setup.weight, checkers, setup.files.clone(), false);
                    actual.extend(s.start(at, || rand).iter().map(render));
                    server = Some(s);
                    continue;
                }
                let s = server.as_mut().ok_or(ctx("input before start".into()))?;
                let idx = checker_index(&mut rest).map_err(ctx)?;
                let events = match verb {
                    "timer" => s.timer(at),
                    "ok" => s.handle(at, idx, Input::Done(Outcome::Success)),
                    "fail" => {
                        let f = match rest.as_slice() {
                            ["timeout"] => Failure::Timeout,
                            ["failed"] => Failure::Failed,
                            ["mismatch"] => Failure::Mismatch,
                            ["text", words @ ..] => Failure::Text(words.join(" ")),
                            other => return Err(ctx(format!("bad failure {other:?}"))),
                        };
                        s.handle(at, idx, Input::Done(Outcome::Failure(f)))
                    }
                    "http" => {
                        let v = match rest.as_slice() {
                            ["ok", what, tail @ ..] => {
                                let m = match *what {
                                    "status" => HttpMatch::StatusCode,
                                    "digest" => HttpMatch::Digest,
                                    "regex" => HttpMatch::Regex,
                                    other => return Err(ctx(format!("bad http match {other}"))),
                                };
                                let length_mismatch = match tail {
                                    ["mismatch", c, r] => Some((
                                        c.parse().map_err(|e| ctx(format!("{e}")))?,
                                        r.parse().map_err(|e| ctx(format!("{e}")))?,
                                    )),
                                    _ => None,
                                };
                                HttpVerdict { length_mismatch, result: Ok(m) }
                            }
                            ["fail", words @ ..] => {
                                let text = words.join(" ");
                                // "..." keeps a trailing space (upstream has one).
                                let text = text
                                    .strip_prefix('"')
                                    .and_then(|t| t.strip_suffix('"'))
                                    .map_or(text.clone(), str::to_owned);
                                HttpVerdict { length_mismatch: None, result: Err(text) }
                            }
                            other => return Err(ctx(format!("bad http result {other:?}"))),
                        };
                        s.handle(at, idx, Input::Done(Outcome::Http(v)))
                    }
                    "misc" => {
                        let e = match rest.as_slice() {
                            ["exit", n] => MiscExit::Exited(n.parse().map_err(|e| ctx(format!("{e}")))?),
                            ["signal", n] => MiscExit::Signaled(n.parse().map_err(|e| ctx(format!("{e}")))?),
                            ["timeout"] => MiscExit::TimedOut,
                            other => return Err(ctx(format!("bad misc result {other:?}"))),
                        };
                        s.handle(at, idx, Input::Done(Outcome::Misc(e)))
                    }
                    "filevalue" => {
                        let [i, v] = rest.as_slice() else { return Err(ctx("filevalue T IDX VALUE".into())) };
                        s.file_value(
                            i.parse().map_err(|e| ctx(format!("{e}")))?,
                            v.parse().map_err(|e| ctx(format!("{e}")))?,
                        )
                    }
                    "enable" => s.handle(at, idx, Input::Enabled(rest.first() == Some(&"on"))),
                    other => return Err(ctx(format!("unknown input {other}"))),
                };
                actual.extend(events.iter().map(render));
            }
        }
    }
    flush(&server, &step, &mut actual, &mut expected, &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(errors.join("\n\n")) }
}

#[test]
fn conformance_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "expected the conformance files in {}", dir.display());
    let failures: Vec<String> = files.iter().filter_map(|f| run_file(f).err()).collect();
    assert!(failures.is_empty(), "{} file(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}
