//! From a configured script to a [`Program`] ready to run: its credentials
//! (its own `user`, else the default script user) and its security check.
//!
//! Done once per script when a configuration is loaded, by the process that
//! runs it, as upstream does. The default user, as upstream resolves it:
//! - `script_user USER [[:]GROUP]` when given; if it cannot be resolved,
//!   "Error setting global script uid/gid" (a configuration error), and every
//!   script without its own user is refused.
//! - else `keepalived_script` if that user exists, else this process's own
//!   ids (root), except under `enable_script_security`, where a missing
//!   `keepalived_script` is the configuration error "Unable to set default
//!   user keepalived_script for script" and those scripts are refused.
//!
//! The default is resolved only when a script needs it, so its messages
//! appear only then.

use std::ffi::OsString;
use std::sync::Arc;

use super::account::{AccountError, Accounts, Credentials};
use super::security::{CheckOptions, Flags, check_script_secure};
use crate::config::model::Script;
use crate::config::model::global::GlobalConfig;

/// The user scripts run as when `script_user` is not given and it exists.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// A checked script: what to execute and as whom. Shared (`Arc`) between
/// the configuration and every run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The program (resolved path) and its configured arguments; a `</path`
    /// redirection when `shell` is set.
    pub argv: Vec<String>,
    pub creds: Credentials,
    /// Run as `/bin/sh -c` with upstream's quoting (the `</path` form).
    pub shell: bool,
}

impl Program {
    /// A program run as `creds` without any check (for callers that checked
    /// it themselves, and tests).
    pub fn unchecked(argv: Vec<String>, creds: Credentials) -> Self {
        let shell = argv.first().is_some_and(|a| super::security::is_redirection(a));
        Program { argv, creds, shell }
    }

    /// The command line as upstream shows it (`cmd_str`): every word in
    /// single quotes, except a leading redirection.
    pub fn command_line(&self) -> String {
        command_line(&self.argv)
    }
}

/// Upstream's `cmd_str`: the words joined by spaces, each in single quotes
/// except a first word starting with `<` or `>`.
pub fn command_line(argv: &[String]) -> String {
    let mut s = String::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        if i == 0 && a.starts_with(['<', '>']) {
            s.push_str(a);
        } else {
            s.push('\'');
            s.push_str(a);
            s.push('\'');
        }
    }
    s
}

/// A line to log while preparing scripts, with upstream's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    /// A configuration error (counts for `-t`), not only a log line.
    pub config_error: bool,
}

/// Why a script will not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Its own `user`/`group` does not resolve.
    #[error("{0}")]
    User(AccountError),
    /// It needs the default user, which could not be set.
    #[error("no default script user")]
    NoDefaultUser,
    /// Insecure under `enable_script_security`, or a wrong file type on
    /// its path.
    #[error("insecure")]
    Insecure,
    /// Not found, not accessible, or not executable by its user.
    #[error("not found/accessible")]
    NotFound,
    /// An empty command.
    #[error("empty script")]
    Empty,
}

/// The `global_defs` settings that govern scripts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptPolicy {
    pub script_security: bool,
    pub use_symlink_paths: bool,
    pub set_supplementary_groups: bool,
    /// `script_user USER [GROUP]` and its `:` (supplementary groups).
    pub script_user: Option<(String, Option<String>, bool)>,
}

impl ScriptPolicy {
    /// The settings of a loaded configuration.
    pub fn from_global(g: &GlobalConfig) -> Self {
        ScriptPolicy {
            script_security: g.enable_script_security,
            use_symlink_paths: g.use_symlink_paths,
            set_supplementary_groups: g.set_supplementary_groups,
            script_user: g.script_user.as_ref().map(|u| (u.user.clone(), u.group.clone(), u.supplementary_groups)),
        }
    }
}

/// Prepares the scripts of one configuration.
#[derive(Debug)]
pub struct Preparer {
    policy: ScriptPolicy,
    accounts: Accounts,
    ours: Credentials,
    path: Option<OsString>,
    default: Option<Option<Credentials>>,
    flags: Flags,
    messages: Vec<Message>,
}

impl Preparer {
    /// For this process: the system's accounts, our own ids and `PATH`.
    pub fn new(policy: ScriptPolicy) -> Self {
        Self::with(policy, Accounts::system(), Credentials::ours(), std::env::var_os("PATH"))
    }

    /// With the given accounts, own ids and `PATH` (tests).
    pub fn with(policy: ScriptPolicy, accounts: Accounts, ours: Credentials, path: Option<OsString>) -> Self {
        Preparer { policy, accounts, ours, path, default: None, flags: Flags::default(), messages: Vec::new() }
    }

