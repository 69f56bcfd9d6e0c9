//! Who a script runs as: users and groups from the passwd and group
//! databases.
//!
//! Upstream asks NSS (`getpwnam_r`, `getgrnam_r`). Our binaries are static,
//! and a static glibc can only use NSS by loading the shared modules of the
//! exact glibc it was built with; so we read the `files` source,
//! `/etc/passwd` and `/etc/group`, where `keepalived_script`, `nobody` and
//! every system account live. A user known only to another NSS source (LDAP,
//! sssd, systemd's dynamic users) is not found, and is reported as upstream
//! reports a user that does not exist. Lookups are by name only, as with
//! `getpwnam`: a numeric "user" is a name like any other.

use std::path::Path;

/// The ids a script runs with: applied in the child before exec as
/// `setgroups(groups)`, `setgid(gid)`, `setuid(uid)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// The supplementary group list: `[gid]` unless the user's supplementary
    /// groups were asked for (`user NAME :GROUP`, `set_supplementary_groups`).
    pub groups: Vec<u32>,
}

impl Credentials {
    /// `uid`/`gid` with the supplementary list upstream sets by default
    /// (`setgroups(1, &gid)`).
    pub fn new(uid: u32, gid: u32) -> Self {
        Credentials { uid, gid, groups: vec![gid] }
    }

    /// This process's effective ids: what scripts run as when no user is
    /// configured and `keepalived_script` does not exist.
    pub fn ours() -> Self {
        let (uid, gid) = crate::sys::effective_ids();
        Credentials::new(uid, gid)
    }
}

/// Why a script's user or group cannot be used (upstream's wording).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("Script user '{0}' does not exist")]
    NoSuchUser(String),
    #[error("Script group '{0}' does not exist")]
    NoSuchGroup(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct User {
    name: String,
    uid: u32,
    gid: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: String,
    gid: u32,
    members: Vec<String>,
}

/// The passwd and group databases, read once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Accounts {
    users: Vec<User>,
    groups: Vec<Group>,
}

impl Accounts {
    /// Reads `/etc/passwd` and `/etc/group`. A file that cannot be read
    /// counts as empty (every lookup then fails with upstream's message).
    pub fn system() -> Self {
        Self::from_files(Path::new("/etc/passwd"), Path::new("/etc/group"))
    }

    /// Reads the two databases from the given files.
    pub fn from_files(passwd: &Path, group: &Path) -> Self {
        let passwd = std::fs::read_to_string(passwd).unwrap_or_default();
        let group = std::fs::read_to_string(group).unwrap_or_default();
        Self::parse(&passwd, &group)
    }

    /// Parses the two databases: `name:password:uid:gid:gecos:home:shell`
    /// and `name:password:gid:member,member`. Comments, NIS compat lines
    /// (`+`, `-`) and malformed lines are skipped; the first entry of a
    /// name wins, as with the `files` source.
    pub fn parse(passwd: &str, group: &str) -> Self {
        let users = records(passwd)
            .filter_map(|f| {
                let (name, uid, gid) = (f.first()?, f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?);
                Some(User { name: (*name).to_owned(), uid, gid })
            })
            .collect();
        let groups = records(group)
            .filter_map(|f| {
                let (name, gid) = (f.first()?, f.get(2)?.parse().ok()?);
                let members = f
                    .get(3)
                    .map(|m| m.split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect())
                    .unwrap_or_default();
                Some(Group { name: (*name).to_owned(), gid, members })
            })
            .collect();
        Accounts { users, groups }
    }

    /// `(uid, primary gid)` of user `name`.
    pub fn user(&self, name: &str) -> Option<(u32, u32)> {
        self.users.iter().find(|u| u.name == name).map(|u| (u.uid, u.gid))
    }

    /// The gid of group `name`.
    pub fn group(&self, name: &str) -> Option<u32> {
        self.groups.iter().find(|g| g.name == name).map(|g| g.gid)
    }

