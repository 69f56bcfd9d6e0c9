//! The kernel's "IPVS" generic-netlink family (pure codec): requests and the
//! decoding of replies, attributes numbered as include/uapi/linux/ip_vs.h
//! defines them. The family id is resolved at run time through the
//! generic-netlink controller ([`get_family`], [`family_id`]).
//!
//! Every request carries `IPVS_CMD_ATTR_*` attributes; services, destinations
//! and daemons are nested attributes (`IPVS_SVC_ATTR_*`, `IPVS_DEST_ATTR_*`,
//! `IPVS_DAEMON_ATTR_*`), counters nest once more (`IPVS_STATS_ATTR_*`).
//! Addresses travel as 16 bytes (`union nf_inet_addr`, IPv4 in the first 4),
//! ports in network order, everything else in host order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::nla::{self, Attr, Builder, DecodeError};
use super::table::{
    AF_INET6, Daemon, DestAttrs, DestEntry, DestKey, Info, ServiceAttrs, ServiceEntry, ServiceKey, Stats, SyncState,
    Timeouts, af_of, svc_flags, unspecified,
};

/// `IPVS_GENL_NAME`.
pub(crate) const FAMILY_NAME: &str = "IPVS";
/// `IPVS_GENL_VERSION`.
pub(crate) const VERSION: u8 = 1;

/// `GENL_ID_CTRL`: the controller's fixed family id.
pub(crate) const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_NEWFAMILY: u8 = 1;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// `IPVS_CMD_*`.
pub(crate) mod cmd {
    pub(crate) const NEW_SERVICE: u8 = 1;
    pub(crate) const SET_SERVICE: u8 = 2;
    pub(crate) const DEL_SERVICE: u8 = 3;
    pub(crate) const GET_SERVICE: u8 = 4;
    pub(crate) const NEW_DEST: u8 = 5;
    pub(crate) const SET_DEST: u8 = 6;
    pub(crate) const DEL_DEST: u8 = 7;
    pub(crate) const GET_DEST: u8 = 8;
    pub(crate) const NEW_DAEMON: u8 = 9;
    pub(crate) const DEL_DAEMON: u8 = 10;
    pub(crate) const SET_CONFIG: u8 = 12;
    pub(crate) const GET_CONFIG: u8 = 13;
    #[cfg(test)]
    pub(crate) const GET_DAEMON: u8 = 11;
    #[cfg(test)]
    pub(crate) const GET_INFO: u8 = 15;
    pub(crate) const FLUSH: u8 = 17;
}

/// `IPVS_CMD_ATTR_*`.
mod cmd_attr {
    pub(super) const SERVICE: u16 = 1;
    pub(super) const DEST: u16 = 2;
    pub(super) const DAEMON: u16 = 3;
    pub(super) const TIMEOUT_TCP: u16 = 4;
    pub(super) const TIMEOUT_TCP_FIN: u16 = 5;
    pub(super) const TIMEOUT_UDP: u16 = 6;
}

/// `IPVS_SVC_ATTR_*`.
mod svc_attr {
    pub(super) const AF: u16 = 1;
    pub(super) const PROTOCOL: u16 = 2;
    pub(super) const ADDR: u16 = 3;
    pub(super) const PORT: u16 = 4;
    pub(super) const FWMARK: u16 = 5;
    pub(super) const SCHED_NAME: u16 = 6;
    pub(super) const FLAGS: u16 = 7;
    pub(super) const TIMEOUT: u16 = 8;
    pub(super) const NETMASK: u16 = 9;
    pub(super) const STATS: u16 = 10;
    pub(super) const PE_NAME: u16 = 11;
    pub(super) const STATS64: u16 = 12;
}

