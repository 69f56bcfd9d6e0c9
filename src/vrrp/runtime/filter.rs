//! keepalived's packet filter, an nftables table (`keepalived` unless
//! `nftables NAME`) made when first needed and deleted on exit:
//!
//! - no_accept (and so `vrrp_strict`): a MASTER that does not own its
//!   addresses drops what is sent to or from its VIPs and eVIPs (RFC 5798
//!   section 6.4.3: Accept_Mode false). Chains `in` and `out` hooked at
//!   `nftables_priority` (default -1) look the addresses up in set `vips`;
//!   IPv6 neighbour discovery passes, and link-local addresses are matched
//!   with their interface (set `vips_link_local`).
//! - VMACs: IGMP (IPv4) and MLD reports leaving a VMAC are sent on its base
//!   interface instead (map `vmac_map`), and IPv6 router solicitations from
//!   VMACs are dropped (set `vmac_set`).
//!
//! The same ruleset as Debian's keepalived 2.2.7 makes (`nft list ruleset`
//! shows the same table), sent over nfnetlink.

use std::collections::HashSet;
use std::net::IpAddr;

use super::Runtime;
use super::spec::is_link_local;
use crate::config::model::global::GlobalConfig;
use crate::netfilter::nft::{self, Batch, Expr, SetDef};
use crate::netfilter::{NftError, NftSocket};

/// What a family's table has so far.
#[derive(Default)]
struct FamilyState {
    table: bool,
    vips: bool,
    vmac: bool,
}

/// The filter's configuration and what it has made.
pub(super) struct Filter {
    table: String,
    priority: i32,
    counters: bool,
    sock: Option<NftSocket>,
    v4: FamilyState,
    v6: FamilyState,
    /// Whether a table was configured (`nftables`, `vrrp_nftables`, or
    /// `vrrp_iptables`, which Debian's keepalived runs with nftables).
    configured: bool,
    /// Whether "using nftables" was said.
    announced: bool,
}

