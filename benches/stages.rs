//! In-process stages of `check`, timed separately with divan on a generated platform
//! (bench/gen_spec.py's shape, built here in Rust so the bench needs no Python):
//! parse (KDL → model), compile (parse + resolve + lint + graph), emit (every output file in
//! memory), compare (emitted files against an output/ on disk), render (1,000 warnings for a
//! person). `cargo bench --bench stages`; whole processes and peers: `bash scripts/bench`.

use std::sync::OnceLock;

fn main() {
    divan::main();
}

mod common;
use common::spec;

const SIZES: [usize; 2] = [100, 1000];

fn text(n: usize) -> &'static str {
    static SPECS: OnceLock<Vec<(usize, String)>> = OnceLock::new();
    let specs = SPECS.get_or_init(|| SIZES.iter().map(|&n| (n, spec(n, false))).collect());
    specs
        .iter()
        .find(|(k, _)| *k == n)
        .map(|(_, t)| t.as_str())
        .unwrap_or("")
}

#[divan::bench(args = SIZES)]
fn parse(n: usize) -> maestroc::spec::Parsed {
    maestroc::spec::parse(text(n))
}

#[divan::bench(args = SIZES)]
fn compile(n: usize) -> bool {
    maestroc::resolve::compile(text(n)).0.is_some()
}

#[divan::bench(args = SIZES)]
fn emit(bencher: divan::Bencher, n: usize) {
    let compiled = maestroc::resolve::compile(text(n)).0.expect("compiles");
    bencher.bench_local(|| maestroc::emit::emit(&compiled).expect("emits").len());
}

#[divan::bench(args = SIZES)]
fn compare(bencher: divan::Bencher, n: usize) {
    let compiled = maestroc::resolve::compile(text(n)).0.expect("compiles");
    let files = maestroc::emit::emit(&compiled).expect("emits");
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, content) in &files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    bencher.bench_local(|| {
        maestroc::output::compare(dir.path(), &files, &maestroc::output::full_scope())
            .expect("compares")
            .len()
    });
}

#[divan::bench]
fn render_1000_warnings(bencher: divan::Bencher) {
    let text = spec(1000, true);
    let (_, findings) = maestroc::resolve::compile(&text);
    let findings = findings.into_sorted();
    let source = maestroc::report::SourceFile::new("platform.kdl", text.as_str());
    bencher.bench_local(|| maestroc::report::human(&findings, &source, false, true).len());
}
