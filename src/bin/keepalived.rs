//! The keepalived daemon: parses the command line and hands over to the library.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use keepalived_rs::{cli, daemon, watchdog};

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    if let Some(rest) = cli::genhash_args(&argv) {
        let argv0 = argv.first().cloned().unwrap_or_else(|| "keepalived".into());
        return genhash(&argv0, rest);
    }
    match cli::parse(argv.clone()) {
        cli::Parsed::Stdout(text, code) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::from(code)
        }
        cli::Parsed::Stderr(text, code) => {
            let _ = std::io::stderr().write_all(text.as_bytes());
            ExitCode::from(code)
        }
        cli::Parsed::Run(opts) => {
            if !opts.unexpected.is_empty() && opts.child.is_none() {
                println!("Unexpected argument(s): {} ", opts.unexpected.join(" "));
            }
            if opts.config_test.is_some() {
                return watchdog::config_test(&opts);
            }
            watchdog::main(*opts, argv, daemon::SUBSYSTEMS)
        }
    }
}

/// `keepalived -T ...`: behave as genhash (keepalived 2.2.7 names itself
/// `ARGV0 --genhash` in the usage text).
fn genhash(argv0: &OsString, args: &[OsString]) -> ExitCode {
    let mut argv = vec![format!("{} --genhash", argv0.to_string_lossy())];
    argv.extend(args.iter().map(|a| a.to_string_lossy().into_owned()));
    ExitCode::from(keepalived_rs::check::genhash::main(&argv))
}
