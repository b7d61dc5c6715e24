//! A fast reader for the part of KDL 2.0 that specs are written in, building the same
//! `kdl::KdlDocument` (names, values, properties, children and every span) that the `kdl` crate
//! builds, at a small fraction of its cost.
//!
//! Why: at 1,000 services the `kdl` crate's parser was 119 of the 126 ms the front end takes
//! (BENCHMARKS.md). The reader is deliberately partial: it accepts plain identifiers, quoted
//! strings with the common escapes, decimal integers and floats, `#true`/`#false`/`#null`,
//! properties, child blocks, `//` comments, `;` and `/-` on nodes and entries. On anything
//! else — a syntax error, a raw or multi-line string, a type annotation, a block comment, an
//! escaped line, a non-ASCII character outside a string or comment, a number in another base —
//! it gives up (`None`) and the caller parses with `kdl`, which also writes the diagnostics.
//! So a document this reader accepts must be one `kdl` accepts with the same meaning and
//! spans; `tests/kdl_reader.rs` and the `kdl_reader` fuzz target compare the two.

use kdl::{KdlDocument, KdlEntry, KdlIdentifier, KdlNode, KdlValue};
use miette::SourceSpan;

/// Reads `text` as KDL, or `None` when it uses anything outside the subset described above.
pub fn read(text: &str) -> Option<KdlDocument> {
    let mut r = Reader {
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    let doc = r.nodes()?;
    (r.pos == r.src.len()).then_some(doc)
}

/// Deeper nesting than this goes to `kdl` (which has its own limits and messages).
const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

fn span(start: usize, end: usize) -> SourceSpan {
    SourceSpan::new(start.into(), end - start)
}

/// Characters a plain identifier may hold in this subset (ASCII only; KDL allows more).
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_'
                | b'.'
                | b':'
                | b'+'
                | b'*'
                | b'!'
                | b'?'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'<'
                | b'>'
                | b'@'
                | b'^'
                | b'|'
                | b'~'
                | b','
                | b'`'
        )
}

