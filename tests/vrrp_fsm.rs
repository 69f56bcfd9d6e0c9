//! State-machine conformance: each file under `tests/data/fsm/` is a list of
//! inputs at given times, each followed by the exact actions expected, the
//! resulting state and the next deadline. Times are seconds from the start
//! (microsecond resolution, keepalived's own), so every timer is asserted.
//!
//! File format (`#` starts a comment):
//! ```text
//! param priority 100            # InstanceParams before `start`
//! start 0                       # Instance::new at t=0
//! resume 0                      # or Instance::resume_master (a MASTER across a reload)
//!   log (VI_1) Entering BACKUP STATE (init)
//!   transition INIT BACKUP
//!   state BACKUP
//!   deadline 3.609375           # next_deadline(), or `none`
//! advert 1 from 10.0.0.2 prio 150 int 1 [addrs a,b] [version 3]
//! timer 3.609375 | fault T | up T | priority T N | shutdown T [keep]
//! group-fault T | group-up T | sync-master T | sync-backup T
//! ```
//! `shutdown T keep` is a stop with `--dont-release-vrrp` (`Shutdown { release: false }`).
//! Actions render as `send-advert P`, `add-vips accept|no-accept`,
//! `remove-vips accept|no-accept`, `garp REPEAT INTERVAL`,
//! `transition FROM TO`, `master-rx-lower-prio FROM`, `stopped`,
//! `priority-changed P`, `sync-want-master`,
//! `log TEXT` and `log-detail TEXT` (only shown with --log-detail).

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::fsm::{
    Action, Family, InitialState, Input, Instance, InstanceParams, RxAdvert, State, TimerKind,
};
use keepalived_rs::vrrp::timer::Version;

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
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "true" | "on" | "yes" => Ok(true),
        "false" | "off" | "no" => Ok(false),
        other => Err(format!("bad bool {other}")),
    }
}

fn parse_addr(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|e| format!("bad address {s}: {e}"))
}

fn parse_addrs(s: &str) -> Result<Vec<IpAddr>, String> {
    if s == "-" {
        return Ok(Vec::new());
    }
    s.split(',').map(parse_addr).collect()
}

fn parse_version(s: &str) -> Result<Version, String> {
    match s {
        "2" => Ok(Version::V2),
        "3" => Ok(Version::V3),
        other => Err(format!("bad version {other}")),
    }
}

fn set_param(p: &mut InstanceParams, key: &str, val: &str) -> Result<(), String> {
    let num = |v: &str| v.parse::<u32>().map_err(|e| format!("bad number {v}: {e}"));
    match key {
        "name" => p.name = val.to_string(),
        "vrid" => p.vrid = val.parse().map_err(|e| format!("bad vrid: {e}"))?,
        "version" => p.version = parse_version(val)?,
        "priority" => p.priority = val.parse().map_err(|e| format!("bad priority: {e}"))?,
        "advert_int" => p.advert_interval = parse_secs(val)?,
        "state" => {
            p.initial_state = match val {
                "MASTER" => InitialState::Master,
                "BACKUP" => InitialState::Backup,
                other => return Err(format!("bad state {other}")),
            }
        }
        "nopreempt" => p.nopreempt = parse_bool(val)?,
        "timer_expired_backup" => p.timer_expired_backup = Some(val.parse().map_err(|e| format!("bad priority: {e}"))?),
        "preempt_delay" => p.preempt_delay = parse_secs(val)?,
        "accept" => p.accept = parse_bool(val)?,
        "strict_mode" => p.strict_mode = parse_bool(val)?,
        "down_timer_adverts" => p.down_timer_adverts = num(val)?,
        "primary" => {
            p.primary_address = parse_addr(val)?;
            if p.primary_address.is_ipv6() {
                // IPv6 instances are VRRPv3 (keepalived forces it).
                p.family = Family::V6;
                p.version = Version::V3;
            }
        }
        "vips" => {
            p.vips = parse_addrs(val)?;
            p.address_count = p.vips.len();
        }
        "address_count" => p.address_count = num(val)? as usize,
        "garp_master_delay" => p.garp.master_delay = parse_secs(val)?,
        "garp_master_repeat" => p.garp.master_repeat = num(val)?,
        "garp_master_refresh" => p.garp.master_refresh = parse_secs(val)?,
        "garp_master_refresh_repeat" => p.garp.master_refresh_repeat = num(val)?,
        "garp_lower_prio_delay" => p.garp.lower_prio_delay = parse_secs(val)?,
        "garp_lower_prio_repeat" => p.garp.lower_prio_repeat = num(val)?,
        "garp_interval" => p.garp.garp_interval = parse_secs(val)?,
        "garp_extra_if" => p.garp.extra_if = parse_secs(val)?,
        "gna_interval" => p.garp.gna_interval = parse_secs(val)?,
        "lower_prio_no_advert" => p.lower_prio_no_advert = parse_bool(val)?,
        "higher_prio_send_advert" => p.higher_prio_send_advert = parse_bool(val)?,
        "skip_check_adv_addr" => p.skip_check_adv_addr = parse_bool(val)?,
        "start_in_fault" => p.start_in_fault = parse_bool(val)?,
        "startup_delay" => p.startup_delay = parse_secs(val)?,
        "start_held" => p.start_held = parse_bool(val)?,
        "tracking" => p.tracking = val.parse().map_err(|e| format!("bad tracking: {e}"))?,
        "synced" => p.synced = parse_bool(val)?,
        other => return Err(format!("unknown param {other}")),
    }
    Ok(())
}

