//! genhash: fetch a URL the way HTTP_GET / SSL_GET do and print the digest to
//! put in a `digest` line. Options, messages, output and exit codes follow
//! keepalived 2.2.7's genhash, so scripts that parse it keep working.
//!
//! Exit codes: 1 for a command-line problem (after the usage text), else 0,
//! even when the fetch fails (the failure is printed instead of a digest).
//!
//! Known divergences from 2.2.7: a missing value for a long option at the end
//! names the option (`--server`) where 2.2.7 prints a garbled name; an
//! unknown option and a bad value in one command line are reported in a
//! fixed order (unknown options first); requests longer than keepalived's
//! 2048-byte buffer are sent whole rather than cut.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, ArgMatches, Command};

use super::conn::ConnOpts;
use super::http::{c_strtoul, hex, hex_dump};
use super::http_probe::{ProbeConfig, ReadEvent, TlsOptions, probe};
use super::tls::client_context;
use crate::config::model::lvs::HttpProtocol;

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Server address (an IP literal, as keepalived requires).
    pub server: IpAddr,
    /// Server port.
    pub port: u16,
    /// URL path.
    pub url: String,
    /// HTTPS.
    pub use_ssl: bool,
    /// Send the virtual host as SNI.
    pub use_sni: bool,
    /// `Host` header (and SNI name) instead of the address.
    pub virtualhost: Option<String>,
    /// Dump the exchange.
    pub verbose: bool,
    /// `SO_MARK`.
    pub fwmark: Option<u32>,
    /// Request protocol variant.
    pub protocol: HttpProtocol,
    /// Per-step timeout.
    pub timeout: Duration,
}

/// A command line that cannot run: the messages to print before the usage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsageError {
    /// Lines for stderr, each ending in a newline.
    pub messages: String,
}

/// keepalived's genhash default timeout: UINT_MAX microseconds.
const DEFAULT_TIMEOUT_US: u32 = u32::MAX;

/// The usage text keepalived's genhash prints on stderr.
pub fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} COMMAND [OPTIONS]\n\
         Commands:\n   -s server-address -p port -u url\n   -S -s server-address -p port -u url\n   -h\n\n\
         Options:\n\
         Either long or short options are allowed.\n\
         \x20  --use-ssl         -S       Use SSL connection to remote server.\n\
         \x20  --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).\n\
         \x20  --server          -s       Use the specified remote server address.\n\
         \x20  --port            -p       Use the specified remote server port.\n\
         \x20  --url             -u       Use the specified remote server url.\n\
         \x20  --use-virtualhost -V       Use the specified virtualhost in GET query.\n\
         \x20  --verbose         -v       Use verbose mode output.\n\
         \x20  --help            -h       Display this short inlined help screen.\n\
         \x20  --fwmark          -m       Use the specified FW mark.\n\
         \x20  --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.\n\
         \x20                               1.0c means 1.0 with 'Connection: close'\n\
         \x20  --timeout         -t       Timeout in seconds\n"
    )
}

/// (id, short, long, takes a value)
const OPTS: &[(&str, char, &str, bool)] = &[
    ("help", 'h', "help", false),
    ("verbose", 'v', "verbose", false),
    ("use-ssl", 'S', "use-ssl", false),
    ("use-sni", 'I', "use-sni", false),
    ("server", 's', "server", true),
    ("use-virtualhost", 'V', "use-virtualhost", true),
    ("port", 'p', "port", true),
    ("url", 'u', "url", true),
    ("fwmark", 'm', "fwmark", true),
    ("protocol", 'P', "protocol", true),
    ("timeout", 't', "timeout", true),
];

fn command() -> Command {
    let mut cmd = Command::new("genhash")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        // getopt_long accepts unambiguous prefixes of long options.
        .infer_long_args(true)
        .arg(Arg::new("extra").num_args(0..).action(ArgAction::Append).value_parser(clap::value_parser!(String)));
    for &(id, short, long, value) in OPTS {
        let arg = Arg::new(id).short(short).long(long);
        let arg = if value {
            // getopt takes the next word as the value whatever it looks like.
            arg.num_args(1).allow_hyphen_values(true).action(ArgAction::Append)
        } else {
            arg.num_args(0).action(ArgAction::Count)
        };
        cmd = cmd.arg(arg);
    }
    cmd
}