/// Code points KDL forbids in a document or treats as a newline: the reader leaves every
/// document holding one to `kdl`.
fn is_unusual_char(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    ) || c == '\r'
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A newline (LF or CRLF) at the cursor, consumed.
    fn newline(&mut self) -> bool {
        match (self.peek(), self.peek_at(1)) {
            (Some(b'\n'), _) => {
                self.pos += 1;
                true
            }
            (Some(b'\r'), Some(b'\n')) => {
                self.pos += 2;
                true
            }
            _ => false,
        }
    }

    /// The text of a `//` comment up to (not including) its newline; `None` on a character
    /// the reader leaves to `kdl`.
    fn line_comment(&mut self) -> Option<()> {
        self.pos += 2;
        let rest = &self.text[self.pos..];
        let end = rest.find('\n').unwrap_or(rest.len());
        let mut body = &rest[..end];
        if let Some(b) = body.strip_suffix('\r') {
            body = b;
        }
        if body.chars().any(is_unusual_char) {
            return None;
        }
        self.pos += body.len();
        Some(())
    }

    /// Blank lines, spaces and `//` comments between nodes, and `/-` nodes.
    fn line_space(&mut self) -> Option<()> {
        loop {
            self.skip_spaces();
            match (self.peek(), self.peek_at(1)) {
                (Some(b'/'), Some(b'/')) => self.line_comment()?,
                (Some(b'/'), Some(b'-')) => {
                    self.pos += 2;
                    self.skip_spaces();
                    self.base_node()?;
                    // What may follow a commented-out node, kept simple.
                    self.skip_spaces();
                    match (self.peek(), self.peek_at(1)) {
                        (None | Some(b'\n' | b'\r' | b'}'), _) | (Some(b'/'), Some(b'/')) => {}
                        _ => return None,
                    }
                }
                _ => {
                    if !self.newline() {
                        return Some(());
                    }
                }
            }
        }
    }

    /// `nodes`: until the end of the text or a `}`.
    fn nodes(&mut self) -> Option<KdlDocument> {
        let mut doc = KdlDocument::new();
        self.line_space()?;
        let start = self.pos;
        let mut end = start;
        loop {
            match self.peek() {
                None | Some(b'}') => break,
                _ => {}
            }
            let node = self.base_node()?;
            end = self.pos;
            doc.nodes_mut().push(node);
            // The node's terminator.
            match (self.peek(), self.peek_at(1)) {
                (Some(b';'), _) => self.pos += 1,
                (Some(b'/'), Some(b'/')) => self.line_comment()?,
                (None | Some(b'}'), _) => {}
                _ => {
                    if !self.newline() {
                        return None;
                    }
                }
            }
            self.line_space()?;
        }
        doc.set_span(span(start, end));
        Some(doc)
    }

    /// One node, from its name to the spaces after its last entry or child block (the span
    /// `kdl` gives it); the terminator is left for the caller.
    fn base_node(&mut self) -> Option<KdlNode> {
        let start = self.pos;
        let name = self.string_token()?;
        let mut node = KdlNode::new(name);
        loop {
            let before = self.pos;
            self.skip_spaces();
            let spaced = self.pos > before;
            match (self.peek(), self.peek_at(1)) {
                (Some(b'{'), _) if spaced => {
                    let children = self.children()?;
                    node.set_children(children);
                    self.skip_spaces();
                    match (self.peek(), self.peek_at(1)) {
                        (None | Some(b'\n' | b'\r' | b';' | b'}'), _)
                        | (Some(b'/'), Some(b'/')) => {
                            break;
                        }
                        _ => return None,
                    }
                }
                (None | Some(b'\n' | b'\r' | b';' | b'}'), _) | (Some(b'/'), Some(b'/')) => break,
                (Some(b'/'), Some(b'-')) if spaced => {
                    self.pos += 2;
                    self.skip_spaces();
                    if self.peek() == Some(b'{') {
                        return None;
                    }
                    self.entry()?;
                }
                _ if spaced => {
                    let entry = self.entry()?;
                    node.entries_mut().push(entry);
                }
                _ => return None,
            }
        }
        node.set_span(span(start, self.pos));
        Some(node)
    }

    fn children(&mut self) -> Option<KdlDocument> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.pos += 1; // `{`
        let doc = self.nodes()?;
        if self.peek() != Some(b'}') {
            return None;
        }
        self.pos += 1;
        self.depth -= 1;
        Some(doc)
    }

    /// An argument or a property.
    fn entry(&mut self) -> Option<KdlEntry> {
        let start = self.pos;
        match self.peek()? {
            b'"' | b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let key_or_value = self.string_token()?;
                let after = self.pos;
                self.skip_spaces();
                if self.peek() == Some(b'=') {
                    self.pos += 1;
                    self.skip_spaces();
                    let value = self.value()?;
                    let mut entry = KdlEntry::new_prop(key_or_value, value);
                    entry.set_span(span(start, self.pos));
                    Some(entry)
                } else {
                    self.pos = after;
                    let mut entry = KdlEntry::new(KdlValue::String(key_or_value.value().into()));
                    entry.set_span(span(start, self.pos));
                    Some(entry)
                }
            }
            _ => {
                let value = self.value()?;
                let mut entry = KdlEntry::new(value);
                entry.set_span(span(start, self.pos));
                Some(entry)
            }
        }
    }

    /// A value after `=` or as an argument.
    fn value(&mut self) -> Option<KdlValue> {
        match self.peek()? {
            b'"' | b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let s = self.string_token()?;
                Some(KdlValue::String(s.value().into()))
            }
            b'#' => {
                let rest = &self.src[self.pos..];
                let (value, len) = if rest.starts_with(b"#true") {
                    (KdlValue::Bool(true), 5)
                } else if rest.starts_with(b"#false") {
                    (KdlValue::Bool(false), 6)
                } else if rest.starts_with(b"#null") {
                    (KdlValue::Null, 5)
                } else {
                    return None;
                };
                self.pos += len;
                self.value_ends()?;
                Some(value)
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// What may follow a value here: a space, a newline, `;`, `}` or the end.
    fn value_ends(&self) -> Option<()> {
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'}') => Some(()),
            _ => None,
        }
    }

    /// `-?[0-9]+` or `-?[0-9]+.[0-9]+`: no underscores, exponents or other bases.
    fn number(&mut self) -> Option<KdlValue> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let int_digits = self.pos - digits;
        if int_digits == 0 || int_digits > 30 {
            return None;
        }
        let value = if self.peek() == Some(b'.') {
            self.pos += 1;
            let frac = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == frac || self.pos - frac > 30 {
                return None;
            }
            KdlValue::Float(self.text[start..self.pos].parse().ok()?)
        } else {
            KdlValue::Integer(self.text[start..self.pos].parse().ok()?)
        };
        self.value_ends()?;
        Some(value)
    }

    /// A node name, property key or string value: a plain identifier or a quoted string.
    fn string_token(&mut self) -> Option<KdlIdentifier> {
        let start = self.pos;
        let value = match self.peek()? {
            b'"' => self.quoted()?,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while self.peek().is_some_and(is_ident_byte) {
                    self.pos += 1;
                }
                let word = &self.text[start..self.pos];
                // Keywords without `#` are errors in KDL 2; leave them to `kdl`'s message.
                if matches!(word, "true" | "false" | "null" | "inf" | "nan") {
                    return None;
                }
                word.to_string()
            }
            _ => return None,
        };
        match self.peek() {
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'}' | b'=') => {}
            _ => return None,
        }
        let mut ident = KdlIdentifier::from(value);
        ident.set_span(span(start, self.pos));
        Some(ident)
    }

    /// A single-line quoted string with the escapes `\" \\ \b \f \n \r \t \s \u{…}`.
    fn quoted(&mut self) -> Option<String> {
        if self.src.get(self.pos..self.pos + 3) == Some(b"\"\"\"") {
            return None;
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let stop = rest.find(['"', '\\', '\n'])?;
            let plain = &rest[..stop];
            if plain.chars().any(is_unusual_char) {
                return None;
            }
            out.push_str(plain);
            self.pos += stop;
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    let c = match self.peek_at(1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b's' => ' ',
                        b'u' => {
                            let tail = self.text.get(self.pos + 2..)?;
                            let hex = tail.strip_prefix('{')?;
                            let close = hex.find('}')?;
                            if close == 0
                                || close > 6
                                || !hex[..close].bytes().all(|b| b.is_ascii_hexdigit())
                            {
                                return None;
                            }
                            let c = char::from_u32(u32::from_str_radix(&hex[..close], 16).ok()?)?;
                            self.pos += 2 + 1 + close + 1;
                            out.push(c);
                            continue;
                        }
                        _ => return None,
                    };
                    self.pos += 2;
                    out.push(c);
                }
                _ => return None,
            }
        }
    }
}

