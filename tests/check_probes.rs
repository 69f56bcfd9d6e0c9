//! Checkers against real servers on loopback, started and stopped by the
//! tests: Debian's nginx (HTTP_GET and SSL_GET, the virtual host and SNI
//! checked in its access log), aiosmtpd (SMTP_CHECK), dnsmasq (DNS_CHECK),
//! UDP and TCP listeners that go away, and ICMP echo on the loopback of a
//! network namespace the test creates (PING_CHECK).
//!
//! Each test parses a keepalived.conf, builds the plan (`check::plan`) and
//! drives the pure state with real time and the real probes, the way the
//! checker child does, then asserts the verdicts, their timing and the log.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keepalived_rs::check::plan::{PlanInputs, Planned, plan, run};
use keepalived_rs::check::server::Event;
use keepalived_rs::check::state::Input;
use keepalived_rs::check::tls::client_context;
use keepalived_rs::config::{load_str, preprocess, validate::SystemView};

/// A free loopback TCP port (also free for UDP, most likely).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap()
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("kr-check-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn write(&self, name: &str, data: &[u8]) {
        std::fs::write(self.path(name), data).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop, even when the test fails.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(cmd: &mut Command) -> Daemon {
    Daemon(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}")),
    )
}

/// Waits until something accepts TCP connections on the port.
fn wait_tcp(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn plan_of(conf: &str) -> Planned {
    let loaded = load_str(Path::new("test.conf"), conf, &preprocess::Options::default(), &SystemView::default());
    let errors: Vec<_> =
        loaded.diags.iter().filter(|d| d.severity >= keepalived_rs::config::error::Severity::Warning).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let tls = client_context(loaded.config.lvs.ssl.as_ref()).ok();
    let (mut planned, warnings) =
        plan(&loaded.config.lvs, &PlanInputs { track_files: &loaded.config.vrrp.track_files, tls });
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(planned.len(), 1);
    planned.remove(0)
}

/// What happened, and when (from the start).
type Timeline = Vec<(Duration, Event)>;

/// Drives one real server for `run_for`, running its probes for real,
/// calling `at` with the time since start before each step (to change the
/// world), stopping early when `stop` says so.
async fn drive(
    p: &mut Planned,
    run_for: Duration,
    mut at: impl FnMut(Duration),
    stop: impl Fn(&Timeline) -> bool,
) -> Timeline {
    let t0 = Instant::now();
    let mut tl: Timeline = p.server.start(t0, || 0).into_iter().map(|e| (Duration::ZERO, e)).collect();
    let mut pending = Vec::new();
    let rs_name = p.server.checkers().first().map(|c| c.params().names.rs.clone()).unwrap_or_default();
    while t0.elapsed() < run_for && !stop(&tl) {
        let next = p.server.next_deadline().unwrap_or(t0 + run_for);
        tokio::time::sleep_until(next.min(t0 + run_for).into()).await;
        at(t0.elapsed());
        let now = Instant::now();
        pending.extend(p.server.timer(now));
        while let Some(e) = (!pending.is_empty()).then(|| pending.remove(0)) {
            if let Event::Probe { checker, url } = e {
                let outcome = run(&p.probes[checker], url, 0x4b52, &rs_name).await.expect("network probe");
                let done = Instant::now();
                pending.extend(p.server.handle(done, checker, Input::Done(outcome)));
            } else {
                tl.push((t0.elapsed(), e));
            }
        }
    }
    tl
}

fn verdicts(tl: &Timeline) -> Vec<(Duration, bool)> {
    tl.iter()
        .filter_map(|(t, e)| if let Event::Verdict { alive, .. } = e { Some((*t, *alive)) } else { None })
        .collect()
}

fn logs(tl: &Timeline) -> Vec<String> {
    tl.iter().filter_map(|(_, e)| if let Event::Log(l) = e { Some(l.clone()) } else { None }).collect()
}

fn has_nginx() -> bool {
    common::have_program("nginx") || Path::new("/usr/sbin/nginx").exists()
}

/// An nginx serving `root` on a loopback port, logging `$host` and
/// `$ssl_server_name` of each request; TLS with a generated certificate.
fn nginx(dir: &Scratch, port: u16, tls: bool) -> Daemon {
    let (listen, certs) = if tls {
        let (c, k) = (dir.path("cert.pem"), dir.path("key.pem"));
        common::must(
            Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=check-test",
                ])
                .arg("-keyout")
                .arg(&k)
                .arg("-out")
                .arg(&c),
        );
        (
            format!("127.0.0.1:{port} ssl"),
            format!("ssl_certificate {}; ssl_certificate_key {};", c.display(), k.display()),
        )
    } else {
        (format!("127.0.0.1:{port}"), String::new())
    };
    let d = dir.0.display();
    let conf = format!(
        "daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{ log_format t '$host|$ssl_server_name|$request'; access_log {d}/access.log t;\n\
         client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};\n\
         server {{ listen {listen}; {certs} root {d}/www; location = /teapot {{ return 418; }} }} }}\n"
    );
    std::fs::create_dir_all(dir.path("www")).unwrap();
    dir.write("nginx.conf", conf.as_bytes());
    let daemon = spawn(Command::new("nginx").arg("-c").arg(dir.path("nginx.conf")).arg("-p").arg(&dir.0));
    wait_tcp(port);
    daemon
}

