//! The keepalived.conf preprocessor: includes, conditionals, definitions,
//! sequence and list blocks, line continuation; exact file/line mapping; and
//! that no input makes it (or the lexer after it) panic or hang.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use keepalived_rs::config::error::{Class, Severity};
use keepalived_rs::config::lexer::parse_lines;
use keepalived_rs::config::preprocess::{Options, Preprocessed, preprocess, preprocess_str};

mod common;

/// A temporary directory removed when dropped, even when the test fails.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("kr-pp-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// Writes `rel` (creating its directories) and returns its path.
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("create dir");
        }
        std::fs::write(&p, text).expect("write file");
        p
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn opts(id: Option<&str>) -> Options {
    Options { config_id: id.map(str::to_owned), ..Options::default() }
}

fn run(text: &str, o: &Options) -> Preprocessed {
    preprocess_str(Path::new("keepalived.conf"), text, o)
}

/// The emitted lines, trimmed.
fn texts(p: &Preprocessed) -> Vec<String> {
    p.lines.iter().map(|l| l.text.trim().to_owned()).collect()
}

/// (file name, line, trimmed text) of every emitted line.
fn mapped(p: &Preprocessed) -> Vec<(String, u32, String)> {
    p.lines
        .iter()
        .map(|l| {
            let f = p.sources.path(l.file).and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
            (f.unwrap_or_default(), l.line, l.text.trim().to_owned())
        })
        .collect()
}

fn messages(p: &Preprocessed) -> Vec<String> {
    p.diags.iter().map(|d| d.message.clone()).collect()
}

fn severities(p: &Preprocessed) -> Vec<Severity> {
    p.diags.iter().map(|d| d.severity).collect()
}

const CONDITIONAL: &str = "\
global_defs {
    @main   router_id main_router
    @backup router_id backup_router
}
vrrp_instance VRRP {
    @main    unicast_src_ip 1.2.3.4
    @backup  unicast_src_ip 1.2.3.5
    @backup2 unicast_src_ip 1.2.3.6
    unicast_peer {
        @^main    1.2.3.4
        @^backup  1.2.3.5
        @^backup2 1.2.3.6
    }
}
";

#[test]
fn conditional_lines_follow_the_config_id() {
    let p = run(CONDITIONAL, &opts(Some("main")));
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let t = texts(&p);
    assert!(t.contains(&"router_id main_router".to_owned()));
    assert!(!t.iter().any(|l| l.contains("backup_router")));
    assert!(t.contains(&"unicast_src_ip 1.2.3.4".to_owned()));
    // The man page: "The unicast peers for main will be 1.2.3.5 and 1.2.3.6."
    assert!(!t.contains(&"1.2.3.4".to_owned()));
    assert!(t.contains(&"1.2.3.5".to_owned()) && t.contains(&"1.2.3.6".to_owned()));

    let p = run(CONDITIONAL, &opts(Some("backup")));
    assert!(texts(&p).contains(&"router_id backup_router".to_owned()));
    // No config id: no router_id, and every `@^` line is kept.
    let p = run(CONDITIONAL, &opts(None));
    let t = texts(&p);
    assert!(!t.iter().any(|l| l.starts_with("router_id")));
    assert!(["1.2.3.4", "1.2.3.5", "1.2.3.6"].iter().all(|a| t.contains(&(*a).to_owned())));
}

#[test]
fn a_selected_line_keeps_its_columns() {
    let p = run("@main\tpriority 170\n", &opts(Some("main")));
    let parsed = parse_lines(&p.lines);
    let kw = &parsed.stmts[0].keyword;
    assert_eq!((kw.text.as_str(), kw.span.line, kw.span.col), ("priority", 1, 7));
    // `@id` with nothing after it selects nothing.
    assert!(run("@main\n", &opts(Some("main"))).lines.is_empty());
}

