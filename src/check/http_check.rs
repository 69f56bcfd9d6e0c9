//! HTTP_GET / SSL_GET's URL rules and verdict: status codes (lists and
//! ranges, 200-299 by default), the MD5 digest genhash prints, and the
//! `regex` rules (`regex_no_match`, `regex_min_offset`, `regex_max_offset`,
//! `regex_options`, `regex_stack`), applied in keepalived's order with its
//! words for each failure.
//!
//! Regular expressions: keepalived uses PCRE2; we use the `regex` crate,
//! which matches the same for the patterns health checks use (literals,
//! classes, alternation, repetition, anchors), but has no backreferences or
//! look-around: such a pattern is reported at start and the url checks its
//! other rules only, like keepalived does with a pattern PCRE2 rejects. The
//! match runs over the raw body (chunk framing included, as keepalived
//! does); up to [`REGEX_BODY_LIMIT`] bytes past `regex_min_offset` are kept.

use regex::bytes::{Regex, RegexBuilder};

use std::net::SocketAddr;

use super::http::{NoData, Response, build_request};
use super::http_probe::{ProbeConfig, ProbeError, probe_request};
use super::state::{HttpMatch, HttpVerdict, Outcome};
use crate::config::model::lvs::{HttpProtocol, Url};

/// Body bytes kept for a regex beyond its starting offset (keepalived matches
/// the stream as it arrives; we bound what one probe keeps).
pub const REGEX_BODY_LIMIT: usize = 1 << 20;

/// A compiled `regex` rule.
#[derive(Debug, Clone)]
pub struct RegexRule {
    re: Regex,
    no_match: bool,
    min_offset: usize,
    // The last offset a match may start at (regex_max_offset), inclusive.
    max_offset: Option<usize>,
    firstline: bool,
}

/// PCRE2 options that do not change what matches.
const NO_EFFECT: &[&str] = &[
    "auto_callout",
    "dupnames",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "use_offset_limit",
];

impl RegexRule {
    /// Compiles a url's regex rule; returns it with warnings for options
    /// that have no equivalent here, or the reason it cannot be used.
    pub fn compile(url: &Url) -> Option<Result<(RegexRule, Vec<String>), String>> {
        let pattern = url.regex.as_deref()?;
        let mut b = RegexBuilder::new(pattern);
        // PCRE2 works on bytes with ASCII classes unless told otherwise.
        b.unicode(false);
        let mut warnings = Vec::new();
        let mut firstline = false;
        for opt in &url.regex_options {
            match opt.as_str() {
                "caseless" => {
                    b.case_insensitive(true);
                }
                "multiline" => {
                    b.multi_line(true);
                }
                "dotall" => {
                    b.dot_matches_new_line(true);
                }
                "extended" => {
                    b.ignore_whitespace(true);
                }
                "ungreedy" => {
                    b.swap_greed(true);
                }
                "utf" | "ucp" => {
                    b.unicode(true);
                }
                "never_utf" | "never_ucp" => {
                    b.unicode(false);
                }
                "firstline" => firstline = true,
                o if NO_EFFECT.contains(&o) => {}
                o => warnings.push(format!("regex option {o} for url {} is not supported - ignoring", url_path(url))),
            }
        }
        Some(match b.build() {
            Ok(re) => Ok((
                RegexRule {
                    re,
                    no_match: url.regex_no_match,
                    min_offset: usize::try_from(url.regex_min_offset.unwrap_or(0)).unwrap_or(usize::MAX),
                    max_offset: url.regex_max_offset.map(|m| usize::try_from(m).unwrap_or(usize::MAX)),
                    firstline,
                },
                warnings,
            )),
            Err(e) => Err(format!("Invalid regex: '{pattern}': {e}")),
        })
    }

    /// Whether the body (from its start) contains a match where keepalived
    /// looks for one.
    pub fn matches(&self, body: &[u8]) -> bool {
        if self.min_offset > body.len() {
            return false;
        }
        let mut last_start = self.max_offset.unwrap_or(usize::MAX);
        if self.firstline {
            let nl = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
            last_start = last_start.min(nl);
        }
        self.re.find_at(body, self.min_offset).is_some_and(|m| m.start() <= last_start)
    }

    /// How many body bytes a probe must keep for this rule.
    pub fn body_limit(&self) -> usize {
        self.min_offset.saturating_add(REGEX_BODY_LIMIT)
    }
}

fn url_path(url: &Url) -> &str {
    url.path.as_deref().unwrap_or("")
}