const PAGE: &[u8] = b"<html>status: GREEN</html>\n";

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn http_get_digest_regex_status_and_virtualhost_against_nginx() {
    if !common::require("Debian's nginx", has_nginx()) {
        return;
    }
    let dir = Scratch::new("http");
    let port = free_port();
    let _nginx = nginx(&dir, port, false);
    dir.write("www/index.html", PAGE);
    let conf = format!(
        "virtual_server 10.9.0.1 80 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 127.0.0.1 {port} {{\n  HTTP_GET {{\n\
         url {{\n path /index.html\n digest {}\n virtualhost www.check.test\n }}\n\
         url {{\n path /index.html\n regex \"status: (GREEN|AMBER)\"\n }}\n\
         url {{\n path /teapot\n status_code 400-499\n }}\n\
         delay_loop 0.3\n retry 2\n delay_before_retry 0.2\n warmup 0\n connect_timeout 1\n fast_recovery\n }}\n }}\n}}\n",
        md5_hex(PAGE)
    );
    let mut p = plan_of(&conf);
    let page = dir.path("www/index.html");
    let mut changed_at = None;
    let tl = drive(
        &mut p,
        Duration::from_secs(8),
        |t| {
            // Once up (after ~1.3 s), the page changes.
            if t > Duration::from_millis(2500) && changed_at.is_none() {
                std::fs::write(&page, b"<html>status: RED</html>\n").unwrap();
                changed_at = Some(t);
            }
        },
        |tl| verdicts(tl).iter().any(|(_, up)| !up),
    )
    .await;
    let v = verdicts(&tl);
    assert_eq!(v.first().map(|x| x.1), Some(true), "{tl:?}");
    let down = v.iter().find(|x| !x.1).map(|x| x.0).unwrap_or_else(|| panic!("never went down: {tl:?}"));
    let changed = changed_at.unwrap();
    // The next check after the change fails, then two retries 0.2 s apart.
    assert!(down >= changed + Duration::from_millis(400), "{down:?} vs {changed:?}");
    assert!(
        down <= changed + Duration::from_millis(300) + Duration::from_millis(400) + Duration::from_millis(500),
        "{down:?} vs {changed:?}"
    );
    let l = logs(&tl);
    assert!(l.contains(&format!("Remote Web server [127.0.0.1]:tcp:{port} succeed on service.")), "{l:?}");
    assert!(l.contains(&format!("HTTP_CHECK on service [127.0.0.1]:tcp:{port} failed after 2 retries.")), "{l:?}");
    let access = std::fs::read_to_string(dir.path("access.log")).unwrap();
    assert!(access.lines().any(|l| l == "www.check.test|-|GET /index.html HTTP/1.0"), "{access}");
    assert!(access.lines().any(|l| l == "127.0.0.1|-|GET /teapot HTTP/1.0"), "{access}");

    // The page comes back: up again (fast_recovery: no extra delay_loop).
    std::fs::write(&page, PAGE).unwrap();
    let tl = drive(&mut p, Duration::from_secs(5), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| *up)).await;
    assert!(logs(&tl).iter().any(|l| l.starts_with("MD5 digest success to")), "{tl:?}");
    assert!(verdicts(&tl).iter().any(|(_, up)| *up), "{tl:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn ssl_get_with_sni_against_nginx() {
    if !common::require("Debian's nginx", has_nginx()) || !common::require("openssl", common::have_program("openssl")) {
        return;
    }
    let dir = Scratch::new("tls");
    let port = free_port();
    let _nginx = nginx(&dir, port, true);
    dir.write("www/index.html", PAGE);
    let conf = format!(
        "virtual_server 10.9.0.1 443 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 127.0.0.1 {port} {{\n  SSL_GET {{\n\
         url {{\n path /index.html\n digest {}\n virtualhost sni.check.test\n }}\n enable_sni\n\
         delay_loop 0.3\n retry 0\n warmup 0\n connect_timeout 1\n }}\n }}\n}}\n",
        md5_hex(PAGE)
    );
    let mut p = plan_of(&conf);
    let tl =
        drive(&mut p, Duration::from_secs(4), |_| {}, |tl| logs(tl).iter().any(|l| l.starts_with("Remote Web server")))
            .await;
    assert!(logs(&tl).contains(&format!("Remote Web server [127.0.0.1]:tcp:{port} succeed on service.")), "{tl:?}");
    let access = std::fs::read_to_string(dir.path("access.log")).unwrap();
    assert!(access.lines().any(|l| l == "sni.check.test|sni.check.test|GET /index.html HTTP/1.0"), "{access}");
    // A digest that does not match: down at the first failure (retry 0).
    dir.write("www/index.html", b"changed\n");
    let tl = drive(&mut p, Duration::from_secs(4), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| !up)).await;
    assert!(logs(&tl).contains(&format!("HTTP_CHECK on service [127.0.0.1]:tcp:{port} failed.")), "{tl:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn tcp_check_listener_goes_away_and_comes_back() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let conf = format!(
        "virtual_server 10.9.0.1 {port} {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 127.0.0.1 {port} {{\n  TCP_CHECK {{\n\
         delay_loop 0.3\n retry 1\n delay_before_retry 0.1\n warmup 0\n connect_timeout 1\n }}\n }}\n}}\n"
    );
    let mut p = plan_of(&conf);
    let mut listener = Some(l);
    let tl = drive(
        &mut p,
        Duration::from_secs(5),
        |t| {
            if t > Duration::from_millis(1800) {
                listener = None;
            }
        },
        |tl| verdicts(tl).iter().any(|(_, up)| !up),
    )
    .await;
    let l = logs(&tl);
    assert_eq!(l.first().cloned(), Some(format!("TCP connection to [127.0.0.1]:tcp:{port} success.")), "{tl:?}");
    assert!(l.contains(&format!("TCP_CHECK on service [127.0.0.1]:tcp:{port} failed after 1 retries.")), "{tl:?}");
    let _back = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let tl = drive(&mut p, Duration::from_secs(3), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| *up)).await;
    assert!(verdicts(&tl).iter().any(|(_, up)| *up), "{tl:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn udp_check_listener_goes_away() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    sock.set_nonblocking(true).unwrap();
    let conf = format!(
        "virtual_server 10.9.0.1 {port} {{\n protocol UDP\n lb_algo rr\n lb_kind NAT\n real_server 127.0.0.1 {port} {{\n  UDP_CHECK {{\n\
         payload 6b72\n require_reply 6f6b\n\
         delay_loop 0.3\n retry 0\n warmup 0\n connect_timeout 0.5\n }}\n }}\n}}\n"
    );
    let mut p = plan_of(&conf);
    // A listener that never answers: with require_reply, silence fails.
    let tl = drive(&mut p, Duration::from_secs(3), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| !up)).await;
    assert!(logs(&tl).contains(&format!("UDP_CHECK on service [127.0.0.1]:udp:{port} failed.")), "{tl:?}");
    drop(sock);

    // A real answering listener.
    let sock = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let h = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        while !s2.load(std::sync::atomic::Ordering::SeqCst) {
            if let Ok((n, peer)) = sock.recv_from(&mut buf) {
                if buf.get(..n) == Some(b"kr") {
                    let _ = sock.send_to(b"ok", peer);
                }
            }
        }
    });
    let tl = drive(&mut p, Duration::from_secs(3), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| *up)).await;
    assert!(logs(&tl).contains(&format!("UDP connection to [127.0.0.1]:udp:{port} success.")), "{tl:?}");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    h.join().unwrap();
    // Gone: the ICMP port unreachable takes it down at once.
    let tl = drive(&mut p, Duration::from_secs(3), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| !up)).await;
    assert!(verdicts(&tl).iter().any(|(_, up)| !up), "{tl:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn dns_check_against_dnsmasq() {
    if !common::require("dnsmasq", common::have_program("dnsmasq") || Path::new("/usr/sbin/dnsmasq").exists()) {
        return;
    }
    let port = free_port();
    let _dnsmasq = spawn(Command::new("dnsmasq").args([
        "-k",
        "-C",
        "/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--local=/check.test/",
        "--host-record=up.check.test,10.9.9.9",
        "--pid-file=",
        "--user=root",
        &format!("--port={port}"),
    ]));
    wait_tcp(port);
    let conf = |name: &str, qtype: &str| {
        format!(
            "virtual_server 10.9.0.1 53 {{\n protocol UDP\n lb_algo rr\n lb_kind NAT\n real_server 127.0.0.1 {port} {{\n  DNS_CHECK {{\n\
             name {name}\n type {qtype}\n delay_loop 0.3\n retry 0\n warmup 0\n connect_timeout 1\n }}\n }}\n}}\n"
        )
    };
    // An answer, and a NOERROR reply without answers (AAAA of an A-only name): up.
    for (name, qtype) in [("up.check.test", "A"), ("up.check.test", "AAAA")] {
        let mut p = plan_of(&conf(name, qtype));
        let tl = drive(&mut p, Duration::from_millis(2000), |_| {}, |tl| tl.len() > 1).await;
        assert_eq!(verdicts(&tl), vec![(Duration::ZERO, true)], "{name} {qtype}: {tl:?}");
        assert!(logs(&tl).is_empty(), "{tl:?}");
    }
    // NXDOMAIN: down, in DNS_CHECK's words.
    let mut p = plan_of(&conf("nope.check.test", "A"));
    let tl = drive(&mut p, Duration::from_millis(2500), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| !up)).await;
    assert!(
        logs(&tl).contains(&format!("DNS_CHECK ([127.0.0.1]:udp:{port}) read error occurred. (rcode = 3)")),
        "{tl:?}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn smtp_check_against_aiosmtpd() {
    // Debian's python3-aiosmtpd (the system Python, whatever else is on PATH).
    let python = ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        Command::new(p).args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    });
    let Some(python) = python else {
        common::require("python3 with aiosmtpd (Debian's python3-aiosmtpd)", false);
        return;
    };
    let port = free_port();
    let mut server =
        Some(spawn(Command::new(python).args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])));
    wait_tcp(port);
    let conf = format!(
        "virtual_server 10.9.0.1 25 {{\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 127.0.0.1 {port} {{\n  SMTP_CHECK {{\n\
         helo_name checker.test\n delay_loop 0.3\n retry 1\n delay_before_retry 0.1\n warmup 0\n connect_timeout 1\n }}\n }}\n}}\n"
    );
    let mut p = plan_of(&conf);
    let tl = drive(
        &mut p,
        Duration::from_secs(6),
        |t| {
            if t > Duration::from_millis(2000) {
                server = None;
            }
        },
        |tl| verdicts(tl).iter().any(|(_, up)| !up),
    )
    .await;
    let l = logs(&tl);
    assert_eq!(
        l.first().cloned(),
        Some(format!("Remote SMTP server [127.0.0.1]:tcp:{port} succeed on service.")),
        "{tl:?}"
    );
    assert!(l.contains(&format!("SMTP_CHECK Error connecting to server [127.0.0.1]:{port}")), "{tl:?}");
    assert!(verdicts(&tl).iter().any(|(_, up)| !up), "{tl:?}");
}

