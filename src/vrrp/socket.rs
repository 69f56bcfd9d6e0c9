//! VRRP sockets: raw IPv4 (protocol 112, or 51 for AH) and IPv6 sockets bound
//! to one interface, and the sockets gratuitous ARP / neighbour advertisements
//! go out on. One socket serves every instance on an interface; the runtime
//! dispatches received adverts by VRID.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::num::NonZeroU32;
use std::os::fd::AsFd;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use crate::sys;
use crate::vrrp::packet::{IPPROTO_VRRP, KEEPALIVED_TOS, VRRP_GROUP_V4, VRRP_GROUP_V6, VRRP_TTL};

/// A received datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// IPv4: the whole IP packet. IPv6: the VRRP payload only.
    pub len: usize,
    pub src: IpAddr,
    /// IPv6 only (IPv4 carries it in the header): destination and hop limit.
    pub dst: Option<Ipv6Addr>,
    pub hop_limit: Option<u8>,
}

/// A raw VRRP socket on one interface.
pub struct VrrpSocket {
    fd: AsyncFd<Socket>,
    v6: bool,
    ifindex: u32,
}

fn raw(domain: Domain, proto: i32) -> io::Result<Socket> {
    let s = Socket::new(domain, Type::RAW, Some(Protocol::from(proto)))?;
    s.set_nonblocking(true)?;
    s.set_cloexec(true)?;
    Ok(s)
}

