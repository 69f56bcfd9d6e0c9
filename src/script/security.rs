//! Script security, as upstream checks each script when the configuration
//! is loaded (`check_script_secure`).
//!
//! 1. `</path...` (a shell redirection that tests a file opens) is run by
//!    the shell and not checked.
//! 2. A bare name is searched in `PATH` for a regular file the script's user
//!    may execute; found, it is replaced by the full path with a warning.
//! 3. The path is resolved (symlinks, `.`, `..`) unless `use_symlink_paths`;
//!    when the resolved file has another name, the original name is kept in
//!    the resolved directory if it is the same file (programs that look at
//!    their name), and both paths are checked.
//! 4. The file must be executable by the script's uid/gid (upstream's rule
//!    on the mode bits, not `access(2)`).
//! 5. When the script runs as root (uid or gid 0), or is set-uid/set-gid
//!    root, every component of its path, from `/`, must be owned by root and
//!    writable by nobody else: no group write unless the group is root, no
//!    world write, except a directory with the sticky bit (such as /tmp).
//!    Otherwise "Unsafe permissions found for script '...'": a warning, and
//!    with `enable_script_security` the script is disabled.
//!
//! Upstream resolves the path with its effective ids switched to the
//! script's user, so a script under a directory that user cannot search
//! "cannot be accessed". We never switch ids in a running daemon: the same
//! verdict comes from the mode bits of each directory (search permission for
//! the script's uid, gid and supplementary groups; ACLs are not read).
//!
//! The check reads file metadata only, through [`check_script_secure`], so
//! it is tested on real files in a temporary directory.

use std::ffi::OsStr;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use super::account::Credentials;

/// What the check found (upstream's `SC_*` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    /// A script file was found (it counts for the "SECURITY VIOLATION"
    /// warning when script security is off).
    pub is_script: bool,
    /// The file is executable by the script's uid/gid.
    pub executable: bool,
    /// Writable or replaceable by a non-root user while run as root.
    pub insecure: bool,
    /// Refused: insecure under `enable_script_security`, or a path
    /// component of the wrong type.
    pub inhibit: bool,
    /// The script or a component of its path cannot be found or accessed.
    pub not_found: bool,
    /// A `</path` redirection run by the shell, not checked.
    pub system: bool,
}

impl Flags {
    /// Whether the script may run.
    pub fn runnable(&self) -> bool {
        self.system || (self.executable && !self.inhibit && !self.not_found)
    }

    /// The union of two checks' flags.
    pub fn union(self, o: Flags) -> Flags {
        Flags {
            is_script: self.is_script || o.is_script,
            executable: self.executable || o.executable,
            insecure: self.insecure || o.insecure,
            inhibit: self.inhibit || o.inhibit,
            not_found: self.not_found || o.not_found,
            system: self.system || o.system,
        }
    }
}

/// Options from `global_defs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// `enable_script_security`: insecure scripts are refused.
    pub script_security: bool,
    /// `use_symlink_paths`: run the script by the path as written.
    pub use_symlink_paths: bool,
}

/// The result of [`check_script_secure`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub flags: Flags,
    /// The program to execute: the path found by the search or resolved,
    /// or the first word unchanged.
    pub argv0: String,
    /// What upstream logs while checking, in order, with its wording.
    pub messages: Vec<String>,
}

