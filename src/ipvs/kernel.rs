//! Talking to the kernel's IPVS (the I/O half): the generic-netlink family
//! when it is there, else the `IP_VS_SO_*` socket options, chosen once when
//! the handle is opened. Both speak [`super::table`]'s types; the encoding is
//! in the pure codecs [`super::genl`] and [`super::sockopt`].
//!
//! Changes go in batches: many requests in one datagram, only the last one
//! asking for an acknowledgement (the kernel answers requests in order and
//! reports every error), so a table of 36,544 real servers takes a few
//! hundred system calls rather than tens of thousands.

use std::os::fd::AsFd;

use netlink_sys::{Socket, protocols::NETLINK_GENERIC};

use super::genl::{self, Reply, Request};
use super::nla::{self, DecodeError};
use super::sockopt::{self, Unsupported};
use super::table::{
    Daemon, DestAttrs, DestEntry, DestKey, ServiceAttrs, ServiceEntry, ServiceKey, SyncState, Timeouts,
};

/// Environment variable that makes [`Ipvs::open`] use the socket options even
/// when generic netlink is available (to exercise the fallback in tests).
pub(crate) const FORCE_SOCKOPT_ENV: &str = "KEEPALIVED_RS_IPVS_SOCKOPT";

/// Requests per datagram.
const BATCH: usize = 256;
/// Receive buffer: dump datagrams are at most 32 KiB.
const RX_BUF: usize = 64 * 1024;
/// Socket receive buffer asked for, so a batch's error reports all fit.
const SO_RCVBUF: usize = 4 * 1024 * 1024;

/// A change to the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    AddService(ServiceKey, ServiceAttrs),
    EditService(ServiceKey, ServiceAttrs),
    DelService(ServiceKey),
    AddDest(ServiceKey, DestKey, DestAttrs),
    EditDest(ServiceKey, DestKey, DestAttrs),
    DelDest(ServiceKey, DestKey),
}

impl Op {
    fn request(&self) -> Request<'_> {
        match self {
            Op::AddService(k, a) => Request::NewService(k, a),
            Op::EditService(k, a) => Request::SetService(k, a),
            Op::DelService(k) => Request::DelService(k),
            Op::AddDest(s, d, a) => Request::NewDest(s, d, a),
            Op::EditDest(s, d, a) => Request::SetDest(s, d, a),
            Op::DelDest(s, d) => Request::DelDest(s, d),
        }
    }

    /// keepalived's command number (`IP_VS_SO_SET_*`) and name, for its log lines.
    pub(crate) fn command(&self) -> (i32, &'static str) {
        match self {
            Op::AddService(..) => (sockopt::set::ADD, "IP_VS_SO_SET_ADD"),
            Op::EditService(..) => (sockopt::set::EDIT, "IP_VS_SO_SET_EDIT"),
            Op::DelService(_) => (sockopt::set::DEL, "IP_VS_SO_SET_DEL"),
            Op::AddDest(..) => (sockopt::set::ADDDEST, "IP_VS_SO_SET_ADDDEST"),
            Op::EditDest(..) => (sockopt::set::EDITDEST, "IP_VS_SO_SET_EDITDEST"),
            Op::DelDest(..) => (sockopt::set::DELDEST, "IP_VS_SO_SET_DELDEST"),
        }
    }

    /// The service the change is about.
    pub(crate) fn service(&self) -> &ServiceKey {
        match self {
            Op::AddService(k, _) | Op::EditService(k, _) | Op::DelService(k) => k,
            Op::AddDest(k, ..) | Op::EditDest(k, ..) | Op::DelDest(k, _) => k,
        }
    }

    /// The destination the change is about, if any.
    pub(crate) fn dest(&self) -> Option<&DestKey> {
        match self {
            Op::AddDest(_, d, _) | Op::EditDest(_, d, _) | Op::DelDest(_, d) => Some(d),
            _ => None,
        }
    }
}

