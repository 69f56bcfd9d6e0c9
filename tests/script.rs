//! The script runner with real scripts written into a temporary directory
//! (removed afterwards): outcomes, timeouts that kill the whole process
//! group, scripts that leave children behind, huge output, the concurrency
//! cap, script security and running as another user. Every wait is bounded;
//! nothing here measures speed.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use keepalived_rs::config::model::Script;
use keepalived_rs::script::prepare::Message;
use keepalived_rs::script::{
    Completion, Credentials, NotifyScope, NotifyState, Outcome, Preparer, Program, Refusal, Request, ScriptPolicy,
    ScriptRunner,
};

/// A directory removed with its contents when dropped (also on failure).
struct TempDir(PathBuf);

impl TempDir {
    /// A fresh directory, mode 0755 (a root-owned one is safe for scripts
    /// run as root), with `out/` (0777) where scripts of any user write.
    fn new() -> Self {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "kr-script-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir(&p).unwrap();
        chmod(&p, 0o755);
        std::fs::create_dir(p.join("out")).unwrap();
        chmod(&p.join("out"), 0o777);
        TempDir(p)
    }

    /// Writes an executable script (mode 0755) with `body` after `#!/bin/sh`.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        chmod(&p, 0o755);
        p
    }

    fn out(&self, name: &str) -> PathBuf {
        self.0.join("out").join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.out(name)).unwrap_or_else(|e| panic!("{}: {e}", self.out(name).display()))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Kills the process group of a script this test started when dropped
/// (also when the test fails), so nothing is left running.
struct KillGroupOnDrop(i32);

impl Drop for KillGroupOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &format!("-{}", self.0)]).output();
    }
}

/// Runs as us, unchecked.
fn program(path: &Path, args: &[&str]) -> Arc<Program> {
    let mut argv = vec![path.to_str().unwrap().to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    Arc::new(Program::unchecked(argv, Credentials::ours()))
}

fn config_script(path: &Path) -> Script {
    Script { argv: vec![path.to_str().unwrap().to_owned()], ..Script::default() }
}

async fn run(req: Request) -> Completion<()> {
    let (runner, _rx) = ScriptRunner::<()>::new(8);
    // A hang guard only: every run here ends in seconds.
    tokio::time::timeout(Duration::from_secs(60), runner.run(req)).await.expect("the run never finished")
}

/// `(pid, ppid, pgrp, state)` of every process.
fn processes() -> Vec<(u32, u32, u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else { continue };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let (Ok(pid), Some(state), Ok(ppid), Ok(pgrp)) = (
            head.split_whitespace().next().unwrap_or("").parse::<u32>(),
            f.first().and_then(|s| s.chars().next()),
            f.get(1).unwrap_or(&"").parse::<u32>(),
            f.get(2).unwrap_or(&"").parse::<u32>(),
        ) else {
            continue;
        };
        out.push((pid, ppid, pgrp, state));
    }
    out
}

/// Living (not zombie) members of process group `pgrp`.
fn group_members(pgrp: u32) -> Vec<u32> {
    processes().into_iter().filter(|p| p.2 == pgrp && p.3 != 'Z' && p.3 != 'X').map(|p| p.0).collect()
}

