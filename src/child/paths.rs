//! Where dump files go (`keepalived.data`, `.stats`, `.json` and the
//! per-process variants): keepalived.conf(5)'s `*_file_location`, the tmp
//! dir and `data_use_instance`.

use std::path::{Path, PathBuf};

/// global_defs `data_use_instance`: `.NAMESPACE_INSTANCE` (either part
/// alone when the other is unset) goes before the extension of a .data file,
/// so that several keepalived on one machine do not overwrite each other's
/// (keepalived 2.2.7 writes `keepalived.blue_lb1.data`).
pub(crate) fn with_instance(path: &Path, namespace: Option<&str>, instance: Option<&str>) -> PathBuf {
    let tag: Vec<&str> = [namespace, instance].into_iter().flatten().filter(|s| !s.is_empty()).collect();
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return path.to_path_buf();
    };
    if tag.is_empty() {
        return path.to_path_buf();
    }
    let tag = tag.join("_");
    let new = match name.rfind('.').filter(|i| *i > 0) {
        Some(i) => format!("{}.{tag}{}", name.get(..i).unwrap_or(&name), name.get(i..).unwrap_or("")),
        None => format!("{name}.{tag}"),
    };
    path.with_file_name(new)
}

/// keepalived's KA_TMP_DIR: where dump files go by default.
pub(crate) const TMP_DIR: &str = "/tmp";

/// Where dump files go by default: `$TMPDIR` when it names a directory, as
/// keepalived does (2.2.7 writes keepalived.data there too), else [`TMP_DIR`].
pub(crate) fn tmp_dir() -> PathBuf {
    match std::env::var_os("TMPDIR").map(PathBuf::from) {
        Some(dir) if dir.is_dir() => dir,
        _ => PathBuf::from(TMP_DIR),
    }
}

/// Where a dump file goes (keepalived.conf(5), `state_file_location` and
/// friends): without a location, `default_name` in the tmp dir; a location
/// ending in `/` is a directory for `default_name`; any other location is
/// the file itself, a template into which a process other than VRRP puts its
/// `suffix` (`_checker`, `_bfd`, `_parent`) before the extension.
pub(crate) fn dump_path(location: Option<&str>, default_name: &str, suffix: &str) -> PathBuf {
    let Some(loc) = location.filter(|l| !l.is_empty()) else {
        return tmp_dir().join(default_name);
    };
    if loc.ends_with('/') {
        return PathBuf::from(loc).join(default_name);
    }
    if suffix.is_empty() {
        return PathBuf::from(loc);
    }
    let (dir, base) = match loc.rsplit_once('/') {
        Some((d, b)) => (Some(d), b),
        None => (None, loc),
    };
    // A leading dot (".data") is part of the name, not an extension.
    let name = match base.rfind('.').filter(|i| *i > 0) {
        Some(i) => format!("{}{suffix}{}", base.get(..i).unwrap_or(base), base.get(i..).unwrap_or("")),
        None => format!("{base}{suffix}"),
    };
    match dir {
        Some(d) => PathBuf::from(format!("{d}/{name}")),
        None => PathBuf::from(name),
    }
}

#[cfg(test)]
mod tests {
    use super::{dump_path, tmp_dir, with_instance};
    use std::path::{Path, PathBuf};

    #[test]
    fn data_use_instance_names() {
        let p = Path::new("/tmp/keepalived.data");
        assert_eq!(with_instance(p, None, Some("kri")), PathBuf::from("/tmp/keepalived.kri.data"));
        assert_eq!(with_instance(p, Some("blue"), Some("kri")), PathBuf::from("/tmp/keepalived.blue_kri.data"));
        assert_eq!(with_instance(p, Some("blue"), None), PathBuf::from("/tmp/keepalived.blue.data"));
        assert_eq!(with_instance(p, None, None), PathBuf::from("/tmp/keepalived.data"));
        assert_eq!(with_instance(Path::new("/x/state"), None, Some("k")), PathBuf::from("/x/state.k"));
    }

    #[test]
    fn dump_file_locations() {
        let p = |l: Option<&str>, n: &str, s: &str| dump_path(l, n, s);
        assert_eq!(p(None, "keepalived.data", ""), tmp_dir().join("keepalived.data"));
        assert_eq!(p(Some("/var/run/ka/"), "keepalived.stats", ""), PathBuf::from("/var/run/ka/keepalived.stats"));
        assert_eq!(
            p(Some("/var/run/ka/"), "keepalived_check.data", "_checker"),
            PathBuf::from("/var/run/ka/keepalived_check.data")
        );
        assert_eq!(p(Some("/x/state.txt"), "keepalived.data", ""), PathBuf::from("/x/state.txt"));
        assert_eq!(p(Some("/x/state.txt"), "keepalived_check.data", "_checker"), PathBuf::from("/x/state_checker.txt"));
        assert_eq!(p(Some("/x.d/state"), "keepalived_parent.data", "_parent"), PathBuf::from("/x.d/state_parent"));
        assert_eq!(p(Some("/x/.state"), "keepalived_bfd.data", "_bfd"), PathBuf::from("/x/.state_bfd"));
        assert_eq!(p(Some("rel.data"), "keepalived_bfd.data", "_bfd"), PathBuf::from("rel_bfd.data"));
    }
}
