//! keepalived.data: the VRRP child's sections after "Global definitions".

use super::conf::{GarpGroupConf, NotifyConf, TrackLine, VrrpConf};
use super::{DataView, InstanceView, InterfaceView, SockView, auth_text, state_name};
use crate::dump::{Lines, fmt_g, line, tf, yn};
use crate::vrrp::auth::AuthConfig;
use crate::vrrp::fsm::State;
use crate::vrrp::timer;

/// The whole file.
pub(crate) fn data(v: &DataView<'_>) -> String {
    let mut out = Lines(v.global.clone());
    let c = v.conf;
    if !c.garp_groups.is_empty() {
        line!(out, "------< Gratuitous ARP delays >------");
        for g in &c.garp_groups {
            line!(out, "------< GARP delay group {} >------", g.group);
            let next = v
                .garp_next
                .iter()
                .find(|(n, _)| g.interfaces.contains(n))
                .map_or_else(|| format!("0.000000 ({}.000000)", epoch_text()), |(_, t)| short_stamp(*t));
            if let Some(i) = g.garp_interval {
                line!(out, " GARP interval = {}", fmt_g(i.as_secs_f64()));
                line!(out, " GARP next time {next}");
            }
            match g.gna_interval {
                Some(i) => {
                    line!(out, " GNA interval = {}", fmt_g(i.as_secs_f64()));
                    let sent_na =
                        v.interfaces.iter().any(|i| g.interfaces.contains(&i.name) && i.gna_router_check.is_some());
                    if sent_na {
                        line!(out, " GNA next time {next}");
                    } else {
                        line!(out, " GNA next time 0.000000 ({}.000000)", epoch_text());
                    }
                }
                None if g.garp_interval.is_none() => line!(out, " No configuration"),
                None => {}
            }
            line!(out, " Interfaces");
            for i in &g.interfaces {
                line!(out, "  {i}");
            }
        }
    }
    if !c.static_addresses.is_empty() {
        line!(out, "------< Static Addresses >------");
        for (a, set) in c.static_addresses.iter().zip(v.static_set.iter().chain(std::iter::repeat(&false))) {
            line!(out, "     {}", a.line(*set));
        }
    }
    if !c.static_routes.is_empty() {
        line!(out, "------< Static Routes >------");
        for r in &c.static_routes {
            line!(out, "     {r}");
        }
    }
    if !c.static_rules.is_empty() {
        line!(out, "------< Static Rules >------");
        for r in &c.static_rules {
            line!(out, "     {r}");
        }
    }
    if !c.static_track_groups.is_empty() {
        line!(out, "------< Static Track groups >------");
        for (name, members) in &c.static_track_groups {
            line!(out, " Static Track Group = {name}");
            if !members.is_empty() {
                line!(out, "   VRRP member instances :");
                for m in members {
                    line!(out, "     {m}");
                }
            }
        }
    }
    if !v.instances.is_empty() {
        line!(out, "------< VRRP Topology >------");
        for i in &v.instances {
            instance(&mut out, i);
        }
    }
    if !v.sockets.is_empty() {
        line!(out, "------< VRRP Sockpool >------");
        for s in &v.sockets {
            sock(&mut out, s);
        }
    }
    sync_groups(&mut out, c, &v.sync_group_states);
    trackers(&mut out, c);
    if !v.interfaces.is_empty() {
        line!(out, "------< Interfaces >------");
        for i in &v.interfaces {
            let garp = c.garp_groups.iter().find(|g| g.interfaces.contains(&i.name));
            interface(&mut out, i, garp);
        }
    }
    out.0
}

/// `SECS.USECS (Www Mmm dd hh:mm:ss.USECS)`: a time without the year.
fn short_stamp(t: crate::dump::Stamp) -> String {
    let c = crate::log::console_time(t.secs);
    format!("{}.{:06} ({}.{:06})", t.secs, t.usecs, c.get(..19).unwrap_or(&c), t.usecs)
}