#[test]
fn sample_conditional_conf_selects_per_id() {
    let path = &common::samples_dir().join("keepalived.conf.conditional_conf");
    assert!(path.is_file(), "{} is missing", path.display());
    for (id, ns, prio, script) in
        [("high", "high", "170", "check_high_VI_0.sh"), ("low", "low", "85", "check_low_VI_0.sh")]
    {
        let p = preprocess(path, &opts(Some(id)));
        assert!(p.diags.is_empty(), "{:?}", p.diags);
        let m = mapped(&p);
        let find = |prefix: &str| m.iter().find(|(_, _, t)| t.starts_with(prefix)).cloned();
        let (_, line, text) = find("net_namespace").expect("net_namespace");
        assert_eq!(text, format!("net_namespace {ns}"));
        assert_eq!(line, if id == "high" { 3 } else { 4 });
        assert_eq!(find("priority").map(|x| x.2), Some(format!("priority {prio}")));
        assert!(find("script").is_some_and(|x| x.2.ends_with(script)));
        assert_eq!(m.iter().filter(|(_, _, t)| t.starts_with("priority")).count(), 1);
        assert!(parse_lines(&p.lines).diags.is_empty());
    }
    let p = preprocess(path, &opts(Some("other")));
    assert!(!texts(&p).iter().any(|t| t.starts_with("priority") || t.starts_with("net_namespace")));
}

#[test]
fn definitions_are_substituted_when_used() {
    let text = "\
$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}
$ADDRESS_BASE_SUB=0
${ADDRESS_BASE}.100/32
$ADDRESS_BASE_SUB=10
${ADDRESS_BASE}.100/32
";
    let p = run(text, &opts(None));
    assert_eq!(
        mapped(&p),
        [("keepalived.conf".into(), 3, "10.2.0.100/32".into()), ("keepalived.conf".into(), 5, "10.2.10.100/32".into())]
    );
}

#[test]
fn substitution_rules() {
    let text = "\
$X=5
k_$X a
k_${X}z b
k_$Xz c
# $X=9
k_$X d
$X = 7
 $X=8
k_$X e
q_$UNDEF ${UNDEF} f
$EMPTY=
k_${EMPTY}g
$Y=hello world
$Y
";
    let p = run(text, &opts(None));
    assert_eq!(
        texts(&p),
        ["k_5 a", "k_5z b", "k_$Xz c", "k_5 d", "5 = 7", "k_8 e", "q_$UNDEF ${UNDEF} f", "k_g", "hello world"]
    );
}

#[test]
fn conditional_definitions_and_definitions_of_conditions() {
    let text = "\
@main $PRIORITY=240
@backup $PRIORITY=200
vrrp_instance VI_0 {
    priority $PRIORITY
}
$IF_MAIN=@main
$IF_MAIN priority 241
";
    let p = run(text, &opts(Some("main")));
    assert_eq!(texts(&p), ["vrrp_instance VI_0 {", "priority 240", "}", "priority 241"]);
    let p = run(text, &opts(Some("backup")));
    assert_eq!(texts(&p), ["vrrp_instance VI_0 {", "priority 200", "}"]);
}

#[test]
fn multiline_definitions_expand_at_the_using_line() {
    let text = "\
$INSTANCE= \\
vrrp_instance VI_${NUM} { \\
    interface eth0.${NUM} \\
    @high priority 130 \\
    @low priority 120 \\
    virtual_ipaddress { \\
        10.0.${NUM}.254/24 \\
    } \\
}

$NUM=0
$INSTANCE

$NUM=1
$INSTANCE
";
    let p = run(text, &opts(Some("high")));
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let want = |n: u32| {
        vec![
            format!("vrrp_instance VI_{n} {{"),
            format!("interface eth0.{n}"),
            "priority 130".to_owned(),
            "virtual_ipaddress {".to_owned(),
            format!("10.0.{n}.254/24"),
            "}".to_owned(),
            "}".to_owned(),
        ]
    };
    let mut all = want(0);
    all.extend(want(1));
    assert_eq!(texts(&p), all);
    // Every expanded line points at the line that used the definition.
    let lines: Vec<u32> = p.lines.iter().map(|l| l.line).collect();
    assert_eq!(lines, [vec![12; 7], vec![15; 7]].concat());
    let parsed = parse_lines(&p.lines);
    assert!(parsed.diags.is_empty(), "{:?}", parsed.diags);
    assert_eq!(parsed.stmts.len(), 2);
    assert_eq!(parsed.stmts[1].args[0].text, "VI_1");

    // The continuation lines of a definition whose condition fails go with it.
    let p = run("@other $M= \\\n  a \\\n  b\nx $M\n", &opts(Some("main")));
    assert_eq!(mapped(&p), [("keepalived.conf".into(), 4, "x $M".into())]);
    // A blank line right after `$NAME= \` leaves NAME empty (as keepalived 2.2.7).
    let p = run("$E= \\\n\nk_$E z\n", &opts(None));
    assert_eq!(texts(&p), ["k_ z"]);
}

