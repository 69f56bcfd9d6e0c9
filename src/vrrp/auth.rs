//! VRRPv2 authentication as keepalived puts it on the wire: simple password
//! (PASS) and IPsec-AH with HMAC-MD5-96, plus keepalived's own `auth_hmac`
//! trailer is described in [`super::packet`].
//!
//! Pure: the per-instance state ([`AuthCtx`]) is passed into
//! [`super::packet::decode_ipv4`] and the encoder by the caller, like an
//! OSPF crypto sequence number. Nothing here reads the clock.
//!
//! RFC 3768 removed authentication from VRRPv2; keepalived kept the RFC 2338
//! section 5.3.6 types: 0 none, 1 simple text password, 2 IP Authentication
//! Header.
//!
//! keepalived 2.4's `auth_hmac` trailer (HMAC-SHA256) is not implemented
//! yet: see the module docs of [`super::packet`].

use md5::{Digest, Md5};

/// Length of the password / key keepalived keeps: `auth_pass` is cut to 8
/// bytes and zero padded (keepalived.conf(5): "Only the first eight (8)
/// characters are used").
pub const AUTH_KEY_LEN: usize = 8;

/// Length of the AH header keepalived sends: next header, payload length,
/// reserved, SPI, sequence number and a 96-bit ICV (RFC 2402 section 2).
pub const AH_HEADER_LEN: usize = 24;

/// The AH "payload length" keepalived writes: the AH length in 32-bit words
/// minus 2 (RFC 2402 section 2.2): (24 / 4) - 2 = 4.
pub const AH_PAYLOAD_LEN: u8 = 4;

/// HMAC-MD5-96: the digest truncated to its first 96 bits (RFC 2403).
pub const AH_ICV_LEN: usize = 12;

/// The v2 "Auth Type" field (RFC 2338 section 5.3.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthType {
    /// 0: no authentication.
    None,
    /// 1: simple text password in the 8 auth data bytes.
    Pass,
    /// 2: IP Authentication Header (the VRRP auth data is zero).
    Ah,
}

impl AuthType {
    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            AuthType::None => 0,
            AuthType::Pass => 1,
            AuthType::Ah => 2,
        }
    }

    /// Parses the wire value; anything else is keepalived's "Invalid auth type".
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(AuthType::None),
            1 => Some(AuthType::Pass),
            2 => Some(AuthType::Ah),
            _ => None,
        }
    }
}

/// An instance's configured v2 authentication (`authentication { }` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthConfig {
    /// No `authentication` block.
    None,
    /// `auth_type PASS`: the password, cut / zero padded to 8 bytes.
    Pass([u8; AUTH_KEY_LEN]),
    /// `auth_type AH`: the HMAC-MD5 key is the same 8 byte buffer (HMAC pads
    /// short keys with zeros, so "s3cret" and "s3cret\0\0" give one ICV).
    Ah([u8; AUTH_KEY_LEN]),
}

impl AuthConfig {
    /// `auth_type PASS` with `auth_pass` as written in the configuration.
    pub fn pass(auth_pass: &str) -> Self {
        AuthConfig::Pass(key_bytes(auth_pass))
    }

    /// `auth_type AH` with `auth_pass` as written in the configuration.
    pub fn ah(auth_pass: &str) -> Self {
        AuthConfig::Ah(key_bytes(auth_pass))
    }

    /// The auth type this configuration puts in v2 adverts.
    pub fn auth_type(&self) -> AuthType {
        match self {
            AuthConfig::None => AuthType::None,
            AuthConfig::Pass(_) => AuthType::Pass,
            AuthConfig::Ah(_) => AuthType::Ah,
        }
    }

    /// The 8 auth data bytes of a v2 advert: the password for PASS, zero
    /// otherwise (keepalived leaves them zero for none and AH).
    pub fn v2_auth_data(&self) -> [u8; AUTH_KEY_LEN] {
        match self {
            AuthConfig::Pass(p) => *p,
            AuthConfig::None | AuthConfig::Ah(_) => [0; AUTH_KEY_LEN],
        }
    }
}

/// `auth_pass` -> the 8 byte buffer keepalived keeps (longer is cut, shorter
/// is zero padded).
fn key_bytes(s: &str) -> [u8; AUTH_KEY_LEN] {
    let mut k = [0u8; AUTH_KEY_LEN];
    for (dst, src) in k.iter_mut().zip(s.as_bytes()) {
        *dst = *src;
    }
    k
}

/// keepalived's per-instance AH sequence counter.
///
/// keepalived keeps ONE counter per instance for both directions (not one per
/// peer): a MASTER increments it before each advert (so the first advert
/// carries 1); a receiver accepts an AH advert only if its sequence number is
/// strictly greater than the counter, and then raises the counter to it. So a
/// BACKUP that takes over continues above the old master's numbers.
/// Near the end of the space (counter > 0xFFFF_FFFD) the sender stops
/// incrementing and marks the counter "cycled"; the state machine resets a
/// cycled counter to 0 when it becomes MASTER
/// ([`AhCounter::on_become_master`]) and clears the mark when, in BACKUP, it
/// accepts an AH advert ([`AhCounter::clear_cycle`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AhCounter {
    seq: u32,
    cycled: bool,
}

