//! The notify FIFOs: `notify_fifo` (every process writes to it) and the
//! checker child's `lvs_notify_fifo`, as keepalived opens and writes them.
//!
//! - Opening: the FIFO is created (mode 0644, owned by its configured user
//!   and group when they are not ours) unless it exists; its script, if any,
//!   is started with the FIFO's path as its last argument; then the FIFO is
//!   opened read-write and non-blocking (so that writes never block and
//!   never fail for want of a reader) and refused unless it is a FIFO owned
//!   by us or its user.
//! - Writing: one line per event, `VS ... UP|DOWN` or `RS ... UP|DOWN`;
//!   a full pipe drops the line, as keepalived's unchecked write does.
//! - Closing (reload, stop): a FIFO we created is removed first, so that a
//!   reader that reopens it in a loop cannot reopen this one.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

/// One open FIFO.
#[derive(Debug)]
pub(crate) struct NotifyFifo {
    path: PathBuf,
    file: File,
    created: bool,
}

/// What opening a FIFO says (keepalived's lines), and whether its script
/// must be started (after the FIFO exists, before it is opened).
#[derive(Debug, Default)]
pub(crate) struct Opened {
    pub(crate) fifo: Option<NotifyFifo>,
    pub(crate) lines: Vec<String>,
}

/// Gives a FIFO we just created to its owner (the configured user and
/// group, else the user its script runs as: keepalived chowns it so that a
/// script running as `keepalived_script` can read it under the default umask
/// 0177); keepalived's line when that fails.
pub(crate) fn give_fifo(p: &std::path::Path, owner: Option<(u32, u32)>) -> Option<String> {
    let (our_uid, our_gid) = crate::sys::effective_ids();
    let (uid, gid) = owner?;
    if uid == our_uid && gid == our_gid {
        return None;
    }
    let u = (uid != our_uid).then_some(uid);
    let g = (gid != our_gid).then_some(gid);
    std::os::unix::fs::chown(p, u, g).err().map(|_| format!("Failed to set uid:gid for fifo {}", p.display()))
}

impl NotifyFifo {
    /// Creates (if needed) and opens the FIFO `path`; `owner` is the uid and
    /// gid of its configured user and group; `kind` is `""` for
    /// `notify_fifo`, `"lvs_"` for `lvs_notify_fifo`. `start_script` runs
    /// between creation and opening (keepalived starts the reader first).
    pub(crate) fn open(path: &str, owner: Option<(u32, u32)>, kind: &str, start_script: impl FnOnce()) -> Opened {
        let mut out = Opened::default();
        let p = PathBuf::from(path);
        let created = match crate::sys::mkfifo(&p, 0o644) {
            Ok(()) => {
                out.lines.extend(give_fifo(&p, owner));
                true
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => false,
            Err(_) => {
                out.lines.push(format!("Unable to create {kind}notify fifo {path}"));
                return out;
            }
        };
        start_script();
        let file = match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(&p)
        {
            Ok(f) => f,
            Err(e) => {
                out.lines
                    .push(format!("Unable to open {kind}notify fifo {path} - errno {}", e.raw_os_error().unwrap_or(0)));
                if created {
                    let _ = std::fs::remove_file(&p);
                }
                return out;
            }
        };
        let owner_uid = owner.map(|o| o.0);
        let our_uid = crate::sys::effective_ids().0;
        let ok = file
            .metadata()
            .is_ok_and(|m| m.file_type().is_fifo() && (m.uid() == our_uid || Some(m.uid()) == owner_uid));
        if !ok {
            out.lines.push(format!("{kind}notify fifo {path} is not a fifo we own - not using"));
            return out;
        }
        out.fifo = Some(NotifyFifo { path: p, file, created });
        out
    }

    /// Writes one line (with its newline); a full pipe drops it.
    pub(crate) fn write(&mut self, line: &str) {
        let _ = self.file.write(line.as_bytes());
    }

    /// The FIFO's path.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for NotifyFifo {
    fn drop(&mut self) {
        if self.created {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn created_written_read_and_removed() {
        let dir = std::env::temp_dir().join(format!("kr-fifo-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("lvs.fifo");
        let _ = std::fs::remove_file(&path);
        let mut ran = false;
        let o = NotifyFifo::open(path.to_str().unwrap_or_default(), None, "lvs_", || ran = true);
        assert!(ran);
        assert!(o.lines.is_empty(), "{:?}", o.lines);
        let mut f = o.fifo.unwrap_or_else(|| panic!("not opened"));
        let mut reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path)
            .unwrap_or_else(|e| panic!("{e}"));
        f.write("RS [10.1.0.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n");
        let mut buf = [0u8; 128];
        let n = reader.read(&mut buf).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&buf[..n], b"RS [10.1.0.1]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n");
        assert_eq!(f.path(), path.as_path());
        drop(f);
        assert!(!path.exists());
        // A regular file in the way is not used.
        std::fs::write(&path, "x").unwrap_or_else(|e| panic!("{e}"));
        let o = NotifyFifo::open(path.to_str().unwrap_or_default(), None, "", || {});
        assert!(o.fifo.is_none());
        assert_eq!(o.lines, vec![format!("notify fifo {} is not a fifo we own - not using", path.display())]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