#[test]
fn nested_multiline_definitions_as_in_the_man_page() {
    let text = r#"$RS= \
real_server 192.168.${VS_NUM}.${RS_NUM} 80 { \
    weight 1 \
    MISC_CHECK { \
        misc_path "${_PWD}/scripts/vs.sh RS_misc.${VS_NUM}.${RS_NUM}" \
    } \

    notify_up "${_PWD}/scripts/notify.sh UP" \

}

$VS= \
virtual_server 10.0.${VS_NUM}.4 80 { \
    quorum 2 \
    $RS_NUM=1 \
    $RS \
    $RS_NUM=2 \
    $RS \
    $RS_NUM=3 \
    $RS \
}

$VS_NUM=0
$VS

$VS_NUM=1
$VS
"#;
    let o = Options { cwd: Some(PathBuf::from("/etc/keepalived")), ..Options::default() };
    let p = run(text, &o);
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let parsed = parse_lines(&p.lines);
    assert!(parsed.diags.is_empty(), "{:?}", parsed.diags);
    assert_eq!(parsed.stmts.len(), 2, "2 virtual servers");
    for (v, vs) in parsed.stmts.iter().enumerate() {
        assert_eq!(vs.args[0].text, format!("10.0.{v}.4"));
        let rs: Vec<&str> =
            vs.children().iter().filter(|s| s.keyword.text == "real_server").map(|s| s.args[0].text.as_str()).collect();
        let want: Vec<String> = (1..=3).map(|r| format!("192.168.{v}.{r}")).collect();
        assert_eq!(rs, want);
    }
    let misc = &parsed.stmts[1].children()[3].children()[1].children()[0];
    assert_eq!(misc.args[0].text, "/etc/keepalived/scripts/vs.sh RS_misc.1.3");
}

#[test]
fn sequence_blocks() {
    let p = run("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n", &opts(None));
    assert_eq!(texts(&p), ["ip_address 10.0.0.1", "ip_address 10.0.1.1", "ip_address 10.0.2.1", "ip_address 10.0.3.1"]);
    assert!(p.lines.iter().all(|l| l.line == 1));
    let want = [
        "ip_address fe80::20:90:1",
        "ip_address fe80::20:a0:1",
        "ip_address fe80::20:b0:1",
        "ip_address fe80::20:c0:1",
    ];
    assert_eq!(texts(&run("~SEQx(SUBNET, 144, 16, 192) ip_address fe80::20:${SUBNET}:1\n", &opts(None))), want);
    assert_eq!(texts(&run("~SEQx(SUBNET, 0x90, 0x10, 0xc0) ip_address fe80::20:${SUBNET}:1\n", &opts(None))), want);
    let p = run(
        "virtual_ipaddress {\n    ~SEQx(AD2, 0x90, 0x10, 0xc0) ~SEQx(AD1, 0x12, -1, 0x0c) fe81::10:${AD2}:${AD1}\n}\n",
        &opts(None),
    );
    let t = texts(&p);
    assert_eq!(t.len(), 2 + 4 * 7);
    assert_eq!(t[1], "fe81::10:90:12");
    assert_eq!(t[7], "fe81::10:90:c");
    assert_eq!(t[8], "fe81::10:a0:12");
    // Parameters may be definitions; the end alone counts from 1.
    assert_eq!(texts(&run("$N=3\n~SEQ(I, $N) x_${I}\n", &opts(None))), ["x_1", "x_2", "x_3"]);
}

#[test]
fn sequence_of_a_multiline_definition() {
    let text = "\
$VI4= \\
vrrp_instance vrrp4.${IF}.${NUM} { \\
    interface bond${IF}.${NUM} \\
}
~SEQ(IF,0,1) ~SEQ(NUM,0,2) $VI4
";
    let p = run(text, &opts(None));
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let heads: Vec<String> = texts(&p).into_iter().filter(|t| t.starts_with("vrrp_instance")).collect();
    assert_eq!(heads.len(), 6);
    assert_eq!(heads[0], "vrrp_instance vrrp4.0.0 {");
    assert_eq!(heads[5], "vrrp_instance vrrp4.1.2 {");
    assert_eq!(parse_lines(&p.lines).stmts.len(), 6);
}