impl AhCounter {
    /// A counter whose next advert carries `last_sent + 1` (tests use this to
    /// re-encode a captured advert).
    pub fn with_last(last_sent: u32) -> Self {
        AhCounter { seq: last_sent, cycled: false }
    }

    /// The highest sequence number sent or accepted.
    pub fn last(&self) -> u32 {
        self.seq
    }

    /// Whether the counter hit the end of its space.
    pub fn cycled(&self) -> bool {
        self.cycled
    }

    /// The sequence number for the next advert round. Call once per round:
    /// keepalived sends the same number to every unicast peer of one round.
    pub fn next_tx(&mut self) -> u32 {
        if self.seq > 0xFFFF_FFFD {
            self.cycled = true;
        } else {
            self.seq += 1;
        }
        self.seq
    }

    /// Anti-replay check of a received, ICV-verified advert (RFC 2402
    /// section 3.4.3 as keepalived simplifies it: no window, strictly
    /// increasing).
    pub fn check_rx(&mut self, seq: u32) -> Result<(), u32> {
        if seq > self.seq {
            self.seq = seq;
            Ok(())
        } else {
            Err(self.seq)
        }
    }

    /// keepalived resets a cycled counter when the instance becomes MASTER.
    pub fn on_become_master(&mut self) {
        if self.cycled {
            self.cycled = false;
            self.seq = 0;
        }
    }

    /// keepalived clears the cycled mark when a BACKUP accepts an AH advert.
    pub fn clear_cycle(&mut self) {
        self.cycled = false;
    }
}

/// Everything an instance needs to authenticate adverts: its configuration
/// and mutable state. Owned by the state machine, lent to encode/decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCtx {
    /// The v2 `authentication` block.
    pub config: AuthConfig,
    /// The AH sequence counter (unused unless `config` is AH).
    pub ah: AhCounter,
}

impl AuthCtx {
    /// A context with fresh counters.
    pub fn new(config: AuthConfig) -> Self {
        AuthCtx { config, ah: AhCounter::default() }
    }
}

/// HMAC (RFC 2104) with MD5 over the concatenation of `parts`. The key is at
/// most 8 bytes, well under the 64 byte block, so it is only zero padded.
pub(crate) fn hmac_md5(key: &[u8; AUTH_KEY_LEN], parts: &[&[u8]]) -> [u8; 16] {
    let mut ipad = [0x36u8; 64];
    let mut opad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        if let (Some(a), Some(b)) = (ipad.get_mut(i), opad.get_mut(i)) {
            *a ^= k;
            *b ^= k;
        }
    }
    let mut inner = Md5::new();
    inner.update(ipad);
    for p in parts {
        inner.update(p);
    }
    let inner = inner.finalize();
    let mut outer = Md5::new();
    outer.update(opad);
    outer.update(inner);
    let mut out = [0u8; 16];
    out.copy_from_slice(&outer.finalize());
    out
}

/// Compares secrets without an early exit, so timing does not leak how many
/// leading bytes matched.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The AH ICV keepalived computes (RFC 2402 section 3.3.3.1): HMAC-MD5 over
/// the IP header (options and all) with the mutable fields TOS,
/// flags/fragment offset and header checksum zeroed, and TTL zeroed only for
/// unicast (keepalived keeps TTL 255 in the ICV of multicast adverts), then
/// the AH header with the ICV zeroed, then the VRRP packet; truncated to 96
/// bits. `ip_hdr` is the IP header (options included), `ah_hdr` the 24-byte
/// AH header (its ICV bytes are ignored), `vrrp` the VRRP message.
pub fn ah_icv(key: &[u8; AUTH_KEY_LEN], ip_hdr: &[u8], ah_hdr: &[u8], vrrp: &[u8], unicast: bool) -> [u8; AH_ICV_LEN] {
    let mut ip = ip_hdr.to_vec();
    for i in [1usize, 6, 7, 10, 11] {
        if let Some(b) = ip.get_mut(i) {
            *b = 0;
        }
    }
    if unicast {
        if let Some(b) = ip.get_mut(8) {
            *b = 0;
        }
    }
    let mut ah = ah_hdr.to_vec();
    for b in ah.iter_mut().skip(12) {
        *b = 0;
    }
    let full = hmac_md5(key, &[&ip, &ah, vrrp]);
    let mut icv = [0u8; AH_ICV_LEN];
    for (d, s) in icv.iter_mut().zip(full.iter()) {
        *d = *s;
    }
    icv
}