/// Parses genhash's command line (`argv[0]` included).
pub fn parse_args(argv: &[String]) -> Result<Options, UsageError> {
    let mut err = UsageError::default();
    // keepalived prints the bare usage for fewer than two arguments.
    if argv.len() <= 2 {
        return Err(err);
    }
    let mut args = argv.to_vec();
    let matches = loop {
        match command().try_get_matches_from(&args) {
            Ok(m) => break m,
            Err(e) => {
                let invalid = match e.get(ContextKind::InvalidArg) {
                    Some(ContextValue::String(s)) => Some(s.clone()),
                    _ => None,
                };
                match e.kind() {
                    ErrorKind::UnknownArgument => {
                        let word = invalid.unwrap_or_default();
                        err.messages.push_str(&format!("Unknown option {}\n", word.split('=').next().unwrap_or("")));
                        // Keep going like getopt, to report every unknown option.
                        match args.iter().skip(1).position(|a| *a == word) {
                            Some(i) => {
                                args.remove(i + 1);
                                continue;
                            }
                            None => return Err(err),
                        }
                    }
                    ErrorKind::InvalidValue | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
                        // Only the last word can lack its value.
                        let last = args.last().cloned().unwrap_or_default();
                        let name = match last.strip_prefix("--") {
                            Some(_) => format!("--{}", long_name(invalid.as_deref().unwrap_or(""))),
                            None => format!("-{}", last.chars().last().unwrap_or('-')),
                        };
                        err.messages.push_str(&format!("Missing parameter for option {name}\n"));
                        return Err(err);
                    }
                    _ => return Err(err),
                }
            }
        }
    };
    if !err.messages.is_empty() || matches.get_count("help") > 0 {
        return Err(err);
    }
    let opts = options_in_order(&matches, &mut err)?;
    if let Some(extra) = matches.get_many::<String>("extra") {
        let extra: Vec<&String> = extra.collect();
        if !extra.is_empty() {
            err.messages.push_str("Unexpected argument(s):");
            for word in extra {
                err.messages.push(' ');
                err.messages.push_str(word);
            }
            err.messages.push('\n');
            return Err(err);
        }
    }
    opts.ok_or(err)
}

/// The long name of an option from clap's rendering of it ("--url <url>").
fn long_name(rendered: &str) -> &str {
    let word = rendered.trim_start_matches('-');
    let word = word.split([' ', '=']).next().unwrap_or(word);
    OPTS.iter().find(|o| o.2 == word || o.0 == word).map_or(word, |o| o.2)
}