/// `IPVS_DEST_ATTR_*`.
mod dest_attr {
    pub(super) const ADDR: u16 = 1;
    pub(super) const PORT: u16 = 2;
    pub(super) const FWD_METHOD: u16 = 3;
    pub(super) const WEIGHT: u16 = 4;
    pub(super) const U_THRESH: u16 = 5;
    pub(super) const L_THRESH: u16 = 6;
    pub(super) const ACTIVE_CONNS: u16 = 7;
    pub(super) const INACT_CONNS: u16 = 8;
    pub(super) const PERSIST_CONNS: u16 = 9;
    pub(super) const STATS: u16 = 10;
    pub(super) const ADDR_FAMILY: u16 = 11;
    pub(super) const STATS64: u16 = 12;
    pub(super) const TUN_TYPE: u16 = 13;
    pub(super) const TUN_PORT: u16 = 14;
    pub(super) const TUN_FLAGS: u16 = 15;
}

/// `IPVS_DAEMON_ATTR_*`.
mod daemon_attr {
    pub(super) const STATE: u16 = 1;
    pub(super) const MCAST_IFN: u16 = 2;
    pub(super) const SYNC_ID: u16 = 3;
    pub(super) const SYNC_MAXLEN: u16 = 4;
    pub(super) const MCAST_GROUP: u16 = 5;
    pub(super) const MCAST_GROUP6: u16 = 6;
    pub(super) const MCAST_PORT: u16 = 7;
    pub(super) const MCAST_TTL: u16 = 8;
}

/// `IPVS_STATS_ATTR_*` (the PAD attribute, 11, only aligns the 64-bit ones).
mod stats_attr {
    pub(super) const CONNS: u16 = 1;
    pub(super) const INPKTS: u16 = 2;
    pub(super) const OUTPKTS: u16 = 3;
    pub(super) const INBYTES: u16 = 4;
    pub(super) const OUTBYTES: u16 = 5;
    pub(super) const CPS: u16 = 6;
    pub(super) const INPPS: u16 = 7;
    pub(super) const OUTPPS: u16 = 8;
    pub(super) const INBPS: u16 = 9;
    pub(super) const OUTBPS: u16 = 10;
}

/// `IPVS_INFO_ATTR_*`.
mod info_attr {
    pub(super) const VERSION: u16 = 1;
    pub(super) const CONN_TAB_SIZE: u16 = 2;
}

