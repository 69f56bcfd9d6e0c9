//! VRRP authentication as keepalived puts it on the wire: the VRRPv2 simple
//! password (PASS) and IPsec-AH with HMAC-MD5-96, and keepalived 2.4's own
//! `auth_hmac` trailer (HMAC-SHA256, v2 and v3, see [`HmacAuth`]).
//!
//! Pure: the per-instance state ([`AuthCtx`]) is passed into
//! [`super::packet::decode_ipv4`] and the encoder by the caller, like an
//! OSPF crypto sequence number. Nothing here reads the clock.
//!
//! RFC 3768 removed authentication from VRRPv2; keepalived kept the RFC 2338
//! section 5.3.6 types: 0 none, 1 simple text password, 2 IP Authentication
//! Header.

use md5::{Digest, Md5};

/// Length of the password / key keepalived keeps: `auth_pass` is cut to 8
/// bytes and zero padded (keepalived.conf(5): "Only the first eight (8)
/// characters are used").
pub(crate) const AUTH_KEY_LEN: usize = 8;

/// Length of the AH header keepalived sends: next header, payload length,
/// reserved, SPI, sequence number and a 96-bit ICV (RFC 2402 section 2).
pub(crate) const AH_HEADER_LEN: usize = 24;

/// The AH "payload length" keepalived writes: the AH length in 32-bit words
/// minus 2 (RFC 2402 section 2.2): (24 / 4) - 2 = 4.
pub(crate) const AH_PAYLOAD_LEN: u8 = 4;

/// HMAC-MD5-96: the digest truncated to its first 96 bits (RFC 2403).
pub(crate) const AH_ICV_LEN: usize = 12;

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
    pub(crate) fn to_u8(self) -> u8 {
        match self {
            AuthType::None => 0,
            AuthType::Pass => 1,
            AuthType::Ah => 2,
        }
    }

    /// Parses the wire value; anything else is keepalived's "Invalid auth type".
    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(AuthType::None),
            1 => Some(AuthType::Pass),
            2 => Some(AuthType::Ah),
            _ => None,
        }
    }
}

/// An instance's configured v2 authentication (`authentication { }` block).
/// `Debug` does not print the password.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthConfig {
    /// No `authentication` block.
    None,
    /// `auth_type PASS`: the password, cut / zero padded to 8 bytes.
    Pass([u8; AUTH_KEY_LEN]),
    /// `auth_type AH`: the HMAC-MD5 key is the same 8 byte buffer (HMAC pads
    /// short keys with zeros, so "s3cret" and "s3cret\0\0" give one ICV).
    Ah([u8; AUTH_KEY_LEN]),
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthConfig::None => write!(f, "None"),
            AuthConfig::Pass(_) => write!(f, "Pass(..)"),
            AuthConfig::Ah(_) => write!(f, "Ah(..)"),
        }
    }
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
    pub(crate) fn v2_auth_data(&self) -> [u8; AUTH_KEY_LEN] {
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
    /// keepalived 2.4's `auth_hmac` block, if configured.
    pub hmac: Option<Box<HmacAuth>>,
}

impl AuthCtx {
    /// A context with fresh counters.
    pub fn new(config: AuthConfig) -> Self {
        AuthCtx { config, ah: AhCounter::default(), hmac: None }
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

/// Length of keepalived 2.4's `auth_hmac` trailer: type, key id, 2 reserved
/// bytes, 32-bit seconds, 16-bit fraction, 16-bit counter, 128-bit HMAC.
pub(crate) const HMAC_TRAILER_LEN: usize = 28;
/// The only trailer type keepalived defines: HMAC-SHA256 truncated to 128 bits.
pub(crate) const HMAC_TYPE_SHA256: u8 = 1;
/// Truncated HMAC length in the trailer.
pub(crate) const HMAC_LEN: usize = 16;
/// Length of the pseudo header bound into the HMAC.
const HMAC_PSEUDO_LEN: usize = 20;
/// Offset of the HMAC inside the trailer.
const HMAC_OFF: usize = HMAC_TRAILER_LEN - HMAC_LEN;
/// keepalived keeps replay state for this many multicast senders (LRU).
const HMAC_MCAST_SENDERS: usize = 4;

/// `auth_hmac { mode }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacMode {
    /// Send a trailer, require one.
    Enforce,
    /// Send a trailer, also accept adverts without one.
    Permissive,
    /// Send none, accept adverts without one (a present trailer is verified).
    ReceiveOnly,
}

/// `auth_hmac { anti_replay }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayMode {
    /// `time`: the trailer's seconds must be within `window` seconds of our
    /// clock, and sequences must grow.
    Time {
        /// `time_window` (1-300 s; keepalived's default is max(3 x advert_int, 5)).
        window: u32,
    },
    /// `monotonic`: sequences must grow.
    Monotonic,
}

