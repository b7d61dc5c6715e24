//! Whether a line of code runs only under a condition, and which environment variables that
//! condition reads: `if os.Getenv("ENABLE_TRACING") == "1" { … }`, `if tracing:`.
//!
//! Why: a service that reads `COLLECTOR_SERVICE_ADDR` only when `ENABLE_TRACING` is on needs
//! no collector address while its manifest leaves tracing off — reporting it as missing cried
//! wolf on the public shop demo. Decided from the text's structure, not a parser: the
//! enclosing block of a brace language (the nearest unmatched `{` and the line that opens it,
//! through loops and `try` blocks up to the function), or the enclosing indentation block in
//! Python. `tests/scan_conditions.rs` and the shop corpus hold both shapes; the note of issue
//! #10 gives the measurement behind choosing this over tree-sitter.

use std::sync::LazyLock;

use regex::Regex;

/// How a file's blocks are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Blocks {
    /// `{ … }`: Go, JavaScript/TypeScript, Java/Kotlin, C#, Rust.
    Braces,
    /// Indentation: Python.
    Indent,
}

/// The condition a read depends on.
#[derive(Debug, PartialEq, Eq)]
pub struct Condition {
    /// The condition as written (`if os.Getenv("ENABLE_TRACING") == "1"`), trimmed.
    pub text: String,
    /// Upper-case names the condition mentions: the feature flags it reads.
    pub flags: Vec<String>,
}

/// The innermost `if`/`else` that the code at byte `pos` runs under, if any, before the
/// function it is in.
pub fn enclosing(text: &str, blocks: Blocks, pos: usize) -> Option<Condition> {
    let head = match blocks {
        Blocks::Braces => braces(text, pos)?,
        Blocks::Indent => indent(text, pos)?,
    };
    static FLAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{3,}\b").expect("flag pattern")
    });
    let flags = FLAG
        .find_iter(&head)
        .map(|m| m.as_str().to_string())
        .collect();
    Some(Condition { text: head, flags })
}

/// `if __name__ == "__main__":` and `if (require.main === module)` choose the program's entry
/// point, not a feature: the code under them always runs when the service does.
fn is_entry_point_guard(head: &str) -> bool {
    head.contains("__name__") || head.contains("require.main") || head.contains("import.meta.main")
}

fn is_conditional(head: &str) -> bool {
    if is_entry_point_guard(head) {
        return false;
    }
    let h = head.trim_start_matches('}').trim_start();
    let h = h.strip_prefix("else").map_or(h, str::trim_start);
    h.is_empty() && head.contains("else")
        || h.starts_with("if ")
        || h.starts_with("if(")
        || h.starts_with("elif ")
}

/// Blocks a read inside may run under without any condition of their own.
fn is_loop(head: &str) -> bool {
    static LOOP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\}?\s*(?:for|foreach|while|do|switch|select|try|catch|finally|using|lock|loop|match|with)\b")
            .expect("loop pattern")
    });
    LOOP.is_match(head)
}

/// Words that open a function or a type: the search for a condition stops there.
fn opens_scope(head: &str) -> bool {
    static SCOPE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^\s*(?:func\b|fn\b|def\b|class\b|struct\b|impl\b|function\b|namespace\b|interface\b|(?:pub(?:\([a-z]+\))?\s+)?(?:async\s+)?fn\b)|=>\s*$|\)\s*(?:throws\s+[\w.,\s]+)?$|^\s*(?:public|private|protected|internal|static)\b",
        )
        .expect("scope pattern")
    });
    SCOPE.is_match(head)
}

fn braces(text: &str, pos: usize) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = pos.min(bytes.len());
    // Outward through at most a few enclosing blocks (loops, `try`, `switch`).
    for _ in 0..8 {
        let mut depth = 0usize;
        let open = loop {
            if i == 0 {
                return None;
            }
            i -= 1;
            match bytes[i] {
                b'}' => depth += 1,
                b'{' if depth == 0 => break i,
                b'{' => depth -= 1,
                _ => {}
            }
        };
        let line_start = text[..open].rfind('\n').map_or(0, |n| n + 1);
        let mut head = text[line_start..open].trim().to_string();
        if head.is_empty() {
            // Allman style: the `{` alone under its `if (…)`.
            let before = text[..line_start].trim_end();
            let prev_start = before.rfind('\n').map_or(0, |n| n + 1);
            head = before[prev_start..].trim().to_string();
        }
        if is_conditional(&head) {
            return Some(head);
        }
        if !is_loop(&head) && !is_entry_point_guard(&head) && opens_scope(&head) {
            return None;
        }
        i = open;
    }
    None
}

