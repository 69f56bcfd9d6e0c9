//! Adding and removing policy routing rules (`ip rule add/del`), every
//! option of keepalived's `virtual_rules` / `static_rules` lines.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::route::{RouteProtocol, RouteRealm};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange, RuleUidRange};

use super::{Netlink, NetlinkError};

/// What a rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    Table(u32),
    Goto(u32),
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
}

/// One rule, as rtnetlink takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSpec {
    pub v6: bool,
    pub invert: bool,
    pub from: Option<(IpAddr, u8)>,
    pub to: Option<(IpAddr, u8)>,
    pub priority: u32,
    pub action: RuleKind,
    pub tos: u8,
    pub fwmark: Option<(u32, Option<u32>)>,
    pub realms: Option<u32>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub suppress_prefixlength: Option<i32>,
    pub suppress_ifgroup: Option<u32>,
    pub tunnel_id: Option<u64>,
    pub uidrange: Option<(u32, u32)>,
    pub l3mdev: bool,
    pub protocol: u8,
    pub ip_proto: Option<u8>,
    pub sport: Option<(u16, u16)>,
    pub dport: Option<(u16, u16)>,
}

impl RuleSpec {
    pub(crate) fn to_message(&self) -> RuleMessage {
        let mut m = RuleMessage::default();
        m.header.family = if self.v6 {
            netlink_packet_route::AddressFamily::Inet6
        } else {
            netlink_packet_route::AddressFamily::Inet
        };
        m.header.tos = self.tos;
        if self.invert {
            m.header.flags |= RuleFlags::Invert;
        }
        let a = &mut m.attributes;
        a.push(RuleAttribute::Priority(self.priority));
        if let Some((addr, len)) = self.from {
            m.header.src_len = len;
            a.push(RuleAttribute::Source(addr));
        }
        if let Some((addr, len)) = self.to {
            m.header.dst_len = len;
            a.push(RuleAttribute::Destination(addr));
        }
        m.header.action = match self.action {
            RuleKind::Table(t) => {
                m.header.table = u8::try_from(t).unwrap_or(0);
                if t > 255 {
                    a.push(RuleAttribute::Table(t));
                }
                RuleAction::ToTable
            }
            RuleKind::Goto(g) => {
                a.push(RuleAttribute::Goto(g));
                RuleAction::Goto
            }
            RuleKind::Nop => RuleAction::Nop,
            RuleKind::Blackhole => RuleAction::Blackhole,
            RuleKind::Unreachable => RuleAction::Unreachable,
            RuleKind::Prohibit => RuleAction::Prohibit,
        };
        if self.l3mdev {
            a.push(RuleAttribute::L3MDev(true));
            m.header.action = RuleAction::ToTable;
            m.header.table = 0;
        }
        if let Some((mark, mask)) = self.fwmark {
            a.push(RuleAttribute::FwMark(mark));
            if let Some(mask) = mask {
                a.push(RuleAttribute::FwMask(mask));
            }
        }
        if let Some(r) = self.realms {
            a.push(RuleAttribute::Realm(RouteRealm { source: (r >> 16) as u16, destination: (r & 0xffff) as u16 }));
        }
        if let Some(i) = &self.iif {
            a.push(RuleAttribute::Iifname(i.clone()));
        }
        if let Some(o) = &self.oif {
            a.push(RuleAttribute::Oifname(o.clone()));
        }
        if let Some(s) = self.suppress_prefixlength {
            a.push(RuleAttribute::SuppressPrefixLen(s as u32));
        }
        if let Some(g) = self.suppress_ifgroup {
            a.push(RuleAttribute::SuppressIfGroup(g));
        }
        if let Some(t) = self.tunnel_id {
            a.push(RuleAttribute::TunId(t));
        }
        if let Some((s, e)) = self.uidrange {
            a.push(RuleAttribute::UidRange(RuleUidRange { start: s, end: e }));
        }
        a.push(RuleAttribute::Protocol(RouteProtocol::from(self.protocol)));
        if let Some(p) = self.ip_proto {
            a.push(RuleAttribute::IpProtocol(netlink_packet_route::IpProtocol::from(i32::from(p))));
        }
        if let Some((s, e)) = self.sport {
            a.push(RuleAttribute::SourcePortRange(RulePortRange { start: s, end: e }));
        }
        if let Some((s, e)) = self.dport {
            a.push(RuleAttribute::DestinationPortRange(RulePortRange { start: s, end: e }));
        }
        m
    }
}

impl Netlink {
    /// Adds a rule. A rule that is already there is not an error.
    pub async fn add_rule(&self, spec: &RuleSpec) -> Result<(), NetlinkError> {
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::NewRule(spec.to_message()));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        match self.ack(req).await {
            Err(e) if e.is_exists() => Ok(()),
            r => r,
        }
    }

    /// Removes a rule. A rule that is not there is not an error.
    pub async fn del_rule(&self, spec: &RuleSpec) -> Result<(), NetlinkError> {
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::DelRule(spec.to_message()));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK;
        match self.ack(req).await {
            Err(e) if e.is_not_found() => Ok(()),
            r => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rule_with_ports_and_protocol() {
        let s = RuleSpec {
            v6: false,
            invert: true,
            from: Some(("192.168.200.0".parse().unwrap(), 24)),
            to: None,
            priority: 16383,
            action: RuleKind::Table(1000),
            tos: 0,
            fwmark: Some((24, Some(12))),
            realms: None,
            iif: Some("eth0".into()),
            oif: None,
            suppress_prefixlength: None,
            suppress_ifgroup: None,
            tunnel_id: None,
            uidrange: Some((10, 20)),
            l3mdev: false,
            protocol: 18,
            ip_proto: Some(17),
            sport: Some((10, 20)),
            dport: None,
        };
        let m = s.to_message();
        assert_eq!((m.header.src_len, m.header.table, m.header.action), (24, 0, RuleAction::ToTable));
        assert!(m.header.flags.contains(RuleFlags::Invert));
        for a in [
            RuleAttribute::Table(1000),
            RuleAttribute::Priority(16383),
            RuleAttribute::FwMark(24),
            RuleAttribute::FwMask(12),
            RuleAttribute::Iifname("eth0".into()),
            RuleAttribute::Protocol(RouteProtocol::from(18u8)),
            RuleAttribute::SourcePortRange(RulePortRange { start: 10, end: 20 }),
        ] {
            assert!(m.attributes.contains(&a), "{a:?}");
        }
    }
}
