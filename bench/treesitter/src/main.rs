//! Parses every Python, Go, TypeScript, Java and Rust file under a directory with tree-sitter
//! and reports the time, and what a parser would add over the scanner's regexes: for every
//! string literal that names an environment variable (ALL_CAPS), whether it sits inside an
//! `if` — the "conditional read" the scanner decides from block structure instead.
//! Usage: treesitter-measure DIR

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn language(path: &Path) -> Option<tree_sitter::Language> {
    Some(match path.extension()?.to_str()? {
        "py" => tree_sitter_python::LANGUAGE.into(),
        "go" => tree_sitter_go::LANGUAGE.into(),
        "ts" | "js" => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        "java" => tree_sitter_java::LANGUAGE.into(),
        "rs" => tree_sitter_rust::LANGUAGE.into(),
        _ => return None,
    })
}

/// Counts ALL_CAPS string literals and how many of them are inside an `if`.
fn walk(node: tree_sitter::Node, src: &[u8], in_if: bool, found: &mut (usize, usize)) {
    let kind = node.kind();
    let in_if = in_if || kind.starts_with("if_statement") || kind == "if_expression";
    if kind.contains("string") && node.child_count() <= 3 {
        let text = node.utf8_text(src).unwrap_or("");
        let inner = text.trim_matches(|c| c == '"' || c == '\'' || c == '`');
        if inner.len() > 2 && inner.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit()) {
            found.0 += 1;
            found.1 += usize::from(in_if);
        }
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        walk(child, src, in_if, found);
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: treesitter-measure DIR");
    let mut all = Vec::new();
    files(Path::new(&dir), &mut all);
    let started = Instant::now();
    // One parser per core, as the scanner walks with one thread per core.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = all.len().div_ceil(threads).max(1);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut parse = Duration::ZERO;
                    let (mut parsed, mut bytes, mut errors) = (0usize, 0usize, 0usize);
                    let mut found = (0usize, 0usize);
                    let mut parser = tree_sitter::Parser::new();
                    for path in part {
                        let Some(lang) = language(path) else { continue };
                        let Ok(src) = std::fs::read(path) else { continue };
                        parser.set_language(&lang).expect("grammar");
                        let t = Instant::now();
                        let Some(tree) = parser.parse(&src, None) else { continue };
                        parse += t.elapsed();
                        parsed += 1;
                        bytes += src.len();
                        errors += usize::from(tree.root_node().has_error());
                        walk(tree.root_node(), &src, false, &mut found);
                    }
                    (parse, parsed, bytes, errors, found)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let parse = results.iter().map(|r| r.0).max().unwrap_or_default();
    let parsed: usize = results.iter().map(|r| r.1).sum();
    let bytes: usize = results.iter().map(|r| r.2).sum();
    let errors: usize = results.iter().map(|r| r.3).sum();
    let found = results
        .iter()
        .fold((0, 0), |a, r| (a.0 + (r.4).0, a.1 + (r.4).1));
    println!(
        "tree-sitter ({threads} threads): {parsed} of {} files, {:.1} MB; parse {:.0} ms (slowest thread) ({:.1} MB/s), total with reading and walking {:.0} ms; {errors} trees with syntax errors; {} ALL_CAPS literals, {} inside an if",
        all.len(),
        bytes as f64 / 1e6,
        parse.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / parse.as_secs_f64(),
        started.elapsed().as_secs_f64() * 1e3,
        found.0,
        found.1
    );
}
