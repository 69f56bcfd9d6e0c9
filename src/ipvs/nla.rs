//! Netlink framing and attributes (pure): just what the IPVS family and the
//! generic-netlink controller need.
//!
//! ```text
//! nlmsghdr (16)           genlmsghdr (4)         attributes
//! +-----+----+-----+---+---+  +-----+-----+------+  +-----+-----+---------+---+
//! | len |type|flags|seq|pid|  | cmd | ver | resv |  | len |type | payload |pad|
//! |  u32| u16|  u16|u32|u32|  |  u8 |  u8 |  u16 |  | u16 | u16 |         |   |
//! +-----+----+-----+---+---+  +-----+-----+------+  +-----+-----+---------+---+
//! ```
//!
//! Everything is host byte order (netlink is a local protocol) except where
//! the IPVS attribute itself is a network-order value (ports, addresses);
//! each attribute is padded to 4 bytes. Decoding never panics: a short or
//! inconsistent buffer is a [`DecodeError`] naming what was wrong.

/// `NLMSG_ERROR`: an error report or, with error 0, an acknowledgement.
pub(crate) const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
pub(crate) const NLMSG_DONE: u16 = 3;
/// `NLM_F_REQUEST`.
pub(crate) const F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`: part of a multipart reply.
pub(crate) const F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`: acknowledge success too.
pub(crate) const F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub(crate) const F_DUMP: u16 = 0x300;
/// The nested-attribute flag bit of `nla_type`, masked off when decoding.
const NLA_F_NESTED: u16 = 0x8000;
/// The network-byte-order flag bit of `nla_type`.
const NLA_F_NET_BYTEORDER: u16 = 0x4000;
const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// Length of `struct nlmsghdr`.
pub(crate) const NLMSG_HDRLEN: usize = 16;
/// Length of `struct genlmsghdr`.
pub(crate) const GENL_HDRLEN: usize = 4;
const NLA_HDRLEN: usize = 4;

/// Rounds up to netlink's 4-byte alignment.
pub(crate) const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// Why bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("netlink message truncated: {have} bytes, header says {want}")]
    Truncated { have: usize, want: usize },
    #[error("netlink message header too short ({0} bytes)")]
    ShortHeader(usize),
    #[error("netlink attribute at offset {offset} has bad length {len}")]
    BadAttr { offset: usize, len: usize },
    #[error("attribute {attr} of {what}: expected {want} bytes, got {have}")]
    BadLength { what: &'static str, attr: u16, want: usize, have: usize },
    #[error("{what}: required attribute {attr} missing")]
    Missing { what: &'static str, attr: u16 },
    #[error("{what}: unexpected value {value}")]
    BadValue { what: &'static str, value: u64 },
    #[error("unexpected message type {0}")]
    UnexpectedType(u16),
    #[error("unexpected generic netlink command {0}")]
    UnexpectedCmd(u8),
}

/// A decoded `struct nlmsghdr` with its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Msg<'a> {
    pub(crate) kind: u16,
    pub(crate) flags: u16,
    pub(crate) seq: u32,
    pub(crate) pid: u32,
    pub(crate) payload: &'a [u8],
}

/// Splits a datagram into its netlink messages.
pub(crate) fn messages(mut buf: &[u8]) -> impl Iterator<Item = Result<Msg<'_>, DecodeError>> {
    std::iter::from_fn(move || {
        if buf.is_empty() {
            return None;
        }
        let r = message(buf);
        match &r {
            Ok((_, used)) => buf = buf.get(*used..).unwrap_or(&[]),
            Err(_) => buf = &[],
        }
        Some(r.map(|(m, _)| m))
    })
}

/// One message at the start of `buf`, and how many bytes it takes (aligned).
fn message(buf: &[u8]) -> Result<(Msg<'_>, usize), DecodeError> {
    if buf.len() < NLMSG_HDRLEN {
        return Err(DecodeError::ShortHeader(buf.len()));
    }
    let len = u32_at(buf, 0) as usize;
    if len < NLMSG_HDRLEN {
        return Err(DecodeError::ShortHeader(len));
    }
    let body = buf.get(NLMSG_HDRLEN..len).ok_or(DecodeError::Truncated { have: buf.len(), want: len })?;
    let msg =
        Msg { kind: u16_at(buf, 4), flags: u16_at(buf, 6), seq: u32_at(buf, 8), pid: u32_at(buf, 12), payload: body };
    Ok((msg, align(len).min(buf.len())))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    let mut x = [0u8; 2];
    if let Some(s) = b.get(at..at + 2) {
        x.copy_from_slice(s);
    }
    u16::from_ne_bytes(x)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    u32::from_ne_bytes(x)
}

/// The payload of an `NLMSG_ERROR` message: the errno (positive, 0 for an
/// acknowledgement) and the header of the request it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorMsg {
    pub(crate) errno: i32,
    pub(crate) seq: u32,
}

