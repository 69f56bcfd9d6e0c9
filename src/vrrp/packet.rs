//! VRRP wire codec: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) over IPv4 and
//! IPv6, as Debian's keepalived puts them on the wire (checked byte for byte
//! against captures in `tests/data/vrrp/`).
//!
//! Pure: no sockets, no clock. The runtime reads a raw socket and calls
//! [`decode_ipv4`] (IPv4 raw sockets deliver the IP header) or [`decode_ipv6`]
//! (IPv6 raw sockets deliver only the VRRP payload; the hop limit and the
//! destination come from `IPV6_HOPLIMIT` / `IPV6_PKTINFO` ancillary data).
//! Every refusal is a [`DropReason`] with a counter name; [`DropCounters`]
//! counts them.
//!
//! Checks are split in two, in keepalived's order (vrrp.c `vrrp_check_packet`):
//! * [`decode_ipv4`] / [`decode_ipv6`]: everything the packet and the
//!   instance's authentication settle: lengths, TTL/hop limit 255 (not for
//!   unicast), version 2 or 3, auth type, PASS, AH (ICV, SPI, sequence),
//!   type, IP total length, checksum.
//! * [`validate_for_instance`]: what needs the instance's configuration:
//!   version match, the v2 interval (keepalived drops an advert whose v2
//!   interval differs from its own; a v3 interval is not a reason to drop, the
//!   state machine learns it as Master_Adver_Interval, RFC 5798 section
//!   6.4.2), address count and list, multicast vs unicast destination,
//!   unicast source and TTL range.
//!
//! Where the split reorders keepalived's checks, only the reported reason
//! differs, never the verdict: keepalived checks the version match and the
//! v2 interval before the type, IP total length and checksum, so an advert
//! wrong in both ways is counted as `version_err` / `interval_mismatch`
//! there and as the decode reason here. The one side effect (the AH counter)
//! happens at the same point in both: after the version and the AH ICV
//! verified, before the remaining checks. keepalived's `old_unicast_checksum` (v3 IPv4 unicast
//! checksums computed with the multicast group 224.0.0.18, as keepalived before 1.3.6 did) is
//! [`UnicastChecksum`]: the old sum is sent when configured or once seen from a peer.
//!
//! The VRID is matched by the runtime before either call (keepalived looks the
//! instance up by socket and VRID; an advert for a VRID nobody runs is counted
//! as [`DropReason::UnknownVrid`]); [`peek_vrid_ipv4`] / [`peek_vrid_ipv6`]
//! read it.
//!
//! Intervals: [`Advert::adver_int`] is in centiseconds for both versions;
//! [`Advert::version`] tells what was on the wire (v2 whole seconds, so a
//! multiple of 100; v3 a 12-bit centisecond count).
//!
//! keepalived 2.4's `auth_hmac` trailer ([`super::auth::HmacAuth`]) follows
//! the VRRP message (and the v2 auth data). It is recognised by length: an
//! instance with `auth_hmac` accepts exactly the message length or the
//! message plus 28 bytes; without `auth_hmac` a trailer is "too long". The
//! IPv4 checksum covers the message only; over IPv6 the checksum (the
//! kernel's, `IPV6_CHECKSUM`) covers the whole payload, trailer included.
//! The wire layout and HMAC input are checked against upstream's test
//! vectors; where upstream's receive path runs the trailer check relative to
//! the other checks could not be read, so it runs after the v2 auth checks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use thiserror::Error;

use super::auth::{
    self, AH_HEADER_LEN, AH_ICV_LEN, AH_PAYLOAD_LEN, AUTH_KEY_LEN, AuthConfig, AuthCtx, AuthType, HMAC_TRAILER_LEN,
    HmacError, HmacMode, HmacSeen, TxAuth, TxHmac,
};

/// IP protocol number of VRRP (RFC 5798 section 5.1.1.4).
pub(crate) const IPPROTO_VRRP: u8 = 112;
/// IP protocol number of the Authentication Header (RFC 2402).
pub(crate) const IPPROTO_AH: u8 = 51;
/// The TTL / hop limit every VRRP advert is sent with and must arrive with
/// (RFC 3768 section 5.2.3, RFC 5798 sections 5.1.1.3 and 7.1).
pub(crate) const VRRP_TTL: u8 = 255;
/// The IPv4 multicast group (RFC 5798 section 5.1.1.2).
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 multicast group (RFC 5798 section 5.1.2.2).
pub const VRRP_GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// The IPv4 TOS keepalived sends with (internetwork control, DSCP CS6); it
/// sets the same value as the IPv6 traffic class.
pub(crate) const KEEPALIVED_TOS: u8 = 0xc0;

/// The fixed VRRP header (the 8 bytes before the address list).
const VRRP_HDR_LEN: usize = 8;
/// The v2 authentication data after the addresses (RFC 3768 section 5.3.10).
const V2_AUTH_LEN: usize = AUTH_KEY_LEN;
/// An IPv4 header without options.
const IPV4_HDR_LEN: usize = 20;
/// The v3 Max Advert Int field is 12 bits (RFC 5798 section 5.2.7).
const V3_INT_MASK: u16 = 0x0fff;

/// VRRP version (the high nibble of the first byte): the same type the
/// timers and the state machine use.
pub use crate::vrrp::timer::Version;

/// VRRP packet type (the low nibble of the first byte). Advertisement (1) is
/// the only one either RFC defines (RFC 3768 section 5.3.2, RFC 5798 section
/// 5.2.2); anything else is dropped as [`DropReason::BadType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// Type 1.
    Advertisement,
}