/// Validates the values in command-line order, stopping at the first bad
/// one as keepalived does; `None` when a mandatory option is missing.
fn options_in_order(m: &ArgMatches, err: &mut UsageError) -> Result<Option<Options>, UsageError> {
    let mut valued: Vec<(usize, &str, &String)> = Vec::new();
    for &(id, _, _, takes) in OPTS {
        if !takes {
            continue;
        }
        if let (Some(idx), Some(vals)) = (m.indices_of(id), m.get_many::<String>(id)) {
            valued.extend(idx.zip(vals).map(|(i, v)| (i, id, v)));
        }
    }
    valued.sort_by_key(|v| v.0);
    let (mut server, mut port, mut url, mut vhost, mut fwmark) = (None, None, None, None, None);
    let mut protocol = HttpProtocol::V1_0;
    let mut timeout_us = DEFAULT_TIMEOUT_US;
    for (_, id, value) in valued {
        match id {
            // keepalived drops a range ("-N") or prefix length ("/N") suffix.
            "server" => match value.split('-').next().unwrap_or("").split('/').next().unwrap_or("").parse::<IpAddr>() {
                Ok(ip) => server = Some(ip),
                Err(_) => return Err(fail(err, format!("server should be an IP, not {value}\n"))),
            },
            "port" => {
                let (n, end) = c_strtol(value.as_bytes());
                if end != value.len() || !(1..=65535).contains(&n) {
                    return Err(fail(err, format!("invalid port number '{value}'\n")));
                }
                port = u16::try_from(n).ok();
            }
            "url" => url = Some(value.clone()),
            "use-virtualhost" => vhost = Some(value.clone()),
            "fwmark" => {
                let start = value.trim_start_matches([' ', '\t']);
                let (n, end) = c_strtoul(start.as_bytes());
                if end != start.len() || start.starts_with('-') {
                    return Err(fail(err, format!("invalid fwmark '{value}'\n")));
                }
                // keepalived stores it in an unsigned int.
                fwmark = Some(n as u32);
            }
            "protocol" => match HttpProtocol::parse(value) {
                Some(v) => protocol = v,
                None => return Err(fail(err, format!("invalid HTTP protocol version '{value}'\n"))),
            },
            "timeout" => {
                let start = value.trim_start_matches([' ', '\t']);
                let (n, end) = c_strtoul(start.as_bytes());
                if start.is_empty() || end != start.len() || start.starts_with('-') {
                    return Err(fail(err, format!("invalid timeout '{value}'\n")));
                }
                // keepalived multiplies seconds into an unsigned int of microseconds.
                timeout_us = (n as u32).wrapping_mul(1_000_000);
            }
            _ => {}
        }
    }
    let (Some(server), Some(port), Some(url)) = (server, port, url) else { return Ok(None) };
    Ok(Some(Options {
        server,
        port,
        url,
        use_ssl: m.get_count("use-ssl") > 0,
        use_sni: m.get_count("use-sni") > 0,
        virtualhost: vhost,
        verbose: m.get_count("verbose") > 0,
        fwmark,
        protocol,
        timeout: Duration::from_micros(u64::from(timeout_us)),
    }))
}

fn fail(err: &mut UsageError, msg: String) -> UsageError {
    err.messages.push_str(&msg);
    err.clone()
}

/// C `strtol(s, &end, 10)` for a port: value and bytes consumed (0 if none).
fn c_strtol(s: &[u8]) -> (i64, usize) {
    let (v, end) = c_strtoul(s);
    let negative = s.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'-');
    let v = if negative { (v as i64).min(0) } else { i64::try_from(v).unwrap_or(i64::MAX) };
    (v, end)
}

const DELIM_HEADER_HEX: &str = "-----------------------[    HTTP Header Buffer    ]-----------------------\n";
const DELIM_HEADER_ASCII: &str = "-----------------------[ HTTP Header Ascii Buffer ]-----------------------\n";
const DELIM_HTML: &str = "-----------------------[        HTML Buffer        ]-----------------------\n";
const DELIM_HASH: &str = "-----------------------[    HTML hash resulting    ]-----------------------\n";
const DELIM_HASH_FINAL: &str = "-----------------------[ HTML hash final resulting ]-----------------------\n";

/// The verbose dump of one read, as keepalived prints it (raw header bytes
/// included, so the output is byte-for-byte keepalived's).
pub fn verbose_read(event: &ReadEvent<'_>) -> Vec<u8> {
    match event {
        ReadEvent::HeaderPending => DELIM_HEADER_HEX.as_bytes().to_vec(),
        ReadEvent::Header { header, digested } => {
            let mut s = Vec::from(DELIM_HEADER_HEX);
            s.extend_from_slice(hex_dump(header).as_bytes());
            s.extend_from_slice(DELIM_HEADER_ASCII.as_bytes());
            // printf("%.*s") stops at a NUL.
            s.extend_from_slice(header.split(|&b| b == 0).next().unwrap_or_default());
            s.push(b'\n');
            if !digested.is_empty() {
                s.extend_from_slice(DELIM_HTML.as_bytes());
                s.extend_from_slice(hex_dump(digested).as_bytes());
            }
            s
        }
        ReadEvent::Body { digested } => hex_dump(digested).into_bytes(),
    }
}

