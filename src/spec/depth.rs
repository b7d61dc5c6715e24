//! The nesting limit, checked before any reader recurses: children blocks (`{`) and block
//! comments (`/*`, which nest in KDL) deeper than [`MAX_DEPTH`] are refused with MC001 at the
//! brace that crossed it. Both readers (the fast one and `kdl`'s) recurse per level, so input
//! that controls depth could otherwise overflow the stack; one linear pass here bounds them
//! all, whatever command reads the spec.

use miette::SourceSpan;

use crate::diagnostic::Finding;

/// Deeper than any real spec (a patch of a CronJob's container field is about 15 levels).
pub const MAX_DEPTH: usize = 100;

/// The first place `text` nests deeper than [`MAX_DEPTH`], as a finding.
pub fn check(text: &str) -> Option<Finding> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    let mut comment = 0usize;
    while i < b.len() {
        if comment > 0 {
            match (b[i], b.get(i + 1)) {
                (b'/', Some(b'*')) => {
                    comment += 1;
                    if comment > MAX_DEPTH {
                        return Some(too_deep(i, "block comments"));
                    }
                    i += 2;
                }
                (b'*', Some(b'/')) => {
                    comment -= 1;
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        match (b[i], b.get(i + 1)) {
            (b'/', Some(b'*')) => {
                comment = 1;
                i += 2;
            }
            (b'/', Some(b'/')) => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            (b'"', _) => i = skip_string(b, i),
            (b'#', Some(b'"' | b'#')) => i = skip_raw(b, i),
            (b'{', _) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(too_deep(i, "blocks"));
                }
                i += 1;
            }
            (b'}', _) => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// Past a quoted string starting at `i` (escapes honoured; `"""` multi-line strings too).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    let triple = b[i..].starts_with(b"\"\"\"");
    i += if triple { 3 } else { 1 };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' if triple && b[i..].starts_with(b"\"\"\"") => return i + 3,
            b'"' if !triple => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Past a raw string `#"…"#` (any number of `#`) starting at `i`.
fn skip_raw(b: &[u8], mut i: usize) -> usize {
    let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
    i += hashes;
    if b.get(i) != Some(&b'"') {
        return i;
    }
    i += 1;
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

fn too_deep(at: usize, what: &str) -> Finding {
    Finding::new(
        "MC001",
        format!("{what} nested deeper than {MAX_DEPTH} levels"),
    )
    .at(
        SourceSpan::new(at.into(), 1),
        format!("level {} opens here", MAX_DEPTH + 1),
    )
    .help("flatten the structure; no Kubernetes field needs this depth")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_input_is_refused_at_the_crossing_brace_and_strings_do_not_count() {
        let deep = "a { ".repeat(MAX_DEPTH * 10);
        let f = check(&deep).expect("refused");
        assert_eq!(f.labels[0].span.offset(), MAX_DEPTH * 4 + 2);
        let comments = "/* ".repeat(MAX_DEPTH * 10);
        assert!(check(&comments).is_some());
        let fine = format!("a \"{}\" {{ b #\"{{{{\"# }}", "{".repeat(500));
        assert!(check(&fine).is_none());
        assert!(check(&"a { ".repeat(MAX_DEPTH)).is_none());
    }
}