/// A VRRP advertisement.
///
/// VRRPv2 (RFC 3768 section 5.1):
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Auth Type   |   Adver Int   |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         IP Address (1)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                            .........                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Authentication Data (1)                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Authentication Data (2)                   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// The v2 checksum covers the VRRP message only (section 5.3.8).
///
/// VRRPv3 (RFC 5798 section 5.1):
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |(rsvd) |     Max Adver Int     |          Checksum             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       IPvX Address(es)                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// The v3 checksum adds the IPv6 or IPv4 pseudo-header (section 5.2.8),
/// unless `v3_checksum_as_v2` is set (IPv4 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    /// The version field.
    pub version: Version,
    /// The type field.
    pub kind: PacketType,
    /// Virtual router id (1-255 in configs; 0 is decoded as-is).
    pub vrid: u8,
    /// 255 = address owner, 0 = the master is stopping.
    pub priority: u8,
    /// v2 auth type; `None` for v3. Computed from [`AuthConfig`] on encode.
    pub auth_type: Option<AuthType>,
    /// Advertisement interval in centiseconds for both versions (v2 seconds
    /// times 100; v3 without the 4 reserved bits).
    pub adver_int: u16,
    /// The checksum as received; computed on encode.
    pub checksum: u16,
    /// The virtual addresses, in wire order (Count IPvX Addr is their number).
    pub addresses: Vec<IpAddr>,
    /// v2 over IPv4: the 8 authentication bytes (the password for PASS,
    /// zeros otherwise); `None` for v3. Computed from [`AuthConfig`] on encode.
    pub auth_data: Option<[u8; AUTH_KEY_LEN]>,
}

/// A decoded, checked advert with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// IP source address.
    pub src: IpAddr,
    /// IP destination (the group or our unicast address).
    pub dst: IpAddr,
    /// TTL / hop limit; `None` if the IPv6 caller had no `IPV6_HOPLIMIT`.
    pub ttl: Option<u8>,
    /// The VRRP message.
    pub advert: Advert,
    /// The AH sequence number, for AH adverts.
    pub ah_seq: Option<u32>,
    /// The verified `auth_hmac` trailer, if the advert had one.
    pub hmac: Option<HmacSeen>,
    /// A v3 unicast advert whose checksum was computed the old way (with the
    /// multicast group), accepted by [`UnicastChecksum::Detect`].
    pub old_checksum: bool,
}

/// Instance settings that change how packets are checked or built on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WireOptions {
    /// The instance has `unicast_peer`s: no TTL=255 check on receive (the
    /// TTL range check is in [`validate_for_instance`]), and the AH ICV
    /// covers a zeroed TTL (keepalived does so because unicast may be routed).
    pub unicast: bool,
    /// keepalived's `v3_checksum_as_v2`: the v3 IPv4 checksum leaves out the
    /// pseudo-header, on send and on receive (RFC 9568 reading).
    pub v3_checksum_as_v2: bool,
    /// keepalived's `old_unicast_checksum`: which destination the v3 IPv4
    /// pseudo-header of a unicast advert holds.
    pub unicast_checksum: UnicastChecksum,
}

/// The pseudo-header destination of v3 IPv4 unicast adverts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UnicastChecksum {
    /// The real destination; an advert summed with the multicast group is
    /// accepted too and marked [`Received::old_checksum`] (keepalived's
    /// automatic detection).
    #[default]
    Detect,
    /// The real destination only (`old_unicast_checksum never`).
    Never,
    /// The multicast group 224.0.0.18, sent and expected
    /// (`old_unicast_checksum`, or detected).
    Old,
}

/// The group keepalived before 1.3.6 put in the pseudo-header of unicast adverts.
const OLD_CHECKSUM_DST: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// Why an advert was dropped. Each has a counter ([`DropReason::counter_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DropReason {
    /// Shorter than an IPv4 header or a VRRP (and AH) header.
    #[error("VRRP packet too short - {0} bytes")]
    TooShort(usize),
    /// Not an IPv4 header (version nibble not 4, or IHL < 5).
    #[error("invalid IPv4 header")]
    BadIpHeader,
    /// IP protocol neither VRRP nor AH.
    #[error("IP protocol {0} is neither VRRP (112) nor AH (51)")]
    BadProtocol(u8),
    /// The received length is not what the VRRP header announces (RFC 3768
    /// section 7.1, RFC 5798 section 7.1 "MUST verify ... complete packet").
    #[error("vrrp packet length {got} and expect {expected}")]
    BadLength {
        /// Bytes received.
        got: usize,
        /// Bytes the headers and address count call for.
        expected: usize,
    },
    /// The IPv4 total length differs from what was received.
    #[error("ip_tot_len mismatch against received length. {ip_len} and received {got}")]
    IpLengthMismatch {
        /// The IPv4 total length field.
        ip_len: u16,
        /// Bytes received.
        got: usize,
    },
    /// TTL / hop limit is not 255 (multicast only).
    #[error("invalid TTL/HL. Received {0} and expect 255")]
    BadTtl(u8),
    /// Version not 2 or 3, or not the instance's (or v2 over IPv6).
    #[error("wrong version. Received {0}")]
    BadVersion(u8),
    /// Type is not Advertisement.
    #[error("Invalid packet type. {0} and expect 1")]
    BadType(u8),
    /// Checksum mismatch.
    #[error("Invalid VRRP checksum")]
    BadChecksum,
    /// v2 auth type not 0, 1 or 2.
    #[error("Invalid auth type: {0}")]
    BadAuthType(u8),
    /// The advert's auth type (or AH header presence) differs from ours.
    #[error("received a {got} auth, expecting {expected}")]
    AuthTypeMismatch {
        /// Auth type of the packet (2 when an AH header is present).
        got: u8,
        /// Our configured auth type.
        expected: u8,
    },
    /// PASS: the password differs.
    #[error("received an invalid passwd!")]
    AuthFailure,
    /// AH for some other protocol than VRRP.
    #[error("AH next header {0} is not VRRP")]
    AhNotVrrp(u8),
    /// AH: the HMAC-MD5-96 ICV does not verify.
    #[error("IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !")]
    AhIcvMismatch,
    /// AH: the SPI is not the sender's address.
    #[error("IPSEC AH : invalid IPSEC SPI value")]
    AhBadSpi,
    /// AH: sequence number not above the highest seen.
    #[error("IPSEC-AH : sequence number {seq} already processed. Packet dropped. Local({last})")]
    AhSeqReplay {
        /// The packet's sequence number.
        seq: u32,
        /// The instance's counter.
        last: u32,
    },
    /// No instance runs this VRID on the interface (matched by the runtime).
    #[error("no instance for VRID {0}")]
    UnknownVrid(u8),
    /// v2: advert interval differs from ours (keepalived refuses it "to
    /// prevent concurrent VRID running => multiple master in 1 VRID").
    #[error("advertisement interval mismatch mine={mine} sec rcv'd={got} sec")]
    IntervalMismatch {
        /// Ours, seconds.
        mine: u16,
        /// The packet's, seconds.
        got: u16,
    },
    /// Count IPvX Addr differs from our number of virtual addresses.
    #[error("received an unexpected ip number count {got}, expected {expected}!")]
    AddressCountMismatch {
        /// The packet's count.
        got: usize,
        /// Ours.
        expected: usize,
    },
    /// One of our virtual addresses is missing from the advert.
    #[error("ip address associated with VRID not present in MASTER advert : {0}")]
    AddressListMismatch(IpAddr),
    /// Multicast received by a unicast instance or the reverse.
    #[error("Expected {}icast packet but received {}icast packet", if *.unicast_expected { "un" } else { "mult" }, if *.unicast_expected { "mult" } else { "un" })]
    CastMismatch {
        /// Whether the instance is unicast.
        unicast_expected: bool,
    },
    /// `check_unicast_src`: the source is not a unicast peer.
    #[error("unicast source address {0} not a unicast peer")]
    NotAUnicastPeer(IpAddr),
    /// The unicast peer's `min_ttl` / `max_ttl` range excludes the TTL.
    #[error("TTL/HL {0} not in range")]
    TtlOutOfRange(u8),
    /// `auth_hmac` in enforce mode and the advert has no trailer.
    #[error("auth_hmac: advert without trailer")]
    HmacMissing,
    /// `auth_hmac`: unknown trailer type or reserved bytes set.
    #[error("auth_hmac: malformed trailer")]
    HmacMalformed,
    /// `auth_hmac`: key id not configured.
    #[error("auth_hmac: unknown key id {0}")]
    HmacUnknownKey(u8),
    /// `auth_hmac`: the HMAC does not verify.
    #[error("auth_hmac: invalid HMAC")]
    HmacBad,
    /// `auth_hmac` time mode: the timestamp is outside the window.
    #[error("auth_hmac: timestamp {0} s off, outside the window")]
    HmacStale(i32),
    /// `auth_hmac`: the sequence did not grow.
    #[error("auth_hmac: replayed sequence")]
    HmacReplay,
}

