//! Bounded property tests, run on every commit (a few seconds): the invariants fuzzing
//! guards, on stable Rust.
//! - any text, and any mutation of a real spec, gives a model or coded findings — never a
//!   panic — and every finding's spans lie inside the text;
//! - a spec that compiles is formatted by `fmt` into one that compiles to the same output;
//! - the emitters never fail on a spec that compiled.

use proptest::prelude::*;

const SEEDS: [&str; 4] = [
    include_str!("../platform.kdl"),
    include_str!("fixtures/fleet/platform.kdl"),
    include_str!("fixtures/shop/platform.kdl"),
    include_str!("fixtures/clean/near-misses.kdl"),
];

/// Pieces a person half-typing a spec leaves behind.
const FRAGMENTS: [&str; 16] = [
    "{",
    "}",
    "\"",
    "=",
    "#true",
    "-1",
    "99999",
    "port",
    "service \"x\" {",
    "depends-on ",
    "\n",
    "/-",
    "env A ",
    "{API_PORT}",
    "volume v \"/v\" ",
    "allow \"root\"",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, piece: usize },
    Duplicate { at: usize, len: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0usize..FRAGMENTS.len())
            .prop_map(|(at, piece)| Edit::Insert { at, piece }),
        (any::<usize>(), 1usize..200).prop_map(|(at, len)| Edit::Duplicate { at, len }),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    // A start anywhere in the text; an end clamped to it. Both on char boundaries.
    let boundary = |s: &str, i: usize| floor(s, i % s.len().max(1));
    let end = |s: &str, i: usize| floor(s, i.min(s.len()));
    for e in edits {
        match e {
            Edit::Delete { at, len } => {
                let a = boundary(&s, *at);
                let b = end(&s, a + len);
                if b > a {
                    s.replace_range(a..b, "");
                }
            }
            Edit::Insert { at, piece } => {
                let a = boundary(&s, *at);
                s.insert_str(a, FRAGMENTS[*piece]);
            }
            Edit::Duplicate { at, len } => {
                let a = boundary(&s, *at);
                let b = end(&s, a + len);
                let copy = s[a..b].to_string();
                s.insert_str(b, &copy);
            }
        }
    }
    s
}

fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Compiles `text`, emits when it compiled, and checks every span is inside the text (the
/// `front_end` fuzz target's invariant).
fn front_end(text: &str) {
    maestroc::fuzzing::front_end(text.as_bytes());
}

proptest! {
    // Failures print their minimal input; no regression files are written into the tree.
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=50000 turns this into a longer fuzzing session.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(96),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_specs_give_output_or_coded_findings(
        seed in 0usize..SEEDS.len(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        front_end(&apply(SEEDS[seed], &edits));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        front_end(&text);
        let _ = maestroc::fmt::format(&text);
    }

    #[test]
    fn formatting_keeps_what_a_spec_builds(
        seed in 0usize..SEEDS.len(),
        edits in proptest::collection::vec(edit(), 0..3),
    ) {
        // The `fmt_round_trip` fuzz target's invariant: a spec that compiles formats into one
        // that builds the same, and formatting again changes nothing.
        maestroc::fuzzing::fmt_round_trip(apply(SEEDS[seed], &edits).as_bytes());
    }
}

/// Found by `formatting_keeps_what_a_spec_builds`: a misspelt field inside a `patch` compiled
/// and then failed to emit. A patch is now proved while compiling, so a spec that compiles
/// always emits.
#[test]
fn regression_a_misspelt_patch_field_fails_the_compile_not_the_emit() {
    let text = SEEDS[3].replacen("matchExpressions", "matchExpressiportons", 1);
    assert_ne!(text, SEEDS[3], "the seed has an affinity patch");
    let (compiled, findings) = maestroc::resolve::compile(&text);
    assert!(compiled.is_none());
    let f = findings
        .iter()
        .find(|f| f.code() == "MC014")
        .expect("MC014");
    assert!(f.message.contains("matchExpressiportons"), "{}", f.message);
}