/// Waits (at most 10 s) until process group `pgrp` has no living member.
async fn group_gone(pgrp: u32) -> bool {
    for _ in 0..1000 {
        if group_members(pgrp).is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// Whether `pid` is still a child of ours (running or an unreaped zombie).
fn our_child(pid: u32) -> bool {
    let me = std::process::id();
    processes().iter().any(|p| p.0 == pid && p.1 == me)
}

fn vm_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn success_failure_and_signal() {
    let d = TempDir::new();
    let ok = run(Request::new(program(&d.script("ok.sh", "exit 0"), &[]))).await;
    assert_eq!(ok.outcome, Outcome::Exited(0));
    assert!(ok.outcome.success());
    let pid = ok.pid.unwrap();
    assert!(!our_child(pid), "the script {pid} was not reaped");

    let fail = run(Request::new(program(&d.script("fail.sh", "exit 7"), &[]))).await;
    assert_eq!(fail.outcome, Outcome::Exited(7));
    assert!(!fail.outcome.success());

    let sig = run(Request::new(program(&d.script("sig.sh", "kill -USR1 $$\nsleep 5"), &[]))).await;
    assert_eq!(sig.outcome, Outcome::Signalled(libc::SIGUSR1));
    assert!(!our_child(sig.pid.unwrap()));
}

#[tokio::test]
async fn spawn_failures_shebangless_scripts_and_redirections() {
    let d = TempDir::new();
    let missing = run(Request::new(program(&d.0.join("missing.sh"), &[]))).await;
    assert_eq!(missing.outcome, Outcome::SpawnFailed("No such file or directory".into()));
    assert_eq!(missing.pid, None);

    // No #!: run by /bin/sh, as upstream's system() would.
    let bare = d.0.join("bare");
    std::fs::write(&bare, "exit 5\n").unwrap();
    chmod(&bare, 0o755);
    assert_eq!(run(Request::new(program(&bare, &[]))).await.outcome, Outcome::Exited(5));

    // `</path` tests that a file opens, through the shell.
    let creds = Credentials::ours();
    let redirect = |p: &str| Arc::new(Program::unchecked(vec![p.to_owned()], creds.clone()));
    assert_eq!(run(Request::new(redirect("</dev/null"))).await.outcome, Outcome::Exited(0));
    assert_ne!(run(Request::new(redirect("</nonexistent/kr-file"))).await.outcome, Outcome::Exited(0));

    // A file that is not executable, and a directory: exec's EACCES.
    let plain = d.0.join("plain");
    std::fs::write(&plain, "exit 0\n").unwrap();
    chmod(&plain, 0o644);
    let denied = run(Request::new(program(&plain, &[]))).await;
    assert_eq!(denied.outcome, Outcome::SpawnFailed("Permission denied".into()));
    assert_eq!(denied.pid, None);
    let dir = run(Request::new(program(&d.0, &[]))).await;
    assert_eq!(dir.outcome, Outcome::SpawnFailed("Permission denied".into()));

    // A name without a slash is looked up in PATH, as execvp does.
    let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let by_name = Arc::new(Program::unchecked(words(&["sh", "-c", "exit 3"]), creds.clone()));
    assert_eq!(run(Request::new(by_name)).await.outcome, Outcome::Exited(3));
    let unknown = Arc::new(Program::unchecked(words(&["kr-no-such-program"]), creds.clone()));
    assert_eq!(run(Request::new(unknown)).await.outcome, Outcome::SpawnFailed("No such file or directory".into()));
}

/// A script gets SIGTERM when the thread that started it ends
/// (PR_SET_PDEATHSIG), as when the process that runs scripts dies.
#[test]
fn a_script_is_terminated_when_its_starter_thread_ends() {
    let d = TempDir::new();
    let ids = d.out("pid");
    let script = d.script("long.sh", &format!("echo $$ > {0}.tmp\nmv {0}.tmp {0}\nexec sleep 600", ids.display()));
    let req = Request::new(program(&script, &[]));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (runner, _rx) = ScriptRunner::<()>::new(4);
            runner.spawn((), req);
            for _ in 0..1000 {
                if ids.exists() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the script did not start");
        });
    })
    .join()
    .unwrap();
    let pid: i32 = d.read("pid").trim().parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let gone = rt.block_on(group_gone(pid as u32));
    let _guard = KillGroupOnDrop(pid);
    assert!(gone, "script {pid} still runs after its starter thread ended");
    // The zombie's wait status (/proc/PID/stat's last field, exit_code):
    // ended by SIGTERM. It stays unreaped, holding its pid, until we exit.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let status: i32 = stat.rsplit(' ').next().unwrap().trim().parse().unwrap();
    assert_eq!(status & 0x7f, libc::SIGTERM, "wait status {status:#x}");
}

