//! The keepalived daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use keepalived_rs::config;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut path = PathBuf::from("/etc/keepalived/keepalived.conf");
    let mut test = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "-t" => test = true,
            "-f" => {
                if let Some(p) = args.next() {
                    path = PathBuf::from(p)
                }
            }
            _ => {}
        }
    }
    let loaded = config::load(&path, &config::preprocess::Options::default(), &config::validate::SystemView::probe());
    for d in &loaded.diags {
        eprintln!("{}", loaded.sources.render(d));
    }
    if test {
        return ExitCode::from(loaded.exit_code() as u8);
    }
    ExitCode::SUCCESS
}