impl From<HmacError> for DropReason {
    fn from(e: HmacError) -> Self {
        match e {
            HmacError::Malformed => DropReason::HmacMalformed,
            HmacError::UnknownKey(k) => DropReason::HmacUnknownKey(k),
            HmacError::BadHmac => DropReason::HmacBad,
            HmacError::Stale(s) => DropReason::HmacStale(s),
            HmacError::Replay => DropReason::HmacReplay,
        }
    }
}

/// Number of [`DropReason`] kinds (the length of [`DropCounters`]).
pub(crate) const DROP_REASON_KINDS: usize = 29;

/// Counter names, indexed by [`DropReason::index`].
const COUNTER_NAMES: [&str; DROP_REASON_KINDS] = [
    "too_short",
    "bad_ip_header",
    "bad_protocol",
    "packet_len_err",
    "ip_len_mismatch",
    "ip_ttl_err",
    "version_err",
    "invalid_type_rcvd",
    "checksum_err",
    "invalid_authtype",
    "authtype_mismatch",
    "auth_failure",
    "ah_not_vrrp",
    "ah_icv_mismatch",
    "ah_bad_spi",
    "ah_seq_replay",
    "unknown_vrid",
    "interval_mismatch",
    "addr_count_err",
    "addr_list_err",
    "cast_mismatch",
    "not_unicast_peer",
    "ttl_out_of_range",
    "hmac_missing",
    "hmac_malformed",
    "hmac_unknown_key",
    "hmac_bad",
    "hmac_stale",
    "hmac_replay",
];

impl DropReason {
    /// Index into [`DropCounters`].
    pub fn index(&self) -> usize {
        match self {
            DropReason::TooShort(_) => 0,
            DropReason::BadIpHeader => 1,
            DropReason::BadProtocol(_) => 2,
            DropReason::BadLength { .. } => 3,
            DropReason::IpLengthMismatch { .. } => 4,
            DropReason::BadTtl(_) => 5,
            DropReason::BadVersion(_) => 6,
            DropReason::BadType(_) => 7,
            DropReason::BadChecksum => 8,
            DropReason::BadAuthType(_) => 9,
            DropReason::AuthTypeMismatch { .. } => 10,
            DropReason::AuthFailure => 11,
            DropReason::AhNotVrrp(_) => 12,
            DropReason::AhIcvMismatch => 13,
            DropReason::AhBadSpi => 14,
            DropReason::AhSeqReplay { .. } => 15,
            DropReason::UnknownVrid(_) => 16,
            DropReason::IntervalMismatch { .. } => 17,
            DropReason::AddressCountMismatch { .. } => 18,
            DropReason::AddressListMismatch(_) => 19,
            DropReason::CastMismatch { .. } => 20,
            DropReason::NotAUnicastPeer(_) => 21,
            DropReason::TtlOutOfRange(_) => 22,
            DropReason::HmacMissing => 23,
            DropReason::HmacMalformed => 24,
            DropReason::HmacUnknownKey(_) => 25,
            DropReason::HmacBad => 26,
            DropReason::HmacStale(_) => 27,
            DropReason::HmacReplay => 28,
        }
    }

    /// A stable snake_case name for stats dumps (keepalived's stats field
    /// name where it has one).
    pub fn counter_name(&self) -> &'static str {
        COUNTER_NAMES.get(self.index()).copied().unwrap_or("unknown")
    }
}

