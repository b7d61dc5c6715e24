//! Positions: the spec's byte offsets against LSP's (line, character) pairs, in whichever unit
//! the client and server agreed on at `initialize` (UTF-8 when the client offers it, else
//! UTF-16, the protocol's default). Also the file URI ↔ path mapping and the one-edit diff.

use lsp_types::{Position, Range, TextEdit};

/// The unit of `Position::character`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Line starts of one text, to turn offsets into positions and back.
#[derive(Debug, Clone)]
pub struct Lines {
    starts: Vec<usize>,
    encoding: Encoding,
}

impl Lines {
    pub fn new(text: &str, encoding: Encoding) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 40 + 1);
        starts.push(0);
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { starts, encoding }
    }

    /// The position of byte `offset` (clamped to the text, rounded down to a char boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let prefix = &text[self.starts[line]..offset];
        let character = match self.encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.encode_utf16().count(),
        };
        Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(character).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of `pos`; a position past a line's end is its end (as LSP says).
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |&e| e - 1);
        let line = &text[start..end];
        let want = pos.character as usize;
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= want {
                return start + i;
            }
            units += match self.encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
        }
        end
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }
}

/// The one edit that turns `old` into `new`: the span between their common prefix and suffix.
/// Editors keep the cursor and undo history around it, which a whole-document edit would lose.
pub fn edit_between(old: &str, new: &str, lines: &Lines) -> TextEdit {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    TextEdit::new(
        lines.range(old, prefix, old.len() - suffix),
        new[prefix..new.len() - suffix].to_string(),
    )
}

/// The path of a `file://` URI (percent-decoded); other schemes have none.
pub fn path_of(uri: &str) -> Option<std::path::PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///p` (empty authority) and `file://localhost/p` name the same file.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = rest.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(std::path::PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_agree_in_both_units() {
        let text = "a\n€x\n\ny";
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            let l = Lines::new(text, enc);
            for off in [0, 1, 2, 5, 6, 7, 8] {
                let p = l.position(text, off);
                assert_eq!(l.offset(text, p), off, "{enc:?} {off} {p:?}");
            }
        }
        let l = Lines::new(text, Encoding::Utf16);
        assert_eq!(
            l.position(text, 5),
            Position::new(1, 1),
            "€ is one UTF-16 unit"
        );
        let l8 = Lines::new(text, Encoding::Utf8);
        assert_eq!(
            l8.position(text, 5),
            Position::new(1, 3),
            "€ is three bytes"
        );
        assert_eq!(
            l.offset(text, Position::new(1, 99)),
            6,
            "past the end of a line"
        );
        assert_eq!(l.offset(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn the_edit_between_two_texts_covers_only_what_changed() {
        let old = "service \"a\" {\n    port http 80\n}\n";
        let new = "service \"a\" {\n    port http 8080\n}\n";
        let l = Lines::new(old, Encoding::Utf8);
        let e = edit_between(old, new, &l);
        assert_eq!(
            e.range,
            Range::new(Position::new(1, 16), Position::new(1, 16))
        );
        assert_eq!(e.new_text, "80");
        let same = edit_between(old, old, &l);
        assert_eq!(same.new_text, "");
        assert_eq!(same.range.start, same.range.end);
    }

    #[test]
    fn file_uris_name_paths() {
        assert_eq!(
            path_of("file:///tmp/my%20platform/platform.kdl"),
            Some("/tmp/my platform/platform.kdl".into())
        );
        assert_eq!(path_of("file://localhost/a"), Some("/a".into()));
        assert_eq!(path_of("untitled:Untitled-1"), None);
    }
}
