//! genhash against real servers on loopback: our binary and Debian's
//! keepalived genhash (the oracle) fetch the same scripted responses, and
//! their output, exit codes and requests are compared. Without Debian's
//! genhash only ours is checked, with a printed reason; under CI or
//! KR_REQUIRE_ALL=1 its absence fails the tests.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{NameType, SslAcceptor, SslMethod};
use openssl::x509::{X509, X509NameBuilder};

mod common;

const OURS: &str = env!("CARGO_BIN_EXE_genhash");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/genhash");

/// One step of a scripted response.
#[derive(Clone)]
enum Step {
    Send(Vec<u8>),
    Sleep(Duration),
    /// Close with a TCP reset (SO_LINGER 0), or for TLS without close_notify.
    Abort,
}

fn send(b: &[u8]) -> Step {
    Step::Send(b.to_vec())
}

/// What a connection is served with: the steps, optionally over TLS.
#[derive(Clone)]
struct Script {
    steps: Vec<Step>,
    // Answer without waiting for the request.
    eager: bool,
    tls: Option<Arc<SslAcceptor>>,
}

/// A loopback server answering every connection with the same script; it
/// records each request (and the SNI name seen) and stops on drop.
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Vec<u8>>>>,
    snis: Arc<Mutex<Vec<Option<String>>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Server {
    fn start(bind: SocketAddr, script: Script) -> Server {
        let listener = TcpListener::bind(bind).unwrap_or_else(|e| panic!("bind {bind}: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        listener.set_nonblocking(true).unwrap_or_else(|e| panic!("{e}"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let snis = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, n, s) = (requests.clone(), snis.clone(), stop.clone());
        thread::spawn(move || {
            // Bounded: the server gives up after a minute even if never dropped.
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (script, r, n) = (script.clone(), r.clone(), n.clone());
                        thread::spawn(move || serve(conn, &script, &r, &n));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { addr, requests, snis, stop }
    }

    fn plain(steps: Vec<Step>) -> Server {
        Server::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), Script { steps, eager: false, tls: None })
    }
}

fn serve(conn: TcpStream, script: &Script, requests: &Mutex<Vec<Vec<u8>>>, snis: &Mutex<Vec<Option<String>>>) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    match &script.tls {
        None => {
            let mut conn = conn;
            if !run_script(&mut conn, script, requests) {
                let _ = socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO));
            }
        }
        Some(acceptor) => {
            let Ok(mut tls) = acceptor.accept(conn) else { return };
            let sni = tls.ssl().servername(NameType::HOST_NAME).map(str::to_owned);
            if let Ok(mut v) = snis.lock() {
                v.push(sni);
            }
            if run_script(&mut tls, script, requests) {
                let _ = tls.shutdown();
            }
        }
    }
}

/// Runs the script; false when it ends with [`Step::Abort`].
fn run_script(conn: &mut impl ReadWrite, script: &Script, requests: &Mutex<Vec<Vec<u8>>>) -> bool {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !script.eager && !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 65536 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => req.extend_from_slice(buf.get(..n).unwrap_or_default()),
        }
    }
    if let Ok(mut r) = requests.lock() {
        r.push(req);
    }
    for step in &script.steps {
        match step {
            Step::Send(b) => {
                if conn.write_all(b).and_then(|()| conn.flush()).is_err() {
                    return true;
                }
            }
            Step::Sleep(d) => thread::sleep(*d),
            Step::Abort => return false,
        }
    }
    true
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Debian's genhash, when it is there to compare with (see `common::Need`).
fn debian() -> Option<String> {
    common::needs(&[common::Need::DebianGenhash])
        .then(|| common::daemon::debian_genhash().to_string_lossy().into_owned())
}

/// Runs a genhash binary as `genhash` (argv[0] shows in the usage text).
fn genhash(bin: &str, args: &[&str]) -> Output {
    let out = Command::new(bin).arg0("genhash").args(args).output();
    out.unwrap_or_else(|e| panic!("cannot run {bin}: {e}"))
}

