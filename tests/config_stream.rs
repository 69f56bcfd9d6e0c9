//! The streamed load pipeline (preprocessor lines -> incremental lexer ->
//! model, one top-level statement at a time) gives exactly what the
//! whole-file pipeline (every line, then the whole tree, then the model)
//! gives: same diagnostics in the same order, same rendering, same model.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::path::{Path, PathBuf};

use keepalived_rs::config::build::{self, Ctx};
use keepalived_rs::config::error::{Class, Diagnostic, SourceMap};
use keepalived_rs::config::model::Config;
use keepalived_rs::config::preprocess::{self, Options};
use keepalived_rs::config::validate::SystemView;
use keepalived_rs::config::{Loaded, dump, lexer, load, load_str};

mod common;

/// The pipeline as it was before streaming: all lines, all statements, then the model.
fn whole(pre: preprocess::Preprocessed) -> (Config, Vec<Diagnostic>, SourceMap) {
    let sys = SystemView::default();
    let parsed = lexer::parse_lines(&pre.lines);
    let mut diags = pre.diags;
    diags.extend(parsed.diags);
    let mut ctx = Ctx::default();
    let mut cfg = Config::default();
    ctx.apply_tables(
        &mut cfg,
        &parsed.stmts,
        &[build::global::TOP, build::vrrp::TOP, build::lvs::TOP, build::bfd::TOP],
    );
    build::global::validate(&mut cfg, &sys, &mut ctx);
    build::vrrp::validate(&mut cfg, &sys, &mut ctx);
    build::lvs::validate(&mut cfg, &sys, &mut ctx);
    build::bfd::validate(&mut cfg, &sys, &mut ctx);
    // (The script security check is left out: `same` compares the rest.)
    diags.extend(ctx.diags);
    (cfg, diags, pre.sources)
}

fn rendered(sources: &SourceMap, diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| sources.render(d)).collect()
}

/// Compares, leaving out the script security message (added by `load` only).
fn same(what: &str, streamed: &Loaded, reference: (Config, Vec<Diagnostic>, SourceMap)) {
    let (cfg, diags, sources) = reference;
    let diags: Vec<Diagnostic> = diags.into_iter().map(|d| Diagnostic { part: None, ..d }).collect();
    // (Which process logs a diagnostic, and in which order, is the streamed
    // load's business.)
    let mut ours: Vec<Diagnostic> = streamed
        .diags
        .iter()
        .filter(|d| d.class != Class::ScriptSecurity)
        .map(|d| Diagnostic { part: None, ..d.clone() })
        .collect();
    // `load` orders the diagnostics as keepalived prints them (by part, then
    // line); the reference does not: compare them in one canonical order.
    let key = |d: &Diagnostic| (d.span.map(|s| (s.file.0, s.line, s.col)), d.message.clone());
    let mut diags = diags;
    diags.sort_by_key(key);
    ours.sort_by_key(key);
    if ours.iter().any(|d| d.class == Class::Abort) {
        // keepalived stops reading at a keyword missing its parameter: `load`
        // keeps what was said up to it (in its order), the reference all.
        assert!(ours.iter().all(|d| diags.contains(d)), "{what}: diagnostics differ");
        diags.retain(|d| ours.contains(d));
    }
    assert_eq!(ours, diags, "{what}: diagnostics differ");
    assert_eq!(rendered(&streamed.sources, &ours), rendered(&sources, &diags), "{what}: rendering differs");
    assert_eq!(dump(&streamed.config), dump(&cfg), "{what}: model differs");
}

fn conf_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            conf_files(&p, out);
        } else if p.file_name().is_some_and(|n| n.to_string_lossy().contains(".conf")) {
            out.push(p);
        }
    }
}

#[test]
fn files_load_the_same_streamed_and_whole() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    conf_files(&root.join("tests/data/config"), &mut files);
    let before = files.len();
    conf_files(&common::samples_dir(), &mut files);
    assert_eq!(files.len() - before, 25, "upstream's 25 samples");
    assert!(!files.is_empty());
    let opts = Options::default();
    for f in &files {
        let streamed = load(f, &opts, &SystemView::default());
        same(&f.display().to_string(), &streamed, whole(preprocess::preprocess(f, &opts)));
    }
}