#[tokio::test]
async fn arguments_environment_and_process_setup_as_upstream() {
    let d = TempDir::new();
    let out = d.out("setup");
    let body = format!(
        r#"out={out}
{{
  for a in "$@"; do echo "arg=<$a>"; done
  echo "pid=$$"
  echo "pgrp=$(cut -d' ' -f5 /proc/$$/stat)"
  while read -r k v; do case $k in SigBlk:|SigIgn:) echo "$k $v";; esac; done < /proc/$$/status
}} > "$out"
env > "$out.env"
exec find /proc/self/fd/ -mindepth 1 -maxdepth 1 -fprintf "$out.fds" '%f %l\n'"#,
        out = out.display()
    );
    let script = d.script("notify.sh", &body);
    let req = Request::notify_state(
        program(&script, &["one", "two words"]),
        NotifyScope::Instance,
        "VI_1",
        NotifyState::Fault,
        100,
    );
    let c = run(req).await;
    assert_eq!(c.outcome, Outcome::Exited(0));
    let text = d.read("setup");
    let args: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("arg=")).collect();
    assert_eq!(args, ["<one>", "<two words>", "<INSTANCE>", "<VI_1>", "<FAULT>", "<100>"]);

    // Its own process group, led by the pid the runner reports.
    let pid = c.pid.unwrap();
    assert!(text.contains(&format!("pid={pid}\n")), "{text}");
    assert!(text.contains(&format!("pgrp={pid}\n")), "{text}");
    // No blocked or ignored signal (read by the shell itself: a child of
    // the shell could see it mid-fork).
    assert!(text.contains("SigBlk: 0000000000000000"), "{text}");
    assert!(text.contains("SigIgn: 0000000000000000"), "{text}");
    // stdin, stdout, stderr are /dev/null; no descriptor of ours leaks: the
    // program the script execs holds only its own (its output file, the
    // directory it lists and the working directory it returns to).
    let fds = std::fs::read_to_string(format!("{}.fds", out.display())).unwrap();
    let cwd = std::env::current_dir().unwrap().display().to_string();
    let own = [format!("{}.fds", out.display()), format!("/proc/{pid}/fd"), cwd];
    let mut std_fds = 0;
    for l in fds.lines() {
        let (fd, target) = l.split_once(' ').unwrap();
        if ["0", "1", "2"].contains(&fd) {
            assert_eq!(target, "/dev/null", "fd {fd}");
            std_fds += 1;
        } else {
            assert!(own.iter().any(|o| o == target), "leaked fd {fd}: {target}");
        }
    }
    assert_eq!(std_fds, 3, "{fds}");
    // The environment is ours, unchanged (the shell adds PWD, and may
    // export OLDPWD/SHLVL/_).
    let env = std::fs::read_to_string(format!("{}.env", out.display())).unwrap();
    let theirs: std::collections::BTreeSet<&str> =
        env.lines().filter(|l| !["PWD=", "OLDPWD=", "SHLVL=", "_="].iter().any(|p| l.starts_with(p))).collect();
    let ours: Vec<String> = std::env::vars()
        .filter(|(k, v)| !["PWD", "OLDPWD", "SHLVL", "_"].contains(&k.as_str()) && !v.contains('\n'))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for kv in &ours {
        assert!(theirs.contains(kv.as_str()), "{kv} missing from the script's environment");
    }
    assert_eq!(theirs.len(), ours.len(), "the script got variables we do not have: {theirs:?}");
}

/// A script that writes `$$` (its pid and process group) and the pid of a
/// child it leaves running to `out/ids`, then runs `rest`.
fn forking_script(d: &TempDir, name: &str, rest: &str) -> PathBuf {
    d.script(name, &format!("sleep 600 &\necho $$ $! > {}.tmp\nmv {0}.tmp {0}\n{rest}", d.out("ids").display()))
}