/// The verbose trailer's time varies: blank out the number. Bytes stay raw.
fn normalize(out: &[u8]) -> Vec<u8> {
    const TAG: &[u8] = b"Global response time for ";
    let lines: Vec<Vec<u8>> = out
        .split(|&b| b == b'\n')
        .map(|l| match l.strip_prefix(TAG) {
            Some(rest) => {
                let path_end = rest.windows(3).rposition(|w| w == b" = ").unwrap_or(rest.len());
                [TAG, rest.get(..path_end).unwrap_or_default(), b" = N usecs"].concat()
            }
            None => l.to_vec(),
        })
        .collect();
    lines.join(&b'\n')
}

/// Runs ours (and Debian's, when present) with the same arguments against
/// the same server; asserts identical stdout, stderr and exit code, and
/// returns ours.
fn both(args: &[&str]) -> Output {
    let ours = genhash(OURS, args);
    if let Some(deb) = debian() {
        let theirs = genhash(&deb, args);
        let (a, b) = (normalize(&ours.stdout), normalize(&theirs.stdout));
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b), "stdout differs for {args:?}");
        assert_eq!(a, b, "stdout bytes differ for {args:?}");
        assert_eq!(ours.stderr, theirs.stderr, "stderr differs for {args:?}");
        assert_eq!(ours.status.code(), theirs.status.code(), "exit code differs for {args:?}");
    }
    ours
}

