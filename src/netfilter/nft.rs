//! nftables requests as the kernel takes them over nfnetlink (the messages
//! `nft` sends): tables, base and regular chains, named sets and maps with
//! their elements, and rules built from expressions. Pure: builds bytes.

/// `NFNL_SUBSYS_NFTABLES`.
const SUBSYS: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
const NFNL_MSG_BATCH_END: u16 = 0x11;
pub(crate) const NFT_MSG_NEWTABLE: u16 = 0;
pub(crate) const NFT_MSG_DELTABLE: u16 = 2;
pub(crate) const NFT_MSG_NEWCHAIN: u16 = 3;
pub(crate) const NFT_MSG_NEWRULE: u16 = 6;
pub(crate) const NFT_MSG_NEWSET: u16 = 9;
pub(crate) const NFT_MSG_NEWSETELEM: u16 = 12;
pub(crate) const NFT_MSG_DELSETELEM: u16 = 14;

const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLM_F_CREATE: u16 = 0x400;
const NLA_F_NESTED: u16 = 0x8000;

/// `NFPROTO_IPV4` / `NFPROTO_IPV6`.
pub(crate) const NFPROTO_IPV4: u8 = 2;
pub(crate) const NFPROTO_IPV6: u8 = 10;
/// `NF_INET_LOCAL_IN`, `NF_INET_LOCAL_OUT`.
pub(crate) const HOOK_INPUT: u32 = 1;
pub(crate) const HOOK_OUTPUT: u32 = 3;

/// nft's data types, which tell `nft list` how to show a set's keys.
pub(crate) const TYPE_IPADDR: u32 = 7;
pub(crate) const TYPE_IP6ADDR: u32 = 8;
pub(crate) const TYPE_IFINDEX: u32 = 20;
pub(crate) const TYPE_ICMPV6_TYPE: u32 = 29;
/// Bits per component of a concatenated type.
pub(crate) const TYPE_BITS: u32 = 6;

/// `NFT_SET_CONSTANT`, `NFT_SET_MAP`.
pub(crate) const SET_CONSTANT: u32 = 0x2;
pub(crate) const SET_MAP: u32 = 0x8;

/// Payload bases.
pub(crate) const BASE_NETWORK: u32 = 1;
pub(crate) const BASE_TRANSPORT: u32 = 2;
/// Meta keys.
pub(crate) const META_IIF: u32 = 4;
pub(crate) const META_OIF: u32 = 5;
pub(crate) const META_L4PROTO: u32 = 16;
pub(crate) const META_OIFKIND: u32 = 27;
/// Verdicts.
pub(crate) const NF_DROP: u32 = 0;
pub(crate) const NF_ACCEPT: u32 = 1;
pub(crate) const NFT_GOTO: u32 = (-4i32) as u32;

/// A netlink attribute list being built.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attrs(pub Vec<u8>);

impl Attrs {
    fn raw(&mut self, kind: u16, data: &[u8]) -> &mut Self {
        let len = 4 + data.len();
        self.0.extend_from_slice(&(len as u16).to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(data);
        while self.0.len() % 4 != 0 {
            self.0.push(0);
        }
        self
    }

    pub(crate) fn str(&mut self, kind: u16, s: &str) -> &mut Self {
        let mut d = s.as_bytes().to_vec();
        d.push(0);
        self.raw(kind, &d)
    }

    pub(crate) fn u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.raw(kind, &v.to_be_bytes())
    }

    pub(crate) fn bytes(&mut self, kind: u16, v: &[u8]) -> &mut Self {
        self.raw(kind, v)
    }

    pub(crate) fn nest(&mut self, kind: u16, inner: &Attrs) -> &mut Self {
        self.raw(kind | NLA_F_NESTED, &inner.0)
    }

    /// `NFTA_DATA_VALUE` nested in `kind`.
    pub(crate) fn value(&mut self, kind: u16, v: &[u8]) -> &mut Self {
        let mut d = Attrs::default();
        d.bytes(1, v);
        self.nest(kind, &d)
    }
}

/// One expression of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    /// Load `len` bytes at `offset` from `base` into `reg`.
    Payload {
        base: u32,
        offset: u32,
        len: u32,
        reg: u32,
    },
    Meta {
        key: u32,
        reg: u32,
    },
    /// Compare `reg` for equality with `data`.
    CmpEq {
        reg: u32,
        data: Vec<u8>,
    },
    /// `reg = (reg & mask) ^ xor` over `mask.len()` bytes.
    Bitwise {
        reg: u32,
        mask: Vec<u8>,
        xor: Vec<u8>,
    },
    /// Look `reg` up in `set`; with `dreg`, a map's value lands there.
    Lookup {
        reg: u32,
        set: String,
        dreg: Option<u32>,
    },
    Counter,
    /// Duplicate the packet to the address in `addr_reg` out of `dev_reg`.
    Dup {
        addr_reg: u32,
        dev_reg: u32,
    },
    /// A verdict; `chain` for goto/jump.
    Verdict {
        code: u32,
        chain: Option<String>,
    },
}