/// Decodes the payload of an `NLMSG_ERROR` message.
pub(crate) fn error_msg(payload: &[u8]) -> Result<ErrorMsg, DecodeError> {
    if payload.len() < 4 + NLMSG_HDRLEN {
        return Err(DecodeError::BadLength {
            what: "error message",
            attr: 0,
            want: 4 + NLMSG_HDRLEN,
            have: payload.len(),
        });
    }
    let code = u32_at(payload, 0) as i32;
    Ok(ErrorMsg { errno: code.saturating_neg(), seq: u32_at(payload, 4 + 8) })
}

/// A generic netlink message body: command, version and attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Genl<'a> {
    pub(crate) cmd: u8,
    pub(crate) version: u8,
    pub(crate) attrs: &'a [u8],
}

/// Decodes the `struct genlmsghdr` at the start of a payload.
pub(crate) fn genl(payload: &[u8]) -> Result<Genl<'_>, DecodeError> {
    let (Some(&cmd), Some(&version), Some(attrs)) = (payload.first(), payload.get(1), payload.get(GENL_HDRLEN..))
    else {
        return Err(DecodeError::ShortHeader(payload.len()));
    };
    Ok(Genl { cmd, version, attrs })
}

/// One attribute: its type (flags masked off) and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Attr<'a> {
    pub(crate) kind: u16,
    pub(crate) data: &'a [u8],
}

impl<'a> Attr<'a> {
    fn fixed<const N: usize>(&self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        match self.data.get(..N) {
            Some(s) if self.data.len() == N => {
                out.copy_from_slice(s);
                Ok(out)
            }
            _ => Err(DecodeError::BadLength { what, attr: self.kind, want: N, have: self.data.len() }),
        }
    }

    pub(crate) fn u8(&self, what: &'static str) -> Result<u8, DecodeError> {
        self.fixed::<1>(what).map(|b| b[0])
    }

    pub(crate) fn u16(&self, what: &'static str) -> Result<u16, DecodeError> {
        self.fixed::<2>(what).map(u16::from_ne_bytes)
    }

    /// A network-order 16-bit value (a port).
    pub(crate) fn be16(&self, what: &'static str) -> Result<u16, DecodeError> {
        self.fixed::<2>(what).map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&self, what: &'static str) -> Result<u32, DecodeError> {
        self.fixed::<4>(what).map(u32::from_ne_bytes)
    }

    pub(crate) fn u64(&self, what: &'static str) -> Result<u64, DecodeError> {
        self.fixed::<8>(what).map(u64::from_ne_bytes)
    }

    /// A NUL-terminated string (the terminator and anything after it dropped).
    pub(crate) fn string(&self) -> String {
        let end = self.data.iter().position(|&b| b == 0).unwrap_or(self.data.len());
        String::from_utf8_lossy(self.data.get(..end).unwrap_or(&[])).into_owned()
    }

    /// The attributes nested inside this one.
    pub(crate) fn nested(&self) -> Attrs<'a> {
        Attrs { buf: self.data, offset: 0 }
    }
}

/// An iterator over a run of attributes.
#[derive(Clone, Debug)]
pub(crate) struct Attrs<'a> {
    buf: &'a [u8],
    offset: usize,
}

/// The attributes of a buffer.
pub(crate) fn attrs(buf: &[u8]) -> Attrs<'_> {
    Attrs { buf, offset: 0 }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<Attr<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.offset..)?;
        if rest.is_empty() {
            return None;
        }
        let at = self.offset;
        if rest.len() < NLA_HDRLEN {
            self.offset = self.buf.len();
            return Some(Err(DecodeError::BadAttr { offset: at, len: rest.len() }));
        }
        let len = u16_at(rest, 0) as usize;
        let kind = u16_at(rest, 2) & NLA_TYPE_MASK;
        let Some(data) = rest.get(NLA_HDRLEN..len).filter(|_| len >= NLA_HDRLEN) else {
            self.offset = self.buf.len();
            return Some(Err(DecodeError::BadAttr { offset: at, len }));
        };
        self.offset = at + align(len);
        Some(Ok(Attr { kind, data }))
    }
}

/// Builds one netlink message: header, generic header, attributes.
#[derive(Debug)]
pub(crate) struct Builder {
    buf: Vec<u8>,
    /// Start offsets of the nests not closed yet.
    nests: Vec<usize>,
}