/// Starts `req` and reads the ids the script wrote: (script pid, child pid),
/// with a guard that kills the group whatever happens.
async fn start_forking(runner: &ScriptRunner<()>, d: &TempDir, req: Request) -> (i32, i32, KillGroupOnDrop) {
    runner.spawn((), req);
    let ids = d.out("ids");
    for _ in 0..1000 {
        if let Ok(s) = std::fs::read_to_string(&ids) {
            let v: Vec<i32> = s.split_whitespace().map(|w| w.parse().unwrap()).collect();
            return (v[0], v[1], KillGroupOnDrop(v[0]));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} never written", ids.display());
}

async fn next(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Completion<()>>) -> Completion<()> {
    // A hang guard only.
    tokio::time::timeout(Duration::from_secs(60), rx.recv()).await.expect("no completion").expect("channel closed")
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let d = TempDir::new();
    let script = forking_script(&d, "slow.sh", "sleep 600");
    let (runner, mut rx) = ScriptRunner::new(4);
    let req = Request::track(program(&script, &[]), "chk", Duration::from_millis(300));
    let (pid, child, _cleanup) = start_forking(&runner, &d, req).await;
    let c = next(&mut rx).await;
    assert_eq!((c.pid, &c.outcome), (Some(pid as u32), &Outcome::TimedOut));
    assert!(!our_child(pid as u32), "the script was not reaped");
    assert!(group_gone(pid as u32).await, "process group {pid} still has {:?}", group_members(pid as u32));
    assert!(!group_members(pid as u32).contains(&(child as u32)));
}

#[tokio::test]
async fn a_script_ignoring_sigterm_is_killed_after_the_grace() {
    let d = TempDir::new();
    let script = forking_script(&d, "stubborn.sh", "trap '' TERM\nwhile :; do sleep 1; done");
    let (runner, mut rx) = ScriptRunner::new(4);
    let mut req = Request::new(program(&script, &[]));
    req.timeout = Some(Duration::from_millis(200));
    req.grace = Some(Duration::from_millis(300));
    let (pid, _, _cleanup) = start_forking(&runner, &d, req).await;
    let c = next(&mut rx).await;
    assert_eq!(c.outcome, Outcome::TimedOut);
    assert!(group_gone(pid as u32).await, "process group {pid} still has {:?}", group_members(pid as u32));

    // A stop-time notify is killed outright after its limit.
    std::fs::remove_file(d.out("ids")).unwrap();
    let (pid, _, _cleanup) = start_forking(&runner, &d, Request::notify_stopping(program(&script, &[]))).await;
    assert_eq!(next(&mut rx).await.outcome, Outcome::TimedOut);
    assert!(group_gone(pid as u32).await);
}

#[tokio::test]
async fn a_child_left_running_does_not_hold_the_runner() {
    let d = TempDir::new();
    // The child keeps the inherited stdout and stderr open, as a daemon
    // started by a notify script would.
    let script = forking_script(&d, "daemonize.sh", "exit 3");
    let (runner, mut rx) = ScriptRunner::new(4);
    let (pid, child, _cleanup) = start_forking(&runner, &d, Request::notify(program(&script, &[]))).await;
    let c = next(&mut rx).await;
    assert_eq!((c.pid, &c.outcome), (Some(pid as u32), &Outcome::Exited(3)));
    assert!(!our_child(pid as u32), "the script was not reaped");
    // The child is still running, in the script's group, and not ours.
    let gc = processes().into_iter().find(|p| p.0 == child as u32).expect("the child was killed");
    assert_eq!(gc.2, pid as u32, "the child is in the script's process group");
    assert_ne!(gc.1, std::process::id(), "the child was re-parented away from us");
    assert_ne!(gc.3, 'Z');
}

#[tokio::test]
async fn huge_output_is_discarded() {
    let d = TempDir::new();
    // 256 MiB on stdout and 64 MiB on stderr.
    let script = d.script("loud.sh", "head -c 268435456 /dev/zero\nhead -c 67108864 /dev/zero >&2\nexit 0");
    let before = vm_rss_kib();
    let c = run(Request::new(program(&script, &[]))).await;
    let after = vm_rss_kib();
    assert_eq!(c.outcome, Outcome::Exited(0));
    // Nothing is kept: our memory does not follow the output (320 MiB).
    assert!(after < before + 16 * 1024, "RSS grew from {before} KiB to {after} KiB");
}

#[tokio::test]
async fn the_concurrency_cap_queues_without_dropping() {
    let d = TempDir::new();
    let dir = d.out("running");
    std::fs::create_dir(&dir).unwrap();
    let log = d.out("counts");
    let script = d.script(
        "busy.sh",
        &format!(
            "touch {dir}/$$\nls {dir} | wc -l >> {log}\nsleep 0.3\nls {dir} | wc -l >> {log}\nrm {dir}/$$",
            dir = dir.display(),
            log = log.display()
        ),
    );
    let (runner, mut rx) = ScriptRunner::new(2);
    assert_eq!(runner.limit(), 2);
    for i in 0..6u32 {
        runner.spawn(i, Request::new(program(&script, &[])));
    }
    // Two run, four wait.
    let mut seen = false;
    for _ in 0..500 {
        if runner.running() == 2 && runner.queued() == 4 {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(seen, "running {} queued {}", runner.running(), runner.queued());
    let mut tags = Vec::new();
    for _ in 0..6 {
        let c = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await.unwrap().unwrap();
        assert_eq!(c.outcome, Outcome::Exited(0), "run {}", c.tag);
        tags.push(c.tag);
    }
    tags.sort_unstable();
    assert_eq!(tags, [0, 1, 2, 3, 4, 5], "every request ran once");
    let counts: Vec<u32> = d.read("counts").lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(counts.len(), 12);
    assert!(counts.iter().all(|&n| (1..=2).contains(&n)), "more than 2 scripts at once: {counts:?}");
    assert!(counts.contains(&2), "never 2 at once: {counts:?}");
    tokio::time::timeout(Duration::from_secs(10), runner.idle()).await.unwrap();
    assert_eq!((runner.running(), runner.queued()), (0, 0));
}

#[tokio::test]
async fn terminate_all_stops_running_and_waiting_scripts() {
    let d = TempDir::new();
    let script = d.script("long.sh", "sleep 600");
    let (runner, mut rx) = ScriptRunner::new(1);
    for i in 0..3u32 {
        runner.spawn(i, Request::new(program(&script, &[])));
    }
    for _ in 0..500 {
        if runner.running() == 1 && runner.queued() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    runner.terminate_all();
    let mut pids = Vec::new();
    for _ in 0..3 {
        let c = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap().unwrap();
        assert_eq!(c.outcome, Outcome::Cancelled, "run {}", c.tag);
        pids.extend(c.pid);
    }
    assert_eq!(pids.len(), 1, "only the running one had started");
    assert!(group_gone(pids[0]).await);
    tokio::time::timeout(Duration::from_secs(10), runner.idle()).await.unwrap();
    // The runner still works afterwards.
    let ok = d.script("ok.sh", "exit 0");
    assert_eq!(runner.run(Request::new(program(&ok, &[]))).await.outcome, Outcome::Exited(0));
}

fn texts(m: Vec<Message>) -> Vec<String> {
    m.into_iter().map(|m| m.text).collect()
}

#[tokio::test]
async fn unsafe_permissions_are_refused_with_upstreams_message() {
    let d = TempDir::new();
    let open = d.0.join("open");
    std::fs::create_dir(&open).unwrap();
    chmod(&open, 0o777);
    let script = open.join("s.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    chmod(&script, 0o755);
    let shown = std::fs::canonicalize(&script).unwrap().display().to_string();
    let policy = |security: bool| ScriptPolicy {
        script_security: security,
        script_user: Some(("root".into(), None, false)),
        ..ScriptPolicy::default()
    };

    let mut p = Preparer::new(policy(true));
    assert_eq!(p.prepare(&config_script(&script)), Err(Refusal::Insecure));
    assert_eq!(texts(p.take_messages()), [format!("Unsafe permissions found for script '{shown}' - disabling.")]);
    assert_eq!(p.security_summary(), None);

    let mut p = Preparer::new(policy(false));
    let prog = p.prepare(&config_script(&script)).unwrap();
    assert_eq!(texts(p.take_messages()), [format!("Unsafe permissions found for script '{shown}'.")]);
    assert_eq!(
        p.security_summary().as_deref(),
        Some(
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts."
        )
    );
    assert_eq!(prog.creds.uid, 0);
}

#[tokio::test]
async fn a_secure_script_runs_as_root_under_script_security() {
    if !common::require("root", common::is_root()) {
        return;
    }
    let d = TempDir::new();
    let script = d.script("id.sh", &format!("id -u > {}", d.out("id").display()));
    let policy = ScriptPolicy {
        script_security: true,
        script_user: Some(("root".into(), None, false)),
        ..ScriptPolicy::default()
    };
    let mut p = Preparer::new(policy);
    let prog = p.prepare(&config_script(&script)).unwrap();
    assert!(p.take_messages().is_empty());
    assert_eq!(run(Request::new(prog)).await.outcome, Outcome::Exited(0));
    assert_eq!(d.read("id").trim(), "0");
}

#[tokio::test]
async fn script_user_nobody_runs_as_nobody() {
    if !common::require("root", common::is_root()) {
        return;
    }
    let d = TempDir::new();
    let body = |name: &str| format!("{{ id -u; id -g; grep '^Groups:' /proc/$$/status; }} > {}", d.out(name).display());
    let script = d.script("who.sh", &body("default"));
    let nobody = Credentials::new(65534, 65534);

    // The global default: `script_user nobody`.
    let policy = ScriptPolicy { script_user: Some(("nobody".into(), None, false)), ..ScriptPolicy::default() };
    let mut p = Preparer::new(policy);
    let prog = p.prepare(&config_script(&script)).unwrap();
    assert_eq!(prog.creds, nobody);
    assert_eq!(run(Request::new(prog)).await.outcome, Outcome::Exited(0));
    let lines: Vec<String> =
        d.read("default").lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(lines, ["65534", "65534", "Groups: 65534"]);

    // A script's own `user nobody` (no keepalived_script needed).
    let own_script = d.script("own.sh", &body("own"));
    let mut own = config_script(&own_script);
    own.user = Some("nobody".into());
    let mut p = Preparer::new(ScriptPolicy { script_security: true, ..ScriptPolicy::default() });
    let prog = p.prepare(&own).unwrap();
    assert_eq!(run(Request::new(prog)).await.outcome, Outcome::Exited(0));
    assert_eq!(d.read("own").lines().next(), Some("65534"));

    // Supplementary groups are set as given.
    let supp_script = d.script("supp.sh", &body("supp"));
    let creds = Credentials { uid: 65534, gid: 65534, groups: vec![65534, 4] };
    let prog = Arc::new(Program::unchecked(vec![supp_script.to_str().unwrap().to_owned()], creds));
    assert_eq!(run(Request::new(prog)).await.outcome, Outcome::Exited(0));
    let lines: Vec<String> =
        d.read("supp").lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(lines, ["65534", "65534", "Groups: 4 65534"]);
}

#[tokio::test]
async fn a_user_that_cannot_reach_the_script_is_refused() {
    if !common::require("root", common::is_root()) {
        return;
    }
    let d = TempDir::new();
    let private = d.0.join("private");
    std::fs::create_dir(&private).unwrap();
    chmod(&private, 0o700);
    let script = private.join("s.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    chmod(&script, 0o755);
    let mut s = config_script(&script);
    s.user = Some("nobody".into());
    let mut p = Preparer::new(ScriptPolicy::default());
    assert_eq!(p.prepare(&s), Err(Refusal::NotFound));
    assert_eq!(
        texts(p.take_messages()),
        [format!("Script {} cannot be accessed - Permission denied", script.display())]
    );
}