#[test]
fn ping_check_on_loopback_in_a_namespace() {
    if common::inner() {
        return ping_inner();
    }
    if !common::require("root (network namespace)", common::is_root()) {
        return;
    }
    let ns = common::Netns::new("ping");
    common::run_inner_in(&ns, "ping_check_inner", &[]);
}

/// Runs inside the namespace (see `common::run_inner_in`).
#[test]
#[ignore = "the inner half of a namespace test: run by its outer half"]
fn ping_check_inner() {
    if common::inner() {
        ping_inner();
    }
}

fn ping_inner() {
    // A fresh namespace allows nobody to use ping sockets; the checker
    // widens the range as keepalived does.
    let before = std::fs::read_to_string(keepalived_rs::check::ping::PING_GROUP_RANGE).unwrap();
    let saved = keepalived_rs::check::ping::widen_ping_group_range().unwrap();
    let after = std::fs::read_to_string(keepalived_rs::check::ping::PING_GROUP_RANGE).unwrap();
    assert_eq!(before, "1\t0\n");
    assert_eq!(after, "0\t0\n");
    assert_eq!(saved, Some((1, None)));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let conf = "virtual_server 10.9.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server 127.0.0.1 80 {\n  PING_CHECK {\n\
                    delay_loop 0.3\n retry 0\n warmup 0\n connect_timeout 1\n }\n }\n}\n";
        let mut p = plan_of(conf);
        let tl = drive(&mut p, Duration::from_secs(3), |_| {}, |tl| !logs(tl).is_empty()).await;
        assert_eq!(logs(&tl), vec!["ICMP connection to [127.0.0.1]:tcp:80 success.".to_owned()], "{tl:?}");
        // IPv6 loopback too.
        let conf6 = "virtual_server fd00::1 80 {\n protocol TCP\n lb_algo rr\n lb_kind NAT\n real_server ::1 80 {\n  PING_CHECK {\n\
                     delay_loop 0.3\n retry 0\n warmup 0\n connect_timeout 1\n }\n }\n}\n";
        let mut p = plan_of(conf6);
        let tl = drive(&mut p, Duration::from_secs(3), |_| {}, |tl| !logs(tl).is_empty()).await;
        assert_eq!(logs(&tl), vec!["ICMP connection to [::1]:tcp:80 success.".to_owned()], "{tl:?}");
        // An address of the namespace that nobody answers for: lo down.
        let _ = Command::new("ip").args(["link", "set", "lo", "down"]).status();
        let mut p = plan_of(conf);
        let tl = drive(&mut p, Duration::from_secs(4), |_| {}, |tl| verdicts(tl).iter().any(|(_, up)| !up)).await;
        assert!(logs(&tl).contains(&"ICMP CHECK on service [127.0.0.1]:tcp:80 failed.".to_owned()), "{tl:?}");
    });
    keepalived_rs::check::ping::restore_ping_group_range(1).unwrap();
    assert_eq!(std::fs::read_to_string(keepalived_rs::check::ping::PING_GROUP_RANGE).unwrap(), "1\t0\n");
}