/// A failed request, with the kernel's errno.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IpvsError {
    /// The kernel refused the request.
    #[error("{}", message_for(None, *.0))]
    Kernel(i32),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("undecodable reply from the kernel: {0}")]
    Decode(#[from] DecodeError),
    #[error("{0}")]
    Unsupported(#[from] Unsupported),
    #[error("generic netlink family IPVS not registered")]
    NoFamily,
    #[error("the kernel's reply was lost (receive buffer overrun)")]
    Lost,
}

impl IpvsError {
    /// The kernel's errno, when there is one.
    pub(crate) fn errno(&self) -> Option<i32> {
        match self {
            IpvsError::Kernel(e) => Some(*e),
            IpvsError::Io(e) => e.raw_os_error(),
            _ => None,
        }
    }
}

/// What keepalived says about an errno of an IPVS command (libipvs's
/// messages for the errors it knows, else the C library's text).
pub(crate) fn message_for(op: Option<&Op>, errno: i32) -> String {
    use libc::*;
    let specific = match (op, errno) {
        (Some(Op::AddService(..)), EEXIST) => Some("Service already exists"),
        (Some(Op::AddService(..) | Op::EditService(..)), ENOENT) => Some("Scheduler or persistence engine not found"),
        (Some(Op::EditService(..) | Op::DelService(_)), ESRCH) => Some("No such service"),
        (Some(Op::AddDest(..) | Op::EditDest(..) | Op::DelDest(..)), ESRCH) => Some("Service not defined"),
        (Some(Op::AddDest(..)), EEXIST) => Some("Destination already exists"),
        (Some(Op::EditDest(..) | Op::DelDest(..)), ENOENT) => Some("No such destination"),
        (_, EPERM) => Some("Permission denied (you must be root)"),
        (_, EINVAL) => Some("Invalid operation.  Possibly wrong module version, address not unicast, ..."),
        (_, ENOPROTOOPT) => Some("Protocol not available"),
        (_, ENOMEM) => Some("Memory allocation problem"),
        (_, EOPNOTSUPP) => Some("Operation not supported with IPv6"),
        (_, EAFNOSUPPORT) => Some("Operation not supported with specified address family"),
        (_, EMSGSIZE) => Some("Module is wrong version"),
        _ => None,
    };
    match specific {
        Some(s) => s.to_owned(),
        None => {
            std::io::Error::from_raw_os_error(errno).to_string().split(" (os error").next().unwrap_or("").to_owned()
        }
    }
}

/// The errno keepalived reports for a kernel errno that reached it through
/// libnl (mapped to libnl's error codes and back): ESRCH becomes ENOENT,
/// EFAULT becomes EINVAL, an unknown one EPERM. Its log lines say these.
pub(crate) fn libnl_errno(e: i32) -> i32 {
    use libc::*;
    match e {
        EBADF | ENOTSOCK => EBADF,
        EADDRINUSE | EEXIST => EEXIST,
        EADDRNOTAVAIL => EADDRNOTAVAIL,
        ESRCH | ENOENT => ENOENT,
        EINTR => EINTR,
        EAGAIN => EAGAIN,
        ENOPROTOOPT | EFAULT | EINVAL => EINVAL,
        EACCES => EACCES,
        ENOBUFS | ENOMEM => ENOMEM,
        EAFNOSUPPORT => EAFNOSUPPORT,
        EPROTONOSUPPORT => EPROTONOSUPPORT,
        EOPNOTSUPP => EOPNOTSUPP,
        EPERM => EPERM,
        EBUSY => EBUSY,
        ERANGE => ERANGE,
        ENODEV => ENODEV,
        // NLE_FAILURE, which keepalived passes on as an errno.
        _ => 1,
    }
}

/// Why one change of a batch failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The kernel refused it with this errno.
    Errno(i32),
    /// The interface in use cannot express it.
    Unsupported(Unsupported),
}

/// Which interface a handle uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interface {
    Genl,
    Sockopt,
}

enum Backend {
    Genl { sock: Socket, family: u16, seq: u32, buf: Vec<u8> },
    Sockopt(socket2::Socket),
}

/// An open channel to the kernel's IPVS.
pub(crate) struct Ipvs {
    backend: Backend,
}

impl Ipvs {
    /// Opens the generic-netlink channel, loading the ip_vs module if its
    /// family is missing; falls back to the socket options (saying so) when
    /// the family stays absent or [`FORCE_SOCKOPT_ENV`] is set.
    pub(crate) fn open() -> Result<Ipvs, IpvsError> {
        let forced = std::env::var_os(FORCE_SOCKOPT_ENV).is_some_and(|v| !v.is_empty() && v != "0");
        if !forced {
            match open_genl().or_else(|e| match e {
                IpvsError::NoFamily if modprobe_ip_vs() => open_genl(),
                e => Err(e),
            }) {
                Ok(b) => return Ok(Ipvs { backend: b }),
                Err(IpvsError::NoFamily) => tracing::info!(
                    "IPVS: the generic netlink family IPVS is not available - using the IP_VS_SO socket \
                     options (IPv4 virtual servers only)"
                ),
                Err(e) => return Err(e),
            }
        } else {
            tracing::info!(
                "IPVS: using the IP_VS_SO socket options ({FORCE_SOCKOPT_ENV} is set; IPv4 virtual servers only)"
            );
        }
        let s = open_sockopt().or_else(|e| match e.errno() {
            Some(libc::ENOPROTOOPT) if modprobe_ip_vs() => open_sockopt(),
            _ => Err(e),
        })?;
        Ok(Ipvs { backend: Backend::Sockopt(s) })
    }

