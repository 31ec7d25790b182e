//! The fuzz targets' corpus and crash reproducers (`fuzz/corpus/<target>/`, `fuzz/artifacts/<target>/`) as
//! regression tests: every file goes through the entry point its target calls, on stable Rust and without
//! libFuzzer, and must not fail its properties (see each entry point's documentation).

use std::path::{Path, PathBuf};

fn replay(target: &str, entry_point: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let corpus = files(&fuzz.join("corpus").join(target));
    assert!(!corpus.is_empty(), "fuzz/corpus/{target} is empty: run `make fuzz` or restore it");
    let reproducers = files(&fuzz.join("artifacts").join(target));
    let failed: Vec<String> = corpus
        .iter()
        .chain(&reproducers)
        .filter_map(|path| {
            let input = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            std::panic::catch_unwind(|| entry_point(&input)).is_err().then(|| path.display().to_string())
        })
        .collect();
    assert!(failed.is_empty(), "{target}: {} of {} inputs failed: {failed:#?}", failed.len(), corpus.len());
}

/// The files of `dir`, sorted; none when it does not exist (a target that never crashed has no artifacts).
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.map(|entry| entry.expect("a readable directory").path()).collect();
    files.retain(|path| path.is_file());
    files.sort();
    files
}

#[test]
fn signature_header() {
    replay("signature_header", payments_stripe::fuzzing::signature_header);
}

#[test]
fn event() {
    replay("event", payments_stripe::fuzzing::event);
}

#[test]
fn checkout_body() {
    replay("checkout_body", payments_http::fuzzing::checkout_body);
}

#[test]
fn form() {
    replay("form", payments_stripe_emulator::fuzzing::form);
}

#[test]
fn catalog_file() {
    replay("catalog_file", payments_app::fuzzing::catalog_file);
}
