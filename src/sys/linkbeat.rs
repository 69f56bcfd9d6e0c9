//! Link status read from the driver (`linkbeat_interfaces`,
//! `linkbeat_use_polling`): the MII status register, ethtool's GLINK, or
//! the interface flags, through ioctls on an ordinary datagram socket.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

// <linux/sockios.h>
const SIOCETHTOOL: libc::c_ulong = 0x8946;
const SIOCGMIIPHY: libc::c_ulong = 0x8947;
const SIOCGMIIREG: libc::c_ulong = 0x8948;
// <linux/ethtool.h>
const ETHTOOL_GLINK: u32 = 0x0000_000a;
// <linux/mii.h>: the basic mode status register and its link bit.
const MII_BMSR: u16 = 0x01;
const BMSR_LSTATUS: u16 = 0x0004;

/// `struct ethtool_value`.
#[repr(C)]
struct EthtoolValue {
    cmd: u32,
    data: u32,
}

/// `struct mii_ioctl_data`, which the MII ioctls keep inside the ifreq's union.
#[repr(C)]
#[derive(Clone, Copy)]
struct MiiData {
    phy_id: u16,
    reg_num: u16,
    val_in: u16,
    val_out: u16,
}

fn ifreq(name: &str) -> io::Result<libc::ifreq> {
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut r: libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= r.ifr_name.len() {
        return Err(io::Error::from_raw_os_error(libc::ENODEV));
    }
    for (d, s) in r.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    Ok(r)
}

fn ioctl(fd: BorrowedFd<'_>, req: libc::c_ulong, r: &mut libc::ifreq) -> io::Result<()> {
    // SAFETY: `r` is a valid, writable ifreq for the duration of the call;
    // the requests used here read and write only the ifreq (and, for
    // SIOCETHTOOL, the buffer its ifr_data points to, which the caller keeps
    // alive).
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, r as *mut libc::ifreq) };
    if rc < 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
}

/// The link bit of the PHY's status register (read twice: it latches low).
pub(crate) fn mii_link(fd: BorrowedFd<'_>, name: &str) -> io::Result<bool> {
    let mut r = ifreq(name)?;
    ioctl(fd, SIOCGMIIPHY, &mut r)?;
    let mut up = false;
    for _ in 0..2 {
        // SAFETY: the MII ioctls use the union as a mii_ioctl_data, which is
        // smaller than the union and has no invalid bit patterns.
        let mii = unsafe { &mut *std::ptr::addr_of_mut!(r.ifr_ifru).cast::<MiiData>() };
        mii.reg_num = MII_BMSR;
        ioctl(fd, SIOCGMIIREG, &mut r)?;
        // SAFETY: as above.
        let mii = unsafe { &*std::ptr::addr_of!(r.ifr_ifru).cast::<MiiData>() };
        up = mii.val_out & BMSR_LSTATUS != 0;
    }
    Ok(up)
}

/// ethtool's GLINK (the driver's carrier).
pub(crate) fn ethtool_link(fd: BorrowedFd<'_>, name: &str) -> io::Result<bool> {
    let mut r = ifreq(name)?;
    let mut v = EthtoolValue { cmd: ETHTOOL_GLINK, data: 0 };
    r.ifr_ifru.ifru_data = std::ptr::addr_of_mut!(v).cast::<libc::c_char>();
    ioctl(fd, SIOCETHTOOL, &mut r)?;
    Ok(v.data != 0)
}

/// IFF_UP and IFF_RUNNING both set.
pub(crate) fn flags_up(fd: BorrowedFd<'_>, name: &str) -> io::Result<bool> {
    let mut r = ifreq(name)?;
    ioctl(fd, libc::SIOCGIFFLAGS, &mut r)?;
    // SAFETY: SIOCGIFFLAGS filled the union's flags member.
    let flags = i32::from(unsafe { r.ifr_ifru.ifru_flags });
    Ok(flags & libc::IFF_UP != 0 && flags & libc::IFF_RUNNING != 0)
}
