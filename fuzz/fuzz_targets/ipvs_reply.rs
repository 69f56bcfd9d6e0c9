//! The IPVS reply decoders (generic netlink and socket options) on
//! arbitrary bytes: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, bytes)) = data.split_first() else { return };
    // The family id is dynamic: 0x20 as in the captured replies, or any.
    let family = if sel & 1 == 0 { 0x20 } else { u16::from(sel) << 4 };
    let _ = keepalived_rs::ipvs::decode_any(family, bytes);
});
