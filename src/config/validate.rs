//! Whole-configuration checks that need facts about the machine.

use std::collections::BTreeSet;

/// What validation may know about the machine, gathered by the caller so that
/// validation itself stays pure.
#[derive(Clone, Debug, Default)]
pub struct SystemView {
    /// Names of the network interfaces that exist.
    pub interfaces: BTreeSet<String>,
    /// Whether the interface list is known (false: do not report missing interfaces).
    pub interfaces_known: bool,
    /// Interfaces stacked on another (a macvlan, a VLAN: /sys/class/net/IF/lower_*),
    /// which may be the private macvlan of a `use_vmac` name.
    pub stacked: BTreeSet<String>,
    /// The user and group names of the machine (/etc/passwd, /etc/group).
    pub users: BTreeSet<String>,
    pub groups: BTreeSet<String>,
    /// Whether the accounts are known (false: every user and group exists).
    pub accounts_known: bool,
    /// Resolves a host name as keepalived does when it reads an address that
    /// may be a name (`smtp_server`); `None`: every name resolves.
    pub resolver: Option<fn(&str) -> bool>,
}

impl SystemView {
    /// Reads the interfaces of the current network namespace from
    /// /sys/class/net and the accounts from /etc/passwd and /etc/group;
    /// host names are resolved with the system's resolver.
    pub fn probe() -> Self {
        let mut v = match std::fs::read_dir("/sys/class/net") {
            Ok(dir) => {
                let interfaces: BTreeSet<String> =
                    dir.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
                let stacked = interfaces
                    .iter()
                    .filter(|i| {
                        std::fs::read_dir(std::path::Path::new("/sys/class/net").join(i)).is_ok_and(|d| {
                            d.filter_map(|e| e.ok()).any(|e| e.file_name().to_string_lossy().starts_with("lower_"))
                        })
                    })
                    .cloned()
                    .collect();
                SystemView { interfaces, interfaces_known: true, stacked, ..SystemView::default() }
            }
            Err(_) => SystemView::default(),
        };
        if let (Ok(passwd), Ok(group)) = (std::fs::read_to_string("/etc/passwd"), std::fs::read_to_string("/etc/group"))
        {
            v.users = account_names(&passwd);
            v.groups = account_names(&group);
            v.accounts_known = true;
        }
        v.resolver = Some(resolves);
        v
    }

    /// Whether interface `name` exists (true when unknown).
    pub fn has_interface(&self, name: &str) -> bool {
        !self.interfaces_known || self.interfaces.contains(name)
    }

    /// Whether `name` is an interface that cannot be the private macvlan of a
    /// `use_vmac` (false when unknown).
    pub fn is_plain_interface(&self, name: &str) -> bool {
        self.interfaces_known && self.interfaces.contains(name) && !self.stacked.contains(name)
    }

    /// Whether user `name` exists (true when unknown).
    pub fn has_user(&self, name: &str) -> bool {
        !self.accounts_known || self.users.contains(name)
    }

    /// Whether group `name` exists (true when unknown).
    pub fn has_group(&self, name: &str) -> bool {
        !self.accounts_known || self.groups.contains(name)
    }

    /// Whether host `name` resolves (true without a resolver).
    pub fn resolves(&self, name: &str) -> bool {
        self.resolver.is_none_or(|r| r(name))
    }
}

/// The first field of each line of a passwd or group file.
fn account_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split(':').next())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `name` resolves to an address (the system resolver, as
/// keepalived's getaddrinfo).
fn resolves(name: &str) -> bool {
    use std::net::ToSocketAddrs;
    (name, 0u16).to_socket_addrs().is_ok_and(|mut a| a.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_files_are_read_by_their_first_field() {
        let names = account_names(
            "root:x:0:0:root:/root:/bin/bash\n# comment\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n\n",
        );
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["root", "www-data"]);
    }

    #[test]
    fn unknown_facts_are_taken_as_present() {
        let v = SystemView::default();
        assert!(v.has_user("nobody-here") && v.has_group("none") && v.resolves("no.such.host"));
    }
}
