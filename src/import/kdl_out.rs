//! Writing KDL: quoted strings, nested blocks with four-space indentation (what `maestroc fmt`
//! produces), and JSON trees as `patch` bodies (the reverse of `spec/patch.rs`).

use serde_json::Value;

/// A KDL string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Code points KDL 2.0 forbids in a document (controls, the BOM, bidi overrides):
            // written as escapes, so the string keeps its value and the file parses.
            c if c.is_control()
                || matches!(c, '\u{FEFF}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A KDL string as a bare identifier when it is a plain one (`cartservice`, `MLFLOW_DB`), and
/// quoted otherwise: names come from the input, which may hold anything.
pub fn word(s: &str) -> String {
    let mut chars = s.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(s, "true" | "false" | "null" | "inf" | "nan");
    if plain { s.to_string() } else { quote(s) }
}

/// A node with children.
pub struct Block {
    head: String,
    items: Vec<Item>,
}

enum Item {
    Line(String),
    Comment(String),
    Block(Block),
}

impl Block {
    pub fn new(head: String) -> Self {
        Block {
            head,
            items: Vec::new(),
        }
    }
    pub fn line(&mut self, l: String) {
        self.items.push(Item::Line(l));
    }
    pub fn comment(&mut self, c: String) {
        self.items.push(Item::Comment(c));
    }
    /// Removes the last `n` items (a stage undoing what it added).
    pub fn drop_last(&mut self, n: usize) {
        let keep = self.items.len().saturating_sub(n);
        self.items.truncate(keep);
    }

    pub fn block(&mut self, b: Block) {
        self.items.push(Item::Block(b));
    }
    pub fn render(&self, depth: usize) -> String {
        let pad = "    ".repeat(depth);
        let mut out = format!("{pad}{} {{\n", self.head);
        for item in &self.items {
            match item {
                Item::Line(l) => out.push_str(&format!("{pad}    {l}\n")),
                Item::Comment(c) => out.push_str(&format!("{pad}    // {c}\n")),
                Item::Block(b) => out.push_str(&b.render(depth + 1)),
            }
        }
        out.push_str(&format!("{pad}}}\n"));
        out
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Bool(b) => if *b { "#true" } else { "#false" }.to_string(),
        Value::Null => "#null".to_string(),
        other => other.to_string(),
    }
}

fn node(name: &str, v: &Value) -> Item {
    // `-` (a list item) is a bare identifier in KDL 2, as `spec/patch.rs` reads it.
    // Any other key is bare only when it is a plain identifier and no keyword (`inf`, `true`).
    let head = if name == "-" {
        name.to_string()
    } else {
        word(name)
    };
    match v {
        Value::Object(m) => {
            let mut b = Block::new(head);
            for (k, v) in m {
                b.items.push(node(k, v));
            }
            if b.items.is_empty() {
                return Item::Line(format!("{} {{ }}", b.head));
            }
            Item::Block(b)
        }
        Value::Array(a) => {
            let mut b = Block::new(head);
            for v in a {
                b.items.push(node("-", v));
            }
            Item::Block(b)
        }
        scalar_value => Item::Line(format!("{head} {}", scalar(scalar_value))),
    }
}

/// `patch "Kind" { … }` spelling `body`.
pub fn patch(kind: &str, body: &Value) -> Block {
    patch_of(kind, None, None, body)
}

/// `patch "Kind" name="…" reason="…" { … }`: the object named unlike the service, and why a
/// patch that widens a NetworkPolicy is there.
pub fn patch_of(kind: &str, name: Option<&str>, reason: Option<&str>, body: &Value) -> Block {
    let mut head = format!("patch {}", quote(kind));
    if let Some(n) = name {
        head.push_str(&format!(" name={}", quote(n)));
    }
    if let Some(r) = reason {
        head.push_str(&format!(" reason={}", quote(r)));
    }
    let mut b = Block::new(head);
    for (k, v) in body.as_object().into_iter().flatten() {
        b.items.push(node(k, v));
    }
    b
}

#[cfg(test)]
mod quote_tests {
    use super::quote;

    /// Found by the `import` fuzz target: a key holding U+FEFF was written raw, and KDL
    /// forbids that code point in a document. Every character now survives a parse.
    #[test]
    fn every_string_quotes_into_kdl_that_parses_back() {
        for s in [
            "MINI\u{feff}O",
            "a\u{0}b",
            "bidi\u{202e}x",
            "\u{7f}",
            "tab\tq\"\\",
            "ok",
        ] {
            let doc = format!("node {}", quote(s));
            let parsed: kdl::KdlDocument = doc.parse().unwrap_or_else(|e| panic!("{doc:?}: {e:?}"));
            let value = parsed.nodes()[0].entries()[0]
                .value()
                .as_string()
                .map(str::to_string);
            assert_eq!(value.as_deref(), Some(s), "{doc:?}");
        }
    }
}