#[test]
fn list_blocks() {
    let p = run("~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) 192.168.${IP}.${IP1}\n", &opts(None));
    assert_eq!(texts(&p), ["192.168.10.1", "192.168.20.4", "192.168.5.6", "192.168.12.8"]);
    let p = run("~LST(IP, 1, 2, 3, 4) ~LST(IP1, 5,6,7) 192.169.${IP}.${IP1}\n", &opts(None));
    let t = texts(&p);
    assert_eq!(t.len(), 12);
    assert_eq!((t[0].as_str(), t[2].as_str(), t[11].as_str()), ("192.169.1.5", "192.169.1.7", "192.169.4.7"));
    let p =
        run("~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) ~SEQ(IP2,168,2,172) 192.${IP2}.${IP}.${IP1}\n", &opts(None));
    let t = texts(&p);
    assert_eq!(t.len(), 12);
    assert_eq!((t[0].as_str(), t[1].as_str(), t[3].as_str()), ("192.168.10.1", "192.170.10.1", "192.168.20.4"));
}

#[test]
fn bad_generators_are_reported_with_their_line() {
    let p = run("a\n  ~SEQ(X, 1, 0, 5) x\n~LST({A,B}, {1,2,3}) y\n~SEQx(X, -3) z\n", &opts(None));
    assert_eq!(texts(&p), ["a"]);
    assert_eq!(
        messages(&p),
        [
            "Invalid ~SEQ values '~SEQ(X, 1, 0, 5) x'",
            "~LST specification has too many values '~LST({A,B}, {1,2,3}) y'",
            "~SEQx is only valid for positive numbers '~SEQx(X, -3) z'",
        ]
    );
    assert!(p.diags.iter().all(|d| d.class == Class::Preprocess && d.severity == Severity::Error));
    let span = p.diags[0].span.expect("span");
    assert_eq!((span.line, span.col, span.len), (2, 3, 18));
    let r = p.sources.render(&p.diags[0]);
    assert!(r.starts_with("(keepalived.conf: Line 2) Invalid ~SEQ values"), "{r}");
    assert!(r.contains("  ~SEQ(X, 1, 0, 5) x"), "{r}");
}

#[test]
fn predefined_definitions() {
    let mut o = opts(Some("lb1"));
    o.env.insert("CREDENTIALS_DIRECTORY".into(), "/run/creds".into());
    o.cwd = Some(PathBuf::from("/srv"));
    o.random_seed = 42;
    let text = "\
i ${_INSTANCE}
p ${_PWD}
e file:${_ENV CREDENTIALS_DIRECTORY}/x ${_ENV NOT_SET}.
h h_${_HASH}_${_BANG} \"q ${_HASH}\"
r ${_RANDOM 10 12} ${_RANDOM}
$_INSTANCE=mine
o ${_INSTANCE}
";
    let p = run(text, &o);
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let parsed = parse_lines(&p.lines);
    let args = |i: usize| -> Vec<String> { parsed.stmts[i].args.iter().map(|w| w.text.clone()).collect() };
    assert_eq!(args(0), ["lb1"]);
    assert_eq!(args(1), ["/srv"]);
    assert_eq!(args(2), ["file:/run/creds/x", "."]);
    // `#` and `!` from _HASH/_BANG are characters, not comments.
    assert_eq!(args(3), ["h_#_!", "q #"]);
    let r = args(4);
    let a: u32 = r[0].parse().expect("number");
    let b: u32 = r[1].parse().expect("number");
    assert!((10..=12).contains(&a) && b <= 32767);
    // Same seed, same numbers.
    assert_eq!(texts(&run(text, &o))[4], texts(&p)[4]);
    // A pre-defined definition can be redefined.
    assert_eq!(args(5), ["mine"]);

    // global_defs `random_seed` fixes the numbers that follow it.
    let seeded = "global_defs {\n  random_seed 7\n}\nr ${_RANDOM}\n";
    let a = texts(&run(seeded, &Options { random_seed: 1, ..Options::default() }));
    let b = texts(&run(seeded, &Options { random_seed: 2, ..Options::default() }));
    assert_eq!(a, b);
    assert_eq!(a[1], "random_seed 7");
}