fn port(s: &Server) -> String {
    s.addr.port().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const HELLO_CL: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nServer: t\r\n\r\nHello, world!\n";
const HELLO_MD5: &str = "746308829575e17c3331bbcb00c0898b\n";

#[test]
fn content_length_digest_and_requests_per_protocol() {
    let s = Server::plain(vec![send(HELLO_CL)]);
    let p = port(&s);
    for (proto, line, close) in [
        (None, "GET /index.html HTTP/1.0\r\n", false),
        (Some("1.0"), "GET /index.html HTTP/1.0\r\n", false),
        (Some("1.0c"), "GET /index.html HTTP/1.0\r\n", true),
        (Some("1.1"), "GET /index.html HTTP/1.1\r\n", true),
    ] {
        let mut args = vec!["-s", "127.0.0.1", "-p", &p, "-u", "/index.html", "-t", "5"];
        if let Some(v) = proto {
            args.extend(["-P", v]);
        }
        let before = s.requests.lock().map(|r| r.len()).unwrap_or(0);
        let o = both(&args);
        assert_eq!(stdout(&o), HELLO_MD5);
        assert_eq!(o.status.code(), Some(0));
        let reqs = s.requests.lock().map(|r| r.clone()).unwrap_or_default();
        let conn = if close { "Connection: close\r\n" } else { "" };
        let want = format!("{line}User-Agent: KeepAliveClient\r\n{conn}Host: 127.0.0.1:{p}\r\n\r\n");
        for req in reqs.get(before..).unwrap_or_default() {
            assert_eq!(String::from_utf8_lossy(req), want);
        }
    }
}

#[test]
fn verbose_output_matches_golden_and_debian() {
    let s = Server::plain(vec![send(HELLO_CL)]);
    let p = port(&s);
    let o = both(&["-v", "-s", "127.0.0.1", "-p", &p, "-u", "/index.html", "-t", "5"]);
    let golden = std::fs::read(format!("{DATA}/verbose-content-length.out")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(normalize(&o.stdout), normalize(&golden));
}

#[test]
fn virtualhost_sets_host_header() {
    let s = Server::plain(vec![send(HELLO_CL)]);
    let p = port(&s);
    let o = both(&["-s", "127.0.0.1", "-p", &p, "-u", "/", "-V", "www.example.com", "-t", "5"]);
    assert_eq!(stdout(&o), HELLO_MD5);
    let reqs = s.requests.lock().map(|r| r.clone()).unwrap_or_default();
    assert!(!reqs.is_empty());
    for req in reqs {
        assert_eq!(
            String::from_utf8_lossy(&req),
            "GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: www.example.com\r\n\r\n"
        );
    }
}

#[test]
fn chunked_body_digest_includes_framing_like_keepalived() {
    let s = Server::plain(vec![send(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n9\r\n, world!\n\r\n0\r\n\r\n",
    )]);
    let p = port(&s);
    let o = both(&["-s", "127.0.0.1", "-p", &p, "-u", "/", "-P", "1.1", "-t", "5"]);
    assert_eq!(stdout(&o), "60a3c5be1f406670ba6f2b9349b78c45\n");
    both(&["-v", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-P", "1.1", "-t", "5"]);
}

#[test]
fn close_delimited_404_and_header_only() {
    for (resp, want) in [
        (&b"HTTP/1.0 200 OK\r\n\r\nHello, world!\n"[..], HELLO_MD5),
        (b"HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\nno\n", "e4ac654ba9b61686c2dc854a1128a323\n"),
        (b"HTTP/1.0 200 OK\r\n\r\n", "d41d8cd98f00b204e9800998ecf8427e\n"),
        (b"HTTP/1.0 200 OK\r\nX-Bin: \xff\0z\r\n\r\n\x01\x7f\x80", "ceb1ccf39ac9168afdd08ea665d18262\n"),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 5x\r\n\r\nHello, world!\n", HELLO_MD5),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nHello, world!\n", "8b1a9953c4611296a827abf8c47804d7\n"),
    ] {
        let s = Server::plain(vec![send(resp)]);
        let p = port(&s);
        let o = both(&["-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
        assert_eq!(stdout(&o), want, "for {}", String::from_utf8_lossy(resp));
        both(&["-v", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
    }
}

#[test]
fn malformed_and_empty_responses_report_no_data() {
    let big_header = [b"HTTP/1.0 200 OK\r\nX: ".as_slice(), &[b'a'; 5000], b"\r\n\r\nbody"].concat();
    for resp in [b"garbage without a header end".to_vec(), Vec::new(), b"HTTP/1.0 200 OK\n\nbody".to_vec(), big_header]
    {
        let s = Server::plain(vec![Step::Send(resp)]);
        let p = port(&s);
        let o = both(&["-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
        assert_eq!(stdout(&o), "");
        assert_eq!(String::from_utf8_lossy(&o.stderr), "no data received from remote webserver\n");
        assert_eq!(o.status.code(), Some(0));
        let v = both(&["-v", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
        assert!(stdout(&v).contains("d4 1d 8c d9 8f 00 b2 04 - e9 80 09 98 ec f8 42 7e"));
    }
}

#[test]
fn body_split_across_reads_and_large_body() {
    let s = Server::plain(vec![
        send(b"HTTP/1.0 200 OK\r\n\r\nHello, "),
        Step::Sleep(Duration::from_millis(200)),
        send(b"world!\n"),
    ]);
    let o = both(&["-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "5"]);
    assert_eq!(stdout(&o), HELLO_MD5);

    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut resp = format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    resp.extend_from_slice(&body);
    let s = Server::plain(vec![Step::Send(resp)]);
    let o = both(&["-s", "127.0.0.1", "-p", &port(&s), "-u", "/big", "-t", "5"]);
    assert_eq!(stdout(&o).len(), 33);
}

#[test]
fn timeouts_and_refused_connection() {
    // No response within the timeout.
    let s = Server::plain(vec![Step::Sleep(Duration::from_secs(3)), send(HELLO_CL)]);
    let o = both(&["-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "1"]);
    assert_eq!(stdout(&o), "Timeout WEB read\n");
    // The body stalls after the header.
    let s = Server::plain(vec![send(b"HTTP/1.0 200 OK\r\n\r\nfirst"), Step::Sleep(Duration::from_secs(3))]);
    let o = both(&["-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "1"]);
    assert_eq!(stdout(&o), "Timeout HTTP read\n");
    // A keep-alive server that never closes after Content-Length.
    let s = Server::plain(vec![send(HELLO_CL), Step::Sleep(Duration::from_secs(3))]);
    let o = both(&["-v", "-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "1"]);
    assert!(stdout(&o).contains("Timeout HTTP read\n"));
    // Timeout 0 never lets the request out.
    let s = Server::plain(vec![send(HELLO_CL)]);
    let o = both(&["-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "0"]);
    assert_eq!(stdout(&o), "Timeout WEB write\n");
    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap_or_else(|e| panic!("{e}"));
    let o = both(&["-s", "127.0.0.1", "-p", &closed.port().to_string(), "-u", "/", "-t", "2"]);
    assert_eq!(stdout(&o), "Connection failed\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn sigterm_ends_quietly_with_status_zero() {
    let s = Server::plain(vec![Step::Sleep(Duration::from_secs(5)), send(HELLO_CL)]);
    let p = port(&s);
    let mut bins = vec![OURS.to_owned()];
    bins.extend(debian());
    let mut outs = Vec::new();
    for bin in bins {
        let args = ["-v", "-s", "127.0.0.1", "-p", &p, "-u", "/sig", "-t", "10"];
        let child = Command::new(&bin).arg0("genhash").args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
        let child = child.unwrap_or_else(|e| panic!("{bin}: {e}"));
        // The request reaching the server means the signal handlers are set.
        let seen = outs.len() + 1;
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.requests.lock().map(|r| r.len()).unwrap_or(0) < seen && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        assert!(killed.is_ok_and(|st| st.success()));
        let o = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.status.code(), Some(0), "{bin}");
        outs.push((normalize(&o.stdout), o.stderr));
    }
    let first = outs.first().cloned().unwrap_or_default();
    assert_eq!(String::from_utf8_lossy(&first.0), "\nGlobal response time for [/sig] = N usecs\n");
    for o in &outs {
        assert_eq!(o, &first);
    }
}

#[test]
fn ipv6_loopback_host_header_in_brackets() {
    let l = TcpListener::bind((Ipv6Addr::LOCALHOST, 0));
    if !common::require("IPv6 loopback (::1)", l.is_ok()) {
        return;
    }
    drop(l);
    let s = Server::start(
        SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
        Script { steps: vec![send(HELLO_CL)], eager: false, tls: None },
    );
    let p = port(&s);
    let o = both(&["-s", "::1", "-p", &p, "-u", "/", "-t", "5"]);
    assert_eq!(stdout(&o), HELLO_MD5);
    let reqs = s.requests.lock().map(|r| r.clone()).unwrap_or_default();
    for req in reqs {
        assert!(String::from_utf8_lossy(&req).contains(&format!("\r\nHost: [::1]:{p}\r\n")));
    }
}

#[test]
fn command_line_errors_match_debian() {
    for args in [
        &[][..],
        &["-h"],
        &["-v"],
        &["-s", "127.0.0.1"],
        &["-s", "127.0.0.1", "-p", "80"],
        &["-s", "localhost", "-p", "80", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "0x50", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "99999", "-u", "/"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-x", "-y"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "--foo"],
        &["-s", "127.0.0.1", "-p", "80", "-u"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "extra1", "extra2"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-P", "2"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-t", ""],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-t", "-1"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-m", "x"],
        &["-s", "127.0.0.1", "-p", "80", "-u", "/", "-h"],
    ] {
        let o = both(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("Usage: genhash COMMAND [OPTIONS]\n"));
        assert_eq!(stdout(&o), "");
    }
}

#[test]
fn long_options_and_fwmark() {
    let s = Server::plain(vec![send(HELLO_CL)]);
    let p = port(&s);
    let o = both(&["--server", "127.0.0.1", "--port", &p, "--url", "/", "--timeout", "5", "--protocol", "1.1"]);
    assert_eq!(stdout(&o), HELLO_MD5);
    // SO_MARK needs CAP_NET_ADMIN; as root both set it and still reach loopback.
    let me = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if me.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0")) {
        let o = both(&["-s", "127.0.0.1", "-p", &p, "-u", "/", "-m", "7", "-t", "5"]);
        assert_eq!(stdout(&o), HELLO_MD5);
    }
}

fn self_signed() -> (X509, PKey<Private>) {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap_or_else(|e| panic!("{e}"));
    let key =
        PKey::from_ec_key(EcKey::generate(&group).unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    let mut name = X509NameBuilder::new().unwrap_or_else(|e| panic!("{e}"));
    name.append_entry_by_text("CN", "genhash-test").unwrap_or_else(|e| panic!("{e}"));
    let name = name.build();
    let mut b = X509::builder().unwrap_or_else(|e| panic!("{e}"));
    let serial = BigNum::from_u32(1).and_then(|n| n.to_asn1_integer()).unwrap_or_else(|e| panic!("{e}"));
    let ok = b
        .set_version(2)
        .and_then(|()| b.set_serial_number(&serial))
        .and_then(|()| b.set_subject_name(&name))
        .and_then(|()| b.set_issuer_name(&name))
        .and_then(|()| b.set_pubkey(&key))
        .and_then(|()| Asn1Time::days_from_now(0).and_then(|t| b.set_not_before(&t)))
        .and_then(|()| Asn1Time::days_from_now(1).and_then(|t| b.set_not_after(&t)))
        .and_then(|()| b.sign(&key, MessageDigest::sha256()));
    ok.unwrap_or_else(|e| panic!("{e}"));
    (b.build(), key)
}

fn tls_server(steps: Vec<Step>) -> Server {
    let (cert, key) = self_signed();
    let mut acc = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap_or_else(|e| panic!("{e}"));
    acc.set_private_key(&key).unwrap_or_else(|e| panic!("{e}"));
    acc.set_certificate(&cert).unwrap_or_else(|e| panic!("{e}"));
    let script = Script { steps, eager: false, tls: Some(Arc::new(acc.build())) };
    Server::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), script)
}

#[test]
fn tls_self_signed_digest_and_sni() {
    let s = tls_server(vec![send(HELLO_CL)]);
    let p = port(&s);
    let o = both(&["-S", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
    assert_eq!(stdout(&o), HELLO_MD5);
    both(&["-v", "-S", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
    let before = s.snis.lock().map(|v| v.len()).unwrap_or(0);
    let o = both(&["-S", "-I", "-V", "www.example.com", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
    assert_eq!(stdout(&o), HELLO_MD5);
    let snis = s.snis.lock().map(|v| v.clone()).unwrap_or_default();
    let new = snis.get(before..).unwrap_or_default();
    assert!(!new.is_empty());
    assert!(new.iter().all(|n| n.as_deref() == Some("www.example.com")), "{new:?}");
    // Without -I no SNI is sent; nor with -I but no virtual host.
    assert!(snis.get(..before).unwrap_or_default().iter().all(Option::is_none), "{snis:?}");
    let before = snis.len();
    let o = both(&["-S", "-I", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]);
    assert_eq!(stdout(&o), HELLO_MD5);
    let snis = s.snis.lock().map(|v| v.clone()).unwrap_or_default();
    assert!(snis.len() > before);
    assert!(snis.get(before..).unwrap_or_default().iter().all(Option::is_none), "{snis:?}");
}

#[test]
fn tls_stalls() {
    let s = tls_server(vec![Step::Sleep(Duration::from_secs(3)), send(HELLO_CL)]);
    let o = both(&["-S", "-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "1"]);
    assert_eq!(stdout(&o), "Timeout SSL read\n");
    let s = tls_server(vec![send(b"HTTP/1.0 200 OK\r\n\r\nfirst"), Step::Sleep(Duration::from_secs(3))]);
    let o = both(&["-S", "-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "1"]);
    assert_eq!(stdout(&o), "Timeout SSL read\n");
}

#[test]
fn tls_close_without_close_notify_still_digests() {
    let s = tls_server(vec![send(HELLO_CL), Step::Abort]);
    let o = both(&["-S", "-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "5"]);
    assert_eq!(stdout(&o), HELLO_MD5);
}

#[test]
fn reset_after_data_is_a_read_error() {
    let s = Server::plain(vec![send(HELLO_CL), Step::Sleep(Duration::from_millis(200)), Step::Abort]);
    let o = both(&["-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "5"]);
    assert_eq!(stdout(&o), "Read error with\n");
}

#[test]
fn tls_to_a_plain_server_fails_the_handshake() {
    // A plain server that answers at once: the handshake fails.
    let steps = vec![Step::Sleep(Duration::from_millis(300)), send(HELLO_CL), Step::Sleep(Duration::from_millis(500))];
    let script = Script { steps, eager: true, tls: None };
    let s = Server::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), script);
    let o = both(&["-S", "-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "3"]);
    assert_eq!(stdout(&o), "SSL handshake/communication error connecting to\n");
    assert_eq!(o.status.code(), Some(0));
    // One that waits for a request: the handshake stalls.
    let s = Server::plain(vec![send(HELLO_CL)]);
    let o = both(&["-S", "-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "1"]);
    assert_eq!(stdout(&o), "Timeout connecting\n");
}

#[test]
fn tls_verbose_digest_sections_only_after_close_notify() {
    // keepalived 2.2.7's genhash prints the "HTML hash resulting" sections
    // over TLS only when the server ends with close_notify; a server that
    // just closes the connection gets the digest line alone.
    let small_binary = b"HTTP/1.0 200 OK\r\nX-Bin: \xff\0z\r\n\r\n\x01\x7f\x80";
    for (steps, sections) in [
        (vec![send(HELLO_CL)], true),
        (vec![send(HELLO_CL), Step::Abort], false),
        (vec![send(small_binary)], true),
        (vec![send(small_binary), Step::Abort], false),
    ] {
        let s = tls_server(steps);
        let o = both(&["-v", "-S", "-s", "127.0.0.1", "-p", &port(&s), "-u", "/", "-t", "5"]);
        let out = stdout(&o);
        assert_eq!(out.contains("HTML hash resulting"), sections, "{out}");
        assert!(out.contains("HTML Buffer"), "{out}");
    }
}

#[test]
fn keepalived_dash_t_is_genhash_named_after_keepalived() {
    // keepalived -T (--genhash) behaves as genhash and names itself
    // "ARGV0 --genhash" in the usage text, like keepalived 2.2.7.
    const KEEPALIVED_OURS: &str = env!("CARGO_BIN_EXE_keepalived");
    let s = Server::plain(vec![send(HELLO_CL)]);
    let p = port(&s);
    for args in
        [&["-T"][..], &["--genhash", "-s", "127.0.0.1"], &["-T", "-s", "127.0.0.1", "-p", &p, "-u", "/", "-t", "5"]]
    {
        let run = |bin: &str| {
            let o = Command::new(bin).arg0("/usr/sbin/keepalived").args(args).output();
            o.unwrap_or_else(|e| panic!("{bin}: {e}"))
        };
        let ours = run(KEEPALIVED_OURS);
        if args.len() < 4 {
            assert!(String::from_utf8_lossy(&ours.stderr).starts_with("Usage: /usr/sbin/keepalived --genhash COMMAND"));
            assert_eq!(ours.status.code(), Some(1));
        } else {
            assert_eq!(stdout(&ours), HELLO_MD5);
        }
        if common::needs(&[common::Need::DebianKeepalived]) {
            let theirs = run(&common::daemon::debian_keepalived().to_string_lossy());
            assert_eq!(ours.stdout, theirs.stdout, "{args:?}");
            assert_eq!(ours.stderr, theirs.stderr, "{args:?}");
            assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
        }
    }
}
