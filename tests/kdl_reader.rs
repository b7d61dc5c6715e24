//! The fast KDL reader (`spec::syntax`) against the `kdl` crate, which passes the KDL 2.0
//! specification's test suite: wherever the reader accepts a text, `kdl` must accept it too
//! and build the same document — names, values, properties, children and every span.
//! The reader may decline anything (the spec is then parsed by `kdl`); it must not decline the
//! specs people write, or the fast path is never taken.

use std::path::{Path, PathBuf};

use maestroc::spec::syntax::{disagreement, read};
use proptest::prelude::*;

fn kdl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            kdl_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "kdl") {
            out.push(path);
        }
    }
}

#[test]
fn every_spec_in_the_repository_reads_the_same_as_kdl() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("platform.kdl")];
    kdl_files(&root.join("tests/fixtures"), &mut files);
    // Specs nested past the limit never reach either reader (`spec::check_depth` refuses them
    // first); fed to `kdl` directly they would overflow this test's stack.
    files.retain(|f| {
        std::fs::read_to_string(f).map_or(true, |t| maestroc::spec::check_depth(&t).is_none())
    });
    assert!(files.len() > 40, "found only {} specs", files.len());
    let mut accepted = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // non-UTF-8 fixtures are the loader's business
        };
        if let Some(d) = disagreement(&text) {
            panic!("{}: {d}", file.display());
        }
        if read(&text).is_some() {
            accepted += 1;
        }
    }
    // Every spec that is valid KDL in this repository uses only the subset; most broken ones
    // are declined. Counted so that a reader that declines everything fails here.
    let valid = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .filter(|t| t.parse::<kdl::KdlDocument>().is_ok())
        .count();
    assert!(
        accepted * 10 >= valid * 9,
        "the reader took {accepted} of {valid} valid specs"
    );
}

#[test]
fn the_specs_people_write_take_the_fast_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in [
        "platform.kdl",
        "tests/fixtures/fleet/platform.kdl",
        "tests/fixtures/shop/platform.kdl",
        "tests/fixtures/bank-adopt/platform.kdl",
        "tests/fixtures/operations/platform.kdl",
    ] {
        let text = std::fs::read_to_string(root.join(rel)).expect("fixture");
        assert!(read(&text).is_some(), "{rel} fell back to the kdl crate");
    }
}

/// Texts inside the subset, each of which must be read (and agree with `kdl`).
const ACCEPTED: &[&str] = &[
    "",
    "\n\n",
    "a",
    "a;b;c",
    "a 1 -2 3.25 -0.5 007",
    "a \"x\" y=\"z\" k = v #true #false #null",
    "a \"esc \\\" \\\\ \\n \\t \\s \\b \\f \\r \\u{1F600} \\u{e9}\"",
    "a \"ünïcødé — ok\" // comment — with a dash\nb",
    "a {\n  b 1\n  c { d; e }\n}\n",
    "a { }",
    "a {}",
    "a x {\n}   \n",
    "/- a 1 { b }\nc",
    "a /- 1 2 /-k=v z=3",
    "a 1   // trailing\n  b  \n",
    "a\r\nb 1\r\n",
    "node-name with.dots:and_colons x-y+z",
    "\"quoted name\" \"quoted key\"=1",
    "a {\n  b\n}; c",
    "   \t a \t 1 \t",
];

/// Texts the reader must decline: not KDL at all, or outside the subset.
const DECLINED: &[&str] = &[
    "a }",
    "a {",
    "{ a }",
    "a true",
    "a k=",
    "a=1",
    "a \"unterminated",
    "a \"bad \\q escape\"",
    "a 1a",
    "a #maybe",
    "a (t)1",
    "(t)a",
    "a #\"raw\"#",
    "a \"\"\"\nmulti\n\"\"\"",
    "a /* block */ 1",
    "a 0x1F",
    "a 1e3",
    "a 1_000",
    "a \\\n  1",
    "\u{feff}a",
    "a\rb",
    "a \"x\u{202e}y\"",
    "a\"x\"",
    "a 1{ b }",
    "a x=1=2",
    "a ünïcode",
    "a; /- b; c",
];

#[test]
fn the_subset_is_read_and_everything_else_declined() {
    for text in ACCEPTED {
        assert!(read(text).is_some(), "declined {text:?}");
        assert_eq!(disagreement(text), None, "{text:?}");
    }
    for text in DECLINED {
        assert!(read(text).is_none(), "accepted {text:?}");
    }
}

/// Tokens a generated document is made of: valid pieces and pieces that break it.
const TOKENS: &[&str] = &[
    "a",
    "svc-1",
    "port",
    "x.y",
    "\"s\"",
    "\"é \\n\"",
    "\"\"",
    "1",
    "-2",
    "3.5",
    "0",
    "#true",
    "#null",
    "k=1",
    "k=v",
    "k = \"v\"",
    "{",
    "}",
    "{ }",
    ";",
    "\n",
    "\r\n",
    " ",
    "  ",
    "\t",
    "/-",
    "// c\n",
    "=",
    "\"",
    "\\",
    "(t)",
    "#",
    "1e5",
    "true",
    "é",
    "/* c */",
    "\u{feff}",
    "-",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Random token soups: whatever the reader accepts, `kdl` reads the same way.
    #[test]
    fn token_soups_agree(picks in proptest::collection::vec((0..TOKENS.len(), 0..3usize), 0..40)) {
        let mut text = String::new();
        for (i, space) in picks {
            text.push_str(TOKENS[i]);
            text.push_str(["", " ", "\n"][space]);
        }
        prop_assert_eq!(disagreement(&text), None, "{:?}", text);
    }

    /// Real specs with a few bytes cut out or a token put in.
    #[test]
    fn mutated_specs_agree(cut in 0..40_000usize, len in 0..4usize, ins in 0..TOKENS.len()) {
        let base = include_str!("../platform.kdl");
        let at = cut % base.len();
        let at = (0..=at).rev().find(|i| base.is_char_boundary(*i)).unwrap_or(0);
        let end = (at + len..=base.len()).find(|i| base.is_char_boundary(*i)).unwrap_or(base.len());
        let text = format!("{}{}{}", &base[..at], TOKENS[ins], &base[end..]);
        prop_assert_eq!(disagreement(&text), None);
    }
}