#[test]
fn comments_and_continuation() {
    let text = "\
a 1 # $X=1
b 2 ! c
$X=2 # the value is 2
c $X
d one \\
  two \\
  three
e k_\\#x \"f # g\"
";
    let p = run(text, &opts(None));
    // As keepalived 2.2.7: outside a `$NAME=` definition a line ending in `\`
    // does not go on (the `\` stays), and `\#` starts a comment too.
    assert_eq!(
        mapped(&p).into_iter().map(|(_, l, t)| (l, t)).collect::<Vec<_>>(),
        [
            (1, "a 1".to_owned()),
            (2, "b 2".to_owned()),
            (4, "c 2".to_owned()),
            (5, "d one\\".to_owned()),
            (6, "two\\".to_owned()),
            (7, "three".to_owned()),
            (8, "e k_".to_owned())
        ]
    );
    let parsed = parse_lines(&p.lines);
    assert_eq!(parsed.stmts[6].args[0].text, "k_");
    let p = run("f \"x # y\" z\n", &opts(None));
    assert_eq!(parse_lines(&p.lines).stmts[0].args[0].text, "x # y");
}

#[test]
fn includes_follow_the_including_file_with_exact_mapping() {
    let d = TempDir::new("inc");
    let main = d.write("keepalived.conf", "global_defs {\n  router_id r1\n}\ninclude conf.d/*.conf\nlast_line\n");
    d.write("conf.d/20-b.conf", "from_b 1\nfrom_b 2\n");
    d.write("conf.d/10-a.conf", "# a comment\nfrom_a 1\ninclude sub/{x,y}.inc\n");
    d.write("conf.d/sub/x.inc", "from_x\n");
    d.write("conf.d/sub/y.inc", "\n\nfrom_y\n");
    d.write("conf.d/ignored.txt", "not_included\n");
    let p = preprocess(&main, &opts(None));
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    assert_eq!(
        mapped(&p),
        [
            ("keepalived.conf".into(), 1, "global_defs {".into()),
            ("keepalived.conf".into(), 2, "router_id r1".into()),
            ("keepalived.conf".into(), 3, "}".into()),
            ("10-a.conf".into(), 2, "from_a 1".into()),
            ("x.inc".into(), 1, "from_x".into()),
            ("y.inc".into(), 3, "from_y".into()),
            ("20-b.conf".into(), 1, "from_b 1".into()),
            ("20-b.conf".into(), 2, "from_b 2".into()),
            ("keepalived.conf".into(), 5, "last_line".into()),
        ]
    );
    let files: Vec<PathBuf> = p.files.clone();
    assert_eq!(
        files,
        [
            main.clone(),
            d.path("conf.d/10-a.conf"),
            d.path("conf.d/sub/x.inc"),
            d.path("conf.d/sub/y.inc"),
            d.path("conf.d/20-b.conf")
        ]
    );
    // Messages about included lines point into the included file.
    let line = &p.lines[5];
    assert_eq!(p.sources.path(line.file), Some(d.path("conf.d/sub/y.inc").as_path()));
    assert_eq!(p.sources.line(line.file, line.line).as_deref(), Some("from_y"));
}

#[test]
fn definitions_cross_include_boundaries() {
    let d = TempDir::new("defs");
    let main = d.write("k.conf", "$A=1\ninclude defs.conf\nv $A $B\n");
    d.write("defs.conf", "$B=2\nw $A\n");
    let p = preprocess(&main, &opts(None));
    assert_eq!(texts(&p), ["w 1", "v 1 2"]);
}