/// Per-reason drop counts, for a runtime to bump and dump. Allocated at the
/// first drop: most instances never see one, and a thousand instances would
/// otherwise carry a thousand zeroed tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropCounters {
    counts: Option<Box<[u64; DROP_REASON_KINDS]>>,
}

impl DropCounters {
    /// Counts one drop.
    pub fn bump(&mut self, reason: &DropReason) {
        let counts = self.counts.get_or_insert_with(|| Box::new([0; DROP_REASON_KINDS]));
        if let Some(c) = counts.get_mut(reason.index()) {
            *c = c.saturating_add(1);
        }
    }

    /// The count for `reason`'s kind (its payload is ignored).
    pub fn get(&self, reason: &DropReason) -> u64 {
        self.counts.as_ref().and_then(|c| c.get(reason.index()).copied()).unwrap_or(0)
    }

    /// Total drops.
    pub fn total(&self) -> u64 {
        self.counts.iter().flat_map(|c| c.iter()).fold(0u64, |a, c| a.saturating_add(*c))
    }

    /// Non-zero counters as (name, count), in a fixed order.
    pub fn nonzero(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        let counts = self.counts.as_deref().map(|c| c.as_slice()).unwrap_or_default();
        COUNTER_NAMES.iter().zip(counts.iter()).filter(|(_, c)| **c > 0).map(|(n, c)| (*n, *c))
    }
}

/// Why an advert could not be encoded (configuration the parser should have
/// refused; never network input).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// More than 255 addresses.
    #[error("{0} addresses do not fit the 8-bit count")]
    TooManyAddresses(usize),
    /// An address of the other family.
    #[error("address {0} is not of the packet's family")]
    WrongFamily(IpAddr),
    /// Interval not representable (v2: above 255 s; v3: above 4095 cs).
    #[error("advert interval {0} cs does not fit the version's field")]
    IntervalOutOfRange(u16),
    /// VRRPv2 has no IPv6 encoding in keepalived (IPv6 instances are v3).
    #[error("VRRPv2 over IPv6 is not supported")]
    V2OverIpv6,
    /// AH / PASS are VRRPv2 only.
    #[error("authentication requires VRRPv2")]
    AuthWithV3,
}

/// The IPv4 header fields the encoder needs (keepalived's `vrrp_build_ip4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Tx {
    /// Source address (the interface's primary address or `mcast_src_ip` /
    /// `unicast_src_ip`).
    pub src: Ipv4Addr,
    /// [`VRRP_GROUP_V4`] or a unicast peer.
    pub dst: Ipv4Addr,
    /// 255, or `unicast_ttl`.
    pub ttl: u8,
    /// IP id: keepalived keeps a per-instance counter, incremented once per
    /// advert round and skipping 0 (the kernel would pick one for 0); see
    /// [`next_ip_id`].
    pub id: u16,
}

/// keepalived's per-instance IP id: the next value after `prev`, never 0.
/// The first advert carries 1.
pub fn next_ip_id(prev: u16) -> u16 {
    match prev.wrapping_add(1) {
        0 => 1,
        n => n,
    }
}

/// One's complement sum of `parts` as one byte string (RFC 1071). Parts of
/// odd length are handled by carrying the odd byte to the next part.
fn inet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut pending: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match pending.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => pending = Some(b),
            }
        }
    }
    if let Some(hi) = pending {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The IPv4 pseudo-header of RFC 5798 section 5.2.8 (RFC 768 layout).
fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, len: usize) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[..4].copy_from_slice(&src.octets());
    p[4..8].copy_from_slice(&dst.octets());
    p[9] = IPPROTO_VRRP;
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    p[10..12].copy_from_slice(&len.to_be_bytes());
    p
}

/// The IPv6 pseudo-header (RFC 2460 section 8.1).
fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, len: usize) -> [u8; 40] {
    let mut p = [0u8; 40];
    p[..16].copy_from_slice(&src.octets());
    p[16..32].copy_from_slice(&dst.octets());
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    p[32..36].copy_from_slice(&len.to_be_bytes());
    p[39] = IPPROTO_VRRP;
    p
}

/// The VRRP checksum of `msg` (with its checksum field as it is: zero when
/// building, the received value when verifying, where a valid packet sums
/// to 0). `pseudo` is the pseudo-header for v3, `None` for v2.
fn vrrp_checksum(msg: &[u8], pseudo: Option<&[u8]>) -> u16 {
    match pseudo {
        Some(p) => inet_checksum(&[p, msg]),
        None => inet_checksum(&[msg]),
    }
}

/// Reads a big-endian u16 at `at`.
fn be16(b: &[u8], at: usize) -> Option<u16> {
    match b.get(at..at.checked_add(2)?) {
        Some([x, y]) => Some(u16::from_be_bytes([*x, *y])),
        _ => None,
    }
}

/// Reads a big-endian u32 at `at`.
fn be32(b: &[u8], at: usize) -> Option<u32> {
    match b.get(at..at.checked_add(4)?) {
        Some([a, c, d, e]) => Some(u32::from_be_bytes([*a, *c, *d, *e])),
        _ => None,
    }
}

/// Reads 4 bytes at `at` as an IPv4 address.
fn ipv4_at(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    be32(b, at).map(Ipv4Addr::from)
}

/// Reads 16 bytes at `at` as an IPv6 address.
fn ipv6_at(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let s = b.get(at..at.checked_add(16)?)?;
    let arr: [u8; 16] = s.try_into().ok()?;
    Some(Ipv6Addr::from(arr))
}

/// Byte at `at` or a [`DropReason::TooShort`].
fn byte(b: &[u8], at: usize) -> Result<u8, DropReason> {
    b.get(at).copied().ok_or(DropReason::TooShort(b.len()))
}

/// The VRID of an IPv4 advert (after the IP and, if present, AH headers),
/// for the runtime to find the instance before [`decode_ipv4`].
pub fn peek_vrid_ipv4(bytes: &[u8]) -> Result<u8, DropReason> {
    let ihl = usize::from(byte(bytes, 0)? & 0x0f) * 4;
    if ihl < IPV4_HDR_LEN {
        return Err(DropReason::BadIpHeader);
    }
    let ah = if byte(bytes, 9)? == IPPROTO_AH { AH_HEADER_LEN } else { 0 };
    byte(bytes, ihl + ah + 1)
}

