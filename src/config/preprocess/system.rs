//! Gathering, from the running system, the facts [`Options`] carries. Only the
//! binary calls this: the preprocessor itself never reads the system (other
//! than the configuration files).

use std::path::Path;

use super::Options;

impl Options {
    /// The options keepalived itself would use: the config id given with
    /// `-i/--config-id` or else [`host_config_id`], the process environment
    /// (for `${_ENV}`), the current directory (for `${_PWD}`), a seed for
    /// `${_RANDOM}` taken from the clock, and `-e/--all-config`.
    pub fn from_system(config_id: Option<String>, all_config: bool) -> Options {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() ^ u64::from(d.subsec_nanos()))
            .unwrap_or(0);
        Options {
            config_id: config_id.or_else(host_config_id),
            env: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            random_seed: seed,
            cwd: std::env::current_dir().ok(),
            all_config,
        }
    }
}

/// keepalived's default config id: the node name (as uname reports it) up to
/// its first dot.
pub fn host_config_id() -> Option<String> {
    let name = std::fs::read_to_string(Path::new("/proc/sys/kernel/hostname")).ok()?;
    first_label(&name)
}

fn first_label(name: &str) -> Option<String> {
    let label = name.trim().split('.').next()?.to_owned();
    (!label.is_empty()).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_id_is_the_first_label() {
        assert_eq!(first_label("lb1.example.com\n"), Some("lb1".to_owned()));
        assert_eq!(first_label("lb1"), Some("lb1".to_owned()));
        assert_eq!(first_label(".x"), None);
        let o = Options::from_system(Some("main".into()), true);
        assert_eq!(o.config_id.as_deref(), Some("main"));
        assert!(o.all_config && o.cwd.is_some());
    }
}