impl Expr {
    fn encode(&self) -> Attrs {
        let mut d = Attrs::default();
        let name = match self {
            Expr::Payload { base, offset, len, reg } => {
                d.u32(1, *reg).u32(2, *base).u32(3, *offset).u32(4, *len);
                "payload"
            }
            Expr::Meta { key, reg } => {
                d.u32(2, *key).u32(1, *reg);
                "meta"
            }
            Expr::CmpEq { reg, data } => {
                d.u32(1, *reg).u32(2, 0).value(3, data);
                "cmp"
            }
            Expr::Bitwise { reg, mask, xor } => {
                d.u32(1, *reg).u32(2, *reg).u32(3, mask.len() as u32).value(4, mask).value(5, xor);
                "bitwise"
            }
            Expr::Lookup { reg, set, dreg } => {
                d.str(1, set).u32(2, *reg);
                if let Some(r) = dreg {
                    d.u32(3, *r);
                }
                "lookup"
            }
            Expr::Counter => "counter",
            Expr::Dup { addr_reg, dev_reg } => {
                d.u32(1, *addr_reg).u32(2, *dev_reg);
                "dup"
            }
            Expr::Verdict { code, chain } => {
                let mut v = Attrs::default();
                v.u32(1, *code);
                if let Some(c) = chain {
                    v.str(2, c);
                }
                let mut data = Attrs::default();
                data.nest(2, &v);
                d.u32(1, 0).nest(2, &data);
                "immediate"
            }
        };
        let mut e = Attrs::default();
        e.str(1, name);
        if !d.0.is_empty() {
            e.nest(2, &d);
        }
        e
    }
}

/// A set (or map, with `data`) to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SetDef {
    pub name: String,
    pub key_type: u32,
    pub key_len: u32,
    pub flags: u32,
    /// Map value type and length.
    pub data: Option<(u32, u32)>,
    pub id: u32,
    /// Keys (and map values) in host byte order (interface indexes): said
    /// in the set's user data, so that `nft list` shows them as names.
    pub host_order: bool,
}

/// A batch of nftables requests (one transaction).
#[derive(Clone, Debug, Default)]
pub(crate) struct Batch {
    msgs: Vec<(u16, u16, u8, Attrs)>,
}

impl Batch {
    fn push(&mut self, kind: u16, flags: u16, family: u8, a: Attrs) {
        self.msgs.push((kind, flags, family, a));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.msgs.len()
    }

    pub(crate) fn new_table(&mut self, family: u8, table: &str) {
        let mut a = Attrs::default();
        a.str(1, table).u32(2, 0);
        self.push(NFT_MSG_NEWTABLE, NLM_F_CREATE, family, a);
    }

    pub(crate) fn del_table(&mut self, family: u8, table: &str) {
        let mut a = Attrs::default();
        a.str(1, table);
        self.push(NFT_MSG_DELTABLE, 0, family, a);
    }

    /// A chain; with `hook` (hook number, priority), a filter base chain
    /// with policy accept.
    pub(crate) fn new_chain(&mut self, family: u8, table: &str, chain: &str, hook: Option<(u32, i32)>) {
        let mut a = Attrs::default();
        a.str(1, table).str(3, chain);
        if let Some((num, prio)) = hook {
            let mut h = Attrs::default();
            h.u32(1, num).u32(2, prio as u32);
            a.nest(4, &h).u32(5, NF_ACCEPT).str(7, "filter");
        }
        self.push(NFT_MSG_NEWCHAIN, NLM_F_CREATE, family, a);
    }

    pub(crate) fn new_set(&mut self, family: u8, table: &str, s: &SetDef) {
        let mut a = Attrs::default();
        a.str(1, table).str(2, &s.name);
        if s.flags != 0 || s.data.is_some() {
            a.u32(3, s.flags);
        }
        a.u32(4, s.key_type).u32(5, s.key_len);
        if let Some((t, l)) = s.data {
            a.u32(6, t).u32(7, l);
        }
        a.u32(10, s.id);
        if s.host_order {
            // libnftnl's user data: NFTNL_UDATA_SET_KEYBYTEORDER (0) and
            // NFTNL_UDATA_SET_DATABYTEORDER (1), BYTEORDER_HOST_ENDIAN (1).
            let mut u = vec![0u8, 4];
            u.extend_from_slice(&1u32.to_ne_bytes());
            if s.data.is_some() {
                u.extend_from_slice(&[1, 4]);
                u.extend_from_slice(&1u32.to_ne_bytes());
            }
            a.bytes(13, &u);
        }
        self.push(NFT_MSG_NEWSET, NLM_F_CREATE, family, a);
    }

