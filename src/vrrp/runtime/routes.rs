//! Routes and rules: `static_routes` and `static_rules`, set by the VRRP
//! child when it starts whatever the instances do, changed to match the
//! configuration on reload and removed when it stops (as keepalived does;
//! `static_ipaddress` is in `statics`), and the routes and rules of
//! instances (`virtual_routes`, `virtual_rules`), which follow MASTER.

use super::Runtime;
use super::ipcfg::{route_spec, rule_spec};
use super::spec::{route_without_spans, rule_without_spans};
use crate::config::model::global::GlobalConfig;
use crate::config::model::ipcfg::{IpRoute, IpRule};
use crate::netlink::{self, NetlinkError};

/// The static routes and rules that are set.
#[derive(Default)]
pub(super) struct StaticRoutes {
    routes: Vec<IpRoute>,
    rules: Vec<IpRule>,
}

/// keepalived's line for a refused route request.
pub(super) fn route_error(e: &NetlinkError, add: bool) -> String {
    if add { netlink::error_line(e, "RTM_NEWROUTE", 24) } else { netlink::error_line(e, "RTM_DELROUTE", 25) }
}

/// keepalived's line for a refused rule request.
pub(super) fn rule_error(e: &NetlinkError, add: bool) -> String {
    if add { netlink::error_line(e, "RTM_NEWRULE", 32) } else { netlink::error_line(e, "RTM_DELRULE", 33) }
}

impl Runtime {
    /// Adds or removes one route, logging a refusal as keepalived does.
    pub(super) async fn apply_route(&mut self, r: &IpRoute, add: bool) {
        let links = &self.links;
        let lookup = |n: &str| links.get(n).map(|l| l.index);
        let spec = match route_spec(r, &lookup) {
            Ok(s) => s,
            Err(super::ipcfg::IpcfgError::NoInterface(i)) => {
                // Not known yet: ask the kernel.
                let Ok(l) = self.nl.link_by_name(&i).await else {
                    if add {
                        tracing::info!("Route {} - interface {i} not found", r.dst);
                    }
                    return;
                };
                self.links.insert(i.clone(), l);
                let links = &self.links;
                let lookup = |n: &str| links.get(n).map(|l| l.index);
                match route_spec(r, &lookup) {
                    Ok(s) => s,
                    Err(e) => return tracing::info!("Route {} - {e}", r.dst),
                }
            }
            Err(e) => return tracing::info!("Route {} - {e}", r.dst),
        };
        let res = if add { self.nl.add_route(&spec).await } else { self.nl.del_route(&spec).await };
        if let Err(e) = res {
            tracing::info!("{}", route_error(&e, add));
        }
    }

    /// Adds or removes one rule, logging a refusal as keepalived does.
    pub(super) async fn apply_rule(&mut self, r: &IpRule, add: bool) {
        let spec = match rule_spec(r) {
            Ok(s) => s,
            Err(e) => return tracing::info!("Rule {r} - {e}"),
        };
        let res = if add { self.nl.add_rule(&spec).await } else { self.nl.del_rule(&spec).await };
        if let Err(e) = res {
            tracing::info!("{}", rule_error(&e, add));
        }
    }

    /// Makes the static routes and rules those of `g`: the ones no longer
    /// configured go, the new ones are added.
    pub(super) async fn set_static_routes(&mut self, g: &GlobalConfig) {
        let routes: Vec<IpRoute> = g.static_routes.iter().map(route_without_spans).collect();
        let rules: Vec<IpRule> = g.static_rules.iter().map(rule_without_spans).collect();
        let old = std::mem::take(&mut self.static_routes);
        for r in old.rules.iter().filter(|r| !rules.contains(r)) {
            self.apply_rule(r, false).await;
        }
        for r in old.routes.iter().filter(|r| !routes.contains(r)) {
            self.apply_route(r, false).await;
        }
        for r in routes.iter().filter(|r| !old.routes.contains(r)) {
            self.apply_route(r, true).await;
        }
        for r in rules.iter().filter(|r| !old.rules.contains(r)) {
            self.apply_rule(r, true).await;
        }
        self.static_routes = StaticRoutes { routes, rules };
    }

    /// Puts back the static routes through interface `ifname`, which came
    /// up (the kernel drops them when it goes down), as keepalived 2.2.7
    /// does ("Restoring deleted static route ...").
    pub(super) async fn restore_static_routes(&mut self, ifname: &str) {
        let routes: Vec<IpRoute> = self
            .static_routes
            .routes
            .iter()
            .filter(|r| r.dev.as_ref().is_some_and(|d| d.value == ifname))
            .cloned()
            .collect();
        for r in routes {
            let links = &self.links;
            let lookup = |n: &str| links.get(n).map(|l| l.index);
            let Ok(spec) = route_spec(&r, &lookup) else { continue };
            match self.nl.add_route(&spec).await {
                Ok(_) => tracing::info!("Restoring deleted static route {r}"),
                Err(e) if e.is_exists() => {}
                Err(e) => tracing::info!("{}", route_error(&e, true)),
            }
        }
    }

    /// Removes every static route and rule (on stop).
    pub(super) async fn clear_static_routes(&mut self) {
        let old = std::mem::take(&mut self.static_routes);
        for r in &old.rules {
            self.apply_rule(r, false).await;
        }
        for r in &old.routes {
            self.apply_route(r, false).await;
        }
    }

    /// Adds (MASTER) or removes the instance's `virtual_routes` and
    /// `virtual_rules`, with keepalived's lines.
    pub(super) async fn set_routes(&mut self, idx: usize, add: bool) {
        let Some(slot) = self.slot(idx) else { return };
        let name = slot.spec.name.clone();
        let routes = slot.spec.routes.clone();
        let rules = slot.spec.rules.clone();
        let verb = if add { "setting" } else { "removing" };
        if !routes.is_empty() {
            tracing::debug!("({name}) {verb} Virtual Routes");
            for r in &routes {
                self.apply_route(r, add).await;
            }
        }
        if !rules.is_empty() {
            tracing::debug!("({name}) {verb} Virtual Rules");
            for r in &rules {
                self.apply_rule(r, add).await;
            }
        }
    }
}