/// Checks the program `argv0` that will run with `creds`; `path_var` is the
/// `PATH` used for a bare name (upstream falls back to `/bin:/usr/bin`).
pub fn check_script_secure(argv0: &str, creds: &Credentials, opts: CheckOptions, path_var: Option<&OsStr>) -> Checked {
    let mut out = Checked { flags: Flags::default(), argv0: argv0.to_owned(), messages: Vec::new() };
    if is_redirection(argv0) {
        out.flags.system = true;
        return out;
    }

    if !argv0.contains('/') {
        match find_in_path(argv0, creds, path_var.unwrap_or(OsStr::new("/bin:/usr/bin"))) {
            Ok(found) => {
                out.messages.push(format!(
                    "WARNING - script `{argv0}` resolved by path search to `{found}`. Please specify full path."
                ));
                out.argv0 = found;
            }
            Err(denied) => {
                out.messages.push(if denied {
                    format!("Permissions failure for script {argv0} in path - disabling")
                } else {
                    format!("Cannot find script {argv0} in path - disabling")
                });
                out.flags.not_found = true;
                return out;
            }
        }
    }

    // The path without symlinks, reachable by the script's user.
    let resolved = match std::fs::canonicalize(&out.argv0) {
        Ok(p) => p,
        Err(e) => {
            out.messages.push(format!("Script {} cannot be accessed - {}", out.argv0, strerror(&e)));
            out.flags.not_found = true;
            return out;
        }
    };
    if !searchable(Path::new(&out.argv0), creds) || !searchable(&resolved, creds) {
        out.messages.push(format!("Script {} cannot be accessed - Permission denied", out.argv0));
        out.flags.not_found = true;
        return out;
    }

    // The file actually executed when it is not argv0 itself.
    let mut real_file: Option<PathBuf> = None;
    if resolved.as_os_str() != OsStr::new(&out.argv0) {
        let same_name = Path::new(&out.argv0).file_name() == resolved.file_name();
        let mut new = resolved.clone();
        if !same_name {
            if let (Some(dir), Some(name)) = (resolved.parent(), Path::new(&out.argv0).file_name()) {
                let kept = dir.join(name);
                if same_file(&kept, &resolved) {
                    new = kept;
                    real_file = Some(resolved.clone());
                }
            }
        }
        if opts.use_symlink_paths {
            real_file = Some(resolved);
        } else {
            out.argv0 = new.to_string_lossy().into_owned();
        }
    }

    let target = real_file.as_deref().unwrap_or(Path::new(&out.argv0));
    let meta = match std::fs::metadata(target) {
        Ok(m) => m,
        Err(_) => {
            out.messages.push(format!("Unable to access script `{}` - disabling", out.argv0));
            out.flags.not_found = true;
            return out;
        }
    };
    out.flags.is_script = true;

    let mode = meta.permissions().mode();
    let mut need_protection = false;
    if is_executable(mode, meta.uid(), meta.gid(), creds.uid, creds.gid) {
        out.flags.executable = true;
        need_protection = creds.uid == 0
            || creds.gid == 0
            || (meta.uid() == 0 && mode & 0o100 != 0 && mode & 0o4000 != 0)
            || (meta.gid() == 0 && mode & 0o010 != 0 && mode & 0o2000 != 0);
    } else {
        out.messages.push(format!(
            "WARNING - script '{}' is not executable for uid:gid {}:{} - disabling.",
            out.argv0, creds.uid, creds.gid
        ));
    }

    if need_protection {
        let first = check_path_security(Path::new(&out.argv0), opts.script_security, &mut out.messages);
        out.flags = out.flags.union(first);
        if let Some(real) = &real_file {
            let second = check_path_security(real, opts.script_security, &mut out.messages);
            out.flags = out.flags.union(second);
        }
    }
    out
}

/// `</path` (spaces or tabs allowed after `<`): a shell redirection that
/// checks a file can be opened.
pub fn is_redirection(argv0: &str) -> bool {
    argv0.strip_prefix('<').is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with('/'))
}

/// Upstream's test on the mode bits: root needs any execute bit; the owner
/// the owner's; the group (primary gid only) the group's; others the
/// others'.
pub fn is_executable(mode: u32, file_uid: u32, file_gid: u32, uid: u32, gid: u32) -> bool {
    (uid == 0 && mode & 0o111 != 0)
        || (uid == file_uid && mode & 0o100 != 0)
        || (uid != file_uid && ((gid == file_gid && mode & 0o010 != 0) || (gid != file_gid && mode & 0o001 != 0)))
}

/// Whether a non-root user could change or replace the object: owned by
/// someone other than root, or (a regular file, or a directory without the
/// sticky bit) writable by a non-root group or by the world.
pub fn unsafe_permissions(mode: u32, uid: u32, gid: u32, is_dir: bool, is_file: bool) -> bool {
    uid != 0 || (((is_dir && mode & 0o1000 == 0) || is_file) && ((gid != 0 && mode & 0o020 != 0) || mode & 0o002 != 0))
}