/// The VRID of an IPv6 advert payload.
pub fn peek_vrid_ipv6(payload: &[u8]) -> Result<u8, DropReason> {
    byte(payload, 1)
}

/// The fields of the fixed 8-byte VRRP header.
struct RawHeader {
    version: u8,
    kind: u8,
    vrid: u8,
    priority: u8,
    count: usize,
    auth_type: u8,
    int_raw: u16,
    checksum: u16,
}

fn raw_header(msg: &[u8]) -> Result<RawHeader, DropReason> {
    let b0 = byte(msg, 0)?;
    Ok(RawHeader {
        version: b0 >> 4,
        kind: b0 & 0x0f,
        vrid: byte(msg, 1)?,
        priority: byte(msg, 2)?,
        count: usize::from(byte(msg, 3)?),
        auth_type: byte(msg, 4)?,
        int_raw: be16(msg, 4).ok_or(DropReason::TooShort(msg.len()))?,
        checksum: be16(msg, 6).ok_or(DropReason::TooShort(msg.len()))?,
    })
}

/// Decodes and checks an IPv4 packet as an IPv4 raw socket delivers it (IP
/// header included), protocol 112 or 51 (AH). Checks and their order follow
/// keepalived (RFC 3768 section 7.1, RFC 5798 section 7.1); the AH counter
/// and the `auth_hmac` replay marks in `auth` move only on authenticated
/// adverts. `now` is the wall clock since the Unix epoch (only `auth_hmac`'s
/// time mode reads it).
pub fn decode_ipv4(
    bytes: &[u8],
    opts: &WireOptions,
    auth: &mut AuthCtx,
    now: Duration,
) -> Result<Received, DropReason> {
    let len = bytes.len();
    if len < IPV4_HDR_LEN {
        return Err(DropReason::TooShort(len));
    }
    let b0 = byte(bytes, 0)?;
    let ihl = usize::from(b0 & 0x0f) * 4;
    if b0 >> 4 != 4 || ihl < IPV4_HDR_LEN {
        return Err(DropReason::BadIpHeader);
    }
    let ttl = byte(bytes, 8)?;
    let proto = byte(bytes, 9)?;
    let ip_len = be16(bytes, 2).ok_or(DropReason::TooShort(len))?;
    let src = ipv4_at(bytes, 12).ok_or(DropReason::TooShort(len))?;
    let dst = ipv4_at(bytes, 16).ok_or(DropReason::TooShort(len))?;
    let has_ah = match proto {
        IPPROTO_VRRP => false,
        IPPROTO_AH => true,
        p => return Err(DropReason::BadProtocol(p)),
    };
    let vrrp_off = ihl + if has_ah { AH_HEADER_LEN } else { 0 };
    if len < vrrp_off + VRRP_HDR_LEN {
        return Err(DropReason::TooShort(len));
    }
    // keepalived: an AH header iff the instance uses AH, before anything else.
    let want_ah = matches!(auth.config, AuthConfig::Ah(_));
    if has_ah != want_ah {
        return Err(DropReason::AuthTypeMismatch {
            got: if has_ah { AuthType::Ah.to_u8() } else { AuthType::None.to_u8() },
            expected: auth.config.auth_type().to_u8(),
        });
    }
    let msg_all = bytes.get(vrrp_off..).ok_or(DropReason::TooShort(len))?;
    let h = raw_header(msg_all)?;
    let trailer = if h.version == 2 { V2_AUTH_LEN } else { 0 };
    let msg_len = VRRP_HDR_LEN + h.count * 4 + trailer;
    // RFC 3768 7.1 / RFC 5798 7.1: MUST verify the packet is complete
    let has_trailer = trailer_present(len, vrrp_off + msg_len, auth)?;
    // MUST verify TTL 255; keepalived skips it for unicast instances
    if !opts.unicast && ttl != VRRP_TTL {
        return Err(DropReason::BadTtl(ttl));
    }
    let version = match h.version {
        2 => Version::V2,
        3 => Version::V3,
        v => return Err(DropReason::BadVersion(v)),
    };
    // an AH instance is VRRPv2; keepalived refuses other versions before
    // looking at AH, so the AH counter must not move for them
    if want_ah && version != Version::V2 {
        return Err(DropReason::BadVersion(h.version));
    }
    let mut ah_seq = None;
    let mut auth_type = None;
    let mut auth_data = None;
    if version == Version::V2 {
        let at = AuthType::from_u8(h.auth_type).ok_or(DropReason::BadAuthType(h.auth_type))?;
        if at != auth.config.auth_type() {
            return Err(DropReason::AuthTypeMismatch { got: h.auth_type, expected: auth.config.auth_type().to_u8() });
        }
        let data_off = vrrp_off + msg_len - V2_AUTH_LEN;
        let data: [u8; AUTH_KEY_LEN] = bytes
            .get(data_off..data_off + V2_AUTH_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(DropReason::TooShort(len))?;
        if let AuthConfig::Pass(pw) = &auth.config {
            if !auth::ct_eq(&data, pw) {
                return Err(DropReason::AuthFailure);
            }
        }
        auth_type = Some(at);
        auth_data = Some(data);
    }
    if let AuthConfig::Ah(key) = &auth.config {
        let next = byte(bytes, ihl)?;
        if next != IPPROTO_VRRP {
            return Err(DropReason::AhNotVrrp(next));
        }
        let ip_hdr = bytes.get(..ihl).ok_or(DropReason::TooShort(len))?;
        let ah_hdr = bytes.get(ihl..vrrp_off).ok_or(DropReason::TooShort(len))?;
        let vrrp = bytes.get(vrrp_off..).ok_or(DropReason::TooShort(len))?;
        let icv = auth::ah_icv(key, ip_hdr, ah_hdr, vrrp, opts.unicast);
        let got = ah_hdr.get(12..12 + AH_ICV_LEN).ok_or(DropReason::TooShort(len))?;
        if !auth::ct_eq(&icv, got) {
            return Err(DropReason::AhIcvMismatch);
        }
        let spi = ipv4_at(ah_hdr, 4).ok_or(DropReason::TooShort(len))?;
        if spi != src {
            return Err(DropReason::AhBadSpi);
        }
        let seq = be32(ah_hdr, 8).ok_or(DropReason::TooShort(len))?;
        auth.ah.check_rx(seq).map_err(|last| DropReason::AhSeqReplay { seq, last })?;
        ah_seq = Some(seq);
    }
    let msg = msg_all.get(..msg_len).ok_or(DropReason::TooShort(len))?;
    let hmac = check_trailer(auth, has_trailer, msg, msg_all.get(msg_len..).unwrap_or(&[]), IpAddr::V4(src), now)?;
    if h.kind != 1 {
        return Err(DropReason::BadType(h.kind));
    }
    if usize::from(ip_len) != len {
        return Err(DropReason::IpLengthMismatch { ip_len, got: len });
    }
    // v2 checksum: the VRRP message only (RFC 3768 5.3.8); v3: plus the
    // pseudo-header over the VRRP message (RFC 5798 5.2.8), unless
    // v3_checksum_as_v2
    let with_pseudo = version == Version::V3 && !opts.v3_checksum_as_v2;
    let old = opts.unicast && opts.unicast_checksum == UnicastChecksum::Old;
    let pseudo = pseudo_v4(src, if old { OLD_CHECKSUM_DST } else { dst }, msg_len);
    let mut old_checksum = false;
    if vrrp_checksum(msg, with_pseudo.then_some(&pseudo[..])) != 0 {
        // A peer running keepalived before 1.3.6 sums with the group.
        let detect = with_pseudo && opts.unicast && opts.unicast_checksum == UnicastChecksum::Detect;
        if !(detect && vrrp_checksum(msg, Some(&pseudo_v4(src, OLD_CHECKSUM_DST, msg_len))) == 0) {
            return Err(DropReason::BadChecksum);
        }
        old_checksum = true;
    }
    let mut addresses = Vec::with_capacity(h.count);
    for i in 0..h.count {
        let a = ipv4_at(msg, VRRP_HDR_LEN + 4 * i).ok_or(DropReason::TooShort(len))?;
        addresses.push(IpAddr::V4(a));
    }
    Ok(Received {
        src: IpAddr::V4(src),
        dst: IpAddr::V4(dst),
        ttl: Some(ttl),
        advert: Advert {
            version,
            kind: PacketType::Advertisement,
            vrid: h.vrid,
            priority: h.priority,
            auth_type,
            adver_int: interval_cs(version, h.int_raw),
            checksum: h.checksum,
            addresses,
            auth_data,
        },
        ah_seq,
        hmac,
        old_checksum,
    })
}

/// Whether an `auth_hmac` trailer follows a message that ends at `base`:
/// the length must be exactly `base`, or `base` + 28 for an instance with
/// `auth_hmac`.
fn trailer_present(len: usize, base: usize, auth: &AuthCtx) -> Result<bool, DropReason> {
    if len == base {
        return Ok(false);
    }
    match &auth.hmac {
        Some(_) if len == base + HMAC_TRAILER_LEN => Ok(true),
        Some(_) => Err(DropReason::BadLength { got: len, expected: base + HMAC_TRAILER_LEN }),
        None => Err(DropReason::BadLength { got: len, expected: base }),
    }
}

/// Verifies the `auth_hmac` trailer, or its absence against the mode.
fn check_trailer(
    auth: &mut AuthCtx,
    present: bool,
    msg: &[u8],
    trailer: &[u8],
    src: IpAddr,
    now: Duration,
) -> Result<Option<HmacSeen>, DropReason> {
    let Some(h) = auth.hmac.as_mut() else {
        return Ok(None);
    };
    if !present {
        // the migration modes accept adverts from nodes not signing yet
        return match h.mode {
            HmacMode::Enforce => Err(DropReason::HmacMissing),
            HmacMode::Permissive | HmacMode::ReceiveOnly => Ok(None),
        };
    }
    Ok(Some(h.verify(trailer, msg, src, now)?))
}

/// v2: the low byte of the 16-bit field is Adver Int in seconds; v3: the low
/// 12 bits are centiseconds (the 4 reserved bits are ignored, RFC 5798
/// section 5.2.6).
fn interval_cs(version: Version, raw: u16) -> u16 {
    match version {
        Version::V2 => (raw & 0x00ff) * 100,
        Version::V3 => raw & V3_INT_MASK,
    }
}

/// Decodes and checks an IPv6 VRRP payload as an IPv6 raw socket delivers
/// it. `src` comes from the socket address, `dst` from `IPV6_PKTINFO`,
/// `hop_limit` from `IPV6_HOPLIMIT` (`None` skips the hop limit check, as
/// keepalived does without the ancillary data). Only v3 runs over IPv6 in
/// keepalived. The checksum is verified with the IPv6 pseudo-header even
/// though a kernel with `IPV6_CHECKSUM` set already did.
pub fn decode_ipv6(
    payload: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: Option<u8>,
    opts: &WireOptions,
    auth: &mut AuthCtx,
    now: Duration,
) -> Result<Received, DropReason> {
    let len = payload.len();
    if len < VRRP_HDR_LEN {
        return Err(DropReason::TooShort(len));
    }
    let h = raw_header(payload)?;
    let msg_len = VRRP_HDR_LEN + h.count * 16;
    let has_trailer = trailer_present(len, msg_len, auth)?;
    if let Some(hl) = hop_limit {
        if !opts.unicast && hl != VRRP_TTL {
            return Err(DropReason::BadTtl(hl));
        }
    }
    if h.version != 3 {
        return Err(DropReason::BadVersion(h.version));
    }
    // AH and PASS are VRRPv2 only: a v3 instance never has them configured
    // (keepalived's parser refuses), so only auth_hmac is checked here.
    let msg = payload.get(..msg_len).ok_or(DropReason::TooShort(len))?;
    let hmac = check_trailer(auth, has_trailer, msg, payload.get(msg_len..).unwrap_or(&[]), IpAddr::V6(src), now)?;
    if h.kind != 1 {
        return Err(DropReason::BadType(h.kind));
    }
    // the IPv6 checksum is the kernel's: the whole payload, trailer included
    let pseudo = pseudo_v6(src, dst, len);
    if vrrp_checksum(payload, Some(&pseudo)) != 0 {
        return Err(DropReason::BadChecksum);
    }
    let mut addresses = Vec::with_capacity(h.count);
    for i in 0..h.count {
        let a = ipv6_at(payload, VRRP_HDR_LEN + 16 * i).ok_or(DropReason::TooShort(len))?;
        addresses.push(IpAddr::V6(a));
    }
    Ok(Received {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        ttl: hop_limit,
        advert: Advert {
            version: Version::V3,
            kind: PacketType::Advertisement,
            vrid: h.vrid,
            priority: h.priority,
            auth_type: None,
            adver_int: interval_cs(Version::V3, h.int_raw),
            checksum: h.checksum,
            addresses,
            auth_data: None,
        },
        ah_seq: None,
        hmac,
        old_checksum: false,
    })
}

/// A configured unicast peer, for [`validate_for_instance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnicastPeer {
    /// The peer's address.
    pub addr: IpAddr,
    /// `min_ttl` (0 if not set).
    pub min_ttl: u8,
    /// `max_ttl` (255 if not set).
    pub max_ttl: u8,
}