/// ctime(0) in local time, as keepalived prints a timer never set.
fn epoch_text() -> String {
    let t = crate::log::console_time(0);
    t.get(..19).unwrap_or(&t).to_owned()
}

fn track_list(out: &mut Lines, title: &str, list: &[TrackLine], sep: &str) {
    if list.is_empty() {
        return;
    }
    line!(out, "   {title}");
    for t in list {
        line!(out, "     {}{sep} weight {}{}", t.name, t.weight, if t.reverse { " reverse" } else { "" });
    }
}

fn notify_scripts(out: &mut Lines, n: &NotifyConf) {
    for (kind, _, s) in n.entries() {
        line!(out, "   {kind} state transition script = {}, uid:gid {}:{}", s.cmd, s.uid, s.gid);
    }
}

fn instance(out: &mut Lines, i: &InstanceView<'_>) {
    let c = &i.conf;
    line!(out, " VRRP Instance = {}", c.name);
    line!(out, "   VRRP Version = {}", i.version.number());
    if let Some(g) = &c.sync_group {
        line!(out, "   Sync group = {g}");
    }
    if c.native_ipv6 {
        line!(out, "   Using Native IPv6");
    }
    line!(out, "   State = {}", state_name(i.state));
    let v3 = i.version == timer::Version::V3;
    if i.state == State::Backup {
        let master = i.master_router.map_or_else(|| "0.0.0.0".to_owned(), |m| m.to_string());
        line!(out, "   Master router = {master}");
        line!(out, "   Master priority = {}", i.master_priority);
        if v3 {
            line!(out, "   Master advert int = {:.2} sec", i.master_adver_int.as_secs_f64());
        }
    }
    let any_flag = c.unicast
        || c.unicast_configured_no_peers
        || c.unicast_fault_no_peer
        || c.dont_track_primary
        || c.src_from_config
        || c.promote_secondaries
        || c.other_flags
        || i.skip_check_adv_addr
        || i.check_unicast_src
        || i.nopreempt;
    if any_flag {
        line!(out, "   Flags:");
        if c.unicast {
            line!(out, "     Using unicast");
        } else if c.unicast_configured_no_peers {
            line!(out, "     Unicast config option specified but using multicast");
        }
        if c.unicast_fault_no_peer {
            line!(out, "     If unicast go to fault state if no peers");
        }
    } else {
        line!(out, "   Flags: none");
    }
    line!(out, "   Wantstate = {}", state_name(i.wantstate));
    line!(out, "   Number of config faults = 0");
    line!(out, "   Number of interface and track script faults = {}", i.num_if_faults);
    // keepalived-rs does not hold an instance back for its track scripts.
    line!(out, "   Number of track scripts init = 0");
    line!(out, "   Last transition = {}", i.last_transition.long());
    match i.read_timeout {
        Some(t) => line!(out, "   Read timeout = {}", t.long()),
        None => line!(out, "   Read timeout = DISABLED"),
    }
    line!(out, "   Master down timer = {} usecs", i.master_down.as_micros());
    line!(out, "   Interface = {}", i.interface.unwrap_or("not configured"));
    if let Some(v) = &c.vrf {
        line!(out, "   VRF = {v}");
    }
    if c.dont_track_primary {
        line!(out, "   VRRP interface tracking disabled");
    }
    if i.skip_check_adv_addr {
        line!(out, "   Skip checking advert IP addresses");
    }
    if i.strict {
        line!(out, "   Enforcing strict VRRP compliance");
    }
    let src = i.src_ip.filter(|ip| !ip.is_unspecified()).map_or_else(|| "(none)".to_owned(), |ip| ip.to_string());
    line!(out, "   Using src_ip = {src}{}", if c.src_from_config { " (from configuration)" } else { "" });
    if !c.unicast {
        if i.mcast_dst.is_ipv6() {
            line!(out, "   Multicast address {}, ifindex {}", i.mcast_dst, i.mcast_ifindex);
        } else {
            line!(out, "   Multicast address {}", i.mcast_dst);
        }
    }
    let g = i.garp;
    line!(out, "   Gratuitous ARP delay = {}", g.master_delay.as_secs());
    line!(out, "   Gratuitous ARP repeat = {}", g.master_repeat);
    line!(out, "   Gratuitous ARP refresh = {}", g.master_refresh.as_secs());
    line!(out, "   Gratuitous ARP refresh repeat = {}", g.master_refresh_repeat);
    line!(out, "   Gratuitous ARP lower priority delay = {}", g.lower_prio_delay.as_secs());
    line!(out, "   Gratuitous ARP lower priority repeat = {}", g.lower_prio_repeat);
    line!(out, "   Down timer adverts = {}", i.down_timer_adverts);
    if let Some(x) = &c.vmac_garp {
        line!(
            out,
            "   Gratuitous ARP for each secondary {} = {}",
            if x.all { "i/f" } else { "VMAC" },
            x.interval.as_secs()
        );
        line!(out, "   Next gratuitous ARP for such secondary = 0.000000 ({}.000000)", epoch_text());
    }
    line!(out, "   Send advert after receive lower priority advert = {}", tf(!i.lower_prio_no_advert));
    line!(out, "   Send advert after receive higher priority advert = {}", tf(i.higher_prio_send_advert));
    line!(out, "   Virtual Router ID = {}", i.vrid);
    line!(out, "   Priority = {}", i.priority);
    line!(out, "   Effective priority = {}", i.effective_priority);
    line!(out, "   Total priority = {}", i.effective_priority);
    match i.version {
        timer::Version::V2 => line!(out, "   Advert interval = {} sec", i.advert_interval.as_secs()),
        timer::Version::V3 => line!(out, "   Advert interval = {} milli-sec", i.advert_interval.as_millis()),
    }
    if i.state == State::Backup && v3 {
        line!(out, "   Master advert interval = {} milli-sec", i.master_adver_int.as_millis());
    }
    line!(out, "   Accept = {}", if i.accept { "enabled" } else { "disabled" });
    line!(out, "   Preempt = {}", if i.nopreempt { "disabled" } else { "enabled" });
    if !i.preempt_delay.is_zero() {
        line!(out, "   Preempt delay = {} secs", fmt_g(i.preempt_delay.as_secs_f64()));
    }
    line!(out, "   Promote_secondaries = {}", if c.promote_secondaries { "enabled" } else { "disabled" });
    match i.auth {
        AuthConfig::None if i.version == timer::Version::V2 => line!(out, "   Authentication type = none"),
        AuthConfig::None => {}
        AuthConfig::Ah(_) => line!(out, "   Authentication type = IPSEC_AH"),
        AuthConfig::Pass(_) => {
            line!(out, "   Authentication type = SIMPLE_PASSWORD");
            line!(out, "   Password = {}", auth_text(i.auth).unwrap_or_default());
        }
    }
    if let Some(n) = c.kernel_rx_buf_size {
        line!(out, "   Kernel rx buffer size = {n}");
    }
    if let Some(d) = c.debug {
        line!(out, "   Debug level = {d}");
    }
    if !i.vips.is_empty() {
        line!(out, "   Virtual IP ({}):", i.vips.len());
        for (n, a) in i.vips.iter().enumerate() {
            line!(out, "     {}", a.line(i.is_set(n)));
        }
    }
    if !i.evips.is_empty() {
        line!(out, "   Virtual IP Excluded :");
        for (n, a) in i.evips.iter().enumerate() {
            line!(out, "     {}", a.line(i.is_set(i.vips.len() + n)));
        }
    }
    if c.unicast {
        if let Some(t) = c.unicast_ttl {
            line!(out, "   Unicast TTL = {t}");
        }
        line!(out, "   Check unicast src : {}", yn(i.check_unicast_src));
        line!(out, "   Unicast Peer :");
        for (a, min, max) in &i.unicast_peers {
            line!(out, "     {a} min_ttl {min} max_ttl {max}");
        }
        line!(out, "   Unicast checksum compatibility = {}", c.chksum_compat);
    }
    match i.fd {
        Some(fd) => line!(out, "   fd_in {fd}, fd_out {fd}"),
        None => line!(out, "   No sockets allocated"),
    }
    if !c.vroutes.is_empty() {
        line!(out, "   Virtual Routes :");
        for r in &c.vroutes {
            line!(out, "     {r}");
        }
    }
    if !c.vrules.is_empty() {
        line!(out, "   Virtual Rules :");
        for r in &c.vrules {
            line!(out, "     {r}");
        }
    }
    track_list(out, "Tracked interfaces :", &c.track_ifs, "");
    track_list(out, "Tracked scripts :", &c.track_scripts, "");
    track_list(out, "Tracked files :", &c.track_files, "");
    track_list(out, "Tracked processes :", &c.track_processes, ",");
    track_list(out, "Tracked BFDs :", &c.track_bfds, ":");
    line!(out, "   Using smtp notification = {}", yn(c.smtp_alert));
    line!(out, "   Notify deleted = {}", if c.notify_deleted { "Deleted" } else { "Fault" });
    notify_scripts(out, &c.notify);
    line!(out, "   Notify priority changes = {}", tf(c.notify_priority_changes));
}