/// One request to the IPVS family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request<'a> {
    NewService(&'a ServiceKey, &'a ServiceAttrs),
    SetService(&'a ServiceKey, &'a ServiceAttrs),
    DelService(&'a ServiceKey),
    /// Every service (a dump).
    GetServices,
    NewDest(&'a ServiceKey, &'a DestKey, &'a DestAttrs),
    SetDest(&'a ServiceKey, &'a DestKey, &'a DestAttrs),
    DelDest(&'a ServiceKey, &'a DestKey),
    /// Every destination of a service (a dump).
    GetDests(&'a ServiceKey),
    /// Removes every service.
    Flush,
    /// General information (captures for the tests).
    #[cfg(test)]
    GetInfo,
    NewDaemon(&'a Daemon),
    DelDaemon(SyncState),
    /// The running daemons (a dump; captures for the tests).
    #[cfg(test)]
    GetDaemons,
    SetTimeouts(&'a Timeouts),
    GetTimeouts,
}

impl Request<'_> {
    /// Whether the reply is a multipart dump.
    pub(crate) fn is_dump(&self) -> bool {
        match self {
            Request::GetServices | Request::GetDests(_) => true,
            #[cfg(test)]
            Request::GetDaemons => true,
            _ => false,
        }
    }

    fn cmd(&self) -> u8 {
        match self {
            Request::NewService(..) => cmd::NEW_SERVICE,
            Request::SetService(..) => cmd::SET_SERVICE,
            Request::DelService(_) => cmd::DEL_SERVICE,
            Request::GetServices => cmd::GET_SERVICE,
            Request::NewDest(..) => cmd::NEW_DEST,
            Request::SetDest(..) => cmd::SET_DEST,
            Request::DelDest(..) => cmd::DEL_DEST,
            Request::GetDests(_) => cmd::GET_DEST,
            Request::Flush => cmd::FLUSH,
            #[cfg(test)]
            Request::GetInfo => cmd::GET_INFO,
            #[cfg(test)]
            Request::GetDaemons => cmd::GET_DAEMON,
            Request::NewDaemon(_) => cmd::NEW_DAEMON,
            Request::DelDaemon(_) => cmd::DEL_DAEMON,
            Request::SetTimeouts(_) => cmd::SET_CONFIG,
            Request::GetTimeouts => cmd::GET_CONFIG,
        }
    }
}

/// 16 bytes of `union nf_inet_addr`.
fn inet_addr(a: &IpAddr) -> [u8; 16] {
    let mut out = [0u8; 16];
    match a {
        IpAddr::V4(v4) => {
            if let Some(s) = out.get_mut(..4) {
                s.copy_from_slice(&v4.octets());
            }
        }
        IpAddr::V6(v6) => out = v6.octets(),
    }
    out
}

fn service_nest(b: &mut Builder, k: &ServiceKey, attrs: Option<&ServiceAttrs>) {
    b.nest(cmd_attr::SERVICE);
    b.u16(svc_attr::AF, k.af);
    if k.fwmark != 0 {
        b.u32(svc_attr::FWMARK, k.fwmark);
    } else {
        b.u16(svc_attr::PROTOCOL, k.proto);
        b.bytes(svc_attr::ADDR, &inet_addr(&k.addr));
        b.be16(svc_attr::PORT, k.port);
    }
    if let Some(a) = attrs {
        b.string(svc_attr::SCHED_NAME, &a.sched);
        if !a.pe_name.is_empty() {
            b.string(svc_attr::PE_NAME, &a.pe_name);
        }
        // struct ip_vs_flags { flags, mask }: every flag is set as given.
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&a.flags.to_ne_bytes());
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        b.bytes(svc_attr::FLAGS, &flags);
        b.u32(svc_attr::TIMEOUT, a.timeout);
        b.u32(svc_attr::NETMASK, a.netmask);
    }
    b.end_nest();
}

fn dest_nest(b: &mut Builder, k: &DestKey, attrs: Option<&DestAttrs>) {
    b.nest(cmd_attr::DEST);
    b.u16(dest_attr::ADDR_FAMILY, k.af());
    b.bytes(dest_attr::ADDR, &inet_addr(&k.addr));
    b.be16(dest_attr::PORT, k.port);
    if let Some(a) = attrs {
        b.u32(dest_attr::FWD_METHOD, a.fwd);
        b.u32(dest_attr::WEIGHT, a.weight as u32);
        if a.fwd == super::table::fwd::TUNNEL {
            b.u8(dest_attr::TUN_TYPE, a.tun_type);
            if a.tun_type == super::table::tun::GUE {
                b.be16(dest_attr::TUN_PORT, a.tun_port);
            }
            if a.tun_type != super::table::tun::IPIP {
                b.u16(dest_attr::TUN_FLAGS, a.tun_flags);
            }
        }
        b.u32(dest_attr::U_THRESH, a.u_thresh);
        b.u32(dest_attr::L_THRESH, a.l_thresh);
    }
    b.end_nest();
}

/// Encodes a request to the family `family` with sequence number `seq`.
/// `ack` asks the kernel to acknowledge success too (errors always come back).
pub(crate) fn encode(family: u16, seq: u32, req: &Request<'_>, ack: bool) -> Vec<u8> {
    let mut flags = nla::F_REQUEST;
    if req.is_dump() {
        flags |= nla::F_DUMP;
    } else if ack {
        flags |= nla::F_ACK;
    }
    let mut b = Builder::new(family, flags, seq, req.cmd(), VERSION);
    match req {
        Request::NewService(k, a) | Request::SetService(k, a) => service_nest(&mut b, k, Some(a)),
        Request::DelService(k) | Request::GetDests(k) => service_nest(&mut b, k, None),
        Request::NewDest(s, d, a) | Request::SetDest(s, d, a) => {
            service_nest(&mut b, s, None);
            dest_nest(&mut b, d, Some(a));
        }
        Request::DelDest(s, d) => {
            service_nest(&mut b, s, None);
            dest_nest(&mut b, d, None);
        }
        Request::NewDaemon(d) => {
            b.nest(cmd_attr::DAEMON);
            b.u32(daemon_attr::STATE, d.state.number());
            b.string(daemon_attr::MCAST_IFN, &d.ifname);
            b.u32(daemon_attr::SYNC_ID, d.syncid);
            if d.maxlen != 0 {
                b.u16(daemon_attr::SYNC_MAXLEN, d.maxlen);
            }
            if d.port != 0 {
                b.u16(daemon_attr::MCAST_PORT, d.port);
            }
            if d.ttl != 0 {
                b.u8(daemon_attr::MCAST_TTL, d.ttl);
            }
            match d.group {
                Some(IpAddr::V4(g)) => {
                    b.bytes(daemon_attr::MCAST_GROUP, &g.octets());
                }
                Some(IpAddr::V6(g)) => {
                    b.bytes(daemon_attr::MCAST_GROUP6, &g.octets());
                }
                None => {}
            }
            b.end_nest();
        }
        Request::DelDaemon(state) => {
            b.nest(cmd_attr::DAEMON);
            b.u32(daemon_attr::STATE, state.number());
            b.end_nest();
        }
        Request::SetTimeouts(t) => {
            b.u32(cmd_attr::TIMEOUT_TCP, t.tcp);
            b.u32(cmd_attr::TIMEOUT_TCP_FIN, t.tcp_fin);
            b.u32(cmd_attr::TIMEOUT_UDP, t.udp);
        }
        Request::GetServices | Request::Flush | Request::GetTimeouts => {}
        #[cfg(test)]
        Request::GetInfo | Request::GetDaemons => {}
    }
    b.finish()
}

/// The controller request that resolves a family name to its id.
pub(crate) fn get_family(seq: u32, name: &str) -> Vec<u8> {
    let mut b = Builder::new(GENL_ID_CTRL, nla::F_REQUEST, seq, CTRL_CMD_GETFAMILY, 1);
    b.string(CTRL_ATTR_FAMILY_NAME, name);
    b.finish()
}

/// The family id in the controller's reply (the body of a `GENL_ID_CTRL` message).
pub(crate) fn family_id(payload: &[u8]) -> Result<u16, DecodeError> {
    let g = nla::genl(payload)?;
    if g.cmd != CTRL_CMD_NEWFAMILY {
        return Err(DecodeError::UnexpectedCmd(g.cmd));
    }
    for a in nla::attrs(g.attrs) {
        let a = a?;
        if a.kind == CTRL_ATTR_FAMILY_ID {
            return a.u16("family id");
        }
    }
    Err(DecodeError::Missing { what: "controller reply", attr: CTRL_ATTR_FAMILY_ID })
}

/// An address from `union nf_inet_addr` bytes (16 for IPv6, 4 or 16 for IPv4).
fn addr_of(a: &Attr<'_>, af: u16, what: &'static str) -> Result<IpAddr, DecodeError> {
    if af == AF_INET6 {
        let b: [u8; 16] = a.data.try_into().map_err(|_| DecodeError::BadLength {
            what,
            attr: a.kind,
            want: 16,
            have: a.data.len(),
        })?;
        Ok(IpAddr::V6(Ipv6Addr::from(b)))
    } else {
        match a.data.get(..4) {
            Some(&[w, x, y, z]) if a.data.len() == 4 || a.data.len() == 16 => Ok(IpAddr::V4(Ipv4Addr::new(w, x, y, z))),
            _ => Err(DecodeError::BadLength { what, attr: a.kind, want: 4, have: a.data.len() }),
        }
    }
}

fn stats(a: &Attr<'_>, wide: bool) -> Result<Stats, DecodeError> {
    let mut s = Stats::default();
    for x in a.nested() {
        let x = x?;
        // The 64-bit set is all u64; the old set has u32 counters and u64 bytes.
        let v = |x: &Attr<'_>, byte_count: bool| -> Result<u64, DecodeError> {
            if wide || byte_count { x.u64("stats") } else { x.u32("stats").map(u64::from) }
        };
        match x.kind {
            stats_attr::CONNS => s.conns = v(&x, false)?,
            stats_attr::INPKTS => s.inpkts = v(&x, false)?,
            stats_attr::OUTPKTS => s.outpkts = v(&x, false)?,
            stats_attr::INBYTES => s.inbytes = v(&x, true)?,
            stats_attr::OUTBYTES => s.outbytes = v(&x, true)?,
            stats_attr::CPS => s.cps = v(&x, false)?,
            stats_attr::INPPS => s.inpps = v(&x, false)?,
            stats_attr::OUTPPS => s.outpps = v(&x, false)?,
            stats_attr::INBPS => s.inbps = v(&x, false)?,
            stats_attr::OUTBPS => s.outbps = v(&x, false)?,
            _ => {}
        }
    }
    Ok(s)
}

/// Finds the nested attribute `kind` among `attrs`.
fn find<'a>(attrs: &'a [u8], kind: u16, what: &'static str) -> Result<Attr<'a>, DecodeError> {
    for a in nla::attrs(attrs) {
        let a = a?;
        if a.kind == kind {
            return Ok(a);
        }
    }
    Err(DecodeError::Missing { what, attr: kind })
}

/// Decodes a service the kernel reports (the attributes of a `NEW_SERVICE`
/// message in a `GET_SERVICE` dump).
pub(crate) fn decode_service(attrs: &[u8]) -> Result<ServiceEntry, DecodeError> {
    const W: &str = "service";
    let nest = find(attrs, cmd_attr::SERVICE, W)?;
    let mut af = None;
    let (mut proto, mut addr, mut port, mut fwmark) = (0u16, None, 0u16, 0u32);
    let (mut sched, mut pe_name) = (None, String::new());
    let (mut flags, mut timeout, mut netmask) = (None, None, None);
    let (mut st, mut st64) = (None, None);
    // The address needs the family, which comes first in practice; keep the
    // attribute and decode it at the end so the order does not matter.
    let mut addr_attr = None;
    for a in nest.nested() {
        let a = a?;
        match a.kind {
            svc_attr::AF => af = Some(a.u16(W)?),
            svc_attr::PROTOCOL => proto = a.u16(W)?,
            svc_attr::ADDR => addr_attr = Some(a),
            svc_attr::PORT => port = a.be16(W)?,
            svc_attr::FWMARK => fwmark = a.u32(W)?,
            svc_attr::SCHED_NAME => sched = Some(a.string()),
            svc_attr::PE_NAME => pe_name = a.string(),
            svc_attr::FLAGS => {
                let b = a.data;
                if b.len() != 8 {
                    return Err(DecodeError::BadLength { what: W, attr: a.kind, want: 8, have: b.len() });
                }
                flags = Some(Attr { kind: a.kind, data: b.get(..4).unwrap_or(&[]) }.u32(W)?);
            }
            svc_attr::TIMEOUT => timeout = Some(a.u32(W)?),
            svc_attr::NETMASK => netmask = Some(a.u32(W)?),
            svc_attr::STATS => st = Some(stats(&a, false)?),
            svc_attr::STATS64 => st64 = Some(stats(&a, true)?),
            _ => {}
        }
    }
    let af = af.ok_or(DecodeError::Missing { what: W, attr: svc_attr::AF })?;
    if let Some(a) = addr_attr {
        addr = Some(addr_of(&a, af, W)?);
    }
    let key = if fwmark != 0 {
        ServiceKey { af, proto: 0, addr: unspecified(af_of(af)), port: 0, fwmark }
    } else {
        let addr = addr.ok_or(DecodeError::Missing { what: W, attr: svc_attr::ADDR })?;
        ServiceKey { af, proto, addr, port, fwmark: 0 }
    };
    let attrs = ServiceAttrs {
        sched: sched.ok_or(DecodeError::Missing { what: W, attr: svc_attr::SCHED_NAME })?,
        flags: flags.ok_or(DecodeError::Missing { what: W, attr: svc_attr::FLAGS })? & !svc_flags::HASHED,
        timeout: timeout.ok_or(DecodeError::Missing { what: W, attr: svc_attr::TIMEOUT })?,
        netmask: netmask.ok_or(DecodeError::Missing { what: W, attr: svc_attr::NETMASK })?,
        pe_name,
    };
    Ok(ServiceEntry { key, attrs, stats: st64.or(st).unwrap_or_default() })
}

/// Decodes a destination the kernel reports (a `GET_DEST` dump message).
pub(crate) fn decode_dest(attrs: &[u8], svc_af: u16) -> Result<DestEntry, DecodeError> {
    const W: &str = "destination";
    let nest = find(attrs, cmd_attr::DEST, W)?;
    let mut e = DestEntry {
        key: DestKey { addr: unspecified(af_of(svc_af)), port: 0 },
        attrs: DestAttrs::default(),
        active_conns: 0,
        inact_conns: 0,
        persist_conns: 0,
        stats: Stats::default(),
    };
    let (mut af, mut addr_attr, mut st, mut st64) = (None, None, None, None);
    let (mut have_addr, mut have_port, mut have_fwd, mut have_weight) = (false, false, false, false);
    for a in nest.nested() {
        let a = a?;
        match a.kind {
            dest_attr::ADDR => {
                addr_attr = Some(a);
                have_addr = true;
            }
            dest_attr::PORT => {
                e.key.port = a.be16(W)?;
                have_port = true;
            }
            dest_attr::FWD_METHOD => {
                e.attrs.fwd = a.u32(W)? & super::table::fwd::MASK;
                have_fwd = true;
            }
            dest_attr::WEIGHT => {
                e.attrs.weight = a.u32(W)? as i32;
                have_weight = true;
            }
            dest_attr::U_THRESH => e.attrs.u_thresh = a.u32(W)?,
            dest_attr::L_THRESH => e.attrs.l_thresh = a.u32(W)?,
            dest_attr::ACTIVE_CONNS => e.active_conns = a.u32(W)?,
            dest_attr::INACT_CONNS => e.inact_conns = a.u32(W)?,
            dest_attr::PERSIST_CONNS => e.persist_conns = a.u32(W)?,
            dest_attr::STATS => st = Some(stats(&a, false)?),
            dest_attr::STATS64 => st64 = Some(stats(&a, true)?),
            dest_attr::ADDR_FAMILY => af = Some(a.u16(W)?),
            dest_attr::TUN_TYPE => e.attrs.tun_type = a.u8(W)?,
            dest_attr::TUN_PORT => e.attrs.tun_port = a.be16(W)?,
            dest_attr::TUN_FLAGS => e.attrs.tun_flags = a.u16(W)?,
            _ => {}
        }
    }
    for (have, attr) in [
        (have_addr, dest_attr::ADDR),
        (have_port, dest_attr::PORT),
        (have_fwd, dest_attr::FWD_METHOD),
        (have_weight, dest_attr::WEIGHT),
    ] {
        if !have {
            return Err(DecodeError::Missing { what: W, attr });
        }
    }
    if let Some(a) = addr_attr {
        e.key.addr = addr_of(&a, af.unwrap_or(svc_af), W)?;
    }
    e.stats = st64.or(st).unwrap_or_default();
    Ok(e)
}

/// Decodes a running daemon (a `GET_DAEMON` dump message).
pub(crate) fn decode_daemon(attrs: &[u8]) -> Result<Daemon, DecodeError> {
    const W: &str = "daemon";
    let nest = find(attrs, cmd_attr::DAEMON, W)?;
    let (mut state, mut ifname, mut syncid) = (None, None, None);
    let mut d =
        Daemon { state: SyncState::Master, ifname: String::new(), syncid: 0, maxlen: 0, port: 0, ttl: 0, group: None };
    for a in nest.nested() {
        let a = a?;
        match a.kind {
            daemon_attr::STATE => state = Some(a.u32(W)?),
            daemon_attr::MCAST_IFN => ifname = Some(a.string()),
            daemon_attr::SYNC_ID => syncid = Some(a.u32(W)?),
            daemon_attr::SYNC_MAXLEN => d.maxlen = a.u16(W)?,
            daemon_attr::MCAST_PORT => d.port = a.u16(W)?,
            daemon_attr::MCAST_TTL => d.ttl = a.u8(W)?,
            daemon_attr::MCAST_GROUP => {
                let b: [u8; 4] = a.data.try_into().map_err(|_| DecodeError::BadLength {
                    what: W,
                    attr: a.kind,
                    want: 4,
                    have: a.data.len(),
                })?;
                d.group = Some(IpAddr::V4(Ipv4Addr::from(b)));
            }
            daemon_attr::MCAST_GROUP6 => {
                let b: [u8; 16] = a.data.try_into().map_err(|_| DecodeError::BadLength {
                    what: W,
                    attr: a.kind,
                    want: 16,
                    have: a.data.len(),
                })?;
                d.group = Some(IpAddr::V6(Ipv6Addr::from(b)));
            }
            _ => {}
        }
    }
    let state = state.ok_or(DecodeError::Missing { what: W, attr: daemon_attr::STATE })?;
    d.state =
        SyncState::from_number(state).ok_or(DecodeError::BadValue { what: "daemon state", value: state.into() })?;
    d.ifname = ifname.ok_or(DecodeError::Missing { what: W, attr: daemon_attr::MCAST_IFN })?;
    d.syncid = syncid.ok_or(DecodeError::Missing { what: W, attr: daemon_attr::SYNC_ID })?;
    Ok(d)
}

/// Decodes the `GET_CONFIG` reply.
pub(crate) fn decode_timeouts(attrs: &[u8]) -> Result<Timeouts, DecodeError> {
    const W: &str = "timeouts";
    let mut t = Timeouts::default();
    for a in nla::attrs(attrs) {
        let a = a?;
        match a.kind {
            cmd_attr::TIMEOUT_TCP => t.tcp = a.u32(W)?,
            cmd_attr::TIMEOUT_TCP_FIN => t.tcp_fin = a.u32(W)?,
            cmd_attr::TIMEOUT_UDP => t.udp = a.u32(W)?,
            _ => {}
        }
    }
    Ok(t)
}

/// Decodes the `GET_INFO` reply.
pub(crate) fn decode_info(attrs: &[u8]) -> Result<Info, DecodeError> {
    const W: &str = "info";
    let (mut version, mut size) = (None, None);
    for a in nla::attrs(attrs) {
        let a = a?;
        match a.kind {
            info_attr::VERSION => version = Some(a.u32(W)?),
            info_attr::CONN_TAB_SIZE => size = Some(a.u32(W)?),
            _ => {}
        }
    }
    Ok(Info {
        version: version.ok_or(DecodeError::Missing { what: W, attr: info_attr::VERSION })?,
        conn_tab_size: size.ok_or(DecodeError::Missing { what: W, attr: info_attr::CONN_TAB_SIZE })?,
        num_services: None,
    })
}

/// One message of a reply, as the kernel sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reply<'a> {
    /// An `NLMSG_ERROR` with error 0.
    Ack { seq: u32 },
    /// An `NLMSG_ERROR`: the request `seq` failed with `errno`.
    Error { seq: u32, errno: i32 },
    /// The end of a dump.
    Done { seq: u32 },
    /// A message of the family: its command and attributes.
    Data { seq: u32, cmd: u8, attrs: &'a [u8], multi: bool },
}

/// Decodes the messages of one received datagram from family `family`.
pub(crate) fn replies(family: u16, buf: &[u8]) -> impl Iterator<Item = Result<Reply<'_>, DecodeError>> {
    nla::messages(buf).map(move |m| {
        let m = m?;
        match m.kind {
            nla::NLMSG_ERROR => {
                let e = nla::error_msg(m.payload)?;
                Ok(if e.errno == 0 { Reply::Ack { seq: e.seq } } else { Reply::Error { seq: e.seq, errno: e.errno } })
            }
            nla::NLMSG_DONE => Ok(Reply::Done { seq: m.seq }),
            k if k == family => {
                let g = nla::genl(m.payload)?;
                Ok(Reply::Data { seq: m.seq, cmd: g.cmd, attrs: g.attrs, multi: m.flags & nla::F_MULTI != 0 })
            }
            k => Err(DecodeError::UnexpectedType(k)),
        }
    })
}

#[cfg(test)]
mod tests;
