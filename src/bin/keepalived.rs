//! The keepalived daemon: parses the command line and hands over to the library.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use keepalived_rs::{cli, daemon, watchdog};

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    if let Some(rest) = cli::genhash_args(&argv) {
        return genhash(rest);
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

/// `keepalived -T ...`: behave as genhash, which ships beside keepalived.
fn genhash(args: &[OsString]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map(|p| p.with_file_name("genhash"));
    match exe {
        Ok(path) if path.exists() => {
            let err = std::process::Command::new(&path).arg0("genhash").args(args).exec();
            eprintln!("Unable to run {} - {err}", path.display());
            ExitCode::from(1)
        }
        _ => {
            eprintln!("genhash mode needs the genhash program installed beside keepalived");
            ExitCode::from(1)
        }
    }
}
