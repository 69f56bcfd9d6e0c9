//! genhash: compute the digest of a web page, as keepalived's HTTP_GET checks it.

use std::process::ExitCode;

use keepalived_rs::check::genhash;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    ExitCode::from(genhash::main(&argv))
}