    /// The interface in use.
    pub(crate) fn interface(&self) -> Interface {
        match self.backend {
            Backend::Genl { .. } => Interface::Genl,
            Backend::Sockopt(_) => Interface::Sockopt,
        }
    }

    /// Sends one request and collects the messages of its reply (for a
    /// dump, until its end; else until the acknowledgement or error).
    fn exchange(&mut self, req: &Request<'_>) -> Result<Vec<Vec<u8>>, IpvsError> {
        let Backend::Genl { sock, family, seq, buf } = &mut self.backend else {
            return Err(IpvsError::Kernel(libc::EOPNOTSUPP));
        };
        *seq = seq.wrapping_add(1);
        let my = *seq;
        sock.send(&genl::encode(*family, my, req, true), 0)?;
        let mut out = Vec::new();
        loop {
            buf.clear();
            sock.recv(buf, 0)?;
            for r in genl::replies(*family, buf) {
                match r? {
                    Reply::Data { seq, attrs, .. } if seq == my => out.push(attrs.to_vec()),
                    Reply::Done { seq } | Reply::Ack { seq } if seq == my => return Ok(out),
                    Reply::Error { seq, errno } if seq == my => return Err(IpvsError::Kernel(errno)),
                    // Left over from an earlier, abandoned exchange.
                    _ => {}
                }
            }
        }
    }

    /// Every service in the kernel.
    pub(crate) fn services(&mut self) -> Result<Vec<ServiceEntry>, IpvsError> {
        match &self.backend {
            Backend::Genl { .. } => {
                let msgs = self.exchange(&Request::GetServices)?;
                msgs.iter().map(|m| genl::decode_service(m).map_err(IpvsError::from)).collect()
            }
            Backend::Sockopt(_) => Ok(self.sockopt_services()?.into_iter().map(|(s, _)| s).collect()),
        }
    }

    fn sockopt_services(&mut self) -> Result<Vec<(ServiceEntry, u32)>, IpvsError> {
        let Backend::Sockopt(s) = &self.backend else { return Ok(Vec::new()) };
        // The count can grow between the two calls: ask for some room.
        for _ in 0..3 {
            let mut info = [0u8; sockopt::GETINFO_LEN];
            crate::sys::getsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::get::INFO, &mut info)?;
            let n = sockopt::decode_info(&info)?.num_services.unwrap_or(0);
            let mut b = sockopt::get_services_buf(n);
            match crate::sys::getsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::get::SERVICES, &mut b) {
                Ok(_) => return Ok(sockopt::decode_services(&b)?),
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(IpvsError::Kernel(libc::EAGAIN))
    }