fn sock(out: &mut Lines, s: &SockView) {
    line!(out, " fd_in {} fd_out = {}", s.fd, s.fd);
    line!(out, "   Interface = {}", s.ifname);
    line!(out, "   Family = {}", if s.v6 { "IPv6" } else { "IPv4" });
    line!(out, "   Protocol = {}", if s.proto == 51 { "AH" } else { "VRRP" });
    line!(out, "   Type = {}icast", if s.unicast_src.is_some() { "Un" } else { "Mult" });
    if let Some(a) = &s.unicast_src {
        line!(out, "   Address = {a}");
    }
    line!(out, "   Rx buf size = {}", s.rx_buf_size);
    line!(out, "   VRRP instances");
    for (name, vrid) in &s.members {
        line!(out, "     {name} vrid {vrid}");
    }
}

fn sync_groups(out: &mut Lines, c: &VrrpConf, states: &[State]) {
    if c.sync_groups.is_empty() {
        return;
    }
    line!(out, "------< VRRP Sync groups >------");
    for (g, st) in c.sync_groups.iter().zip(states.iter().chain(std::iter::repeat(&State::Init))) {
        line!(out, " VRRP Sync Group = {}, {}", g.name, state_name(*st));
        line!(
            out,
            "   Num member fault {}, num member init {}",
            u8::from(*st == State::Fault),
            u8::from(*st == State::Init)
        );
        if !g.members.is_empty() {
            line!(out, "   VRRP member instances :");
            for m in &g.members {
                line!(out, "     {m}");
            }
        }
        if g.tracking_weight {
            line!(out, "   sync group tracking weight set");
        }
        line!(out, "   Using smtp notification = {}", yn(g.smtp_alert));
        if let Some(p) = g.notify_priority_changes {
            line!(out, "   Notify priority changes = {}", yn(p));
        }
        track_list(out, "Tracked interfaces :", &g.track_ifs, "");
        track_list(out, "Tracked scripts :", &g.track_scripts, "");
        track_list(out, "Tracked files :", &g.track_files, "");
        track_list(out, "Tracked process :", &g.track_processes, ",");
        track_list(out, "Tracked BFDs :", &g.track_bfds, ":");
        let n = &g.notify;
        for (kind, s) in [
            ("Backup", &n.backup),
            ("Master", &n.master),
            ("Fault", &n.fault),
            ("Stop", &n.stop),
            ("Generic", &n.generic),
        ] {
            if let Some(s) = s {
                line!(out, "   {kind} state transition script = {}, uid:gid {}:{}", s.cmd, s.uid, s.gid);
            }
        }
    }
}