fn indent(text: &str, pos: usize) -> Option<String> {
    let pos = pos.min(text.len());
    let line_start = text[..pos].rfind('\n').map_or(0, |n| n + 1);
    let width = |l: &str| l.len() - l.trim_start().len();
    let line_end = text[pos..].find('\n').map_or(text.len(), |n| pos + n);
    let mut current = width(&text[line_start..line_end]);
    for line in text[..line_start].lines().rev() {
        let body = line.trim();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let w = width(line);
        if w >= current {
            continue;
        }
        current = w;
        if (body.starts_with("if ") || body.starts_with("elif ") || body.starts_with("else"))
            && !is_entry_point_guard(body)
        {
            return Some(body.trim_end_matches(':').to_string());
        }
        if body.starts_with("def ") || body.starts_with("async def ") || body.starts_with("class ")
        {
            return None;
        }
        if current == 0 {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str, blocks: Blocks) -> Option<Condition> {
        let pos = text.find(needle).expect("needle");
        enclosing(text, blocks, pos)
    }

    #[test]
    fn go_reads_inside_an_if_are_conditional_on_its_flags() {
        let go = "func main() {\n\tif os.Getenv(\"ENABLE_TRACING\") == \"1\" {\n\t\tc := os.Getenv(\"COLLECTOR_SERVICE_ADDR\")\n\t}\n\tx := os.Getenv(\"CART_SERVICE_ADDR\")\n}\n";
        let c = at(go, "COLLECTOR", Blocks::Braces).expect("conditional");
        assert_eq!(c.flags, vec!["ENABLE_TRACING"]);
        assert_eq!(at(go, "CART_SERVICE", Blocks::Braces), None);
    }

    #[test]
    fn loops_are_looked_through_and_functions_stop_the_search() {
        let js = "if (process.env.ENABLE_X === '1') {\n  for (const a of b) {\n    read(process.env.Y_ADDR);\n  }\n}\nfunction f() {\n  for (;;) { read(process.env.Z_ADDR); }\n}\n";
        assert_eq!(
            at(js, "Y_ADDR", Blocks::Braces).map(|c| c.flags),
            Some(vec!["ENABLE_X".to_string()])
        );
        assert_eq!(at(js, "Z_ADDR", Blocks::Braces), None);
    }

    #[test]
    fn allman_braces_and_else_branches() {
        let cs = "void F()\n{\n    if (!string.IsNullOrEmpty(Configuration[\"USE_REDIS\"]))\n    {\n        var a = Configuration[\"REDIS_ADDR\"];\n    }\n    else\n    {\n        var b = Configuration[\"SPANNER_ADDR\"];\n    }\n}\n";
        assert_eq!(
            at(cs, "REDIS_ADDR", Blocks::Braces).map(|c| c.flags),
            Some(vec!["USE_REDIS".to_string()])
        );
        assert!(at(cs, "SPANNER_ADDR", Blocks::Braces).is_some());
    }

    #[test]
    fn python_blocks_by_indentation() {
        let py = "def init():\n    # comment\n    if os.environ.get(\"ENABLE_TRACING\") == \"1\":\n        for _ in range(3):\n            c = os.environ['COLLECTOR_SERVICE_ADDR']\n    x = os.environ['CART_ADDR']\n\nif tracing:\n    y = os.environ['Y_ADDR']\n";
        assert_eq!(
            at(py, "COLLECTOR", Blocks::Indent).map(|c| c.flags),
            Some(vec!["ENABLE_TRACING".to_string()])
        );
        assert_eq!(at(py, "CART_ADDR", Blocks::Indent), None);
        let c = at(py, "Y_ADDR", Blocks::Indent).expect("conditional");
        assert_eq!((c.text.as_str(), c.flags.len()), ("if tracing", 0));
    }

    #[test]
    fn the_entry_point_guard_is_no_condition() {
        let py = "if __name__ == \"__main__\":\n    a = os.environ['A_ADDR']\n    if os.environ.get('ENABLE_B'):\n        b = os.environ['B_ADDR']\n";
        assert_eq!(at(py, "A_ADDR", Blocks::Indent), None);
        assert_eq!(
            at(py, "B_ADDR", Blocks::Indent).map(|c| c.flags),
            Some(vec!["ENABLE_B".to_string()])
        );
        let js = "if (require.main === module) {\n  const a = process.env.A_ADDR;\n}\n";
        assert_eq!(at(js, "A_ADDR", Blocks::Braces), None);
    }
}
