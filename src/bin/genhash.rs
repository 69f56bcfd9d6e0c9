//! genhash: compute the digest of a web page, as keepalived's HTTP_GET checks it.

use std::process::ExitCode;

use keepalived_rs::check::genhash;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let opts = match genhash::parse_args(&argv) {
        Ok(opts) => opts,
        Err(e) => {
            let prog = argv.first().map_or("genhash", String::as_str);
            eprint!("{}{}", e.messages, genhash::usage(prog));
            return ExitCode::from(1);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("genhash: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    match runtime.block_on(genhash::run(&opts, &mut out, &mut err)) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (genhash | head) is not worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("genhash: {e}");
            ExitCode::from(1)
        }
    }
}