    /// The default script user, resolved on first use.
    pub fn default_credentials(&mut self) -> Option<Credentials> {
        if let Some(d) = &self.default {
            return d.clone();
        }
        let supplementary_default = self.policy.set_supplementary_groups;
        let resolved = match self.policy.script_user.clone() {
            Some((user, group, supp)) => {
                match self.accounts.credentials(&user, group.as_deref(), supp || supplementary_default) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        self.log(e.to_string());
                        self.config_error("Error setting global script uid/gid".into());
                        None
                    }
                }
            }
            None => match self.accounts.credentials(DEFAULT_SCRIPT_USER, None, supplementary_default) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.log(e.to_string());
                    if self.policy.script_security {
                        self.config_error(format!("Unable to set default user {DEFAULT_SCRIPT_USER} for script"));
                        None
                    } else {
                        Some(self.ours.clone())
                    }
                }
            },
        };
        self.default = Some(resolved.clone());
        resolved
    }

    /// The credentials `script` runs with.
    pub fn credentials(&mut self, script: &Script) -> Result<Credentials, Refusal> {
        match &script.user {
            Some(user) => {
                let supp = script.supplementary_groups || self.policy.set_supplementary_groups;
                self.accounts.credentials(user, script.group.as_deref(), supp).map_err(|e| {
                    self.log(e.to_string());
                    Refusal::User(e)
                })
            }
            None => self.default_credentials().ok_or(Refusal::NoDefaultUser),
        }
    }

    /// Resolves and checks `script`; the checks' log lines are kept in
    /// [`Preparer::take_messages`].
    pub fn prepare(&mut self, script: &Script) -> Result<Arc<Program>, Refusal> {
        let Some(first) = script.argv.first() else { return Err(Refusal::Empty) };
        let creds = self.credentials(script)?;
        let opts = CheckOptions {
            script_security: self.policy.script_security,
            use_symlink_paths: self.policy.use_symlink_paths,
        };
        let checked = check_script_secure(first, &creds, opts, self.path.as_deref());
        for m in checked.messages {
            self.log(m);
        }
        self.flags = self.flags.union(checked.flags);
        let f = checked.flags;
        if f.inhibit {
            return Err(Refusal::Insecure);
        }
        if !f.runnable() {
            return Err(Refusal::NotFound);
        }
        let mut argv = script.argv.clone();
        argv[0] = checked.argv0;
        Ok(Arc::new(Program { argv, creds, shell: f.system }))
    }

    /// The flags of every script checked so far.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// Upstream's summary once the scripts of a configuration are checked:
    /// scripts will run without `enable_script_security` (a security
    /// configuration error).
    pub fn security_summary(&self) -> Option<String> {
        (!self.policy.script_security && self.flags.is_script).then(|| {
            let insecure = if self.flags.insecure { " There are insecure scripts." } else { "" };
            format!("SECURITY VIOLATION - scripts are being executed but script_security not enabled.{insecure}")
        })
    }

    /// The lines logged so far, in order, emptying the list.
    pub fn take_messages(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.messages)
    }

    fn log(&mut self, text: String) {
        self.messages.push(Message { text, config_error: false });
    }

    fn config_error(&mut self, text: String) {
        self.messages.push(Message { text, config_error: true });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n";
    const GROUP: &str = "root:x:0:\nnogroup:x:65534:\nadm:x:4:nobody\n";

    fn script(argv: &[&str]) -> Script {
        Script { argv: argv.iter().map(|s| (*s).to_owned()).collect(), ..Script::default() }
    }

    fn preparer(policy: ScriptPolicy, passwd: &str) -> Preparer {
        Preparer::with(policy, Accounts::parse(passwd, GROUP), Credentials::new(0, 0), Some("/bin:/usr/bin".into()))
    }

    fn texts(p: &mut Preparer) -> Vec<String> {
        p.take_messages().into_iter().map(|m| m.text).collect()
    }

    #[test]
    fn without_keepalived_script_scripts_run_as_us() {
        let mut p = preparer(ScriptPolicy::default(), PASSWD);
        let prog = p.prepare(&script(&["/bin/sh", "-c", "exit 0"])).unwrap();
        assert_eq!(prog.creds, Credentials::new(0, 0));
        assert_eq!(prog.argv[1..], ["-c".to_owned(), "exit 0".to_owned()]);
        assert!(!prog.shell);
        assert_eq!(texts(&mut p), ["Script user 'keepalived_script' does not exist"]);
        // Resolved once: no second message.
        p.prepare(&script(&["/bin/sh"])).unwrap();
        assert!(texts(&mut p).is_empty());
        assert_eq!(
            p.security_summary().as_deref(),
            Some("SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
        );
    }

    #[test]
    fn keepalived_script_is_the_default_when_it_exists() {
        let passwd = format!("{PASSWD}keepalived_script:x:990:991::/:/bin/false\n");
        let mut p = preparer(ScriptPolicy::default(), &passwd);
        assert_eq!(p.credentials(&script(&["/bin/true"])), Ok(Credentials::new(990, 991)));
        assert!(texts(&mut p).is_empty());
    }

    #[test]
    fn script_security_requires_the_default_user() {
        let policy = ScriptPolicy { script_security: true, ..ScriptPolicy::default() };
        let mut p = preparer(policy, PASSWD);
        assert_eq!(p.prepare(&script(&["/bin/sh"])), Err(Refusal::NoDefaultUser));
        let m = p.take_messages();
        assert_eq!(
            m[0],
            Message { text: "Script user 'keepalived_script' does not exist".into(), config_error: false }
        );
        assert_eq!(
            m[1],
            Message { text: "Unable to set default user keepalived_script for script".into(), config_error: true }
        );
        // A script with its own user still runs.
        let mut own = script(&["/bin/sh"]);
        own.user = Some("nobody".into());
        assert_eq!(p.prepare(&own).unwrap().creds, Credentials::new(65534, 65534));
        assert_eq!(p.security_summary(), None, "no summary under script security");
    }

    #[test]
    fn a_bad_script_user_refuses_default_scripts() {
        let policy = ScriptPolicy { script_user: Some(("bogus".into(), None, false)), ..ScriptPolicy::default() };
        let mut p = preparer(policy, PASSWD);
        assert_eq!(p.prepare(&script(&["/bin/sh"])), Err(Refusal::NoDefaultUser));
        let m = p.take_messages();
        assert_eq!(m[0].text, "Script user 'bogus' does not exist");
        assert_eq!(m[1], Message { text: "Error setting global script uid/gid".into(), config_error: true });
    }

    #[test]
    fn script_user_with_group_and_supplementary_groups() {
        let policy =
            ScriptPolicy { script_user: Some(("nobody".into(), Some("adm".into()), true)), ..ScriptPolicy::default() };
        let mut p = preparer(policy, PASSWD);
        assert_eq!(p.default_credentials(), Some(Credentials { uid: 65534, gid: 4, groups: vec![4] }));
        let policy = ScriptPolicy {
            script_user: Some(("nobody".into(), None, false)),
            set_supplementary_groups: true,
            ..ScriptPolicy::default()
        };
        let mut p = preparer(policy, PASSWD);
        assert_eq!(p.default_credentials(), Some(Credentials { uid: 65534, gid: 65534, groups: vec![65534, 4] }));
    }

    #[test]
    fn a_bad_own_user_is_refused_with_its_reason() {
        let mut p = preparer(ScriptPolicy::default(), PASSWD);
        let mut s = script(&["/bin/sh"]);
        s.user = Some("nobody".into());
        s.group = Some("nosuchgroup".into());
        assert_eq!(p.prepare(&s), Err(Refusal::User(AccountError::NoSuchGroup("nosuchgroup".into()))));
        assert_eq!(texts(&mut p), ["Script group 'nosuchgroup' does not exist"]);
    }

    #[test]
    fn missing_and_empty_scripts() {
        let mut p = preparer(ScriptPolicy::default(), PASSWD);
        assert_eq!(p.prepare(&script(&[])), Err(Refusal::Empty));
        assert_eq!(p.prepare(&script(&["/nonexistent/kr-script"])), Err(Refusal::NotFound));
        assert_eq!(
            texts(&mut p).last().map(String::as_str),
            Some("Script /nonexistent/kr-script cannot be accessed - No such file or directory")
        );
        assert_eq!(p.security_summary(), None, "no script found, nothing to warn about");
    }

    #[test]
    fn redirections_run_by_the_shell() {
        let mut p = preparer(ScriptPolicy::default(), PASSWD);
        let prog = p.prepare(&script(&["</dev/null"])).unwrap();
        assert!(prog.shell);
        assert_eq!(prog.argv, ["</dev/null"]);
    }

    #[test]
    fn command_line_quotes_as_upstream() {
        let argv: Vec<String> = ["/bin/x", "a b", "c"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(command_line(&argv), "'/bin/x' 'a b' 'c'");
        assert_eq!(command_line(&["</dev/tcp/127.0.0.1/80".to_owned()]), "</dev/tcp/127.0.0.1/80");
    }
}