/// Where the transmit side's authentication comes from for one advert round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxAuth<'a> {
    /// The v2 `authentication` block.
    pub config: &'a AuthConfig,
    /// This round's AH sequence number ([`AhCounter::next_tx`]); ignored
    /// unless `config` is AH.
    pub ah_seq: u32,
    /// This round's `auth_hmac` trailer ([`HmacAuth::next_tx`]), if sent.
    pub hmac: Option<TxHmac<'a>>,
}

impl<'a> TxAuth<'a> {
    /// No AH sequence, no trailer.
    pub fn plain(config: &'a AuthConfig) -> Self {
        TxAuth { config, ah_seq: 0, hmac: None }
    }
}

/// A configured `key <id> <value>` (32-64 bytes in keepalived's parser).
#[derive(Clone, PartialEq, Eq)]
pub struct HmacKey {
    /// Key id, 1-255.
    pub id: u8,
    /// Key bytes.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for HmacKey {
    // never print secrets
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HmacKey {{ id: {}, len: {} }}", self.id, self.key.len())
    }
}

/// Why a trailer was refused (mapped onto `DropReason`s by the decoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacError {
    /// Unknown trailer type or non-zero reserved bytes.
    Malformed,
    /// The key id is not configured.
    UnknownKey(u8),
    /// The HMAC does not verify.
    BadHmac,
    /// Time mode: the timestamp is `skew` seconds off our clock, outside the window.
    Stale(i32),
    /// The sequence did not grow.
    Replay,
}

/// Per-sender anti-replay mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SenderMark {
    addr: std::net::IpAddr,
    seq: u64,
    last_used: u64,
}

/// keepalived 2.4's `auth_hmac` state for one instance: configuration, the
/// last sequence sent and the per-sender replay marks. Pure: the caller
/// passes the wall clock (`now` since the Unix epoch).
///
/// Trailer after the VRRP message (after the v2 auth data if any):
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Type (1)    |    Key ID     |          Reserved (0)         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                  Seconds since the Unix epoch                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Fraction (1/65536 s)      |            Counter            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |              HMAC-SHA256 truncated to 128 bits                |
/// |                          (4 words)                            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// The three middle fields form one 64-bit sequence, compared with RFC 1982
/// serial arithmetic. The HMAC covers a 20-byte pseudo header (4 or 6, the
/// VRRP version, the VRID, 0, the source address zero padded to 16 bytes),
/// then the VRRP message with its checksum read as zero, then the trailer
/// with its HMAC zeroed. The IP header is not covered, so one signed advert
/// is valid for every unicast peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacAuth {
    /// Configured keys.
    pub keys: Vec<HmacKey>,
    /// `active_key`: the id used when sending.
    pub active_key: u8,
    /// `mode`.
    pub mode: HmacMode,
    /// `anti_replay` / `time_window`.
    pub replay: ReplayMode,
    send_seq: u64,
    marks: Vec<SenderMark>,
    lru_clock: u64,
    /// Senders tracked: 4 for multicast (keepalived's table); a unicast
    /// instance should raise it to its number of peers.
    pub max_senders: usize,
}

/// What the encoder needs to append a trailer: computed once per advert
/// round by [`HmacAuth::next_tx`] (keepalived signs once and replicates the
/// same trailer to every unicast peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxHmac<'a> {
    /// Key id in the trailer.
    pub key_id: u8,
    /// Key bytes; `None` (active key missing) sends a zero HMAC, which every
    /// receiver refuses, as keepalived does.
    pub key: Option<&'a [u8]>,
    /// The 64-bit sequence.
    pub seq: u64,
}

