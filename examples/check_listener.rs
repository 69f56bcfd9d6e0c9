//! The real servers of the health-check benchmark (bench/check-scale.sh):
//! NADDR x NPORT TCP listeners on 127.x addresses (127.1.0.1, 127.1.0.2,
//! ... skipping .0 and .255) and consecutive ports from PORT0. Each
//! connection is accepted and closed at once (`tcp`), or answered with a
//! fixed `HTTP/1.0 200` response carrying BODYFILE (`http`). The time of
//! every connection is recorded per destination; on SIGTERM or SIGINT it
//! prints:
//!
//! ```text
//! servers_seen N        destinations checked at least once
//! checks N              connections accepted
//! interval_p50_ms X     time between two checks of one destination
//! interval_p99_ms X     (a checker at delay_loop 1 s shows ~1000)
//! interval_max_ms X
//! ```
//!
//! Usage: check_listener MODE NADDR NPORT PORT0 BODYFILE READYFILE
//! (READYFILE is written once every socket listens; SIGUSR1 prints `mark N`,
//! the connections accepted so far). A bench tool, not part
//! of the daemon; it replaces a Python listener that could not run in the
//! IPVS VM (which has no Python).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

fn addr(i: usize) -> Ipv4Addr {
    let n = i + 1;
    Ipv4Addr::new(127, (1 + n / 65024) as u8, ((n / 254) % 256) as u8, (1 + n % 254) as u8)
}

#[derive(Default)]
struct Seen {
    last: HashMap<SocketAddr, Instant>,
    intervals_ms: Vec<f64>,
    checks: u64,
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 7 {
        eprintln!("usage: check_listener tcp|http NADDR NPORT PORT0 BODYFILE READYFILE");
        std::process::exit(2);
    }
    let http = a[1] == "http";
    let (naddr, nport, port0): (usize, u16, u16) =
        (a[2].parse().unwrap(), a[3].parse().unwrap(), a[4].parse().unwrap());
    let body = std::fs::read(&a[5]).unwrap();
    let mut response =
        format!("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(&body);
    let response: Rc<[u8]> = response.into();
    let ready = a[6].clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let seen = Rc::new(RefCell::new(Seen::default()));
        for i in 0..naddr {
            for p in 0..nport {
                let sa = SocketAddr::from((addr(i), port0 + p));
                let s = TcpSocket::new_v4().unwrap();
                s.set_reuseaddr(true).unwrap();
                s.bind(sa).unwrap_or_else(|e| panic!("bind {sa}: {e}"));
                let l = s.listen(1024).unwrap();
                let (seen, response) = (seen.clone(), response.clone());
                tokio::task::spawn_local(async move {
                    loop {
                        let Ok((mut conn, _)) = l.accept().await else { continue };
                        let now = Instant::now();
                        {
                            let mut s = seen.borrow_mut();
                            s.checks += 1;
                            if let Some(prev) = s.last.insert(sa, now) {
                                let ms = now.duration_since(prev).as_secs_f64() * 1000.0;
                                s.intervals_ms.push(ms);
                            }
                        }
                        if http {
                            let response = response.clone();
                            tokio::task::spawn_local(async move {
                                let mut buf = [0u8; 2048];
                                let mut got = Vec::new();
                                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                                    match conn.read(&mut buf).await {
                                        Ok(0) | Err(_) => return,
                                        Ok(n) => got.extend_from_slice(&buf[..n]),
                                    }
                                }
                                let _ = conn.write_all(&response).await;
                            });
                        }
                    }
                });
            }
        }
        std::fs::write(&ready, "ready\n").unwrap();
        use std::io::Write as _;
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).unwrap();
        let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                // A mark: the connections so far (the bench's measuring window).
                _ = usr1.recv() => {
                    println!("mark {}", seen.borrow().checks);
                    let _ = std::io::stdout().flush();
                }
            }
        }
        let mut s = seen.borrow_mut();
        s.intervals_ms.sort_by(|a, b| a.total_cmp(b));
        let v = &s.intervals_ms;
        let pct = |p: f64| {
            if v.is_empty() {
                "NA".to_owned()
            } else {
                format!("{:.1}", v[((v.len() as f64 * p) as usize).min(v.len() - 1)])
            }
        };
        println!("servers_seen {}", s.last.len());
        println!("checks {}", s.checks);
        println!("interval_p50_ms {}", pct(0.50));
        println!("interval_p99_ms {}", pct(0.99));
        println!("interval_max_ms {}", v.last().map_or("NA".to_owned(), |m| format!("{m:.1}")));
    });
}