/// The verbose digest block printed at the close.
pub fn verbose_digest(digest: &[u8; 16]) -> String {
    format!("\n{DELIM_HASH}{}{DELIM_HASH_FINAL}", hex_dump(digest))
}

/// The whole tool: `argv[0]` names the program in the usage text
/// (`genhash`, or `/usr/sbin/keepalived --genhash` for `keepalived -T`).
/// Returns the exit status.
pub fn main(argv: &[String]) -> u8 {
    let opts = match parse_args(argv) {
        Ok(opts) => opts,
        Err(e) => {
            let prog = argv.first().map_or("genhash", String::as_str);
            eprint!("{}{}", e.messages, usage(prog));
            return 1;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("genhash: cannot start the runtime: {e}");
            return 1;
        }
    };
    let (mut out, mut err) = (io::stdout().lock(), io::stderr().lock());
    match runtime.block_on(run(&opts, &mut out, &mut err)) {
        Ok(()) => 0,
        // A closed stdout (genhash | head) is not worth a message.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(err, "genhash: {e}");
            1
        }
    }
}

/// Runs genhash with parsed options, writing what keepalived writes to
/// `out` (stdout) and `err` (stderr).
pub async fn run(opts: &Options, out: &mut (impl Write + ?Sized), err: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let started = Instant::now();
    let virtualhost = opts.virtualhost.clone();
    let tls = match opts.use_ssl {
        false => None,
        true => match client_context(None) {
            Ok(ctx) => Some(TlsOptions {
                ctx,
                sni: if opts.use_sni { virtualhost.clone() } else { None },
                close_notify: false,
            }),
            Err(e) => {
                writeln!(err, "Cannot initialize SSL context.")?;
                return Err(io::Error::other(e.to_string()));
            }
        },
    };
    let mut conn = ConnOpts::new(SocketAddr::new(opts.server, opts.port), opts.timeout);
    conn.set_local(super::conn::LocalOpts { fwmark: opts.fwmark, ..Default::default() });
    let cfg = ProbeConfig { conn, tls, path: opts.url.clone(), version: opts.protocol, virtualhost, body_limit: 0 };
    let mut write_err = Ok(());
    let fetch = probe(&cfg, |event| {
        if opts.verbose && write_err.is_ok() {
            write_err = out.write_all(&verbose_read(&event));
        }
    });
    // SIGINT and SIGTERM end the fetch quietly, as in keepalived.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let result = tokio::select! {
        r = fetch => Some(r),
        _ = tokio::signal::ctrl_c() => None,
        _ = term.recv() => None,
    };
    write_err?;
    match result {
        None => {}
        Some(Ok(outcome)) => {
            // Over TLS keepalived 2.2.7 prints the digest sections only when
            // the server ended with close_notify.
            if opts.verbose && (!opts.use_ssl || outcome.close_notify) {
                out.write_all(verbose_digest(&outcome.digest).as_bytes())?;
            }
            match outcome.response {
                Ok(resp) => writeln!(out, "{}", hex(&resp.digest))?,
                Err(e) => writeln!(err, "{e}")?,
            }
        }
        Some(Err(e)) => writeln!(out, "{}", e.keepalived_text(opts.use_ssl))?,
    }
    if opts.verbose {
        write!(out, "\nGlobal response time for [{}] = {} usecs\n", opts.url, started.elapsed().as_micros())?;
    }
    out.flush()?;
    err.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        std::iter::once("genhash").chain(s.split_whitespace()).map(str::to_owned).collect()
    }

    fn msg(s: &str) -> String {
        match parse_args(&args(s)) {
            Ok(o) => panic!("parsed: {o:?}"),
            Err(e) => e.messages,
        }
    }

    #[test]
    fn full_command_line() {
        let o = parse_args(&args("-S -I -s ::1 -p 443 -u /x -V www -v -m 7 -P 1.1 -t 3"));
        let o = o.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(o.server, "::1".parse::<IpAddr>().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!((o.port, o.url.as_str(), o.virtualhost.as_deref()), (443, "/x", Some("www")));
        assert!(o.use_ssl && o.use_sni && o.verbose);
        assert_eq!((o.fwmark, o.protocol, o.timeout), (Some(7), HttpProtocol::V1_1, Duration::from_secs(3)));
    }

    #[test]
    fn long_options_prefixes_and_attached_values() {
        let o = parse_args(&args("--serv=127.0.0.1 --port 80 -u/a -u /b --protocol=1.0c"));
        let o = o.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((o.port, o.url.as_str(), o.protocol), (80, "/b", HttpProtocol::V1_0C));
        assert_eq!(o.timeout, Duration::from_micros(u64::from(u32::MAX)));
        assert_eq!(o.fwmark, None);
    }

    #[test]
    fn messages_match_keepalived() {
        assert_eq!(msg("-h"), "");
        assert_eq!(msg("-s 127.0.0.1"), "");
        assert_eq!(msg("-s 127.0.0.1 -p 80"), "");
        assert_eq!(msg("-s localhost -p 80 -u /"), "server should be an IP, not localhost\n");
        assert_eq!(msg("-s 127.0.0.1 -p 0x50 -u /"), "invalid port number '0x50'\n");
        assert_eq!(msg("-s 127.0.0.1 -p 0 -u /"), "invalid port number '0'\n");
        assert_eq!(msg("-s 127.0.0.1 -p 65536 -u /"), "invalid port number '65536'\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u / -x -y"), "Unknown option -x\nUnknown option -y\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u / --foo"), "Unknown option --foo\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u"), "Missing parameter for option -u\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u / a b"), "Unexpected argument(s): a b\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u / -P 2"), "invalid HTTP protocol version '2'\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u / -t -1"), "invalid timeout '-1'\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u / -m x"), "invalid fwmark 'x'\n");
        assert_eq!(msg("-s 127.0.0.1 -p 80 -u / -h"), "");
    }

    #[test]
    fn server_suffixes_dropped() {
        for s in ["127.0.0.1/8", "127.0.0.1-5", "::ffff:127.0.0.1"] {
            let o = parse_args(&args(&format!("-s {s} -p 80 -u /"))).unwrap_or_else(|e| panic!("{s}: {e:?}"));
            assert!(o.server.is_ipv4() || o.server.is_ipv6());
        }
        assert_eq!(msg("-s [::1] -p 80 -u /"), "server should be an IP, not [::1]\n");
        assert_eq!(msg("-s 127.1 -p 80 -u /"), "server should be an IP, not 127.1\n");
    }

    #[test]
    fn timeout_wraps_like_keepalived() {
        let o = parse_args(&args("-s 127.0.0.1 -p 80 -u / -t 5000")).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(o.timeout, Duration::from_micros(u64::from(5_000_000_000u64 as u32)));
    }

    #[test]
    fn usage_text_starts_with_program_name() {
        assert!(usage("genhash").starts_with("Usage: genhash COMMAND [OPTIONS]\nCommands:\n"));
        assert!(usage("x").ends_with("   --timeout         -t       Timeout in seconds\n"));
    }

    #[test]
    fn verbose_blocks() {
        let s = verbose_read(&ReadEvent::Header { header: b"HTTP/1.0 200 OK\r\n\r\n", digested: b"" });
        assert!(s.starts_with(DELIM_HEADER_HEX.as_bytes()));
        assert!(s.ends_with(b"HTTP/1.0 200 OK\r\n\r\n\n"));
        assert!(!s.windows(11).any(|w| w == b"HTML Buffer"));
        let s = verbose_read(&ReadEvent::Header { header: b"HTTP/1.0 200 \xff\0x\r\n\r\n", digested: b"ab" });
        assert!(s.windows(15).any(|w| w == b"HTTP/1.0 200 \xff\n"));
        assert!(s.ends_with(b"0000  61 62                   -                           ab              \n"));
        let d = verbose_digest(&[0u8; 16]);
        assert!(d.starts_with("\n-----------------------[    HTML hash resulting"));
    }
}