/// A verified trailer, reported in `Received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HmacSeen {
    /// The key id that verified.
    pub key_id: u8,
    /// The 64-bit sequence.
    pub seq: u64,
}

/// RFC 1982 "a is after b" over 64 bits.
fn seq_after(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) > 0
}

/// The wall clock as a sequence: seconds in the top 32 bits, a 1/65536 s
/// fraction in the next 16, counter 0.
fn clock_seq(now: std::time::Duration) -> u64 {
    let secs = now.as_secs() as u32; // the field wraps in 2106, as keepalived's
    let frac = (u64::from(now.subsec_nanos()) << 16) / 1_000_000_000;
    (u64::from(secs) << 32) | (frac << 16)
}

impl HmacAuth {
    /// A fresh state for the given configuration.
    pub fn new(keys: Vec<HmacKey>, active_key: u8, mode: HmacMode, replay: ReplayMode) -> Self {
        HmacAuth {
            keys,
            active_key,
            mode,
            replay,
            send_seq: 0,
            marks: Vec::new(),
            lru_clock: 0,
            max_senders: HMAC_MCAST_SENDERS,
        }
    }

    /// Whether adverts carry a trailer (not in receive-only mode).
    pub fn sends(&self) -> bool {
        self.mode != HmacMode::ReceiveOnly
    }

    fn key(&self, id: u8) -> Option<&[u8]> {
        self.keys.iter().find(|k| k.id == id).map(|k| k.key.as_slice())
    }

    /// The trailer parameters for the next advert round, or `None` in
    /// receive-only mode. The sequence is the larger of the clock and the
    /// last one plus one; in time mode a sequence stranded more than the
    /// window ahead of the clock (a corrected clock step) restarts from it.
    pub fn next_tx(&mut self, now: std::time::Duration) -> Option<TxHmac<'_>> {
        if !self.sends() {
            return None;
        }
        let clk = clock_seq(now);
        if seq_after(clk, self.send_seq) {
            self.send_seq = clk;
        } else {
            let ahead = ((self.send_seq >> 32) as u32).wrapping_sub((clk >> 32) as u32) as i32;
            match self.replay {
                ReplayMode::Time { window } if i64::from(ahead) > i64::from(window) => self.send_seq = clk,
                _ => self.send_seq = self.send_seq.wrapping_add(1),
            }
        }
        let seq = self.send_seq;
        let key_id = self.active_key;
        Some(TxHmac { key_id, key: self.key(key_id), seq })
    }

    /// Verifies a received trailer. `msg` is the VRRP message (without the
    /// trailer), `src` the packet's source, `family_v6` its family.
    pub(crate) fn verify(
        &mut self,
        trailer: &[u8],
        msg: &[u8],
        src: std::net::IpAddr,
        now: std::time::Duration,
    ) -> Result<HmacSeen, HmacError> {
        let field = |i: usize| trailer.get(i).copied().ok_or(HmacError::Malformed);
        let (kind, key_id) = (field(0)?, field(1)?);
        if kind != HMAC_TYPE_SHA256 || field(2)? != 0 || field(3)? != 0 || trailer.len() != HMAC_TRAILER_LEN {
            return Err(HmacError::Malformed);
        }
        let mut seq_bytes = [0u8; 8];
        for (i, b) in seq_bytes.iter_mut().enumerate() {
            *b = field(4 + i)?;
        }
        let seq = u64::from_be_bytes(seq_bytes);
        let sec = (seq >> 32) as u32;
        let now_secs = now.as_secs() as u32;
        // the stale check runs before the costly HMAC; it only ever rejects
        if let ReplayMode::Time { window } = self.replay {
            let skew = now_secs.wrapping_sub(sec) as i32;
            if i64::from(skew).abs() > i64::from(window) {
                return Err(HmacError::Stale(skew));
            }
        }
        let key = self.key(key_id).ok_or(HmacError::UnknownKey(key_id))?;
        let want = trailer_hmac(key, msg, trailer, src);
        let got = trailer.get(HMAC_OFF..).ok_or(HmacError::Malformed)?;
        if !ct_eq(&want, got) {
            return Err(HmacError::BadHmac);
        }
        // the replay mark moves only on authenticated data
        self.lru_clock += 1;
        let stamp = self.lru_clock;
        let window = match self.replay {
            ReplayMode::Time { window } => Some(window),
            ReplayMode::Monotonic => None,
        };
        let max = self.max_senders.max(1);
        let mark = match self.marks.iter().position(|m| m.addr == src) {
            Some(i) => self.marks.get_mut(i),
            None => {
                if self.marks.len() >= max {
                    if let Some(i) = self.marks.iter().enumerate().min_by_key(|(_, m)| m.last_used).map(|(i, _)| i) {
                        self.marks.swap_remove(i);
                    }
                }
                self.marks.push(SenderMark { addr: src, seq, last_used: stamp });
                return Ok(HmacSeen { key_id, seq });
            }
        };
        let Some(mark) = mark else {
            return Err(HmacError::Replay);
        };
        mark.last_used = stamp;
        // a mark outside the time window expires (recovers a sender whose
        // clock was stepped back)
        let expired = window.is_some_and(|w| {
            let age = now_secs.wrapping_sub((mark.seq >> 32) as u32) as i32;
            i64::from(age).abs() > i64::from(w)
        });
        if !expired && !seq_after(seq, mark.seq) {
            return Err(HmacError::Replay);
        }
        mark.seq = seq;
        Ok(HmacSeen { key_id, seq })
    }
}

