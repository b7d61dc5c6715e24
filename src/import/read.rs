//! Stage 1: the input's YAML streams → documents, each with its file, line and byte span
//! (findings point at the object, not at a `# Source:` comment). `List` objects are unpacked.

use serde_json::Value;

/// One input document and where it came from.
pub(super) struct Doc {
    pub file: usize,
    pub line: usize,
    pub span: std::ops::Range<usize>,
    pub value: Value,
}

impl Doc {
    pub fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.value["metadata"]["name"].as_str().unwrap_or_default()
    }

    /// The namespace it says, else `default` (what the API server assumes).
    pub fn namespace(&self) -> &str {
        self.value["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
    }

    pub fn is(&self, kind: &str, name: &str) -> bool {
        self.kind() == kind && self.name() == name
    }
}

/// The YAML reader's limits for a whole platform's stream (`helm template` of a large chart):
/// serde-saphyr's defaults (1,024 documents, 250,000 nodes) refuse real platforms. Sized for
/// 50,000 documents of a few hundred nodes each; alias expansion (billion laughs) stays bounded
/// by the default alias and anchor caps and their ratio, and depth by the default 64 levels.
pub fn stream_options() -> serde_saphyr::Options {
    // Both types are non-exhaustive: set the fields on the defaults.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = 50_000;
    budget.max_nodes = 20_000_000;
    budget.max_events = 50_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Documents of one YAML text with their line numbers; `List` objects are unpacked.
pub(super) fn documents(file: usize, text: &str, out: &mut Vec<Doc>) -> Result<(), String> {
    let values: Vec<Value> = serde_saphyr::from_str_multiple_with_options(text, stream_options())
        .map_err(|e| e.to_string())?;
    let ranges = crate::scan::document_ranges(text);
    let aligned = ranges.len() == values.len();
    // Lines counted incrementally: counting from the start for each document was quadratic
    // (10,000 documents: 8 s).
    let (mut counted_to, mut line) = (0, 1);
    for (i, v) in values.into_iter().enumerate() {
        let span = if aligned { ranges[i].clone() } else { 0..0 };
        if span.start >= counted_to {
            line += text[counted_to..span.start].matches('\n').count();
            counted_to = span.start;
        } else {
            line = text[..span.start].matches('\n').count() + 1;
            counted_to = span.start;
        }
        if v["kind"] == "List" {
            for item in v["items"].as_array().into_iter().flatten() {
                out.push(Doc {
                    file,
                    line,
                    span: span.clone(),
                    value: item.clone(),
                });
            }
        } else if v.is_object() {
            out.push(Doc {
                file,
                line,
                span,
                value: v,
            });
        }
    }
    Ok(())
}