/// Walks `path` from `/` to the file itself: every directory, then the file
/// (a regular file or a symlink), must be safe.
fn check_path_security(path: &Path, script_security: bool, messages: &mut Vec<String>) -> Flags {
    let mut flags = Flags::default();
    let shown = path.display().to_string();
    let prefixes = prefixes(path);
    let last = prefixes.len().saturating_sub(1);
    for (i, prefix) in prefixes.iter().enumerate() {
        let is_last = i == last;
        let meta = match std::fs::symlink_metadata(prefix) {
            Ok(m) => m,
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(0);
                if matches!(errno, libc::EACCES | libc::ELOOP | libc::ENOENT | libc::ENOTDIR) {
                    messages.push(format!("check_script_secure could not find script '{shown}' - disabling"));
                } else {
                    messages.push(format!(
                        "check_script_secure('{shown}') returned errno {errno} - {} - disabling",
                        strerror(&e)
                    ));
                }
                flags.not_found = true;
                return flags;
            }
        };
        let ft = meta.file_type();
        // A directory reached through a symlink (only with use_symlink_paths:
        // resolved paths have none): the link must be root's, and the
        // directory it leads to is what a user could write.
        let (meta, ft) = if !is_last && ft.is_symlink() && meta.uid() == 0 {
            match std::fs::metadata(prefix) {
                Ok(m) => {
                    let t = m.file_type();
                    (m, t)
                }
                Err(_) => (meta, ft),
            }
        } else {
            (meta, ft)
        };
        if (!is_last && !ft.is_dir()) || (is_last && !ft.is_file() && !ft.is_symlink()) {
            messages.push(format!("Wrong file type found in script path '{shown}'."));
            flags.inhibit = true;
            return flags;
        }
        let mode = meta.permissions().mode();
        if unsafe_permissions(mode, meta.uid(), meta.gid(), ft.is_dir(), ft.is_file()) {
            let disabling = if script_security { " - disabling" } else { "" };
            messages.push(format!("Unsafe permissions found for script '{shown}'{disabling}."));
            flags.insecure = true;
            flags.inhibit = script_security;
            return flags;
        }
    }
    flags
}

/// `/`, `/a`, `/a/b`, ... `path` (relative paths start at their first
/// component).
fn prefixes(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut cur = PathBuf::new();
    for c in path.components() {
        cur.push(c.as_os_str());
        if !matches!(c, Component::CurDir) {
            out.push(cur.clone());
        }
    }
    out
}

/// A bare name searched in `path_var` as execvp would, keeping a regular
/// file the script's user may execute. `Err(true)`: only files the user may
/// not execute were found.
fn find_in_path(name: &str, creds: &Credentials, path_var: &OsStr) -> Result<String, bool> {
    let mut denied = false;
    for dir in std::env::split_paths(path_var) {
        let candidate = if dir.as_os_str().is_empty() { PathBuf::from(name) } else { dir.join(name) };
        let Ok(meta) = std::fs::metadata(&candidate) else { continue };
        if meta.is_file() && is_executable(meta.permissions().mode(), meta.uid(), meta.gid(), creds.uid, creds.gid) {
            return Ok(candidate.to_string_lossy().into_owned());
        }
        denied = true;
    }
    Err(denied)
}

/// Whether every directory leading to `path` can be searched by `creds`.
fn searchable(path: &Path, creds: &Credentials) -> bool {
    if creds.uid == 0 {
        return true;
    }
    let mut dirs = prefixes(path);
    dirs.pop();
    dirs.iter().all(|d| match std::fs::metadata(d) {
        Ok(m) => {
            let mode = m.permissions().mode();
            if m.uid() == creds.uid {
                mode & 0o100 != 0
            } else if creds.gid == m.gid() || creds.groups.contains(&m.gid()) {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            }
        }
        // Left to the later checks, which report it with upstream's words.
        Err(_) => true,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// The C library's text for an error, without std's " (os error N)".
pub(crate) fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests;