/// The tracked objects' sections. keepalived-rs does not run them yet, so
/// they show what keepalived shows before the first run.
fn trackers(out: &mut Lines, c: &VrrpConf) {
    let tracking = |out: &mut Lines, list: &[TrackLine]| {
        if !list.is_empty() {
            line!(out, "   Tracking instances :");
        }
        for t in list {
            line!(out, "     {}, weight {}{}", t.name, t.weight, if t.reverse { " reverse" } else { "" });
        }
    };
    if !c.scripts.is_empty() {
        line!(out, "------< VRRP Scripts >------");
        for s in &c.scripts {
            // Before the first run keepalived sets one success short of rise.
            let result = if s.init_fail { 0 } else { s.rise.saturating_sub(1) };
            line!(out, " VRRP Script = {}", s.name);
            line!(out, "   Command = {}", s.cmd);
            line!(out, "   Interval = {} sec", s.interval.as_secs());
            line!(out, "   Timeout = {} sec", s.timeout.as_secs());
            line!(out, "   Weight = {}{}", s.weight, if s.reverse { " reverse" } else { "" });
            line!(out, "   Rise = {}", s.rise);
            line!(out, "   Fall = {}", s.fall);
            line!(out, "   Result = {result}");
            line!(out, "   Insecure = no");
            line!(out, "   Init state = {}", if s.init_fail { "INIT/FAILED" } else { "INIT" });
            line!(out, "   Status = {}", if result >= s.rise { "GOOD" } else { "BAD" });
            line!(out, "   Script uid:gid = {}:{}", s.uid, s.gid);
            line!(out, "   VRRP instances :");
            tracking(out, &s.tracking);
            line!(out, "   State = idle");
        }
    }
    if !c.track_files.is_empty() {
        line!(out, "------< VRRP Track files >------");
        for f in &c.track_files {
            line!(out, " Track file = {}", f.name);
            line!(out, "   File = {}", f.path);
            line!(out, "   Status = 0");
            line!(out, "   Weight = {}{}", f.weight, if f.reverse { " reverse" } else { "" });
            tracking(out, &f.tracking);
        }
    }
    if !c.track_processes.is_empty() {
        line!(out, "------< VRRP Track processes >------");
        for p in &c.track_processes {
            line!(out, " VRRP Track process = {}", p.name);
            line!(out, "   Process = {}", p.process);
            if let Some(params) = &p.params {
                line!(out, "   Parameters = {params}");
            }
            if let Some(m) = p.param_match {
                line!(out, "   Param match{m}");
            }
            line!(out, "   Min processes = {}", p.quorum);
            if let Some(m) = p.quorum_max {
                line!(out, "   Max processes = {m}");
            }
            line!(out, "   Current processes = 0");
            line!(out, "   Have quorum = false");
            line!(out, "   Weight = {}{}", p.weight, if p.reverse { " reverse" } else { "" });
            line!(out, "   Terminate delay = {:.6}s", p.terminate_delay.as_secs_f64());
            line!(out, "   Fork delay = {:.6}s", p.fork_delay.as_secs_f64());
            if !p.fork_delay.is_zero() {
                line!(out, "   Fork delay timer not running");
            }
            if !p.terminate_delay.is_zero() {
                line!(out, "   Terminate delay timer not running");
            }
            line!(out, "   Full command = {}", tf(p.full_command));
        }
    }
    if !c.bfds.is_empty() {
        line!(out, "------< VRRP Track BFDs >------");
        for b in &c.bfds {
            line!(out, " VRRP Track BFD = {}", b.name);
            line!(out, "   Weight = {}{}", b.weight, if b.reverse { " reverse" } else { "" });
            line!(out, "   Bfd is down");
            line!(out, "   Tracking VRRP instances :");
            tracking(out, &b.tracking);
        }
    }
}