/// What an instance expects of the adverts it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceExpectation<'a> {
    /// The instance's VRID (the runtime already demultiplexed on it; checked
    /// again so a mis-routed advert cannot reach the state machine).
    pub vrid: u8,
    /// The instance's VRRP version.
    pub version: Version,
    /// Our advert interval in centiseconds (only compared for v2).
    pub adver_int: u16,
    /// Our virtual addresses (`virtual_ipaddress`, not the excluded ones).
    pub addresses: &'a [IpAddr],
    /// keepalived's `check_vip_addr`: false when `skip_check_adv_addr` is set
    /// and the advert comes from the same master as the previous one. Turns
    /// off the count, list and unicast source checks.
    pub check_addresses: bool,
    /// `unicast_peer`s; empty for multicast.
    pub unicast_peers: &'a [UnicastPeer],
    /// `check_unicast_src` (or the global `vrrp_check_unicast_src`, or a
    /// peer with `min_ttl` / `max_ttl`).
    pub check_unicast_src: bool,
}

/// The checks of keepalived's `vrrp_check_packet` that need the instance's
/// configuration, after [`decode_ipv4`] / [`decode_ipv6`] succeeded. The v3
/// interval is not checked here: the state machine adopts it (RFC 5798
/// section 6.4.2) and logs keepalived's "advertisement interval changed".
pub fn validate_for_instance(rx: &Received, exp: &InstanceExpectation<'_>) -> Result<(), DropReason> {
    let a = &rx.advert;
    if a.vrid != exp.vrid {
        return Err(DropReason::UnknownVrid(a.vrid));
    }
    if a.version != exp.version {
        return Err(DropReason::BadVersion(a.version.number()));
    }
    // RFC 3768 7.1: MUST verify the Adver Interval matches ours (exactly:
    // keepalived compares its interval with the packet's seconds, so a
    // fractional v2 interval never matches)
    if a.version == Version::V2 && a.adver_int != exp.adver_int {
        return Err(DropReason::IntervalMismatch { mine: exp.adver_int / 100, got: a.adver_int / 100 });
    }
    if exp.check_addresses && a.addresses.len() != exp.addresses.len() {
        return Err(DropReason::AddressCountMismatch { got: a.addresses.len(), expected: exp.addresses.len() });
    }
    let unicast = !exp.unicast_peers.is_empty();
    if rx.dst.is_multicast() == unicast {
        return Err(DropReason::CastMismatch { unicast_expected: unicast });
    }
    if !exp.check_addresses {
        return Ok(());
    }
    // RFC 3768 7.1 / RFC 5798 7.1: MAY verify the addresses; keepalived does
    if let Some(missing) = exp.addresses.iter().find(|v| !a.addresses.contains(v)) {
        return Err(DropReason::AddressListMismatch(*missing));
    }
    if unicast && exp.check_unicast_src {
        let peer = exp.unicast_peers.iter().find(|p| p.addr == rx.src).ok_or(DropReason::NotAUnicastPeer(rx.src))?;
        if let Some(ttl) = rx.ttl {
            if ttl < peer.min_ttl || ttl > peer.max_ttl {
                return Err(DropReason::TtlOutOfRange(ttl));
            }
        }
    }
    Ok(())
}

