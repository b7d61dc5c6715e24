//! The rule catalogue: every code maestroc can report, its name, default severity and the
//! explanation `maestroc explain` prints. This table is the single source for all of them.
//!
//! Codes are stable: scripts, `maestroc.toml` files and CI configs depend on them. A code is
//! never reused for a different meaning.

mod admission;
pub use admission::widened_policy;
mod drift;
mod hygiene;
mod ports;
mod secrets;
mod spec;

use crate::diagnostic::Severity;

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    /// Named after what it flags (`nodeport-collision`).
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// What it does / Why it matters / Example / Fix.
    pub explanation: &'static str,
}

/// Every rule, in code order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    spec::RULES
        .iter()
        .chain(ports::RULES)
        .chain(drift::RULES)
        .chain(secrets::RULES)
        .chain(hygiene::RULES)
        .chain(admission::RULES)
}

/// Looks a rule up by code (`MC104`) or name (`nodeport-collision`), case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    all().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// The rule for a code the program itself emits; a typo here is a bug, caught by the tests.
pub fn rule(code: &str) -> &'static Rule {
    match find(code) {
        Some(r) => r,
        None => panic!("internal error: rule {code} is not in the catalogue"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for r in all() {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
        }
    }

    #[test]
    fn every_rule_is_documented_in_the_fixed_layout() {
        for r in all() {
            assert!(r.code.starts_with("MC") && r.code.len() == 5, "{}", r.code);
            for heading in ["What it does", "Why it matters", "Example", "Fix"] {
                assert!(
                    r.explanation.contains(heading),
                    "{} lacks a '{heading}' section",
                    r.code
                );
            }
        }
    }

    #[test]
    fn codes_are_in_order() {
        let codes: Vec<_> = all().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
    }
}
