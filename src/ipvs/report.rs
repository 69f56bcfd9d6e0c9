//! What the checker child's `keepalived_check.data` shows of what runs: the
//! director's virtual and real servers (quorum, alive, in the table, the
//! effective weight) and each health checker's state, set into the view
//! [`crate::dump::check`] formats in keepalived 2.2.7's layout.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use super::model::{VsId, VsView as DirectorView};
use super::runtime::RsKey;
use crate::check::server::Server;
use crate::check::state::Checker;
use crate::config::model::lvs::{CheckerKind, LvsConfig};
use crate::dump::Stamp;
use crate::dump::check::{CheckView, CheckerView, MethodView};

/// The running state to show.
pub(crate) struct Live<'a> {
    pub(crate) views: &'a [DirectorView<'a>],
    pub(crate) servers: &'a HashMap<&'a RsKey, &'a Server>,
    /// Real servers and virtual servers carried over by the last reload.
    pub(crate) reloaded: &'a HashSet<RsKey>,
    pub(crate) reloaded_vs: &'a HashSet<VsId>,
    pub(crate) now: Instant,
    /// The wall clock at `now`, since the epoch.
    pub(crate) wall: std::time::Duration,
}

/// Sets the run-time fields of `view` (built from `cfg`) from `live`.
pub(crate) fn fill(view: &mut CheckerView, cfg: &LvsConfig, live: &Live<'_>) {
    let by_index: HashMap<usize, &DirectorView<'_>> = live.views.iter().map(|v| (v.spec.index, v)).collect();
    let mut checks = view.checkers.iter_mut();
    for (vi, (vs_cfg, vs_view)) in cfg.virtual_servers.iter().zip(view.virtual_servers.iter_mut()).enumerate() {
        let dv = by_index.get(&vi);
        if let Some(dv) = dv {
            vs_view.alive = true;
            vs_view.quorum_state_up = dv.quorum_up;
            vs_view.reloaded = live.reloaded_vs.contains(&dv.spec.id);
        }
        for (ri, (rs_cfg, rs_view)) in vs_cfg.real_servers.iter().zip(vs_view.real_servers.iter_mut()).enumerate() {
            let state = dv.and_then(|d| d.rs.get(ri).map(|r| (d.spec.id.clone(), *r)));
            let server =
                state.as_ref().and_then(|(id, (spec, ..))| live.servers.get(&(id.clone(), spec.addr))).copied();
            if let Some((id, (spec, alive, weight, set))) = &state {
                rs_view.alive = *alive;
                rs_view.set = *set;
                rs_view.effective_weight = server.map_or(*weight, Server::effective_weight);
                rs_view.reloaded = live.reloaded.contains(&(id.clone(), spec.addr));
                // keepalived's weight before the reload (0 until one).
                rs_view.previous_effective_weight = if rs_view.reloaded { rs_view.effective_weight } else { 0 };
            }
            if let Some(s) = server {
                rs_view.num_failed_checkers = s.num_failed();
            }
            let (mut k, mut f) = (0, 0);
            for c in &rs_cfg.checkers {
                let Some(cv) = checks.next() else { return };
                match &c.kind {
                    CheckerKind::Bfd(_) => {}
                    CheckerKind::File(_) => {
                        if let Some((_, w)) = server.and_then(|s| s.tracked_file(f)) {
                            cv.has_run = true;
                            cv.up = w > i64::from(i32::MIN);
                            cv.cur_weight = i32::try_from(w).unwrap_or(0);
                        }
                        f += 1;
                    }
                    _ => {
                        if let Some(ch) = server.and_then(|s| s.checkers().get(k)) {
                            checker(cv, ch, live);
                        }
                        k += 1;
                    }
                }
            }
        }
    }
}

fn checker(cv: &mut CheckView, c: &Checker, live: &Live<'_>) {
    cv.enabled = c.enabled();
    cv.up = c.is_up();
    cv.has_run = c.has_run();
    cv.retry_it = c.retry_it();
    match &mut cv.method {
        MethodView::Misc(m) => {
            if let Some(started) = c.started() {
                let ago = live.now.saturating_duration_since(started);
                m.last_ran = Stamp::from_epoch(live.wall.saturating_sub(ago));
            }
            m.last_status = c.last_exit().unsigned_abs();
        }
        MethodView::Http { urls, failed_url, .. } => {
            *failed_url = c.failed_url().and_then(|u| urls.get(u)).map(|u| u.path.clone());
        }
        _ => {}
    }
}