fn render_action(a: &Action) -> String {
    let acc = |accept: bool| if accept { "accept" } else { "no-accept" };
    match a {
        Action::SendAdvert { priority } => format!("send-advert {priority}"),
        Action::AddVips { accept } => format!("add-vips {}", acc(*accept)),
        Action::RemoveVips { accept } => format!("remove-vips {}", acc(*accept)),
        Action::SendGratuitous { repeat, interval } => format!("garp {repeat} {}", fmt_secs(*interval)),
        Action::SendExtraGratuitous => "garp-extra-if".to_string(),
        Action::Transition { from, to } => format!("transition {from} {to}"),
        Action::MasterRxLowerPriority { from } => format!("master-rx-lower-prio {from}"),
        Action::Stopped => "stopped".to_string(),
        Action::PriorityChanged { priority } => format!("priority-changed {priority}"),
        Action::SyncWantMaster => "sync-want-master".to_string(),
        Action::Log(e) if e.detail_only() => format!("log-detail {e}"),
        Action::Log(e) => format!("log {e}"),
    }
}

fn render_step(inst: &Instance, base: Instant, actions: &[Action]) -> Vec<String> {
    let mut lines: Vec<String> = actions.iter().map(render_action).collect();
    lines.push(format!("state {}", inst.state()));
    lines.push(match inst.next_deadline() {
        Some(d) => format!("deadline {}", fmt_secs(d.duration_since(base))),
        None => "deadline none".to_string(),
    });
    lines
}

struct Step {
    line_no: usize,
    command: String,
    expected: Vec<String>,
}

fn parse_file(text: &str) -> (Vec<(usize, String)>, Vec<Step>) {
    let mut params = Vec::new();
    let mut steps: Vec<Step> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            match steps.last_mut() {
                Some(step) => step.expected.push(line.trim().to_string()),
                None => panic!("line {}: expectation before any step", i + 1),
            }
        } else if let Some(rest) = line.strip_prefix("param ") {
            params.push((i + 1, rest.to_string()));
        } else {
            steps.push(Step { line_no: i + 1, command: line.to_string(), expected: Vec::new() });
        }
    }
    (params, steps)
}