#[test]
fn include_loops_are_detected_and_named() {
    let d = TempDir::new("loop");
    let a = d.write("a.conf", "in_a\ninclude b.conf\n");
    d.write("b.conf", "in_b\ninclude a.conf\n");
    let p = preprocess(&a, &opts(None));
    assert_eq!(texts(&p), ["in_a", "in_b"]);
    assert_eq!(p.diags.len(), 1, "{:?}", p.diags);
    let diag = &p.diags[0];
    assert_eq!((diag.class, diag.severity), (Class::Preprocess, Severity::Error));
    let ka = std::fs::canonicalize(&a).expect("canonical");
    let kb = std::fs::canonicalize(d.path("b.conf")).expect("canonical");
    let chain = format!("{} -> {} -> {}", ka.display(), kb.display(), ka.display());
    assert!(diag.message.contains(&chain), "{}", diag.message);
    let span = diag.span.expect("span");
    assert_eq!((p.sources.path(span.file), span.line, span.col), (Some(d.path("b.conf").as_path()), 2, 9));

    // A glob that matches the including file itself.
    let d = TempDir::new("self");
    let s = d.write("all.conf", "x\ninclude *.conf\n");
    let p = preprocess(&s, &opts(None));
    assert_eq!(texts(&p), ["x"]);
    assert!(messages(&p)[0].starts_with("Include loop"), "{:?}", p.diags);
}

#[test]
fn include_variants_and_their_errors() {
    let d = TempDir::new("variants");
    d.write("a.conf", "from_a\n");
    let case = |line: &str| -> Preprocessed {
        let main = d.write("main.conf", &format!("{line}\n"));
        preprocess(&main, &opts(None))
    };
    // Plain include: a missing file is only noted (no effect on the exit status).
    let p = case("include missing.conf");
    assert_eq!(messages(&p), ["Config files missing 'missing.conf'."]);
    assert_eq!(severities(&p), [Severity::Note]);
    assert!(case("include nope*.conf").diags.is_empty());
    assert_eq!(severities(&case("include {a,b}.conf")), [Severity::Note]);

    for v in ["includer", "includem", "includew", "includea"] {
        let p = case(&format!("{v} missing.conf"));
        let want = if v == "includer" { Severity::Note } else { Severity::Error };
        assert_eq!(severities(&p), [want], "{v}");
        assert_eq!(messages(&p), ["Config files missing 'missing.conf'."], "{v}");
    }
    // A wildcard that matches nothing is an error only for wildcard_match.
    assert!(case("includem nope*.conf").diags.is_empty());
    let p = case("includew nope*.conf");
    assert_eq!(messages(&p), ["No config files matched 'nope*.conf'."]);
    assert_eq!(severities(&p), [Severity::Error]);
    // Brace alternatives that match nothing: brace_match.
    let p = case("includeb {a,b}.conf");
    assert_eq!(texts(&p), ["from_a"]);
    assert_eq!(messages(&p), ["Some config files missing: \"{a,b}.conf\"."]);
    assert_eq!(severities(&p), [Severity::Error]);
    let p = case("includea {x,y}.conf");
    assert_eq!(messages(&p), ["Config files missing '{x,y}.conf'."]);

    // Unreadable kinds of file: readable.
    std::fs::create_dir_all(d.path("dir.conf")).expect("mkdir");
    let p = case("includer dir.conf");
    assert_eq!(severities(&p), [Severity::Error]);
    assert!(messages(&p)[0].ends_with("dir.conf/' is a directory - skipping"), "{:?}", p.diags);
    let exe = d.write("exe.conf", "exe\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let p = case("include exe.conf");
        assert_eq!(severities(&p), [Severity::Note]);
        assert!(messages(&p)[0].ends_with("exe.conf' is not a regular non-executable file - skipping"));
        assert!(texts(&p).is_empty());
    }
}

#[test]
fn include_check_setting_and_its_scope() {
    let d = TempDir::new("check");
    d.write("sub.conf", "include_check -match\ninclude gone1.conf\n");
    let main = d.write(
        "main.conf",
        "global_defs {\n  include_check match\n}\ninclude sub.conf\ninclude gone2.conf\ninclude_check\ninclude none*.conf\n",
    );
    let p = preprocess(&main, &opts(None));
    // include_check lines stay for global_defs.
    assert_eq!(texts(&p).iter().filter(|t| t.starts_with("include_check")).count(), 3);
    let got: Vec<(String, Severity, u32)> =
        p.diags.iter().map(|d| (d.message.clone(), d.severity, d.span.map(|s| s.line).unwrap_or(0))).collect();
    assert_eq!(
        got,
        [
            // Inside sub.conf `-match` switched the check off...
            ("Config files missing 'gone1.conf'.".to_owned(), Severity::Note, 2),
            // ...only until sub.conf ended.
            ("Config files missing 'gone2.conf'.".to_owned(), Severity::Error, 5),
            // `include_check` alone sets every check.
            ("No config files matched 'none*.conf'.".to_owned(), Severity::Error, 7),
        ]
    );
    let p = preprocess(&d.write("u.conf", "include_check +bogus\n"), &opts(None));
    assert_eq!(messages(&p), ["Unknown include_check option 'bogus' - ignoring"]);
    // -e/--all-config checks every include.
    let p = preprocess(&d.write("e.conf", "include gone3.conf\n"), &Options { all_config: true, ..Options::default() });
    assert_eq!(severities(&p), [Severity::Error]);
}