/// One `url` block, ready to check.
#[derive(Debug, Clone)]
pub struct UrlRule {
    /// `path`.
    pub path: String,
    /// The Host header (url, checker, real server or virtual server virtualhost).
    pub virtualhost: Option<String>,
    /// `digest`.
    pub digest: Option<[u8; 16]>,
    /// `status_code` ranges; empty means 200-299.
    pub codes: Vec<(u16, u16)>,
    /// `regex` and its settings.
    pub regex: Option<RegexRule>,
    /// The request to send, made once by the planner ([`UrlRule::prepare`];
    /// empty until then).
    pub request: Box<[u8]>,
}

impl UrlRule {
    /// The rule of a `url` block with the virtual host resolved by the
    /// caller; also returns warnings about its regex.
    pub fn from_config(url: &Url, virtualhost: Option<String>) -> (UrlRule, Vec<String>) {
        let (regex, warnings) = match RegexRule::compile(url) {
            None => (None, Vec::new()),
            Some(Ok((r, w))) => (Some(r), w),
            Some(Err(e)) => (None, vec![e]),
        };
        let rule = UrlRule {
            path: url_path(url).to_owned(),
            virtualhost,
            digest: url.digest,
            codes: url.status_codes.clone(),
            regex,
            request: Box::default(),
        };
        (rule, warnings)
    }

    /// Whether the status code is accepted.
    pub fn accepts(&self, code: u16) -> bool {
        if self.codes.is_empty() {
            (200..=299).contains(&code)
        } else {
            self.codes.iter().any(|&(a, b)| (a..=b).contains(&code))
        }
    }

    /// Makes the request once, for every probe of this URL to `server`.
    pub fn prepare(&mut self, version: HttpProtocol, server: SocketAddr) {
        self.request = build_request(&self.path, version, self.virtualhost.as_deref(), server).into_boxed_slice();
    }

    /// How many body bytes a probe of this URL keeps.
    pub fn body_limit(&self) -> usize {
        self.regex.as_ref().map_or(0, RegexRule::body_limit)
    }
}

/// keepalived's http_handle_response: the verdict on a response.
pub fn judge(rule: &UrlRule, response: &Result<Response, NoData>) -> HttpVerdict {
    let fail = |text: &str| HttpVerdict { length_mismatch: None, result: Err(text.to_owned()) };
    let Ok(resp) = response else { return fail("Read, no data received from ") };
    match resp.head.status_code {
        Some(code) if rule.accepts(code) => {}
        _ => return fail("HTTP status code error to"),
    }
    let length_mismatch =
        resp.head.content_length.filter(|&n| n != resp.body_received).map(|n| (n, resp.body_received));
    let mut what = HttpMatch::StatusCode;
    if let Some(d) = rule.digest {
        if d != resp.digest {
            return HttpVerdict { length_mismatch, result: Err("MD5 digest error to".to_owned()) };
        }
        what = HttpMatch::Digest;
    }
    if let Some(r) = &rule.regex {
        if r.matches(&resp.body) == r.no_match {
            return HttpVerdict { length_mismatch, result: Err("Regex match failed".to_owned()) };
        }
        what = HttpMatch::Regex;
    }
    HttpVerdict { length_mismatch, result: Ok(what) }
}

