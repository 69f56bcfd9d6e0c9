//! The VRRP sockets: opening them, reading them (a task per socket), the
//! receive path (VRID dispatch, decode, checks, counters) and adverts.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use super::spec::InstanceSpec;
use super::{RX_BUF, Runtime, RxPacket, Slot, SockEntry, SockKey, centis};
use crate::vrrp::auth::{AuthConfig, TxAuth};
use crate::vrrp::fsm::{Family, Input, RxAdvert, State};
use crate::vrrp::packet::{
    self, Advert, DropReason, InstanceExpectation, Ipv4Tx, PacketType, decode_ipv4, decode_ipv6, encode_ipv4,
    encode_v6_payload, next_ip_id, peek_vrid_ipv4, peek_vrid_ipv6, validate_for_instance,
};
use crate::vrrp::socket::VrrpSocket;

/// Counts and logs a refused advert.
pub(super) fn drop_advert(slot: &mut Slot, reason: &DropReason) {
    slot.stats.drops.bump(reason);
    tracing::info!("({}) {reason}", slot.spec.name);
}

/// Reads one socket until the loop goes away.
pub(super) fn spawn_reader(id: u64, sock: Arc<VrrpSocket>, tx: mpsc::Sender<RxPacket>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = vec![0u8; RX_BUF];
        loop {
            match sock.recv(&mut buf).await {
                Ok(r) => {
                    let data = buf.get(..r.len).unwrap_or(&[]).to_vec();
                    let pkt = RxPacket { sock: id, data, src: r.src, dst: r.dst, hop_limit: r.hop_limit };
                    if tx.send(pkt).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!("VRRP socket receive error - {e}");
                    // Do not spin on a persistent error.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

impl Runtime {
    pub(super) fn sock_key(spec: &InstanceSpec) -> Option<SockKey> {
        Some(SockKey {
            ifname: spec.sock_ifname()?,
            v6: spec.family == Family::V6,
            proto: spec.protocol(),
            group: (!spec.is_unicast()).then_some(spec.mcast_dst),
        })
    }

    /// Opens (or reuses) the socket for `key` on interface `ifindex`.
    pub(super) fn ensure_socket(&mut self, key: &SockKey, ifindex: u32) -> bool {
        if self.socks.contains_key(key) {
            return true;
        }
        let opened = match key.group {
            Some(IpAddr::V6(g)) => VrrpSocket::open_v6_group(&key.ifname, ifindex, Some(g)),
            Some(IpAddr::V4(g)) => VrrpSocket::open_v4_group(&key.ifname, ifindex, i32::from(key.proto), Some(g)),
            None if key.v6 => VrrpSocket::open_v6_group(&key.ifname, ifindex, None),
            None => VrrpSocket::open_v4_group(&key.ifname, ifindex, i32::from(key.proto), None),
        };
        match opened {
            Ok(sock) => {
                let id = self.next_sock_id;
                self.next_sock_id += 1;
                let sock = Arc::new(sock);
                let reader = spawn_reader(id, sock.clone(), self.rx_tx.clone());
                tracing::debug!(
                    "VRRP sockpool: [ifindex({ifindex:3}), family({}), proto({}), {}]",
                    if key.v6 { "IPv6" } else { "IPv4" },
                    key.proto,
                    key.group.map_or_else(|| "unicast".to_owned(), |g| format!("multicast, address({g})"))
                );
                self.sock_by_id.insert(id, key.clone());
                self.socks.insert(key.clone(), SockEntry { id, sock, reader, vrids: HashMap::new(), rx_buf: 0 });
                true
            }
            Err(e) => {
                tracing::error!("cannot open VRRP socket on {} - {e}", key.ifname);
                false
            }
        }
    }

    /// Sizes each socket's receive buffer for the instances on it
    /// (`kernel_rx_buf_size`, `vrrp_rx_bufs_policy`, `vrrp_rx_bufs_multiplier`).
    pub(super) fn set_rx_bufs(&mut self) {
        let policy = self.globals.rx_bufs_policy.clone();
        let mult = self.globals.rx_bufs_multiplier;
        let wanted: Vec<(SockKey, u64)> = self
            .socks
            .iter()
            .map(|(k, e)| {
                let mtu = std::fs::read_to_string(format!("/sys/class/net/{}/mtu", k.ifname))
                    .ok()
                    .and_then(|t| t.trim().parse().ok())
                    .unwrap_or(1500);
                let total = e
                    .vrids
                    .values()
                    .filter_map(|i| self.slot(*i))
                    .map(|s| s.spec.rx_buf_share(policy.as_deref(), mult, mtu))
                    .sum();
                (k.clone(), total)
            })
            .collect();
        for (k, total) in wanted {
            let Some(e) = self.socks.get_mut(&k) else { continue };
            if total == 0 || total == e.rx_buf {
                continue;
            }
            match e.sock.set_recv_buffer(usize::try_from(total).unwrap_or(usize::MAX)) {
                Ok(()) => e.rx_buf = total,
                Err(err) => tracing::info!("Unable to set receive buffer of VRRP socket on {} - {err}", k.ifname),
            }
        }
    }

    pub(super) fn close_unused_sockets(&mut self) {
        let unused: Vec<SockKey> =
            self.socks.iter().filter(|(_, e)| e.vrids.is_empty()).map(|(k, _)| k.clone()).collect();
        for k in unused {
            if let Some(e) = self.socks.remove(&k) {
                e.reader.abort();
                self.sock_by_id.remove(&e.id);
            }
        }
    }

    pub(super) async fn on_packet(&mut self, pkt: RxPacket) {
        let Some(key) = self.sock_by_id.get(&pkt.sock) else { return };
        let Some(entry) = self.socks.get(key) else { return };
        let (dst_multicast, vrid) = if key.v6 {
            (pkt.dst.is_some_and(|d| d.is_multicast()), peek_vrid_ipv6(&pkt.data))
        } else {
            let dst = pkt.data.get(16).is_some_and(|b| (224..240).contains(b));
            (dst, peek_vrid_ipv4(&pkt.data))
        };
        // A raw socket sees every packet of its protocol on the interface:
        // the unicast and the multicast socket each take their own kind.
        if dst_multicast == key.unicast() {
            return;
        }
        let Ok(vrid) = vrid else {
            return;
        };
        let Some(&idx) = entry.vrids.get(&vrid) else {
            self.unknown_vrids = self.unknown_vrids.saturating_add(1);
            if self.globals.log_unknown_vrids {
                tracing::info!("Unknown VRID({vrid}) received on interface({}). ignoring...", key.ifname);
            }
            return;
        };
        let v6 = key.v6;
        let span = self.slot(idx).map_or_else(tracing::Span::none, Slot::span);
        self.on_instance_packet(idx, pkt, v6).instrument(span).await;
    }

    /// The receive path of one instance's advert, inside the instance's span.
    async fn on_instance_packet(&mut self, idx: usize, pkt: RxPacket, v6: bool) {
        let now = crate::clock::now();
        let Some(slot) = self.slot_mut(idx) else { return };
        if matches!(slot.fsm.state(), State::Fault | State::Init) {
            // keepalived ignores adverts while in FAULT or not yet started.
            return;
        }
        let opts = slot.wire_options();
        let decoded = if v6 {
            let src = match pkt.src {
                IpAddr::V6(a) => a,
                IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
            };
            let dst = pkt.dst.unwrap_or(Ipv6Addr::UNSPECIFIED);
            decode_ipv6(&pkt.data, src, dst, pkt.hop_limit, &opts, &mut slot.auth, crate::clock::wall())
        } else {
            decode_ipv4(&pkt.data, &opts, &mut slot.auth, crate::clock::wall())
        };
        let rx = match decoded {
            Ok(rx) => rx,
            Err(reason) => return drop_advert(slot, &reason),
        };
        if rx.old_checksum && !slot.old_checksum {
            tracing::info!("({}) Setting unicast VRRPv3 checksum to old version", slot.spec.name);
            slot.old_checksum = true;
        }
        let params = slot.fsm.params();
        let exp = InstanceExpectation {
            vrid: params.vrid,
            version: params.version,
            adver_int: centis(params.advert_interval),
            addresses: &params.vips,
            check_addresses: !(params.skip_check_adv_addr && slot.fsm.master_address() == Some(rx.src)),
            unicast_peers: &slot.spec.unicast_peers,
            check_unicast_src: slot.spec.check_unicast_src,
        };
        if let Err(reason) = validate_for_instance(&rx, &exp) {
            return drop_advert(slot, &reason);
        }
        if rx.ah_seq.is_some() && slot.fsm.state() == State::Backup {
            slot.auth.ah.clear_cycle();
        }
        slot.stats.adverts_rcvd = slot.stats.adverts_rcvd.saturating_add(1);
        if rx.advert.priority == 0 {
            slot.stats.pri_zero_rcvd = slot.stats.pri_zero_rcvd.saturating_add(1);
        }
        let adv = RxAdvert {
            src: rx.src,
            version: rx.advert.version,
            priority: rx.advert.priority,
            adver_int: Duration::from_millis(u64::from(rx.advert.adver_int) * 10),
            addresses: rx.advert.addresses,
        };
        let actions = slot.fsm.handle(now, Input::Advert(adv));
        self.execute(idx, actions).await;
    }

    pub(super) async fn send_advert(&mut self, idx: usize, priority: u8) {
        let Some(slot) = self.slots.get_mut(idx).and_then(Option::as_mut) else { return };
        let Some(sock) = slot.sock.as_ref().and_then(|k| self.socks.get(k)).map(|e| e.sock.clone()) else {
            return;
        };
        let p = slot.fsm.params();
        let advert = Advert {
            version: p.version,
            kind: PacketType::Advertisement,
            vrid: p.vrid,
            priority,
            auth_type: None,
            adver_int: centis(p.advert_interval),
            checksum: 0,
            addresses: p.vips.clone(),
            auth_data: None,
        };
        let targets: Vec<IpAddr> = if slot.spec.is_unicast() {
            slot.spec.unicast_peers.iter().map(|u| u.addr).collect()
        } else {
            vec![slot.spec.mcast_dst]
        };
        let ttl = if slot.spec.is_unicast() { slot.spec.unicast_ttl } else { packet::VRRP_TTL };
        let opts = slot.wire_options();
        let wall = crate::clock::wall();
        let mut out: Vec<(IpAddr, Vec<u8>)> = Vec::with_capacity(targets.len());
        match slot.primary {
            IpAddr::V4(src) => {
                // One IP id and one AH sequence number per advert round.
                slot.ip_id = next_ip_id(slot.ip_id);
                if slot.fsm.state() == State::Master {
                    slot.auth.ah.on_become_master();
                }
                let ah_seq = if matches!(slot.auth.config, AuthConfig::Ah(_)) { slot.auth.ah.next_tx() } else { 0 };
                let hmac = slot.auth.hmac.as_mut().and_then(|h| h.next_tx(wall));
                let tx = TxAuth { config: &slot.auth.config, ah_seq, hmac };
                for t in targets {
                    let IpAddr::V4(dst) = t else { continue };
                    let ip = Ipv4Tx { src, dst, ttl, id: slot.ip_id };
                    match encode_ipv4(&advert, &ip, &opts, &tx) {
                        Ok(b) => out.push((t, b)),
                        Err(e) => tracing::error!("({}) cannot build advert - {e}", slot.spec.name),
                    }
                }
            }
            IpAddr::V6(src) => {
                let hmac = slot.auth.hmac.as_mut().and_then(|h| h.next_tx(wall));
                for t in targets {
                    let IpAddr::V6(dst) = t else { continue };
                    match encode_v6_payload(&advert, src, dst, hmac.as_ref()) {
                        Ok(b) => out.push((t, b)),
                        Err(e) => tracing::error!("({}) cannot build advert - {e}", slot.spec.name),
                    }
                }
            }
        }
        slot.stats.adverts_sent = slot.stats.adverts_sent.saturating_add(1);
        if priority == 0 {
            slot.stats.pri_zero_sent = slot.stats.pri_zero_sent.saturating_add(1);
        }
        let name = slot.spec.name.clone();
        let src = slot.primary;
        for (dst, bytes) in out {
            let r = match dst {
                IpAddr::V4(d) => sock.send_v4(&bytes, d).await,
                IpAddr::V6(d) => match src {
                    IpAddr::V6(s) => sock.send_v6_from(&bytes, s, d).await,
                    IpAddr::V4(_) => sock.send_v6(&bytes, d).await,
                },
            };
            if let Err(e) = r {
                tracing::info!("({name}) Unable to send advert to {dst} - {e}");
            }
        }
    }
}