/// IFF_* flags the state line names.
const IFF_UP: u32 = 0x1;
const IFF_BROADCAST: u32 = 0x2;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_POINTOPOINT: u32 = 0x10;
const IFF_RUNNING: u32 = 0x40;
const IFF_NOARP: u32 = 0x80;
const IFF_MULTICAST: u32 = 0x1000;

fn mac(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(":")
}

fn interface(out: &mut Lines, i: &InterfaceView, garp: Option<&GarpGroupConf>) {
    line!(out, " Name = {}", i.name);
    line!(out, "   index = {}{}", i.index, if i.index == 0 { " (deleted)" } else { "" });
    line!(out, "   IPv4 address = {}", i.ipv4.map_or_else(|| "(none)".to_owned(), |a| a.to_string()));
    if !i.ipv4_more.is_empty() {
        line!(out, "   Additional IPv4 addresses :");
        for a in &i.ipv4_more {
            line!(out, "     {a}");
        }
    }
    line!(out, "   IPv6 address = {}", i.ipv6.map_or_else(|| "(none)".to_owned(), |a| a.to_string()));
    if !i.ipv6_more.is_empty() {
        line!(out, "   Additional IPv6 addresses :");
        for a in &i.ipv6_more {
            line!(out, "     {a}");
        }
    }
    if !i.mac.is_empty() {
        line!(out, "   MAC = {}", mac(&i.mac));
        line!(out, "   MAC broadcast = {}", mac(&i.mac_broadcast));
    }
    let f = i.flags;
    let has = |b: u32| f & b != 0;
    line!(
        out,
        "   State = {}UP, {}RUNNING{}{}{}{}{}",
        if has(IFF_UP) { "" } else { "not " },
        if has(IFF_RUNNING) { "" } else { "not " },
        if has(IFF_BROADCAST) { "" } else { ", no broadcast" },
        if has(IFF_LOOPBACK) { ", loopback" } else { "" },
        if has(IFF_POINTOPOINT) { ", point to point" } else { "" },
        if has(IFF_NOARP) { ", no arp" } else { "" },
        if has(IFF_MULTICAST) { "" } else { ", no multicast" },
    );
    line!(out, "   Seen up = {}", u8::from(i.seen_up));
    line!(out, "   Delayed state change running = false");
    line!(out, "   Up debounce timer = {}us", i.up_delay.as_micros());
    line!(out, "   Down debounce timer = {}us", i.down_delay.as_micros());
    line!(out, "   MTU = {}", i.mtu);
    match i.hw_type {
        772 => line!(out, "   HW Type = LOOPBACK"),
        1 => line!(out, "   HW Type = ETHERNET"),
        // keepalived logs INFINIBAND instead of writing it.
        32 => {}
        n => line!(out, "   HW Type = UNKNOWN ({n})"),
    }
    if i.linkbeat_polling {
        line!(out, "   NIC ioctl refresh polling");
    } else {
        line!(out, "   NIC netlink status update");
    }
    if let Some(g) = garp {
        if let Some(d) = g.garp_interval {
            line!(out, "   Gratuitous ARP interval {}ms", d.as_millis());
        }
        if let Some(d) = g.gna_interval {
            line!(out, "   Gratuitous NA interval {}ms", d.as_millis());
        }
        if g.group != 0 {
            line!(out, "   Gratuitous ARP aggregation group {}", g.group);
        }
    }
    line!(out, "   Reset ARP config counter 0");
    line!(out, "   Original arp_ignore 0");
    line!(out, "   Original arp_filter 0");
    line!(out, "   Original promote_secondaries 0");
    line!(out, "   Reset promote_secondaries counter 0");
    if let Some((router, t)) = &i.gna_router_check {
        let c = crate::log::console_time(t.secs);
        line!(
            out,
            "   {}IPv6 forwarding. Last checked {}.{:06} ({c}.{:06})",
            if *router { "" } else { "Not " },
            t.secs,
            t.usecs,
            t.usecs
        );
    }
    if !i.tracking.is_empty() {
        line!(out, "   Tracking VRRP instances :");
        for (name, w, rev) in &i.tracking {
            line!(out, "     {name}, weight {w}{}", if *rev { " reverse" } else { "" });
        }
    }
}