/// Fetches one URL and judges it. `cfg` is the probe (target, TLS); the
/// request is the rule's, made by [`UrlRule::prepare`].
pub async fn check(cfg: &ProbeConfig, rule: &UrlRule) -> Outcome {
    let tls = cfg.tls.is_some();
    match probe_request(cfg, &rule.request, rule.body_limit(), |_| {}).await {
        Ok(o) => Outcome::Http(judge(rule, &o.response)),
        Err(ProbeError::Socket(_)) => {
            Outcome::Rescheduled("WEB connection fail to create socket. Rescheduling.".into())
        }
        Err(ProbeError::Bind(_)) => Outcome::Rescheduled("WEB socket bind failed. Rescheduling".into()),
        Err(e) => Outcome::Http(HttpVerdict { length_mismatch: None, result: Err(e.keepalived_text(tls).to_owned()) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::http::ResponseReader;

    fn response(raw: &[u8]) -> Result<Response, NoData> {
        let mut r = ResponseReader::new(1 << 16);
        r.feed(raw);
        r.finish()
    }

    fn url(f: impl FnOnce(&mut Url)) -> UrlRule {
        let mut u = Url { path: Some("/x".into()), ..Url::default() };
        f(&mut u);
        let (rule, warnings) = UrlRule::from_config(&u, None);
        assert!(warnings.is_empty(), "{warnings:?}");
        rule
    }

    #[test]
    fn status_codes_default_lists_and_ranges() {
        let ok = response(b"HTTP/1.0 200 OK\r\n\r\nhi");
        let nf = response(b"HTTP/1.0 404 Not Found\r\n\r\n");
        let plain = url(|_| {});
        assert_eq!(judge(&plain, &ok).result, Ok(HttpMatch::StatusCode));
        assert_eq!(judge(&plain, &nf).result, Err("HTTP status code error to".into()));
        let listed = url(|u| u.status_codes = vec![(404, 404), (500, 599)]);
        assert_eq!(judge(&listed, &nf).result, Ok(HttpMatch::StatusCode));
        assert_eq!(judge(&listed, &ok).result, Err("HTTP status code error to".into()));
        assert_eq!(judge(&plain, &Err(NoData)).result, Err("Read, no data received from ".into()));
    }

    #[test]
    fn digest_and_length_mismatch() {
        let resp = response(b"HTTP/1.0 200 OK\r\nContent-Length: 20\r\n\r\nHello, world!\n");
        // md5("Hello, world!\n")
        let good = url(|u| u.digest = Some(hex16("746308829575e17c3331bbcb00c0898b")));
        let v = judge(&good, &resp);
        assert_eq!(v.result, Ok(HttpMatch::Digest));
        assert_eq!(v.length_mismatch, Some((20, 14)));
        let bad = url(|u| u.digest = Some([0; 16]));
        assert_eq!(judge(&bad, &resp).result, Err("MD5 digest error to".into()));
    }

    fn hex16(s: &str) -> [u8; 16] {
        let mut d = [0u8; 16];
        for (i, b) in d.iter_mut().enumerate() {
            *b = u8::from_str_radix(s.get(2 * i..2 * i + 2).unwrap_or("00"), 16).unwrap_or(0);
        }
        d
    }

    #[test]
    fn regex_rules_offsets_and_options() {
        let resp = response(b"HTTP/1.0 200 OK\r\n\r\nstatus: GREEN\nload: 3\n");
        let m = url(|u| u.regex = Some("status: (GREEN|AMBER)".into()));
        assert_eq!(judge(&m, &resp).result, Ok(HttpMatch::Regex));
        let no = url(|u| {
            u.regex = Some("RED".into());
            u.regex_no_match = true;
        });
        assert_eq!(judge(&no, &resp).result, Ok(HttpMatch::Regex));
        let miss = url(|u| u.regex = Some("green".into()));
        assert_eq!(judge(&miss, &resp).result, Err("Regex match failed".into()));
        let caseless = url(|u| {
            u.regex = Some("green".into());
            u.regex_options = vec!["caseless".into()];
        });
        assert_eq!(judge(&caseless, &resp).result, Ok(HttpMatch::Regex));
        // The match must start at or after min and at or before max.
        let after = url(|u| {
            u.regex = Some("GREEN".into());
            u.regex_min_offset = Some(9);
        });
        assert_eq!(judge(&after, &resp).result, Err("Regex match failed".into()));
        let before = url(|u| {
            u.regex = Some("load".into());
            u.regex_max_offset = Some(13);
        });
        assert_eq!(judge(&before, &resp).result, Err("Regex match failed".into()));
        let at = url(|u| {
            u.regex = Some("load".into());
            u.regex_max_offset = Some(14);
        });
        assert_eq!(judge(&at, &resp).result, Ok(HttpMatch::Regex));
        let first = url(|u| {
            u.regex = Some("load".into());
            u.regex_options = vec!["firstline".into()];
        });
        assert_eq!(judge(&first, &resp).result, Err("Regex match failed".into()));
        // A digest and a regex: the digest is checked first.
        let both = url(|u| {
            u.regex = Some("GREEN".into());
            u.digest = Some([1; 16]);
        });
        assert_eq!(judge(&both, &resp).result, Err("MD5 digest error to".into()));
    }

    #[test]
    fn unsupported_patterns_and_options_are_reported() {
        let u = Url { path: Some("/".into()), regex: Some("(a)\\1".into()), ..Url::default() };
        let (rule, w) = UrlRule::from_config(&u, None);
        assert!(rule.regex.is_none());
        assert!(w.first().is_some_and(|m| m.starts_with("Invalid regex: '(a)\\1'")), "{w:?}");
        let u = Url {
            path: Some("/".into()),
            regex: Some("a".into()),
            regex_options: vec!["alt_bsux".into(), "no_start_optimize".into()],
            ..Url::default()
        };
        let (rule, w) = UrlRule::from_config(&u, None);
        assert!(rule.regex.is_some());
        assert_eq!(w, vec!["regex option alt_bsux for url / is not supported - ignoring".to_owned()]);
    }
}