impl VrrpSocket {
    /// The socket's descriptor (shown in keepalived.data).
    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.fd.get_ref().as_raw_fd()
    }

    /// An IPv4 raw socket for `proto` (112 or 51) on `ifname`: it receives whole
    /// IP packets and sends packets whose IP header we build (IP_HDRINCL), so
    /// the TTL of 255, TOS and AH are ours. Joins 224.0.0.18 when `multicast`.
    pub fn open_v4(ifname: &str, ifindex: u32, proto: i32, multicast: bool) -> io::Result<VrrpSocket> {
        Self::open_v4_group(ifname, ifindex, proto, multicast.then_some(VRRP_GROUP_V4))
    }

    /// [`VrrpSocket::open_v4`] joining `group` (`vrrp_mcast_group4` /
    /// `mcast_dst_ip`) instead of 224.0.0.18; `None` for a unicast socket.
    pub(crate) fn open_v4_group(
        ifname: &str,
        ifindex: u32,
        proto: i32,
        group: Option<Ipv4Addr>,
    ) -> io::Result<VrrpSocket> {
        let s = raw(Domain::IPV4, proto)?;
        s.bind_device(Some(ifname.as_bytes()))?;
        s.set_header_included_v4(true)?;
        s.set_multicast_loop_v4(false)?;
        s.set_multicast_ttl_v4(u32::from(VRRP_TTL))?;
        if let Some(group) = group {
            s.join_multicast_v4_n(&group, &socket2::InterfaceIndexOrAddress::Index(ifindex))?;
            if let Some(idx) = NonZeroU32::new(ifindex) {
                s.bind_device_by_index_v4(Some(idx))?;
            }
        }
        Ok(VrrpSocket { fd: sys::async_socket(s)?, v6: false, ifindex })
    }

    /// An IPv6 raw socket for VRRP on `ifname`, hop limit 255 both ways, with
    /// the hop limit and destination of received packets reported. Sends from
    /// `src` (the interface's link-local address, RFC 5798 section 5.1.2.1).
    pub fn open_v6(ifname: &str, ifindex: u32, multicast: bool) -> io::Result<VrrpSocket> {
        Self::open_v6_group(ifname, ifindex, multicast.then_some(VRRP_GROUP_V6))
    }

    /// [`VrrpSocket::open_v6`] joining `group` (`vrrp_mcast_group6` /
    /// `mcast_dst_ip`) instead of ff02::12; `None` for a unicast socket.
    pub(crate) fn open_v6_group(ifname: &str, ifindex: u32, group: Option<Ipv6Addr>) -> io::Result<VrrpSocket> {
        let s = raw(Domain::IPV6, i32::from(IPPROTO_VRRP))?;
        s.bind_device(Some(ifname.as_bytes()))?;
        s.set_multicast_hops_v6(u32::from(VRRP_TTL))?;
        s.set_unicast_hops_v6(u32::from(VRRP_TTL))?;
        s.set_multicast_loop_v6(false)?;
        s.set_multicast_if_v6(ifindex)?;
        s.set_recv_hoplimit_v6(true)?;
        sys::setsockopt_int(s.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
        // Traffic class 0xc0 (network control), as keepalived sends.
        sys::setsockopt_int(s.as_fd(), libc::IPPROTO_IPV6, libc::IPV6_TCLASS, i32::from(KEEPALIVED_TOS))?;
        if let Some(group) = group {
            s.join_multicast_v6(&group, ifindex)?;
        }
        Ok(VrrpSocket { fd: sys::async_socket(s)?, v6: true, ifindex })
    }

    /// Sets the socket's receive buffer (SO_RCVBUF; the kernel doubles it).
    pub(crate) fn set_recv_buffer(&self, bytes: usize) -> io::Result<()> {
        self.fd.get_ref().set_recv_buffer_size(bytes)
    }

    /// Receives one datagram into `buf`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        loop {
            let mut guard = self.fd.readable().await?;
            let res = if self.v6 { self.try_recv_v6(buf) } else { self.try_recv_v4(buf) };
            match res {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                other => return other,
            }
        }
    }

    fn try_recv_v4(&self, buf: &mut [u8]) -> io::Result<Received> {
        use std::io::Read;
        let len = self.fd.get_ref().read(buf)?;
        // The source is in the IP header, which the caller parses; report it
        // here too for logging of undecodable packets.
        let src = match buf.get(12..16) {
            Some(b) => IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])),
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        Ok(Received { len, src, dst: None, hop_limit: None })
    }

    fn try_recv_v6(&self, buf: &mut [u8]) -> io::Result<Received> {
        let mut control = [0u8; 128];
        let meta = sys::recvmsg_v6(self.fd.get_ref().as_fd(), buf, &mut control)?;
        let mut out = Received {
            len: meta.len,
            src: IpAddr::V6(meta.src.map(|s| *s.ip()).unwrap_or(Ipv6Addr::UNSPECIFIED)),
            dst: None,
            hop_limit: None,
        };
        for (level, kind, data) in cmsgs(control.get(..meta.control_len).unwrap_or(&[])) {
            if level != libc::IPPROTO_IPV6 {
                continue;
            }
            if kind == libc::IPV6_HOPLIMIT {
                if let Some(b) = data.get(..4) {
                    out.hop_limit = Some(i32::from_ne_bytes([b[0], b[1], b[2], b[3]]).clamp(0, 255) as u8);
                }
            } else if kind == libc::IPV6_PKTINFO {
                if let Some(b) = data.get(..16) {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(b);
                    out.dst = Some(Ipv6Addr::from(a));
                }
            }
        }
        Ok(out)
    }

    /// Sends a whole IPv4 packet (header included) to `dst`.
    pub async fn send_v4(&self, packet: &[u8], dst: Ipv4Addr) -> io::Result<()> {
        let addr = SockAddr::from(SocketAddr::new(IpAddr::V4(dst), 0));
        self.send_to(packet, &addr).await
    }

    /// Sends a VRRP payload to `dst` over IPv6 (the kernel adds the header).
    pub async fn send_v6(&self, payload: &[u8], dst: Ipv6Addr) -> io::Result<()> {
        let scope = if dst.is_multicast() || dst.segments()[0] & 0xffc0 == 0xfe80 { self.ifindex } else { 0 };
        let addr = SockAddr::from(SocketAddrV6::new(dst, 0, 0, scope));
        self.send_to(payload, &addr).await
    }

    /// Sends a VRRP payload to `dst` over IPv6 from `src` (`IPV6_PKTINFO`), so
    /// that an advert leaves from the instance's address (`unicast_src_ip`,
    /// the link-local address) and never from one the kernel would rather
    /// pick, such as a VIP: receivers check the checksum over `src`.
    pub(crate) async fn send_v6_from(&self, payload: &[u8], src: Ipv6Addr, dst: Ipv6Addr) -> io::Result<()> {
        let scope = if dst.is_multicast() || dst.segments()[0] & 0xffc0 == 0xfe80 { self.ifindex } else { 0 };
        let addr = SockAddr::from(SocketAddrV6::new(dst, 0, 0, scope));
        let control = pktinfo_cmsg(src, self.ifindex);
        loop {
            let mut guard = self.fd.writable().await?;
            let sent = guard.try_io(|s| {
                let bufs = [io::IoSlice::new(payload)];
                let msg = socket2::MsgHdr::new().with_addr(&addr).with_buffers(&bufs).with_control(&control);
                s.get_ref().sendmsg(&msg, 0)
            });
            match sent {
                Ok(r) => return r.map(|_| ()),
                Err(_would_block) => continue,
            }
        }
    }

    async fn send_to(&self, data: &[u8], addr: &SockAddr) -> io::Result<()> {
        loop {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|s| s.get_ref().send_to(data, addr)) {
                Ok(r) => return r.map(|_| ()),
                Err(_would_block) => continue,
            }
        }
    }
}

/// One `IPV6_PKTINFO` control message (a Linux `cmsghdr` followed by an
/// `in6_pktinfo`: address, interface index), padded to `CMSG_SPACE`.
fn pktinfo_cmsg(src: Ipv6Addr, ifindex: u32) -> Vec<u8> {
    const WORD: usize = std::mem::size_of::<usize>();
    let len = WORD + 8 + 20; // cmsg_len, level, type; in6_pktinfo
    let space = (len + WORD - 1) & !(WORD - 1);
    let mut b = Vec::with_capacity(space);
    b.extend_from_slice(&len.to_ne_bytes());
    b.extend_from_slice(&libc::IPPROTO_IPV6.to_ne_bytes());
    b.extend_from_slice(&libc::IPV6_PKTINFO.to_ne_bytes());
    b.extend_from_slice(&src.octets());
    b.extend_from_slice(&ifindex.to_ne_bytes());
    b.resize(space, 0);
    b
}