impl Builder {
    /// A message of `kind` (the family id) with the given flags and sequence
    /// number; the port id is left 0 for the kernel to fill in.
    pub(crate) fn new(kind: u16, flags: u16, seq: u32, cmd: u8, version: u8) -> Builder {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&kind.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&[cmd, version, 0, 0]);
        Builder { buf, nests: Vec::new() }
    }

    fn header(&mut self, kind: u16, len: usize) {
        let len = u16::try_from(NLA_HDRLEN + len).unwrap_or(u16::MAX);
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
    }

    fn pad(&mut self) {
        let padded = align(self.buf.len());
        self.buf.resize(padded, 0);
    }

    /// An attribute with raw bytes.
    pub(crate) fn bytes(&mut self, kind: u16, data: &[u8]) -> &mut Self {
        self.header(kind, data.len());
        self.buf.extend_from_slice(data);
        self.pad();
        self
    }

    pub(crate) fn u8(&mut self, kind: u16, v: u8) -> &mut Self {
        self.bytes(kind, &[v])
    }

    pub(crate) fn u16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.bytes(kind, &v.to_ne_bytes())
    }

    /// A network-order 16-bit value (a port).
    pub(crate) fn be16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.bytes(kind, &v.to_be_bytes())
    }

    pub(crate) fn u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.bytes(kind, &v.to_ne_bytes())
    }

    /// A NUL-terminated string.
    pub(crate) fn string(&mut self, kind: u16, s: &str) -> &mut Self {
        self.header(kind, s.len() + 1);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
        self.pad();
        self
    }

    /// Opens a nested attribute; close it with [`Builder::end_nest`].
    pub(crate) fn nest(&mut self, kind: u16) -> &mut Self {
        self.nests.push(self.buf.len());
        self.header(kind, 0);
        self
    }

    /// Closes the innermost nested attribute.
    pub(crate) fn end_nest(&mut self) -> &mut Self {
        if let Some(start) = self.nests.pop() {
            let len = u16::try_from(self.buf.len() - start).unwrap_or(u16::MAX);
            if let Some(s) = self.buf.get_mut(start..start + 2) {
                s.copy_from_slice(&len.to_ne_bytes());
            }
        }
        self
    }

    /// The finished message, its length field filled in.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        while !self.nests.is_empty() {
            self.end_nest();
        }
        let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        if let Some(s) = self.buf.get_mut(0..4) {
            s.copy_from_slice(&len.to_ne_bytes());
        }
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_pads_and_nests() {
        let mut b = Builder::new(0x20, F_REQUEST | F_ACK, 7, 1, 1);
        b.nest(1).u16(1, 2).string(6, "rr").end_nest();
        let m = b.finish();
        // 16 header + 4 genl + nest(4 + (4+2+2) + (4+3+1)) = 40
        assert_eq!(m.len(), 40);
        assert_eq!(u32_at(&m, 0), 40);
        assert_eq!(&m[20..24], &[20, 0, 1, 0]);
        assert_eq!(&m[24..32], &[6, 0, 1, 0, 2, 0, 0, 0]);
        assert_eq!(&m[32..40], &[7, 0, 6, 0, b'r', b'r', 0, 0]);
        let msg = messages(&m).next().unwrap().unwrap();
        assert_eq!((msg.kind, msg.flags, msg.seq), (0x20, 5, 7));
        let g = genl(msg.payload).unwrap();
        assert_eq!((g.cmd, g.version), (1, 1));
        let outer: Vec<_> = attrs(g.attrs).collect::<Result<_, _>>().unwrap();
        assert_eq!(outer.len(), 1);
        let inner: Vec<_> = outer[0].nested().collect::<Result<_, _>>().unwrap();
        assert_eq!(inner[0].u16("af").unwrap(), 2);
        assert_eq!(inner[1].string(), "rr");
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert_eq!(messages(&[1, 2, 3]).next(), Some(Err(DecodeError::ShortHeader(3))));
        let mut m = Builder::new(1, 0, 0, 0, 0).finish();
        m[0] = 200;
        assert_eq!(messages(&m).next(), Some(Err(DecodeError::Truncated { have: 20, want: 200 })));
        // An attribute claiming more than the buffer holds.
        assert_eq!(attrs(&[8, 0, 1, 0, 1]).next(), Some(Err(DecodeError::BadAttr { offset: 0, len: 8 })));
        // An attribute shorter than its own header.
        assert_eq!(attrs(&[2, 0, 1, 0]).next(), Some(Err(DecodeError::BadAttr { offset: 0, len: 2 })));
        assert_eq!(attrs(&[1, 0]).next(), Some(Err(DecodeError::BadAttr { offset: 0, len: 2 })));
        let a = Attr { kind: 3, data: &[1, 2, 3] };
        assert_eq!(a.u32("port"), Err(DecodeError::BadLength { what: "port", attr: 3, want: 4, have: 3 }));
        assert_eq!(
            error_msg(&[0; 10]).unwrap_err(),
            DecodeError::BadLength { what: "error message", attr: 0, want: 20, have: 10 }
        );
        assert_eq!(genl(&[1]), Err(DecodeError::ShortHeader(1)));
    }

    #[test]
    fn nested_flag_is_masked() {
        let a = attrs(&[4, 0, 0x01, 0x80]).next().unwrap().unwrap();
        assert_eq!(a.kind, 1);
    }
}