#[test]
fn include_after_conditional_or_substitution_is_not_processed() {
    // keepalived.conf(5): include detection is done before conditionals and
    // substitution, so such a line is an ordinary (unknown) statement.
    let d = TempDir::new("condinc");
    d.write("x.conf", "from_x\n");
    let main = d.write("main.conf", "@main include x.conf\n$F=x.conf\ninclude $F\n");
    let p = preprocess(&main, &opts(Some("main")));
    assert_eq!(texts(&p), ["include x.conf"]);
    assert!(messages(&p)[0].starts_with("Config files missing '$F'"), "{:?}", p.diags);
}

#[test]
fn missing_main_file_is_noted_as_keepalived_does() {
    // keepalived 2.2.7: `-t` says so and exits 0; the daemon does not start.
    let d = TempDir::new("nomain");
    let p = preprocess(&d.path("none.conf"), &opts(None));
    assert_eq!(severities(&p), [Severity::Note]);
    assert_eq!(p.diags[0].class, keepalived_rs::config::error::Class::NoConfig);
    assert_eq!(messages(&p), [format!("Config files missing '{}'.", d.path("none.conf").display())]);
    assert!(p.lines.is_empty());
    let p = preprocess(&d.path(""), &opts(None));
    assert_eq!(p.diags[0].class, keepalived_rs::config::error::Class::NoConfig);
    assert!(messages(&p)[0].ends_with("/' is a directory - skipping"), "{:?}", messages(&p));
}

#[test]
fn runaway_definitions_end_with_a_message() {
    let start = Instant::now();
    let p = run("$A=${A}\nx ${A}\n", &opts(None));
    assert!(messages(&p)[0].contains("recursive definition"), "{:?}", p.diags);
    let p = run("$B=${B}${B}${B}${B}\nx ${B}\n", &opts(None));
    assert!(messages(&p)[0].contains("would exceed maximum line length"), "{:?}", p.diags);
    let p = run("$M= \\\n a \\\n $M\n$M\n", &opts(None));
    assert!(p.diags.iter().any(|d| d.message.starts_with("Definitions nested more than 64")), "{:?}", p.diags);
    assert_eq!(texts(&p).len(), 65);
    // A sequence too long to expand stops at the budget.
    let p = run("~SEQ(I, 1000000000) @nobody x\n", &opts(None));
    assert_eq!(severities(&p), [Severity::Fatal]);
    assert!(start.elapsed() < Duration::from_secs(60));
}

/// A small deterministic generator for the random-input test.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn arbitrary_input_never_panics_or_hangs() {
    // Pieces of the preprocessor's syntax, to reach deep paths more often than
    // random bytes alone would.
    const PIECES: &[&str] = &[
        "$",
        "${",
        "}",
        "{",
        "$A=",
        "$B=",
        "$A",
        "${A}",
        "${B}",
        "\\",
        "\n",
        " ",
        "\t",
        "@",
        "@^",
        "@main ",
        "~SEQ(",
        "~SEQx(",
        "~LST(",
        "~LST({A,B},",
        ")",
        ",",
        "0x",
        "-",
        "1",
        "99",
        "\"",
        "'",
        "#",
        "!",
        "\\#",
        "include /nonexistent-kr/",
        "includea /nonexistent-kr/{a,b*}",
        "include_check ",
        "*",
        "?",
        "[",
        "${_RANDOM ",
        "${_ENV ",
        "${_HASH}",
        "${_PWD}",
        "A",
        "B",
        "é",
        "\u{0}",
        "\r\n",
        "${_INSTANCE}",
        "=",
        "\\\n",
    ];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let o = Options { config_id: Some("main".into()), ..Options::default() };
    let start = Instant::now();
    for i in 0..3000 {
        let mut s = String::new();
        let n = rng.below(60);
        for _ in 0..n {
            if i % 3 == 0 {
                let b = (rng.next() & 0xff) as u8;
                s.push_str(&String::from_utf8_lossy(&[b]));
            } else {
                s.push_str(PIECES[rng.below(PIECES.len())]);
            }
        }
        let p = preprocess_str(Path::new("fuzz.conf"), &s, &o);
        let parsed = parse_lines(&p.lines);
        for d in p.diags.iter().chain(&parsed.diags) {
            let _ = p.sources.render(d);
        }
    }
    assert!(start.elapsed() < Duration::from_secs(120), "took {:?}", start.elapsed());
}