/// Walks Linux `cmsghdr`s in a control buffer: (level, type, data).
fn cmsgs(buf: &[u8]) -> Vec<(i32, i32, &[u8])> {
    const HDR: usize = std::mem::size_of::<usize>() + 8; // cmsg_len, level, type
    let align = |n: usize| (n + std::mem::size_of::<usize>() - 1) & !(std::mem::size_of::<usize>() - 1);
    let mut out = Vec::new();
    let mut off = 0;
    while let Some(h) = buf.get(off..off + HDR) {
        let mut lenb = [0u8; std::mem::size_of::<usize>()];
        lenb.copy_from_slice(&h[..std::mem::size_of::<usize>()]);
        let len = usize::from_ne_bytes(lenb);
        let s = std::mem::size_of::<usize>();
        let level = i32::from_ne_bytes([h[s], h[s + 1], h[s + 2], h[s + 3]]);
        let kind = i32::from_ne_bytes([h[s + 4], h[s + 5], h[s + 6], h[s + 7]]);
        if len < HDR {
            break;
        }
        let Some(data) = buf.get(off + HDR..off + len) else { break };
        out.push((level, kind, data));
        off += align(len);
    }
    out
}

/// Sends gratuitous ARP frames and unsolicited neighbour advertisements on one interface.
pub struct GarpSender {
    arp: Option<Socket>,
    na: Option<Socket>,
}

impl GarpSender {
    /// Opens the sockets for the families in use.
    pub fn open(ifname: &str, ifindex: u32, v4: bool, v6: bool) -> io::Result<GarpSender> {
        let arp = if v4 {
            let s = Socket::new(Domain::from(libc::AF_PACKET), Type::RAW, Some(Protocol::from(0)))?;
            s.set_nonblocking(true)?;
            s.set_cloexec(true)?;
            sys::bind_packet(s.as_fd(), ifindex, crate::vrrp::garp::ETH_P_ARP)?;
            Some(s)
        } else {
            None
        };
        let na = if v6 {
            let s = raw(Domain::IPV6, libc::IPPROTO_ICMPV6)?;
            s.bind_device(Some(ifname.as_bytes()))?;
            s.set_multicast_hops_v6(255)?;
            s.set_unicast_hops_v6(255)?;
            s.set_multicast_if_v6(ifindex)?;
            s.set_multicast_loop_v6(false)?;
            Some(s)
        } else {
            None
        };
        Ok(GarpSender { arp, na })
    }

    /// Sends a whole Ethernet frame (non-blocking; a full queue drops it, as
    /// a lost gratuitous ARP is repeated anyway).
    pub fn send_arp_frame(&self, frame: &[u8]) -> io::Result<()> {
        match &self.arp {
            Some(s) => s.send(frame).map(|_| ()),
            None => Err(io::Error::new(io::ErrorKind::Unsupported, "no IPv4 on this interface")),
        }
    }

    /// Sends an ICMPv6 message to all nodes on the link.
    pub fn send_na(&self, icmp: &[u8], ifindex: u32) -> io::Result<()> {
        match &self.na {
            Some(s) => {
                let dst = SockAddr::from(SocketAddrV6::new(super::garp::ALL_NODES, 0, 0, ifindex));
                s.send_to(icmp, &dst).map(|_| ())
            }
            None => Err(io::Error::new(io::ErrorKind::Unsupported, "no IPv6 on this interface")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pktinfo_cmsg_reads_back() {
        let src: Ipv6Addr = "fd00::1".parse().expect("ip");
        let b = pktinfo_cmsg(src, 7);
        assert_eq!(b.len() % std::mem::size_of::<usize>(), 0);
        let v = cmsgs(&b);
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].0, v[0].1), (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO));
        assert_eq!(&v[0].2[..16], &src.octets());
        assert_eq!(&v[0].2[16..20], &7u32.to_ne_bytes());
    }

    #[test]
    fn cmsg_walk_is_bounded() {
        assert!(cmsgs(&[]).is_empty());
        assert!(cmsgs(&[0xff; 7]).is_empty());
        // A header claiming more data than there is.
        let mut b = vec![0u8; 24];
        b[..8].copy_from_slice(&100usize.to_ne_bytes());
        assert!(cmsgs(&b).is_empty());
        // One hop-limit cmsg: len 20 (16 header + 4 data).
        let mut b = vec![0u8; 24];
        b[..8].copy_from_slice(&20usize.to_ne_bytes());
        b[8..12].copy_from_slice(&libc::IPPROTO_IPV6.to_ne_bytes());
        b[12..16].copy_from_slice(&libc::IPV6_HOPLIMIT.to_ne_bytes());
        b[16..20].copy_from_slice(&255i32.to_ne_bytes());
        let v = cmsgs(&b);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].2, &255i32.to_ne_bytes());
    }
}