    /// The destinations of a service.
    pub(crate) fn dests(&mut self, svc: &ServiceKey) -> Result<Vec<DestEntry>, IpvsError> {
        match &self.backend {
            Backend::Genl { .. } => {
                let msgs = self.exchange(&Request::GetDests(svc))?;
                msgs.iter().map(|m| genl::decode_dest(m, svc.af).map_err(IpvsError::from)).collect()
            }
            Backend::Sockopt(_) => {
                for _ in 0..3 {
                    let n = self
                        .sockopt_services()?
                        .into_iter()
                        .find(|(s, _)| s.key == *svc)
                        .map(|(_, n)| n)
                        .ok_or(IpvsError::Kernel(libc::ESRCH))?;
                    let Backend::Sockopt(s) = &self.backend else { break };
                    let mut b = sockopt::get_dests_buf(svc, n)?;
                    match crate::sys::getsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::get::DESTS, &mut b) {
                        Ok(_) => return Ok(sockopt::decode_dests(&b)?),
                        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => continue,
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(IpvsError::Kernel(libc::EAGAIN))
            }
        }
    }

    /// Applies changes in order; returns why each that failed did (by
    /// index). A failure does not stop the ones after it, as the kernel
    /// processes a batch to its end.
    pub(crate) fn apply(&mut self, ops: &[Op]) -> Result<Vec<(usize, Failure)>, IpvsError> {
        let mut failed = Vec::new();
        match &mut self.backend {
            Backend::Genl { sock, family, seq, buf } => {
                for (chunk_no, chunk) in ops.chunks(BATCH).enumerate() {
                    let first_seq = seq.wrapping_add(1);
                    let mut dgram = Vec::with_capacity(chunk.len() * 96);
                    for (i, op) in chunk.iter().enumerate() {
                        *seq = seq.wrapping_add(1);
                        dgram.extend_from_slice(&genl::encode(*family, *seq, &op.request(), i + 1 == chunk.len()));
                    }
                    let last = *seq;
                    sock.send(&dgram, 0)?;
                    'recv: loop {
                        buf.clear();
                        match sock.recv(buf, 0) {
                            Ok(_) => {}
                            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => return Err(IpvsError::Lost),
                            Err(e) => return Err(e.into()),
                        }
                        for r in genl::replies(*family, buf) {
                            let (s, errno) = match r? {
                                Reply::Error { seq, errno } => (seq, Some(errno)),
                                Reply::Ack { seq } => (seq, None),
                                _ => continue,
                            };
                            let idx = s.wrapping_sub(first_seq) as usize;
                            if idx >= chunk.len() {
                                continue;
                            }
                            if let Some(e) = errno {
                                failed.push((chunk_no * BATCH + idx, Failure::Errno(e)));
                            }
                            if s == last {
                                break 'recv;
                            }
                        }
                    }
                }
            }
            Backend::Sockopt(s) => {
                for (i, op) in ops.iter().enumerate() {
                    match sockopt_op(s, op) {
                        Ok(()) => {}
                        Err(IpvsError::Unsupported(u)) => failed.push((i, Failure::Unsupported(u))),
                        Err(e) => match e.errno() {
                            Some(errno) => failed.push((i, Failure::Errno(errno))),
                            None => return Err(e),
                        },
                    }
                }
            }
        }
        Ok(failed)
    }

    /// Removes every service (`ipvsadm -C`).
    pub(crate) fn flush(&mut self) -> Result<(), IpvsError> {
        match &self.backend {
            Backend::Genl { .. } => self.exchange(&Request::Flush).map(|_| ()),
            Backend::Sockopt(s) => {
                Ok(crate::sys::setsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::set::FLUSH, &[])?)
            }
        }
    }

    /// The connection timeouts.
    pub(crate) fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        match &self.backend {
            Backend::Genl { .. } => {
                let msgs = self.exchange(&Request::GetTimeouts)?;
                let first = msgs.first().ok_or(DecodeError::Missing { what: "timeouts reply", attr: 0 })?;
                Ok(genl::decode_timeouts(first)?)
            }
            Backend::Sockopt(s) => {
                let mut b = [0u8; sockopt::TIMEOUT_LEN];
                crate::sys::getsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::get::TIMEOUT, &mut b)?;
                Ok(sockopt::decode_timeouts(&b)?)
            }
        }
    }

    /// Sets the connection timeouts (0 leaves one unchanged).
    pub(crate) fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), IpvsError> {
        match &self.backend {
            Backend::Genl { .. } => self.exchange(&Request::SetTimeouts(t)).map(|_| ()),
            Backend::Sockopt(s) => Ok(crate::sys::setsockopt_bytes(
                s.as_fd(),
                libc::IPPROTO_IP,
                sockopt::set::TIMEOUT,
                &sockopt::timeout_user(t),
            )?),
        }
    }

    /// Starts a connection-sync daemon.
    pub(crate) fn start_daemon(&mut self, d: &Daemon) -> Result<(), IpvsError> {
        match &self.backend {
            Backend::Genl { .. } => self.exchange(&Request::NewDaemon(d)).map(|_| ()),
            Backend::Sockopt(s) => {
                let b = sockopt::daemon_user(d.state, &d.ifname, d.syncid)?;
                Ok(crate::sys::setsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::set::STARTDAEMON, &b)?)
            }
        }
    }

    /// Stops the connection-sync daemon in `state`.
    pub(crate) fn stop_daemon(&mut self, state: SyncState) -> Result<(), IpvsError> {
        match &self.backend {
            Backend::Genl { .. } => self.exchange(&Request::DelDaemon(state)).map(|_| ()),
            Backend::Sockopt(s) => {
                let b = sockopt::daemon_user(state, "", 0)?;
                Ok(crate::sys::setsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::set::STOPDAEMON, &b)?)
            }
        }
    }
}

