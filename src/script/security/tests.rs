//! The security check on real files in a temporary directory. These cases
//! hold whether the tests run as root or not: a file made by a non-root
//! user is owned by it, which the check finds unsafe for root as well.

use std::ffi::OsStr;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

/// A directory removed (with its contents) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let p =
            std::env::temp_dir().join(format!("kr-sec-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst)));
        std::fs::create_dir(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(p)
    }

    fn file(&self, name: &str, mode: u32) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const ROOT: Credentials = Credentials { uid: 0, gid: 0, groups: Vec::new() };

fn nobody() -> Credentials {
    Credentials::new(65534, 65534)
}

fn check(p: &Path, creds: &Credentials, script_security: bool) -> Checked {
    let opts = CheckOptions { script_security, use_symlink_paths: false };
    check_script_secure(p.to_str().unwrap(), creds, opts, None)
}

fn canonical(p: &Path) -> String {
    std::fs::canonicalize(p).unwrap().to_string_lossy().into_owned()
}

#[test]
fn a_root_owned_system_program_is_safe_for_root() {
    let c = check(Path::new("/bin/sh"), &ROOT, true);
    assert!(c.flags.runnable() && c.flags.is_script && c.flags.executable, "{c:?}");
    assert!(!c.flags.insecure && !c.flags.inhibit, "{c:?}");
    assert!(c.messages.is_empty(), "{:?}", c.messages);
    assert!(c.argv0.starts_with('/'));
}

#[test]
fn world_writable_script_run_as_root_is_refused_under_script_security() {
    let d = TempDir::new();
    let s = d.file("s.sh", 0o777);
    let shown = canonical(&s);

    let c = check(&s, &ROOT, true);
    assert!(c.flags.insecure && c.flags.inhibit && !c.flags.runnable(), "{c:?}");
    assert_eq!(c.messages, [format!("Unsafe permissions found for script '{shown}' - disabling.")]);

    // Without script security: upstream's warning, and it still runs.
    let c = check(&s, &ROOT, false);
    assert!(c.flags.insecure && !c.flags.inhibit && c.flags.runnable(), "{c:?}");
    assert_eq!(c.messages, [format!("Unsafe permissions found for script '{shown}'.")]);
}

#[test]
fn a_writable_directory_on_the_path_makes_the_script_unsafe() {
    let d = TempDir::new();
    let sub = d.0.join("open");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o777)).unwrap();
    let s = sub.join("s.sh");
    std::fs::write(&s, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).unwrap();
    let c = check(&s, &ROOT, true);
    assert!(c.flags.inhibit, "{c:?}");
    assert_eq!(c.messages, [format!("Unsafe permissions found for script '{}' - disabling.", canonical(&s))]);
}

#[test]
fn a_script_not_run_as_root_needs_no_protection() {
    let d = TempDir::new();
    let s = d.file("s.sh", 0o777);
    let c = check(&s, &nobody(), true);
    assert!(c.flags.runnable() && !c.flags.insecure, "{c:?}");
    assert!(c.messages.is_empty(), "{:?}", c.messages);
}

#[test]
fn setuid_root_programs_need_protection_for_anyone() {
    // Pure: the rule on the mode bits that decides it.
    assert!(is_executable(0o4755, 0, 0, 65534, 65534));
    let d = TempDir::new();
    let s = d.file("suid", 0o4777);
    let c = check(&s, &nobody(), true);
    // Owned by root (tests as root): set-uid root, world writable. Owned by
    // another user: not set-uid *root*, so no protection is needed.
    let root_owned = std::fs::metadata(&s).unwrap().uid() == 0;
    assert_eq!(c.flags.inhibit, root_owned, "{c:?}");
}

#[test]
fn not_executable_for_its_user() {
    let d = TempDir::new();
    let s = d.file("s.sh", 0o644);
    let c = check(&s, &ROOT, false);
    assert!(c.flags.is_script && !c.flags.executable && !c.flags.runnable(), "{c:?}");
    assert_eq!(
        c.messages,
        [format!("WARNING - script '{}' is not executable for uid:gid 0:0 - disabling.", canonical(&s))]
    );
}

#[test]
fn missing_and_inaccessible_scripts() {
    let c = check(Path::new("/nonexistent/kr/s.sh"), &ROOT, true);
    assert!(c.flags.not_found && !c.flags.is_script, "{c:?}");
    assert_eq!(c.messages, ["Script /nonexistent/kr/s.sh cannot be accessed - No such file or directory"]);

    // A directory its user cannot search (a user that is not us).
    let d = TempDir::new();
    let s = d.file("s.sh", 0o755);
    std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    let c = check(&s, &Credentials::new(54321, 54321), false);
    assert!(c.flags.not_found, "{c:?}");
    assert_eq!(c.messages, [format!("Script {} cannot be accessed - Permission denied", s.display())]);
}

