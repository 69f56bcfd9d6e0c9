//! The uid:gid keepalived shows beside each script in its dumps, looked up
//! in /etc/passwd and /etc/group (read when a dump is written: users may be
//! added while keepalived runs).

use crate::config::model::Script;
use crate::config::model::global::ScriptUser;

/// Who scripts run as.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Users {
    /// `(name, uid, primary gid)` from the passwd file.
    users: Vec<(String, u32, u32)>,
    /// `(name, gid)` from the group file.
    groups: Vec<(String, u32)>,
    /// The default user of scripts: global_defs `script_user`, else
    /// `keepalived_script` when it exists, else root.
    default: (u32, u32),
    /// global_defs `use_symlink_paths`: show script paths as written.
    keep_symlinks: bool,
}

impl Users {
    /// From the system's files, with `script_user` and `use_symlink_paths`
    /// from global_defs.
    pub(crate) fn system(script_user: Option<&ScriptUser>, keep_symlinks: bool) -> Users {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let mut u = Users::from_files(&read("/etc/passwd"), &read("/etc/group"), script_user);
        u.keep_symlinks = keep_symlinks;
        u
    }

    /// A script's command line as keepalived shows it: the program's real
    /// path (symbolic links resolved unless `use_symlink_paths`, a bare name
    /// looked up on PATH), each word quoted.
    pub(crate) fn cmd(&self, script: &Script) -> String {
        let mut argv = script.argv.clone();
        if let Some(prog) = argv.first_mut() {
            *prog = self.program_path(prog);
        }
        super::cmd_str(&argv)
    }

    fn program_path(&self, prog: &str) -> String {
        if prog.starts_with('<') || prog.starts_with('>') {
            return prog.to_owned();
        }
        let found = if prog.contains('/') {
            Some(std::path::PathBuf::from(prog))
        } else {
            std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(prog)).find(|f| f.is_file()))
        };
        match found {
            Some(p) if self.keep_symlinks => p.to_string_lossy().into_owned(),
            Some(p) => std::fs::canonicalize(&p).unwrap_or(p).to_string_lossy().into_owned(),
            None => prog.to_owned(),
        }
    }

    /// From the text of a passwd and a group file.
    pub(crate) fn from_files(passwd: &str, group: &str, script_user: Option<&ScriptUser>) -> Users {
        let users = passwd
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                Some((f.first()?.to_string(), f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                Some((f.first()?.to_string(), f.get(2)?.parse().ok()?))
            })
            .collect();
        let mut u = Users { users, groups, default: (0, 0), keep_symlinks: false };
        u.default = match script_user {
            Some(su) => u.resolve(&su.user, su.group.as_deref()).unwrap_or((0, 0)),
            None => u.resolve("keepalived_script", None).unwrap_or((0, 0)),
        };
        u
    }

    /// `user [group]` by name or number; the user's own group without one.
    pub(crate) fn resolve(&self, user: &str, group: Option<&str>) -> Option<(u32, u32)> {
        let (uid, gid) = match self.users.iter().find(|(n, _, _)| n == user) {
            Some((_, uid, gid)) => (*uid, *gid),
            None => {
                let uid: u32 = user.parse().ok()?;
                (uid, self.users.iter().find(|(_, u, _)| *u == uid).map_or(uid, |(_, _, g)| *g))
            }
        };
        let gid = match group {
            None => gid,
            Some(g) => match self.groups.iter().find(|(n, _)| n == g) {
                Some((_, gid)) => *gid,
                None => g.parse().ok()?,
            },
        };
        Some((uid, gid))
    }

    /// The default user of scripts.
    pub(crate) fn default_ids(&self) -> (u32, u32) {
        self.default
    }

    /// Who `script` runs as: its own user, else the default.
    pub(crate) fn script_ids(&self, script: &Script) -> (u32, u32) {
        match &script.user {
            Some(u) => self.resolve(u, script.group.as_deref()).unwrap_or(self.default),
            None => self.default,
        }
    }

    /// The owner of a notify FIFO: its user and group, else the default.
    pub(crate) fn fifo_ids(&self, user: Option<&str>, group: Option<&str>) -> (u32, u32) {
        match user {
            Some(u) => self.resolve(u, group).unwrap_or(self.default),
            None => self.default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\n\
                          keepalived_script:x:998:997::/:/usr/sbin/nologin\n";
    const GROUP: &str = "root:x:0:\nnogroup:x:65534:\nadm:x:4:\n";

    #[test]
    fn default_user_is_keepalived_script_when_it_exists_else_root() {
        assert_eq!(Users::from_files(PASSWD, GROUP, None).default_ids(), (998, 997));
        assert_eq!(Users::from_files("root:x:0:0::/:/bin/sh\n", GROUP, None).default_ids(), (0, 0));
    }

    #[test]
    fn script_users_and_groups_by_name_or_number() {
        let su = ScriptUser {
            user: "nobody".into(),
            group: Some("adm".into()),
            supplementary_groups: false,
            span: Default::default(),
        };
        let u = Users::from_files(PASSWD, GROUP, Some(&su));
        assert_eq!(u.default_ids(), (65534, 4));
        let s = Script { argv: vec!["/x".into()], user: Some("root".into()), ..Script::default() };
        assert_eq!(u.script_ids(&s), (0, 0));
        assert_eq!(u.resolve("1234", Some("5")), Some((1234, 5)));
        assert_eq!(u.resolve("nosuch", None), None);
        assert_eq!(u.fifo_ids(None, None), (65534, 4));
    }
}