/// HMAC-SHA256 (RFC 2104) over the concatenation of `parts`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use openssl::sha::Sha256;
    let mut k = [0u8; 64];
    if key.len() > 64 {
        let mut h = Sha256::new();
        h.update(key);
        for (d, s) in k.iter_mut().zip(h.finish().iter()) {
            *d = *s;
        }
    } else {
        for (d, s) in k.iter_mut().zip(key) {
            *d = *s;
        }
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let mut inner = Sha256::new();
    inner.update(&ipad);
    for p in parts {
        inner.update(p);
    }
    let inner = inner.finish();
    let mut outer = Sha256::new();
    outer.update(&opad);
    outer.update(&inner);
    outer.finish()
}

/// The trailer HMAC: pseudo header, the message with its checksum as zero,
/// the trailer's first 12 bytes, 16 zero bytes; truncated to 128 bits.
fn trailer_hmac(key: &[u8], msg: &[u8], trailer: &[u8], src: std::net::IpAddr) -> [u8; HMAC_LEN] {
    let mut pseudo = [0u8; HMAC_PSEUDO_LEN];
    let (fam, addr): (u8, Vec<u8>) = match src {
        std::net::IpAddr::V4(a) => (4, a.octets().to_vec()),
        std::net::IpAddr::V6(a) => (6, a.octets().to_vec()),
    };
    let first = msg.first().copied().unwrap_or(0);
    pseudo[0] = fam;
    pseudo[1] = first >> 4;
    pseudo[2] = msg.get(1).copied().unwrap_or(0);
    for (d, s) in pseudo.iter_mut().skip(4).zip(&addr) {
        *d = *s;
    }
    let head = msg.get(..6).unwrap_or(msg);
    let tail = msg.get(8..).unwrap_or(&[]);
    let prefix = trailer.get(..HMAC_OFF).unwrap_or(trailer);
    let full = hmac_sha256(key, &[&pseudo, head, &[0, 0], tail, prefix, &[0u8; HMAC_LEN]]);
    let mut out = [0u8; HMAC_LEN];
    for (d, s) in out.iter_mut().zip(full.iter()) {
        *d = *s;
    }
    out
}

/// Builds the 28-byte trailer for `msg` (the VRRP message as it will be
/// sent; its checksum does not matter, the HMAC reads it as zero).
pub(crate) fn build_trailer(tx: &TxHmac<'_>, msg: &[u8], src: std::net::IpAddr) -> [u8; HMAC_TRAILER_LEN] {
    let mut t = [0u8; HMAC_TRAILER_LEN];
    t[0] = HMAC_TYPE_SHA256;
    t[1] = tx.key_id;
    t[4..12].copy_from_slice(&tx.seq.to_be_bytes());
    if let Some(key) = tx.key {
        let mac = trailer_hmac(key, msg, &t, src);
        t[HMAC_OFF..].copy_from_slice(&mac);
    }
    t
}