fn sockopt_op(s: &socket2::Socket, op: &Op) -> Result<(), IpvsError> {
    let (opt, bytes): (i32, Vec<u8>) = match op {
        Op::AddService(k, a) => (sockopt::set::ADD, sockopt::service_user(k, Some(a))?.to_vec()),
        Op::EditService(k, a) => (sockopt::set::EDIT, sockopt::service_user(k, Some(a))?.to_vec()),
        Op::DelService(k) => (sockopt::set::DEL, sockopt::service_user(k, None)?.to_vec()),
        Op::AddDest(k, d, a) => (sockopt::set::ADDDEST, sockopt::service_dest_user(k, d, Some(a))?.to_vec()),
        Op::EditDest(k, d, a) => (sockopt::set::EDITDEST, sockopt::service_dest_user(k, d, Some(a))?.to_vec()),
        Op::DelDest(k, d) => (sockopt::set::DELDEST, sockopt::service_dest_user(k, d, None)?.to_vec()),
    };
    crate::sys::setsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, opt, &bytes)?;
    Ok(())
}

fn open_genl() -> Result<Backend, IpvsError> {
    let mut sock = Socket::new(NETLINK_GENERIC)?;
    sock.bind_auto()?;
    // Errors and acknowledgements without the echoed request.
    let _ = sock.set_cap_ack(true);
    let _ = sock.set_rx_buf_sz(SO_RCVBUF);
    let mut buf = Vec::with_capacity(RX_BUF);
    sock.send(&genl::get_family(1, genl::FAMILY_NAME), 0)?;
    let family = 'recv: loop {
        buf.clear();
        sock.recv(&mut buf, 0)?;
        for m in nla::messages(&buf) {
            let m = m?;
            match m.kind {
                nla::NLMSG_ERROR => {
                    let e = nla::error_msg(m.payload)?;
                    if e.errno == libc::ENOENT {
                        return Err(IpvsError::NoFamily);
                    }
                    if e.errno != 0 {
                        return Err(IpvsError::Kernel(e.errno));
                    }
                }
                genl::GENL_ID_CTRL => break 'recv genl::family_id(m.payload)?,
                k => return Err(DecodeError::UnexpectedType(k).into()),
            }
        }
    };
    Ok(Backend::Genl { sock, family, seq: 1, buf })
}

fn open_sockopt() -> Result<socket2::Socket, IpvsError> {
    let s = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::RAW.cloexec(),
        Some(socket2::Protocol::from(libc::IPPROTO_RAW)),
    )?;
    let mut b = [0u8; sockopt::GETINFO_LEN];
    crate::sys::getsockopt_bytes(s.as_fd(), libc::IPPROTO_IP, sockopt::get::INFO, &mut b)?;
    Ok(s)
}

/// Loads the ip_vs module with the kernel's modprobe helper, as keepalived
/// does when IPVS is not there yet. Whether it succeeded.
fn modprobe_ip_vs() -> bool {
    let helper = std::fs::read_to_string("/proc/sys/kernel/modprobe")
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/sbin/modprobe".to_owned());
    std::process::Command::new(helper)
        .args(["-s", "--", "ip_vs"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_error_messages() {
        let k = ServiceKey::addr(6, "10.0.0.1".parse().unwrap(), 80);
        let a = ServiceAttrs { sched: "x".into(), flags: 0, timeout: 0, netmask: 0, pe_name: String::new() };
        assert_eq!(
            message_for(Some(&Op::AddService(k, a.clone())), libc::ENOENT),
            "Scheduler or persistence engine not found"
        );
        assert_eq!(message_for(Some(&Op::AddService(k, a)), libc::EEXIST), "Service already exists");
        let d = DestKey { addr: "10.0.0.2".parse().unwrap(), port: 80 };
        assert_eq!(message_for(Some(&Op::DelDest(k, d)), libc::ENOENT), "No such destination");
        assert_eq!(message_for(Some(&Op::DelDest(k, d)), libc::ESRCH), "Service not defined");
        assert_eq!(message_for(None, libc::ERANGE), "Numerical result out of range");
        assert_eq!(IpvsError::Kernel(libc::EPERM).to_string(), "Permission denied (you must be root)");
        assert_eq!(IpvsError::Kernel(libc::ENOENT).errno(), Some(libc::ENOENT));
    }
}