    /// Adds (or, `add` false, removes) elements; each is a key and an
    /// optional map value.
    pub(crate) fn set_elems(
        &mut self,
        family: u8,
        table: &str,
        set: &str,
        elems: &[(Vec<u8>, Option<Vec<u8>>)],
        add: bool,
    ) {
        if elems.is_empty() {
            return;
        }
        let mut list = Attrs::default();
        for (k, v) in elems {
            let mut e = Attrs::default();
            e.value(1, k);
            if let Some(v) = v {
                e.value(2, v);
            }
            list.nest(1, &e);
        }
        let mut a = Attrs::default();
        a.str(1, table).str(2, set).nest(3, &list);
        let kind = if add { NFT_MSG_NEWSETELEM } else { NFT_MSG_DELSETELEM };
        self.push(kind, if add { NLM_F_CREATE } else { 0 }, family, a);
    }

    pub(crate) fn new_rule(&mut self, family: u8, table: &str, chain: &str, exprs: &[Expr]) {
        let mut list = Attrs::default();
        for e in exprs {
            list.nest(1, &e.encode());
        }
        let mut a = Attrs::default();
        a.str(1, table).str(2, chain).nest(4, &list);
        // NLM_F_APPEND: rules go in the order given.
        self.push(NFT_MSG_NEWRULE, NLM_F_CREATE | 0x800, family, a);
    }

    /// The whole transaction as bytes, sequence numbers from `seq`: batch
    /// begin, the requests (each acknowledged), batch end.
    pub(crate) fn encode(&self, seq: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |kind: u16, flags: u16, seq: u32, family: u8, res_id: u16, attrs: &[u8]| {
            let len = 16 + 4 + attrs.len();
            out.extend_from_slice(&(len as u32).to_ne_bytes());
            out.extend_from_slice(&kind.to_ne_bytes());
            out.extend_from_slice(&flags.to_ne_bytes());
            out.extend_from_slice(&seq.to_ne_bytes());
            out.extend_from_slice(&0u32.to_ne_bytes());
            out.push(family);
            out.push(0);
            out.extend_from_slice(&res_id.to_be_bytes());
            out.extend_from_slice(attrs);
        };
        put(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq, 0, SUBSYS, &[]);
        for (i, (kind, flags, family, a)) in self.msgs.iter().enumerate() {
            let s = seq.wrapping_add(1 + i as u32);
            put(SUBSYS << 8 | kind, NLM_F_REQUEST | NLM_F_ACK | flags, s, *family, 0, &a.0);
        }
        put(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq.wrapping_add(1 + self.msgs.len() as u32), 0, SUBSYS, &[]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_padded_and_big_endian() {
        let mut a = Attrs::default();
        a.str(1, "in").u32(2, 7);
        assert_eq!(a.0, vec![7, 0, 1, 0, b'i', b'n', 0, 0, 8, 0, 2, 0, 0, 0, 0, 7]);
    }

    #[test]
    fn payload_lookup_drop_rule() {
        let e = Expr::Payload { base: BASE_NETWORK, offset: 16, len: 4, reg: 1 }.encode();
        // "payload" name then nested data: dreg 1, base 1, offset 16, len 4.
        assert_eq!(&e.0[..4], &[12, 0, 1, 0]);
        assert_eq!(&e.0[12..16], &[36, 0, 2, 0x80]);
        let v = Expr::Verdict { code: NF_DROP, chain: None }.encode();
        assert_eq!(&v.0[..4], &[14, 0, 1, 0]);
    }

    #[test]
    fn batch_framing() {
        let mut b = Batch::default();
        b.new_table(NFPROTO_IPV4, "keepalived");
        let bytes = b.encode(100);
        // begin (20), table (20 + 16 + 8), end (20)
        assert_eq!(bytes.len(), 20 + 44 + 20);
        assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), NFNL_MSG_BATCH_BEGIN);
        assert_eq!(&bytes[18..20], &10u16.to_be_bytes());
        assert_eq!(u16::from_ne_bytes([bytes[24], bytes[25]]), SUBSYS << 8);
        assert_eq!(u32::from_ne_bytes([bytes[28], bytes[29], bytes[30], bytes[31]]), 101);
        assert_eq!(bytes[36], NFPROTO_IPV4);
    }
}
