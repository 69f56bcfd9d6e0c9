//! One boot of the IPVS VM (tests/vm/ipvs-vm.sh) for a test file: the
//! file's configurations and case script are copied into a fresh directory,
//! the VM runs the cases, and what they emitted is kept by file name. The
//! first test of the file to ask boots it; the others read its results.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one boot of the VM runs.
pub struct Boot<'a> {
    /// A tag for the work directory under $TMPDIR.
    pub tag: &'a str,
    /// The configurations and helper files (relative to the checkout).
    pub data: &'a str,
    /// The case script (relative to the checkout), run as `run.sh` in the VM.
    pub cases: &'a str,
    /// Programs the VM needs beside ours: (what, host path, name in the VM).
    pub programs: &'a [(&'a str, &'a str, &'a str)],
}

/// What one boot left: the emitted files by name.
pub struct Run {
    pub out: BTreeMap<String, String>,
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Boots the VM once; `Err` names the missing prerequisite.
pub fn boot(b: &Boot<'_>, ours: &str) -> Result<Run, String> {
    if !super::is_root() {
        return Err("root (the VM harness)".into());
    }
    let mut needs = vec![
        ("Debian's keepalived at /usr/sbin/keepalived", "/usr/sbin/keepalived"),
        ("ipvsadm", "/usr/sbin/ipvsadm"),
        ("iproute2's ip", "/usr/bin/ip"),
    ];
    needs.extend(b.programs.iter().map(|(what, path, _)| (*what, *path)));
    for (what, path) in needs {
        if !Path::new(path).exists() {
            return Err(what.into());
        }
    }
    let dir = std::env::temp_dir().join(format!("kr-{}-vm-{}", b.tag, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let copy =
        |from: &Path, to: PathBuf| std::fs::copy(from, &to).map(|_| ()).map_err(|e| format!("{}: {e}", from.display()));
    let data = std::fs::read_dir(manifest().join(b.data)).map_err(|e| format!("{}: {e}", b.data))?;
    for e in data.flatten() {
        copy(&e.path(), dir.join(e.file_name()))?;
    }
    copy(&manifest().join(b.cases), dir.join("run.sh"))?;
    let mut bins = format!("{ours} keepalived-rs\n");
    for (_, path, name) in b.programs {
        bins.push_str(&format!("{path} {name}\n"));
    }
    std::fs::write(dir.join("bins"), bins).map_err(|e| format!("bins: {e}"))?;
    let o = super::run(Command::new("bash").arg(manifest().join("tests/vm/ipvs-vm.sh")).arg(&dir));
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    eprintln!("{stderr}");
    match o.status.code() {
        Some(0) | Some(1) => {}
        _ => return Err(format!("the IPVS VM (it did not boot or the harness failed):\n{stderr}")),
    }
    let mut out = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir.join("out")) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            out.insert(name, std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    if o.status.code() == Some(1) || std::env::var_os("KR_KEEP_VM").is_some() {
        eprintln!("results and console kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(Run { out })
}

/// The results of the file's boot, or `None` when the test must skip.
pub fn results(run: &'static Result<Run, String>) -> Option<&'static Run> {
    match run {
        Ok(r) => Some(r),
        Err(what) => {
            super::require(what, false);
            None
        }
    }
}

impl Run {
    /// An emitted file; a test fails when the VM did not emit it.
    pub fn file(&self, name: &str) -> &str {
        self.out.get(name).map(String::as_str).unwrap_or_else(|| panic!("the VM did not emit {name}"))
    }

    /// A daemon's log lines without their time stamps.
    pub fn log(&self, name: &str) -> Vec<String> {
        self.file(name).lines().map(|l| strip_time(l).to_owned()).collect()
    }
}

/// A log line without keepalived's "Fri Dec  4 21:55:07 2026: " prefix.
pub fn strip_time(l: &str) -> &str {
    match l.get(24..26) {
        Some(": ") => l.get(26..).unwrap_or(""),
        _ => l,
    }
}

/// The lines keepalived logs about the table, quorums and servers (and
/// `extra` ones), in order.
pub fn table_lines(extra: &[&str], log: &[String]) -> Vec<String> {
    const STARTS: &[&str] = &[
        "Gained quorum",
        "Lost quorum",
        "Starting with quorum down",
        "Adding sorry server",
        "Removing sorry server",
        "Enabling sorry server",
        "Disabling sorry server",
        "Adding alive servers",
        "Removing alive servers",
        "Removing service",
        "Adding service",
        "Enabling service",
        "Disabling service",
        "Changing weight",
    ];
    log.iter().filter(|l| STARTS.iter().chain(extra).any(|s| l.starts_with(s))).cloned().collect()
}
