//! nftables over the kernel's nfnetlink interface (`NETLINK_NETFILTER`):
//! no `nft` program and no C library. `nft` builds the same messages
//! (`nft --debug=netlink` shows them); keepalived 2.4 builds them itself too.

pub(crate) mod nft;

use std::time::Duration;

use netlink_sys::{AsyncSocket, AsyncSocketExt, SocketAddr, TokioSocket};

use self::nft::Batch;

/// `NETLINK_NETFILTER`.
const NETLINK_NETFILTER: isize = 12;
/// `NLMSG_ERROR`.
const NLMSG_ERROR: u16 = 2;

/// A refused nftables request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NftError {
    /// The kernel refused request `index` of the batch with `errno`.
    #[error("{}", crate::script::security::strerror(&std::io::Error::from_raw_os_error(*errno)))]
    Kernel { errno: i32, index: usize },
    #[error("{0}")]
    Io(String),
}

/// An nfnetlink socket for nftables transactions.
pub(crate) struct NftSocket {
    sock: TokioSocket,
    seq: u32,
}

impl NftSocket {
    pub(crate) fn open() -> Result<NftSocket, NftError> {
        let mut sock = TokioSocket::new(NETLINK_NETFILTER).map_err(|e| NftError::Io(e.to_string()))?;
        sock.socket_mut().bind_auto().map_err(|e| NftError::Io(e.to_string()))?;
        let seq = u32::try_from(crate::clock::wall().as_secs() & 0xffff_ffff).unwrap_or(1);
        Ok(NftSocket { sock, seq })
    }

    /// Runs one transaction; the first refusal (the kernel then applied none of it).
    pub(crate) async fn run(&mut self, batch: &Batch) -> Result<(), NftError> {
        if batch.is_empty() {
            return Ok(());
        }
        let first = self.seq;
        let bytes = batch.encode(first);
        self.seq = self.seq.wrapping_add(batch.len() as u32 + 2);
        self.sock.send_to(&bytes, &SocketAddr::new(0, 0)).await.map_err(|e| NftError::Io(e.to_string()))?;
        let mut pending = batch.len();
        let mut failure = None;
        while pending > 0 {
            let r = tokio::time::timeout(Duration::from_secs(2), self.sock.recv_from_full()).await;
            let (buf, _) = match r {
                Ok(Ok(x)) => x,
                Ok(Err(e)) => return Err(NftError::Io(e.to_string())),
                Err(_) => return Err(NftError::Io("no answer from the kernel".into())),
            };
            let mut off = 0usize;
            while let Some(h) = buf.get(off..off + 16) {
                let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
                let kind = u16::from_ne_bytes([h[4], h[5]]);
                let seq = u32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
                if len < 16 {
                    break;
                }
                if kind == NLMSG_ERROR {
                    pending = pending.saturating_sub(1);
                    if let Some(c) = buf.get(off + 16..off + 20) {
                        let code = i32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
                        if code != 0 && failure.is_none() {
                            let index = seq.wrapping_sub(first).wrapping_sub(1) as usize;
                            failure = Some(NftError::Kernel { errno: code.saturating_abs(), index });
                        }
                    }
                }
                off += (len + 3) & !3;
            }
        }
        failure.map_or(Ok(()), Err)
    }
}