#[test]
fn tricky_texts_load_the_same_streamed_and_whole() {
    let texts = [
        "",
        "}\n}\n{\n",
        "virtual_server 10.0.0.1 80\n{\n  real_server 10.0.0.2 80\n  {\n    TCP_CHECK\n    {\n    }\n  }\n}\n",
        "virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 { weight 2 } } virtual_server 10.0.0.3 80 {\n",
        "virtual_server 10.0.0.1 80 { } { lb_algo rr }\nvrrp_instance X {\n state 'MASTER\n",
        "global_defs {\n lvs_flush\n}\nglobal_defs\n\n{\n bogus_keyword 1\n}\nvirtual_server_group G {\n 10.0.0.1 80\n",
        "$X=virtual_server 10.0.0.9 80 {\n$X\n delay_loop 3\n}\n~SEQ(i, 1, 3) virtual_server 10.0.1.$i 80 { }\n",
        "real_server 1.2.3.4 80 {\n}\nunknown_top { a { b { c\n",
    ];
    let opts = Options::default();
    for t in texts {
        let name = Path::new("t.conf");
        let streamed = load_str(name, t, &opts, &SystemView::default());
        same(t, &streamed, whole(preprocess::preprocess_str(name, t, &opts)));
    }
}

/// A configuration read from a pipe cannot be read again for a message: its
/// text is kept, and nothing blocks on opening the pipe a second time.
#[test]
fn a_pipe_is_read_once_and_its_lines_are_still_shown() {
    let dir = common::TempDir::new("stream-fifo");
    let fifo = dir.join("k.conf");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if !common::require("mkfifo (coreutils)", made) {
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, "global_defs {\n  bogus_kw 1\n}\n"))
    };
    let loaded = load(&fifo, &Options::default(), &SystemView::default());
    let wrote = writer.join();
    let shown: Vec<String> = loaded.diags.iter().map(|d| loaded.sources.render(d)).collect();
    drop(dir);
    assert!(matches!(wrote, Ok(Ok(()))));
    let bogus = shown.iter().find(|r| r.contains("Unknown keyword 'bogus_kw'"));
    assert!(bogus.is_some_and(|r| r.contains("2 |   bogus_kw 1")), "{shown:?}");
}

/// Each process reads only its parts (`load_parts`): what it says of them,
/// and of the part every process reads, is what a full read says, and it
/// knows which children the skipped parts need.
#[test]
fn each_part_reads_as_a_full_read_does() {
    use keepalived_rs::config::model::{Part, Parts};
    use keepalived_rs::config::{dump_part, load_parts};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    conf_files(&root.join("tests/data/config"), &mut files);
    let before = files.len();
    conf_files(&common::samples_dir(), &mut files);
    assert_eq!(files.len() - before, 25, "upstream's 25 samples");
    let opts = Options::default();
    let sys = SystemView::default();
    let (mut skipped_blocks, mut said) = (0, 0);
    for f in &files {
        let full = load(f, &opts, &sys);
        for parts in [Parts::GLOBAL, Parts::VRRP, Parts::CHECKER, Parts::BFD] {
            let what = format!("{} read as {parts:?}", f.display());
            let partial = load_parts(f, &opts, &sys, parts);
            let read = |d: &&Diagnostic| d.part.is_none_or(|p| parts.has(p));
            // Structure problems inside a skipped block are for its reader to say.
            let (full_syntax, full_rest): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
                full.diags.iter().filter(read).partition(|d| d.class == Class::Syntax);
            let (ours_syntax, ours_rest): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
                partial.diags.iter().partition(|d| d.class == Class::Syntax);
            let script = |d: &&&Diagnostic| d.class != Class::ScriptSecurity;
            assert_eq!(
                full_rest.iter().filter(script).collect::<Vec<_>>(),
                ours_rest.iter().filter(script).collect::<Vec<_>>(),
                "{what}"
            );
            assert!(ours_syntax.iter().all(|d| full_syntax.contains(d)), "{what}");
            assert!(partial.diags.iter().all(|d| d.part.is_none_or(|p| parts.has(p))), "{what}");
            said += ours_rest.len();
            for part in [None, Some(Part::Vrrp), Some(Part::Lvs), Some(Part::Bfd)] {
                if part.is_none_or(|p| parts.has(p)) {
                    assert_eq!(dump_part(&partial.config, part), dump_part(&full.config, part), "{what}");
                }
            }
            // The parent starts the children a full read would need.
            assert!(!full.config.needs_vrrp() || partial.config.needs_vrrp(), "{what}");
            assert!(!full.config.needs_checker() || partial.config.needs_checker(), "{what}");
            assert!(!full.config.needs_bfd() || partial.config.needs_bfd(), "{what}");
            let s = partial.config.skipped;
            skipped_blocks += s.vrrp_instances + s.virtual_servers + s.bfd_instances;
            assert_eq!(s.vrrp_instances > 0, !parts.vrrp && partial.config.needs_vrrp(), "{what}");
        }
    }
    assert!(skipped_blocks > 100 && said > 100, "{skipped_blocks} blocks skipped, {said} diagnostics compared");
}