const LL_PREFIX: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const LL_MASK: [u8; 16] = [0xff, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// ICMPv6 neighbour solicitation and advertisement.
const ND_TYPES: [u8; 2] = [135, 136];
/// IPPROTO_IGMP, IPPROTO_ICMPV6; MLDv2 report, router solicitation.
const IGMP: u8 = 2;
const ICMPV6: u8 = 58;
const MLD2_REPORT: u8 = 143;
const ROUTER_SOLICIT: u8 = 133;

fn ifname_key(kind: &str) -> Vec<u8> {
    let mut k = [0u8; 16];
    for (d, s) in k.iter_mut().zip(kind.as_bytes()) {
        *d = *s;
    }
    k.to_vec()
}

fn addr_bytes(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

impl Filter {
    pub(super) fn new(g: &GlobalConfig) -> Filter {
        Filter {
            table: g.nftables.as_ref().map_or_else(|| "keepalived".to_owned(), |t| t.value.clone()),
            priority: g.nftables_priority,
            counters: g.nftables_counters,
            sock: None,
            v4: FamilyState::default(),
            v6: FamilyState::default(),
            configured: g.nftables.is_some(),
            announced: false,
        }
    }

    /// Takes the table of `vrrp_nftables` / `vrrp_iptables` when `nftables`
    /// names none; says, once, that nftables is used when nothing was
    /// configured and `needed`.
    pub(super) fn configure(&mut self, vrrp_table: Option<&str>, needed: bool) {
        if let (Some(t), false) = (vrrp_table, self.configured) {
            if !self.v4.table && !self.v6.table {
                self.table = t.to_owned();
            }
            self.configured = true;
        }
        if needed && !self.configured && !self.announced {
            tracing::info!("use_vmac or no_accept/strict specified, but no firewall configured - using nftables");
            self.announced = true;
        }
    }

    fn state(&mut self, v6: bool) -> &mut FamilyState {
        if v6 { &mut self.v6 } else { &mut self.v4 }
    }

    async fn run(&mut self, batch: &Batch) -> Result<(), NftError> {
        if self.sock.is_none() {
            self.sock = Some(NftSocket::open()?);
        }
        match &mut self.sock {
            Some(s) => s.run(batch).await,
            None => Err(NftError::Io("no nfnetlink socket".into())),
        }
    }

    fn drop_rule(&self, mut exprs: Vec<Expr>) -> Vec<Expr> {
        if self.counters {
            exprs.push(Expr::Counter);
        }
        exprs.push(Expr::Verdict { code: nft::NF_DROP, chain: None });
        exprs
    }

    /// The family's table, made once (a table of that name left by an
    /// earlier run is replaced).
    async fn ensure_table(&mut self, v6: bool) -> Result<(), NftError> {
        if self.state(v6).table {
            return Ok(());
        }
        let family = if v6 { nft::NFPROTO_IPV6 } else { nft::NFPROTO_IPV4 };
        let mut gone = Batch::default();
        gone.del_table(family, &self.table);
        // ENOENT: there was none, as expected.
        let _ = self.run(&gone).await;
        let mut b = Batch::default();
        b.new_table(family, &self.table);
        self.run(&b).await?;
        self.state(v6).table = true;
        Ok(())
    }

    /// The no_accept part of the family's table.
    async fn ensure_vips(&mut self, v6: bool) -> Result<(), NftError> {
        self.ensure_table(v6).await?;
        if self.state(v6).vips {
            return Ok(());
        }
        let t = self.table.clone();
        let mut b = Batch::default();
        let prio = self.priority;
        if v6 {
            let f = nft::NFPROTO_IPV6;
            b.new_set(
                f,
                &t,
                &SetDef {
                    name: "vips".into(),
                    key_type: nft::TYPE_IP6ADDR,
                    key_len: 16,
                    flags: 0,
                    data: None,
                    id: 1,
                    host_order: false,
                },
            );
            b.new_set(
                f,
                &t,
                &SetDef {
                    name: "neighbor-discovery".into(),
                    key_type: nft::TYPE_ICMPV6_TYPE,
                    key_len: 1,
                    flags: nft::SET_CONSTANT,
                    data: None,
                    id: 2,
                    host_order: false,
                },
            );
            b.set_elems(
                f,
                &t,
                "neighbor-discovery",
                &ND_TYPES.iter().map(|t| (vec![*t], None)).collect::<Vec<_>>(),
                true,
            );
            b.new_set(
                f,
                &t,
                &SetDef {
                    name: "vips_link_local".into(),
                    key_type: nft::TYPE_IP6ADDR << nft::TYPE_BITS | nft::TYPE_IFINDEX,
                    key_len: 20,
                    flags: 0,
                    data: None,
                    id: 3,
                    host_order: false,
                },
            );
            b.new_chain(f, &t, "out", Some((nft::HOOK_OUTPUT, prio)));
            b.new_chain(f, &t, "in", Some((nft::HOOK_INPUT, prio)));
            b.new_chain(f, &t, "in_link_local", None);
            b.new_chain(f, &t, "out_link_local", None);
            for (chain, off, ll_chain, meta) in
                [("out", 8, "out_link_local", nft::META_OIF), ("in", 24, "in_link_local", nft::META_IIF)]
            {
                b.new_rule(
                    f,
                    &t,
                    chain,
                    &[
                        Expr::Payload { base: nft::BASE_NETWORK, offset: 6, len: 1, reg: 1 },
                        Expr::CmpEq { reg: 1, data: vec![ICMPV6] },
                        Expr::Payload { base: nft::BASE_TRANSPORT, offset: 0, len: 1, reg: 1 },
                        Expr::Lookup { reg: 1, set: "neighbor-discovery".into(), dreg: None },
                        Expr::Verdict { code: nft::NF_ACCEPT, chain: None },
                    ],
                );
                b.new_rule(
                    f,
                    &t,
                    chain,
                    &[
                        Expr::Payload { base: nft::BASE_NETWORK, offset: off, len: 16, reg: 1 },
                        Expr::Bitwise { reg: 1, mask: LL_MASK.to_vec(), xor: vec![0; 16] },
                        Expr::CmpEq { reg: 1, data: LL_PREFIX.to_vec() },
                        Expr::Verdict { code: nft::NFT_GOTO, chain: Some(ll_chain.into()) },
                    ],
                );
                b.new_rule(
                    f,
                    &t,
                    chain,
                    &self.drop_rule(vec![
                        Expr::Payload { base: nft::BASE_NETWORK, offset: off, len: 16, reg: 1 },
                        Expr::Lookup { reg: 1, set: "vips".into(), dreg: None },
                    ]),
                );
                let _ = meta;
            }
            for (chain, off, meta) in [("in_link_local", 24, nft::META_IIF), ("out_link_local", 8, nft::META_OIF)] {
                b.new_rule(
                    f,
                    &t,
                    chain,
                    &self.drop_rule(vec![
                        Expr::Payload { base: nft::BASE_NETWORK, offset: off, len: 16, reg: 1 },
                        Expr::Meta { key: meta, reg: 2 },
                        Expr::Lookup { reg: 1, set: "vips_link_local".into(), dreg: None },
                    ]),
                );
            }
        } else {
            let f = nft::NFPROTO_IPV4;
            b.new_set(
                f,
                &t,
                &SetDef {
                    name: "vips".into(),
                    key_type: nft::TYPE_IPADDR,
                    key_len: 4,
                    flags: 0,
                    data: None,
                    id: 1,
                    host_order: false,
                },
            );
            b.new_chain(f, &t, "out", Some((nft::HOOK_OUTPUT, prio)));
            b.new_chain(f, &t, "in", Some((nft::HOOK_INPUT, prio)));
            for (chain, off) in [("out", 12), ("in", 16)] {
                b.new_rule(
                    f,
                    &t,
                    chain,
                    &self.drop_rule(vec![
                        Expr::Payload { base: nft::BASE_NETWORK, offset: off, len: 4, reg: 1 },
                        Expr::Lookup { reg: 1, set: "vips".into(), dreg: None },
                    ]),
                );
            }
        }
        self.run(&b).await?;
        self.state(v6).vips = true;
        Ok(())
    }

    /// Adds or removes addresses (each with its interface index) in the
    /// no_accept sets.
    pub(super) async fn set_vips(&mut self, addrs: &[(IpAddr, u32)], add: bool) -> Result<(), NftError> {
        for v6 in [false, true] {
            let mine: Vec<&(IpAddr, u32)> = addrs.iter().filter(|(a, _)| a.is_ipv6() == v6).collect();
            if mine.is_empty() {
                continue;
            }
            if !add && !self.state(v6).vips {
                continue;
            }
            self.ensure_vips(v6).await?;
            let f = if v6 { nft::NFPROTO_IPV6 } else { nft::NFPROTO_IPV4 };
            let mut plain = Vec::new();
            let mut ll = Vec::new();
            let mut seen = HashSet::new();
            for (a, idx) in mine {
                if !seen.insert((*a, *idx)) {
                    continue;
                }
                match a {
                    IpAddr::V6(v) if is_link_local(v) => {
                        let mut k = v.octets().to_vec();
                        k.extend_from_slice(&idx.to_ne_bytes());
                        ll.push((k, None));
                    }
                    _ => plain.push((addr_bytes(a), None)),
                }
            }
            let t = self.table.clone();
            // One transaction per element: a missing one must not stop the others.
            for (set, elems) in [("vips", plain), ("vips_link_local", ll)] {
                for e in elems {
                    let mut b = Batch::default();
                    b.set_elems(f, &t, set, std::slice::from_ref(&e), add);
                    match self.run(&b).await {
                        Err(NftError::Kernel { errno, .. }) if errno == libc::ENOENT || errno == libc::EEXIST => {}
                        r => r?,
                    }
                }
            }
        }
        Ok(())
    }

    /// The VMAC part of the family's table, with `vmac` (and its base) added.
    pub(super) async fn add_vmac(&mut self, vmac: u32, base: u32, v6: bool) -> Result<(), NftError> {
        self.ensure_table(v6).await?;
        let t = self.table.clone();
        let f = if v6 { nft::NFPROTO_IPV6 } else { nft::NFPROTO_IPV4 };
        let mut b = Batch::default();
        if !self.state(v6).vmac {
            let prio = self.priority;
            b.new_set(
                f,
                &t,
                &SetDef {
                    name: "vmac_map".into(),
                    key_type: nft::TYPE_IFINDEX,
                    key_len: 4,
                    flags: nft::SET_MAP,
                    data: Some((nft::TYPE_IFINDEX, 4)),
                    id: 11,
                    host_order: true,
                },
            );
            if v6 {
                b.new_set(
                    f,
                    &t,
                    &SetDef {
                        name: "vmac_set".into(),
                        key_type: nft::TYPE_IFINDEX,
                        key_len: 4,
                        flags: 0,
                        data: None,
                        id: 12,
                        host_order: true,
                    },
                );
            }
            b.new_chain(f, &t, "out", Some((nft::HOOK_OUTPUT, prio)));
            let macvlan = Expr::CmpEq { reg: 2, data: ifname_key("macvlan") };
            let dup_drop = |mut v: Vec<Expr>| {
                v.push(Expr::Meta { key: nft::META_OIFKIND, reg: 2 });
                v.push(macvlan.clone());
                v.push(Expr::Meta { key: nft::META_OIF, reg: 2 });
                v.push(Expr::Lookup { reg: 2, set: "vmac_map".into(), dreg: Some(2) });
                v.push(Expr::Dup { addr_reg: 1, dev_reg: 2 });
                self.drop_rule(v)
            };
            if v6 {
                b.new_rule(
                    f,
                    &t,
                    "out",
                    &dup_drop(vec![
                        Expr::Meta { key: nft::META_L4PROTO, reg: 1 },
                        Expr::CmpEq { reg: 1, data: vec![ICMPV6] },
                        Expr::Payload { base: nft::BASE_TRANSPORT, offset: 0, len: 1, reg: 1 },
                        Expr::CmpEq { reg: 1, data: vec![MLD2_REPORT] },
                        Expr::Payload { base: nft::BASE_NETWORK, offset: 24, len: 16, reg: 1 },
                    ]),
                );
                b.new_rule(
                    f,
                    &t,
                    "out",
                    &self.drop_rule(vec![
                        Expr::Meta { key: nft::META_L4PROTO, reg: 1 },
                        Expr::CmpEq { reg: 1, data: vec![ICMPV6] },
                        Expr::Payload { base: nft::BASE_TRANSPORT, offset: 0, len: 1, reg: 1 },
                        Expr::CmpEq { reg: 1, data: vec![ROUTER_SOLICIT] },
                        Expr::Meta { key: nft::META_OIFKIND, reg: 2 },
                        macvlan.clone(),
                        Expr::Meta { key: nft::META_OIF, reg: 2 },
                        Expr::Lookup { reg: 2, set: "vmac_set".into(), dreg: None },
                    ]),
                );
            } else {
                b.new_rule(
                    f,
                    &t,
                    "out",
                    &dup_drop(vec![
                        Expr::Payload { base: nft::BASE_NETWORK, offset: 9, len: 1, reg: 1 },
                        Expr::CmpEq { reg: 1, data: vec![IGMP] },
                        Expr::Payload { base: nft::BASE_NETWORK, offset: 16, len: 4, reg: 1 },
                    ]),
                );
            }
        }
        b.set_elems(f, &t, "vmac_map", &[(vmac.to_ne_bytes().to_vec(), Some(base.to_ne_bytes().to_vec()))], true);
        if v6 {
            b.set_elems(f, &t, "vmac_set", &[(vmac.to_ne_bytes().to_vec(), None)], true);
        }
        self.run(&b).await?;
        self.state(v6).vmac = true;
        Ok(())
    }

    pub(super) async fn remove_vmac(&mut self, vmac: u32, v6: bool) -> Result<(), NftError> {
        if !self.state(v6).vmac {
            return Ok(());
        }
        let t = self.table.clone();
        let f = if v6 { nft::NFPROTO_IPV6 } else { nft::NFPROTO_IPV4 };
        let mut b = Batch::default();
        b.set_elems(f, &t, "vmac_map", &[(vmac.to_ne_bytes().to_vec(), None)], false);
        if v6 {
            b.set_elems(f, &t, "vmac_set", &[(vmac.to_ne_bytes().to_vec(), None)], false);
        }
        self.run(&b).await
    }

    /// Deletes the tables made.
    pub(super) async fn shutdown(&mut self) {
        for v6 in [false, true] {
            if !self.state(v6).table {
                continue;
            }
            let mut b = Batch::default();
            b.del_table(if v6 { nft::NFPROTO_IPV6 } else { nft::NFPROTO_IPV4 }, &self.table.clone());
            if let Err(e) = self.run(&b).await {
                tracing::info!("Unable to delete nftables table {} - {e}", self.table);
            }
            *self.state(v6) = FamilyState::default();
        }
    }
}

impl Runtime {
    /// Puts the instance's VIPs and eVIPs in (or takes them out of) the
    /// no_accept filter, with keepalived's lines.
    pub(super) async fn set_filter(&mut self, idx: usize, add: bool) {
        let Some(slot) = self.slot(idx) else { return };
        let name = slot.spec.name.clone();
        let addrs: Vec<(IpAddr, u32)> = slot
            .spec
            .vips
            .iter()
            .chain(&slot.spec.evips)
            .map(|v| (v.net.addr, self.links.get(&v.dev).map_or(0, |l| l.index)))
            .collect();
        tracing::info!("({name}) {} firewall drop rule", if add { "setting" } else { "removing" });
        if let Err(e) = self.filter.set_vips(&addrs, add).await {
            tracing::error!("({name}) nftables: cannot {} the VIPs - {e}", if add { "add" } else { "remove" });
        }
    }

    pub(super) async fn filter_add_vmac(&mut self, name: &str, vmac: u32, base: u32, v6: bool) {
        if let Err(e) = self.filter.add_vmac(vmac, base, v6).await {
            tracing::error!("nftables: cannot add VMAC {name} - {e}");
        }
    }

    pub(super) async fn filter_remove_vmac(&mut self, vmac: u32, v6: bool) {
        if let Err(e) = self.filter.remove_vmac(vmac, v6).await {
            tracing::info!("nftables: cannot remove VMAC {vmac} - {e}");
        }
    }
}