    /// What `initgroups(user, gid)` sets: `gid`, then every group that lists
    /// `user` as a member, each once.
    pub fn supplementary_groups(&self, user: &str, gid: u32) -> Vec<u32> {
        let mut out = vec![gid];
        for g in self.groups.iter().filter(|g| g.members.iter().any(|m| m == user)) {
            if !out.contains(&g.gid) {
                out.push(g.gid);
            }
        }
        out
    }

    /// The credentials of `user [group]`: the group defaults to the user's
    /// primary group; `supplementary` adds the user's supplementary groups
    /// (the `:` before a group name, or `set_supplementary_groups`).
    pub fn credentials(
        &self,
        user: &str,
        group: Option<&str>,
        supplementary: bool,
    ) -> Result<Credentials, AccountError> {
        let (uid, primary) = self.user(user).ok_or_else(|| AccountError::NoSuchUser(user.to_owned()))?;
        let gid = match group {
            Some(g) => self.group(g).ok_or_else(|| AccountError::NoSuchGroup(g.to_owned()))?,
            None => primary,
        };
        let groups = if supplementary { self.supplementary_groups(user, gid) } else { vec![gid] };
        Ok(Credentials { uid, gid, groups })
    }
}

/// The colon-separated fields of each meaningful line.
fn records(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', '+', '-']))
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(|f| f.len() >= 3 && !f[0].is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/bash
# a comment
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
keepalived_script:x:998:997::/nonexistent:/usr/sbin/nologin
broken:x:notanumber:1::/:/bin/false
+nisuser::::::
nobody:x:1:1:second entry loses:/:/bin/false
";
    const GROUP: &str = "\
root:x:0:
nogroup:x:65534:
keepalived_script:x:997:
adm:x:4:syslog,keepalived_script
web:x:33: keepalived_script , other
empty:x:50:
";

    fn accounts() -> Accounts {
        Accounts::parse(PASSWD, GROUP)
    }

    #[test]
    fn users_and_groups_by_name() {
        let a = accounts();
        assert_eq!(a.user("root"), Some((0, 0)));
        assert_eq!(a.user("nobody"), Some((65534, 65534)), "the first entry of a name wins");
        assert_eq!(a.user("broken"), None);
        assert_eq!(a.user("+nisuser"), None);
        assert_eq!(a.user("0"), None, "names only, as getpwnam");
        assert_eq!(a.group("adm"), Some(4));
        assert_eq!(a.group("missing"), None);
    }

    #[test]
    fn credentials_default_to_the_primary_group_alone() {
        let a = accounts();
        assert_eq!(a.credentials("keepalived_script", None, false), Ok(Credentials::new(998, 997)));
        assert_eq!(
            a.credentials("nobody", Some("adm"), false),
            Ok(Credentials { uid: 65534, gid: 4, groups: vec![4] })
        );
    }

    #[test]
    fn supplementary_groups_as_initgroups() {
        let a = accounts();
        assert_eq!(
            a.credentials("keepalived_script", None, true),
            Ok(Credentials { uid: 998, gid: 997, groups: vec![997, 4, 33] })
        );
        assert_eq!(
            a.credentials("keepalived_script", Some("adm"), true),
            Ok(Credentials { uid: 998, gid: 4, groups: vec![4, 33] })
        );
    }

    #[test]
    fn unknown_user_or_group_with_upstream_wording() {
        let a = accounts();
        let e = a.credentials("bogus", None, false).unwrap_err();
        assert_eq!(e, AccountError::NoSuchUser("bogus".into()));
        assert_eq!(e.to_string(), "Script user 'bogus' does not exist");
        let e = a.credentials("nobody", Some("bogusgrp"), false).unwrap_err();
        assert_eq!(e.to_string(), "Script group 'bogusgrp' does not exist");
    }

    #[test]
    fn the_system_databases_know_root() {
        assert_eq!(Accounts::system().user("root"), Some((0, 0)));
    }
}