/// The VRRP message (header, addresses, v2 auth data) with a zero checksum.
fn build_message(advert: &Advert, v6: bool, auth: &AuthConfig) -> Result<Vec<u8>, EncodeError> {
    let count =
        u8::try_from(advert.addresses.len()).map_err(|_| EncodeError::TooManyAddresses(advert.addresses.len()))?;
    let (b4, b5) = match advert.version {
        Version::V2 => {
            if v6 {
                return Err(EncodeError::V2OverIpv6);
            }
            let secs =
                u8::try_from(advert.adver_int / 100).map_err(|_| EncodeError::IntervalOutOfRange(advert.adver_int))?;
            (auth.auth_type().to_u8(), secs)
        }
        Version::V3 => {
            if *auth != AuthConfig::None {
                return Err(EncodeError::AuthWithV3);
            }
            if advert.adver_int > V3_INT_MASK {
                return Err(EncodeError::IntervalOutOfRange(advert.adver_int));
            }
            let [hi, lo] = advert.adver_int.to_be_bytes();
            (hi, lo)
        }
    };
    let mut m = Vec::with_capacity(VRRP_HDR_LEN + advert.addresses.len() * 16 + V2_AUTH_LEN);
    m.extend_from_slice(&[(advert.version.number() << 4) | 1, advert.vrid, advert.priority, count, b4, b5, 0, 0]);
    for a in &advert.addresses {
        match (a, v6) {
            (IpAddr::V4(x), false) => m.extend_from_slice(&x.octets()),
            (IpAddr::V6(x), true) => m.extend_from_slice(&x.octets()),
            _ => return Err(EncodeError::WrongFamily(*a)),
        }
    }
    if advert.version == Version::V2 {
        m.extend_from_slice(&auth.v2_auth_data());
    }
    Ok(m)
}