#[test]
fn the_man_page_65024_instances_fit_the_budget() {
    let text = r#"$VI4= \
track_file offset_instance_4.${IF}.${NUM}.${ID} { \
    file "${_PWD}/679/track_files/4.${IF}.${NUM}.${ID}" \
    weight -100 \
} \
vrrp_instance vrrp4.${IF}.${NUM}.${ID} { \
    interface bond${IF}.${NUM} \
    use_vmac vrrp4.${IF}.${NUM}.${ID} \
    virtual_router_id ${ID} \
    priority 130 \
    virtual_ipaddress { \
        10.${IF}.${NUM}.${ID}/24 \
    } \
    track_file { \
        offset_instance_4.${IF}.${NUM}.${ID} \
    } \
}

~SEQ(IF,0,7) ~SEQ(NUM,0,31) ~SEQ(ID,1,254) $VI4
"#;
    let p = run(text, &opts(None));
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let heads = p.lines.iter().filter(|l| l.text.starts_with("vrrp_instance")).count();
    assert_eq!(heads, 65024);
    let last = p.lines.iter().rev().find(|l| l.text.starts_with("vrrp_instance")).map(|l| l.text.clone());
    assert_eq!(last.as_deref(), Some("vrrp_instance vrrp4.7.31.254 {"));
}

#[test]
fn a_definition_holding_a_sequence_and_sequences_inside_definitions() {
    let text = "\
$RS= \\
  real_server 10.0.0.$RSHOST 443 { \\
    weight 10 \\
  }
$VS= \\
virtual_server 10.1.1.${HOST} 443 { \\
  $ASEQ $RS \\
  ~SEQ(PORT, 80, 81) port_${PORT} \\
}
$ASEQ=~SEQ(RSHOST,211,213)
$HOST=202
$VS
";
    let p = run(text, &opts(None));
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    let parsed = parse_lines(&p.lines);
    assert!(parsed.diags.is_empty(), "{:?}", parsed.diags);
    assert_eq!(parsed.stmts.len(), 1);
    let kids: Vec<String> =
        parsed.stmts[0].children().iter().map(|s| format!("{} {}", s.keyword.text, s.rest())).collect();
    assert_eq!(
        kids,
        [
            "real_server 10.0.0.211 443",
            "real_server 10.0.0.212 443",
            "real_server 10.0.0.213 443",
            "port_80 ",
            "port_81 "
        ]
    );
    assert!(p.lines.iter().all(|l| l.line == 12));
}

#[test]
fn include_depth_is_bounded_and_repeated_includes_are_not_loops() {
    let d = TempDir::new("deep");
    for i in 0..70 {
        d.write(&format!("f{i}.conf"), &format!("at_{i}\ninclude f{}.conf\n", i + 1));
    }
    let p = preprocess(&d.path("f0.conf"), &opts(None));
    assert_eq!(texts(&p).len(), 64);
    assert_eq!(messages(&p).len(), 1, "{:?}", p.diags);
    assert!(messages(&p)[0].starts_with("Include files nested more than 64 deep"), "{:?}", p.diags);

    let d = TempDir::new("twice");
    d.write("common.conf", "shared\n");
    let main = d.write("main.conf", "include common.conf\ninclude common.conf\n");
    let p = preprocess(&main, &opts(None));
    assert!(p.diags.is_empty(), "{:?}", p.diags);
    assert_eq!(texts(&p), ["shared", "shared"]);
}