#[test]
fn a_directory_is_the_wrong_file_type() {
    let d = TempDir::new();
    let sub = d.0.join("dir");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let c = check(&sub, &ROOT, false);
    let root_owned = std::fs::metadata(&d.0).unwrap().uid() == 0;
    if root_owned {
        assert!(c.flags.inhibit, "{c:?}");
        assert_eq!(c.messages, [format!("Wrong file type found in script path '{}'.", canonical(&sub))]);
    } else {
        // Our own temporary directory is found unsafe before its type.
        assert!(c.flags.insecure, "{c:?}");
    }
}

#[test]
fn bare_names_are_searched_in_path() {
    let d = TempDir::new();
    let s = d.file("kr-test-prog", 0o755);
    let path_var = format!("/nonexistent:{}", d.0.display());
    let opts = CheckOptions::default();
    let c = check_script_secure("kr-test-prog", &nobody(), opts, Some(OsStr::new(&path_var)));
    assert!(c.flags.runnable(), "{c:?}");
    assert_eq!(
        c.messages[0],
        format!(
            "WARNING - script `kr-test-prog` resolved by path search to `{}`. Please specify full path.",
            s.display()
        )
    );
    assert_eq!(c.argv0, canonical(&s));

    let c = check_script_secure("kr-no-such-prog", &nobody(), opts, Some(OsStr::new(&path_var)));
    assert!(c.flags.not_found);
    assert_eq!(c.messages, ["Cannot find script kr-no-such-prog in path - disabling"]);

    d.file("kr-not-exec", 0o644);
    let c = check_script_secure("kr-not-exec", &nobody(), opts, Some(OsStr::new(&path_var)));
    assert_eq!(c.messages, ["Permissions failure for script kr-not-exec in path - disabling"]);
}

#[test]
fn symlinks_are_resolved_keeping_the_name_when_it_is_the_same_file() {
    let d = TempDir::new();
    let real = d.file("real.sh", 0o755);
    let same_dir = d.0.join("alias");
    symlink("real.sh", &same_dir).unwrap();
    let other = d.0.join("sub");
    std::fs::create_dir(&other).unwrap();
    let far = other.join("far.sh");
    symlink(&real, &far).unwrap();

    // alias -> real.sh in the same directory: the name `alias` is kept.
    let c = check(&same_dir, &nobody(), false);
    assert_eq!(c.argv0, format!("{}/alias", canonical(&d.0)));
    // sub/far.sh -> ../real.sh: there is no real.sh-named far.sh, so the real path.
    let c = check(&far, &nobody(), false);
    assert_eq!(c.argv0, canonical(&real));
    // use_symlink_paths: as written.
    let opts = CheckOptions { script_security: false, use_symlink_paths: true };
    let c = check_script_secure(far.to_str().unwrap(), &nobody(), opts, None);
    assert_eq!(c.argv0, far.to_str().unwrap());
}

#[test]
fn redirections_are_not_checked() {
    for r in ["</dev/tcp/127.0.0.1/80", "< /etc/hostname", "<\t/x"] {
        let c = check_script_secure(r, &ROOT, CheckOptions::default(), None);
        assert!(c.flags.system && c.flags.runnable() && c.messages.is_empty(), "{r}: {c:?}");
        assert_eq!(c.argv0, r);
    }
    assert!(!is_redirection("<notapath"));
}

#[test]
fn upstream_mode_rules() {
    // is_executable(mode, file uid, file gid, uid, gid)
    assert!(is_executable(0o001, 5, 5, 0, 0), "root needs any x bit");
    assert!(!is_executable(0o644, 5, 5, 0, 0));
    assert!(is_executable(0o100, 7, 7, 7, 9), "owner");
    assert!(!is_executable(0o011, 7, 7, 7, 9), "owner needs the owner bit");
    assert!(is_executable(0o010, 7, 8, 9, 8), "group");
    assert!(!is_executable(0o001, 7, 8, 9, 8), "same group needs the group bit");
    assert!(is_executable(0o001, 7, 8, 9, 9), "other");

    // unsafe_permissions(mode, uid, gid, is_dir, is_file)
    assert!(!unsafe_permissions(0o755, 0, 0, false, true));
    assert!(unsafe_permissions(0o755, 1000, 0, false, true), "owner not root");
    assert!(unsafe_permissions(0o775, 0, 100, false, true), "non-root group may write");
    assert!(!unsafe_permissions(0o775, 0, 0, false, true), "root group may write");
    assert!(unsafe_permissions(0o757, 0, 0, true, false), "world-writable directory");
    assert!(!unsafe_permissions(0o1777, 0, 0, true, false), "sticky directory (/tmp)");
    assert!(unsafe_permissions(0o1777, 0, 0, false, true), "a file's sticky bit does not help");
    assert!(!unsafe_permissions(0o777, 0, 0, false, false), "a root-owned symlink");
}
