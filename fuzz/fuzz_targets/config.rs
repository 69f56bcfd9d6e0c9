//! The whole configuration pipeline (preprocessor, lexer, model, validation)
//! on arbitrary bytes: it must never panic or hang.
#![no_main]

use std::path::Path;

use keepalived_rs::config::{load_str, preprocess::Options, validate::SystemView};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let loaded = load_str(Path::new("fuzz.conf"), &text, &Options::default(), &SystemView::default());
    for d in &loaded.diags {
        let _ = loaded.sources.render(d);
    }
    let _ = keepalived_rs::config::dump(&loaded.config);
});