/// Where this reader and `kdl` disagree on `text`, described; `None` when the reader declined
/// the text or both built the same document. Used by the differential tests and fuzz target.
#[doc(hidden)]
pub fn disagreement(text: &str) -> Option<String> {
    let fast = read(text)?;
    match text.parse::<KdlDocument>() {
        Err(e) => Some(format!("kdl rejects what the reader accepted: {e:?}")),
        Ok(slow) => compare_docs(&fast, &slow, "document"),
    }
}

fn compare_docs(fast: &KdlDocument, slow: &KdlDocument, at: &str) -> Option<String> {
    if fast.nodes().len() != slow.nodes().len() {
        return Some(format!(
            "{at}: {} nodes, kdl {}",
            fast.nodes().len(),
            slow.nodes().len()
        ));
    }
    if fast.span() != slow.span() {
        return Some(format!(
            "{at}: span {:?}, kdl {:?}",
            fast.span(),
            slow.span()
        ));
    }
    for (i, (f, s)) in fast.nodes().iter().zip(slow.nodes()).enumerate() {
        let at = format!("{at} > node {i} `{}`", s.name().value());
        let same_name = f.name().value() == s.name().value() && f.name().span() == s.name().span();
        if !same_name || f.span() != s.span() || f.ty().is_some() || s.ty().is_some() {
            return Some(format!(
                "{at}: name {:?}@{:?} span {:?}, kdl {:?}@{:?} span {:?} (type {:?})",
                f.name().value(),
                f.name().span(),
                f.span(),
                s.name().value(),
                s.name().span(),
                s.span(),
                s.ty()
            ));
        }
        if f.entries().len() != s.entries().len() {
            return Some(format!(
                "{at}: {} entries, kdl {}",
                f.entries().len(),
                s.entries().len()
            ));
        }
        for (j, (fe, se)) in f.entries().iter().zip(s.entries()).enumerate() {
            let names = match (fe.name(), se.name()) {
                (None, None) => true,
                (Some(a), Some(b)) => a.value() == b.value() && a.span() == b.span(),
                _ => false,
            };
            if !names || fe.value() != se.value() || fe.span() != se.span() || se.ty().is_some() {
                return Some(format!("{at} > entry {j}: {fe:?}, kdl {se:?}"));
            }
        }
        match (f.children(), s.children()) {
            (None, None) => {}
            (Some(fc), Some(sc)) => {
                if let Some(d) = compare_docs(fc, sc, &at) {
                    return Some(d);
                }
            }
            _ => return Some(format!("{at}: children differ in presence")),
        }
    }
    None
}