fn parse_input(words: &[&str], inst_params: &InstanceParams) -> Result<Input, String> {
    match words {
        ["timer", ..] => Ok(Input::Timer),
        ["fault", ..] => Ok(Input::Fault(true)),
        ["up", ..] => Ok(Input::Fault(false)),
        ["shutdown", _] => Ok(Input::Shutdown { release: true }),
        ["shutdown", _, "keep"] => Ok(Input::Shutdown { release: false }),
        ["priority", _, n] => Ok(Input::Priority(n.parse().map_err(|e| format!("bad priority: {e}"))?)),
        ["group-fault", ..] => Ok(Input::GroupFault(true)),
        ["group-up", ..] => Ok(Input::GroupFault(false)),
        ["sync-master", ..] => Ok(Input::SyncMaster),
        ["sync-backup", ..] => Ok(Input::SyncBackup),
        ["advert", _, rest @ ..] => {
            let mut adv = RxAdvert {
                src: inst_params.primary_address,
                version: inst_params.version,
                priority: 100,
                adver_int: inst_params.advert_interval,
                addresses: inst_params.vips.clone(),
            };
            let mut it = rest.iter();
            while let Some(key) = it.next() {
                let val = it.next().ok_or_else(|| format!("{key} needs a value"))?;
                match *key {
                    "from" => adv.src = parse_addr(val)?,
                    "prio" => adv.priority = val.parse().map_err(|e| format!("bad prio: {e}"))?,
                    "int" => adv.adver_int = parse_secs(val)?,
                    "addrs" => adv.addresses = parse_addrs(val)?,
                    "version" => adv.version = parse_version(val)?,
                    other => return Err(format!("unknown advert field {other}")),
                }
            }
            Ok(Input::Advert(adv))
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn run_file(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fsm").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (param_lines, steps) = parse_file(&text);
    let mut params =
        InstanceParams::new("VI_1", 51, IpAddr::from([10, 0, 0, 1])).with_vips(vec![IpAddr::from([10, 0, 0, 100])]);
    for (line_no, p) in &param_lines {
        let (key, val) = p.split_once(' ').unwrap_or((p.as_str(), ""));
        set_param(&mut params, key, val.trim()).unwrap_or_else(|e| panic!("{name}:{line_no}: {e}"));
    }
    assert!(steps.len() >= 2, "{name}: a conformance file needs a start and at least one step");
    let base = Instant::now();
    let mut inst: Option<Instance> = None;
    let mut failures = Vec::new();
    for step in &steps {
        let words: Vec<&str> = step.command.split_whitespace().collect();
        let at = words
            .get(1)
            .map(|t| parse_secs(t))
            .unwrap_or_else(|| Err("missing time".into()))
            .unwrap_or_else(|e| panic!("{name}:{}: {e}", step.line_no));
        let now = base + at;
        let (i, actions) = match (words.first(), inst.take()) {
            (Some(&"start"), None) => Instance::new(params.clone(), now),
            (Some(&"resume"), None) => Instance::resume_master(params.clone(), now),
            (Some(_), Some(mut i)) => {
                let input = parse_input(&words, i.params()).unwrap_or_else(|e| panic!("{name}:{}: {e}", step.line_no));
                let actions = i.handle(now, input);
                (i, actions)
            }
            _ => panic!("{name}:{}: `start` or `resume` must come first, once", step.line_no),
        };
        let got = render_step(&i, base, &actions);
        if got != step.expected {
            failures.push(format!(
                "{name}:{} `{}`\n  expected:\n    {}\n  got:\n    {}",
                step.line_no,
                step.command,
                step.expected.join("\n    "),
                got.join("\n    ")
            ));
        }
        inst = Some(i);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

macro_rules! conformance {
    ($($test:ident => $file:literal),* $(,)?) => {
        $( #[test] fn $test() { run_file($file); } )*
        const FILES: &[&str] = &[$($file),*];
    };
}

conformance! {
    v2_backup_takeover_when_master_dies => "01-v2-backup-takeover.txt",
    v2_priority_zero_skew_takeover => "02-v2-priority-zero.txt",
    v3_centisecond_takeover => "03-v3-centiseconds.txt",
    v3_priority_zero_and_learned_interval => "04-v3-priority-zero-learned-interval.txt",
    state_master_non_owner_starts_backup => "05-state-master-non-owner.txt",
    owner_takes_over_at_start => "06-owner-start.txt",
    master_lower_priority_advert_forces_election => "07-master-lower-priority.txt",
    master_higher_priority_advert_steps_down => "08-master-higher-priority.txt",
    equal_priority_higher_address_wins => "09-equal-priority.txt",
    preempt_and_discarding_lower_priority => "10-preempt.txt",
    nopreempt_stays_backup => "11-nopreempt.txt",
    preempt_delay_holds_back_preemption => "12-preempt-delay.txt",
    shutdown_sends_priority_zero => "13-shutdown.txt",
    fault_handling => "14-fault.txt",
    down_timer_adverts => "15-down-timer-adverts.txt",
    garp_settings => "16-garp.txt",
    strict_mode_and_accept => "17-strict-accept.txt",
    packet_checks => "18-packet-checks.txt",
    tracking_priority_changes => "19-priority-change.txt",
    owner_conflict_and_own_address => "20-owner-conflict.txt",
    higher_prio_send_advert => "21-higher-prio-send-advert.txt",
    v3_ten_millisecond_interval => "22-v3-10ms.txt",
    shutdown_from_backup => "23-shutdown-backup.txt",
    owner_starting_in_fault_ipv6 => "24-owner-start-fault.txt",
    vrrp_startup_delay => "25-startup-delay.txt",
    master_resumes_after_reload => "26-resume-master.txt",
    resumed_v3_master => "27-resume-v3.txt",
    resume_in_fault_starts_in_fault => "28-resume-fault.txt",
    shutdown_keeping_the_vips => "29-shutdown-keep.txt",
    sync_member_waits_for_its_group => "30-sync-member.txt",
    group_fault_and_recovery => "31-group-fault.txt",
    weight_zero_script_holds_then_faults => "32-held.txt",
    tracking_at_start_and_priority_down => "33-tracking-start.txt",
    garp_extra_if_rounds_while_master => "34-garp-extra-if.txt",
    timer_expired_backup_reverts_a_late_master => "35-timer-expired-backup.txt",
}

#[test]
fn every_data_file_is_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fsm");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

// The figures from the issue, stated directly as well as in the files.

fn v2_backup(now: Instant) -> Instance {
    let p = InstanceParams::new("VI_1", 51, IpAddr::from([10, 0, 0, 1])).with_vips(vec![IpAddr::from([10, 0, 0, 100])]);
    Instance::new(p, now).0
}

fn advert(src: [u8; 4], priority: u8, version: Version, int: Duration) -> Input {
    Input::Advert(RxAdvert {
        src: IpAddr::from(src),
        version,
        priority,
        adver_int: int,
        addresses: vec![IpAddr::from([10, 0, 0, 100])],
    })
}

#[test]
fn figure_v2_takeover_3_609_after_last_advert() {
    let t0 = Instant::now();
    let mut b = v2_backup(t0);
    let last = t0 + Duration::from_secs(2);
    b.handle(last, advert([10, 0, 0, 2], 200, Version::V2, Duration::from_secs(1)));
    assert_eq!(b.deadline(TimerKind::MasterDown), Some(last + Duration::from_micros(3_609_375)));
    assert_eq!(b.state(), State::Backup);
    // One microsecond early: nothing happens.
    assert!(b.handle(last + Duration::from_micros(3_609_374), Input::Timer).is_empty());
    b.handle(last + Duration::from_micros(3_609_375), Input::Timer);
    assert_eq!(b.state(), State::Master);
}

#[test]
fn figure_v2_priority_zero_takeover_0_609() {
    let t0 = Instant::now();
    let mut b = v2_backup(t0);
    let bye = t0 + Duration::from_secs(2);
    b.handle(bye, advert([10, 0, 0, 2], 0, Version::V2, Duration::from_secs(1)));
    assert_eq!(b.next_deadline(), Some(bye + Duration::from_micros(609_375)));
}

#[test]
fn figure_v3_takeover_0_361_and_0_061() {
    let t0 = Instant::now();
    let mut p =
        InstanceParams::new("VI_1", 51, IpAddr::from([10, 0, 0, 1])).with_vips(vec![IpAddr::from([10, 0, 0, 100])]);
    p.version = Version::V3;
    p.advert_interval = Duration::from_millis(100);
    let (mut b, _) = Instance::new(p, t0);
    assert_eq!(b.next_deadline(), Some(t0 + Duration::from_micros(360_937)));
    let last = t0 + Duration::from_millis(200);
    b.handle(last, advert([10, 0, 0, 2], 200, Version::V3, Duration::from_millis(100)));
    assert_eq!(b.next_deadline(), Some(last + Duration::from_micros(360_937)));
    b.handle(last, advert([10, 0, 0, 2], 0, Version::V3, Duration::from_millis(100)));
    assert_eq!(b.next_deadline(), Some(last + Duration::from_micros(60_937)));
}

#[test]
fn v3_zero_interval_advert_is_clamped_to_one_centisecond() {
    let t0 = Instant::now();
    let mut p =
        InstanceParams::new("VI_1", 51, IpAddr::from([10, 0, 0, 1])).with_vips(vec![IpAddr::from([10, 0, 0, 100])]);
    p.version = Version::V3;
    let (mut b, _) = Instance::new(p, t0);
    let at = t0 + Duration::from_millis(500);
    b.handle(at, advert([10, 0, 0, 2], 200, Version::V3, Duration::ZERO));
    assert_eq!(b.master_adver_int(), Duration::from_millis(10));
    assert_eq!(b.next_deadline(), Some(at + Duration::from_micros(36_093)));
}

#[test]
fn absurd_durations_do_not_overflow() {
    let t0 = Instant::now();
    let mut p =
        InstanceParams::new("VI_1", 51, IpAddr::from([10, 0, 0, 1])).with_vips(vec![IpAddr::from([10, 0, 0, 100])]);
    p.advert_interval = Duration::MAX;
    p.preempt_delay = Duration::MAX;
    p.priority = 200;
    p.garp.master_delay = Duration::MAX;
    p.garp.master_refresh = Duration::MAX;
    p.garp.lower_prio_delay = Duration::MAX;
    p.down_timer_adverts = u32::MAX;
    let (mut inst, _) = Instance::new(p, t0);
    assert_eq!(inst.params().advert_interval, Duration::from_secs(255));
    assert_eq!(inst.params().down_timer_adverts, 100);
    assert_eq!(inst.params().preempt_delay, Duration::from_secs(1000));
    let mut now = t0;
    for _ in 0..3 {
        now = inst.next_deadline().unwrap_or(now);
        inst.handle(now, Input::Timer);
    }
    assert_eq!(inst.state(), State::Master);
    inst.handle(now, advert([10, 0, 0, 2], 100, Version::V2, Duration::from_secs(255)));
    inst.handle(now, Input::Priority(i32::MAX));
    inst.handle(now, Input::Priority(i32::MIN));
    assert_eq!(inst.effective_priority(), 1);
}

/// `Instance::resume_master` is what the runtime used to do by hand: start
/// the instance as if Master_Down_Interval had already passed, take it over
/// with a timer, and drop the state change from the actions.
#[test]
fn resume_master_is_a_takeover_without_its_report() {
    use keepalived_rs::vrrp::fsm::LogKind;
    use keepalived_rs::vrrp::timer::master_down_interval;
    let base =
        InstanceParams::new("VI_1", 51, IpAddr::from([10, 0, 0, 1])).with_vips(vec![IpAddr::from([10, 0, 0, 100])]);
    let mut variants = vec![base.clone()];
    let mut p = base.clone();
    p.version = Version::V3;
    p.advert_interval = Duration::from_millis(350);
    variants.push(p);
    let mut p = base.clone();
    p.priority = 255;
    p.initial_state = InitialState::Master;
    p.garp.master_delay = Duration::ZERO;
    variants.push(p);
    let mut p = base.clone();
    p.startup_delay = Duration::from_secs(30);
    p.garp.master_refresh = Duration::from_secs(2);
    p.accept = false;
    variants.push(p);
    let now = Instant::now() + Duration::from_secs(1000);
    for params in variants {
        let (mut resumed, actions) = Instance::resume_master(params.clone(), now);
        let mut old_params = params.clone();
        old_params.startup_delay = Duration::ZERO;
        let q = old_params.clone().normalized();
        let down = master_down_interval(q.version, q.down_timer_adverts, q.priority, q.advert_interval);
        let (mut old, _) = Instance::new(old_params, now - down - Duration::from_millis(1));
        let old_actions: Vec<Action> = old
            .handle(now, Input::Timer)
            .into_iter()
            .filter(|a| match a {
                Action::Transition { .. } => false,
                Action::Log(e) => !matches!(e.kind, LogKind::ReceiveAdvertTimeout | LogKind::EnteringMaster),
                _ => true,
            })
            .collect();
        assert_eq!(actions, old_actions, "{params:?}");
        assert_eq!(resumed.state(), State::Master);
        // Both then run alike, deadline after deadline.
        let mut t = now;
        for _ in 0..8 {
            assert_eq!(resumed.next_deadline(), old.next_deadline(), "{params:?}");
            t = resumed.next_deadline().unwrap_or(t + Duration::from_secs(1));
            assert_eq!(resumed.handle(t, Input::Timer), old.handle(t, Input::Timer), "{params:?}");
        }
    }
}