/// Writes the checksum into bytes 6-7 of `msg`.
fn put_checksum(msg: &mut [u8], sum: u16) {
    if let Some(c) = msg.get_mut(6..8) {
        c.copy_from_slice(&sum.to_be_bytes());
    }
}

/// Builds a whole IPv4 advert as keepalived sends it through its
/// `IP_HDRINCL` raw socket: IHL 5, TOS 0xc0, id from [`Ipv4Tx::id`], no
/// DF / fragment bits, the TTL given, protocol 112 (or 51 with an AH header
/// for `auth_type AH`), header checksum filled in (the kernel recomputes the
/// same value). `auth` carries this round's AH sequence number and
/// `auth_hmac` trailer, computed once per round by the caller.
/// [`Advert::checksum`], [`Advert::auth_type`] and [`Advert::auth_data`] are
/// ignored: they are computed from `auth`.
pub fn encode_ipv4(
    advert: &Advert,
    ip: &Ipv4Tx,
    opts: &WireOptions,
    auth: &TxAuth<'_>,
) -> Result<Vec<u8>, EncodeError> {
    let mut msg = build_message(advert, false, auth.config)?;
    let old = opts.unicast && opts.unicast_checksum == UnicastChecksum::Old;
    let pseudo = pseudo_v4(ip.src, if old { OLD_CHECKSUM_DST } else { ip.dst }, msg.len());
    let with_pseudo = advert.version == Version::V3 && !opts.v3_checksum_as_v2;
    let sum = vrrp_checksum(&msg, with_pseudo.then_some(&pseudo[..]));
    put_checksum(&mut msg, sum);
    if let Some(tx) = &auth.hmac {
        // the IPv4 checksum covers the message only, not the trailer
        let t = auth::build_trailer(tx, &msg, IpAddr::V4(ip.src));
        msg.extend_from_slice(&t);
    }
    let ah_seq = auth.ah_seq;
    let auth = auth.config;

    let ah_len = if matches!(auth, AuthConfig::Ah(_)) { AH_HEADER_LEN } else { 0 };
    let total = IPV4_HDR_LEN + ah_len + msg.len();
    // at most 20 + 24 + 8 + 255 * 4 + 8 bytes: always fits
    let total16 = u16::try_from(total).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&[0x45, KEEPALIVED_TOS]);
    out.extend_from_slice(&total16.to_be_bytes());
    out.extend_from_slice(&ip.id.to_be_bytes());
    out.extend_from_slice(&[0, 0, ip.ttl, if ah_len > 0 { IPPROTO_AH } else { IPPROTO_VRRP }, 0, 0]);
    out.extend_from_slice(&ip.src.octets());
    out.extend_from_slice(&ip.dst.octets());
    if let AuthConfig::Ah(key) = auth {
        // RFC 2402 section 2; SPI = the sender's address, as keepalived does
        // for want of a negotiated SA in multicast
        let mut ah = [0u8; AH_HEADER_LEN];
        ah[0] = IPPROTO_VRRP;
        ah[1] = AH_PAYLOAD_LEN;
        ah[4..8].copy_from_slice(&ip.src.octets());
        ah[8..12].copy_from_slice(&ah_seq.to_be_bytes());
        let icv = auth::ah_icv(key, &out, &ah, &msg, opts.unicast);
        ah[12..].copy_from_slice(&icv);
        out.extend_from_slice(&ah);
    }
    out.extend_from_slice(&msg);
    let hsum = inet_checksum(&[out.get(..IPV4_HDR_LEN).unwrap_or(&[])]);
    if let Some(c) = out.get_mut(10..12) {
        c.copy_from_slice(&hsum.to_be_bytes());
    }
    Ok(out)
}

/// Builds the VRRPv3 payload for an IPv6 raw socket (the kernel adds the IPv6
/// header; keepalived sets hop limit 255 and traffic class 0xc0 on the
/// socket). The checksum is computed with the IPv6 pseudo-header for `src`
/// and `dst`; a socket with `IPV6_CHECKSUM` = 6 recomputes the same value
/// (the kernel subtracts what is already in the field), so either way works.
/// `hmac` is this round's `auth_hmac` trailer, if sent.
pub fn encode_v6_payload(
    advert: &Advert,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hmac: Option<&TxHmac<'_>>,
) -> Result<Vec<u8>, EncodeError> {
    let mut msg = build_message(advert, true, &AuthConfig::None)?;
    if let Some(tx) = hmac {
        let t = auth::build_trailer(tx, &msg, IpAddr::V6(src));
        msg.extend_from_slice(&t);
    }
    let pseudo = pseudo_v6(src, dst, msg.len());
    let sum = vrrp_checksum(&msg, Some(&pseudo));
    put_checksum(&mut msg, sum);
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_odd_parts_equal_joined() {
        let a = [1u8, 2, 3];
        let b = [4u8, 5, 6, 7];
        let joined = [1u8, 2, 3, 4, 5, 6, 7];
        assert_eq!(inet_checksum(&[&a, &b]), inet_checksum(&[&joined]));
    }

    #[test]
    fn ip_id_skips_zero() {
        assert_eq!(next_ip_id(0), 1);
        assert_eq!(next_ip_id(0xffff), 1);
        assert_eq!(next_ip_id(41), 42);
    }

    #[test]
    fn counter_names_are_distinct() {
        let mut names = COUNTER_NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COUNTER_NAMES.len());
    }
}
