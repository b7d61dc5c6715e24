//! Parses every Python, Go, TypeScript, Java and Rust file under a directory with tree-sitter
//! and walks every tree (as a parser-based scanner would, to find env reads and the `if`s they
//! sit in), one thread per core; prints the time, the throughput and how many trees hold
//! syntax errors.
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

/// Visits every node, as a scanner looking for env reads and their enclosing `if` would.
fn walk(node: tree_sitter::Node, found: &mut (usize, usize)) {
    found.0 += 1;
    found.1 += usize::from(node.kind().starts_with("if_"));
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        walk(child, found);
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
                        walk(tree.root_node(), &mut found);
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
        "tree-sitter ({threads} threads): {parsed} of {} files, {:.1} MB; parse {:.0} ms (slowest thread) ({:.1} MB/s), total with reading and walking {:.0} ms; {errors} trees with syntax errors; {} nodes visited, {} of them `if`s",
        all.len(),
        bytes as f64 / 1e6,
        parse.as_secs_f64() * 1e3,
        bytes as f64 / 1e6 / parse.as_secs_f64(),
        started.elapsed().as_secs_f64() * 1e3,
        found.0,
        found.1
    );
}
