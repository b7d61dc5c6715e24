//! Helm chart templates read as manifests without rendering them.
//!
//! Every template action `{{ … }}` is blanked to the same number of bytes: a line holding only
//! actions (`{{- if … }}`, `{{ toYaml … | nindent 8 }}`, a `{{/* comment */}}`) becomes blank, an
//! action inside a line becomes a run of `_` (a plain YAML scalar). The YAML around the actions
//! then parses, and every span still points into the file as written. What an action computes
//! is unknown, so a field it sets is never compared: only the literals the template itself
//! writes (`containerPort: 8080`) are evidence. Both branches of an `if` stay; a template that
//! no longer parses so is skipped, as before.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde_json::Value;

use crate::model::{Platform, Service};

/// The byte that stands for a blanked action inside a line.
const FILLER: u8 = b'_';

/// The chart a file is a template of: the directory holding the `templates/` it sits in.
pub fn chart_of(rel: &Path) -> Option<String> {
    let parts: Vec<String> = rel
        .parent()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts.iter().rposition(|p| p == "templates")?;
    at.checked_sub(1).map(|i| parts[i].clone())
}

/// The chart directory of a template (`…/<chart>/templates/x.yaml` → `…/<chart>`).
fn chart_dir(rel: &Path) -> Option<PathBuf> {
    rel.ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "templates"))
        .and_then(Path::parent)
        .map(Path::to_path_buf)
}

/// A port the template takes from the chart's values: where its number stands in the values
/// file, so a finding about it points there (`service.port: 80` is what a person edits).
pub struct FromValues {
    /// The action's bytes in the template.
    pub at: Range<usize>,
    pub file: String,
    pub text: Arc<String>,
    pub span: Range<usize>,
    pub path: String,
    /// The number the values file gives.
    pub number: u64,
}

/// `port: {{ .Values.service.port }}` (also `containerPort`, `targetPort`, `nodePort`, with an
/// optional `| default N`): the only actions whose value is read, since the chart's own
/// `values.yaml` states it. Anything else an action computes stays unknown.
static PORT_FROM_VALUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:containerPort|port|targetPort|nodePort):[ \t]*(\{\{-?\s*\.Values\.([A-Za-z0-9_.]+)\s*(?:\|\s*default\s+([0-9]{1,5})\s*)?(?:\|\s*int\s*)?-?\}\})",
    )
    .expect("a valid pattern")
});

/// Writes into `blanked` (same length) the number each port action of `original` takes from
/// the chart's `values.yaml` (read from `root`, bounded) or from its `| default N`. Returns the
/// substitutions whose number stands in the values file.
pub fn port_values(
    root: &Path,
    rel: &Path,
    original: &str,
    blanked: &mut String,
) -> Vec<FromValues> {
    let mut found: Vec<(Range<usize>, String, Option<String>)> = Vec::new();
    for c in PORT_FROM_VALUES.captures_iter(original) {
        let (Some(action), Some(path)) = (c.get(1), c.get(2)) else {
            continue;
        };
        found.push((
            action.range(),
            path.as_str().to_string(),
            c.get(3).map(|d| d.as_str().to_string()),
        ));
    }
    if found.is_empty() {
        return Vec::new();
    }
    let values_rel = chart_dir(rel).map(|d| d.join("values.yaml"));
    let values = values_rel.as_ref().and_then(|v| {
        let text =
            crate::read::bounded(&root.join(v), Some(root), super::walk::MAX_FILE_BYTES).ok()?;
        let doc: Value = serde_saphyr::from_str_with_options(&text, options()).ok()?;
        Some((v.to_string_lossy().into_owned(), Arc::new(text), doc))
    });
    let mut out = Vec::new();
    let mut bytes = std::mem::take(blanked).into_bytes();
    for (at, path, default) in found {
        let keys: Vec<&str> = path.split('.').collect();
        let from_values = values.as_ref().and_then(|(file, text, doc)| {
            let v = keys.iter().try_fold(doc, |v, k| v.get(*k))?;
            let n = v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))?;
            let span = locate_key(text, &keys)?;
            Some((n, file.clone(), text.clone(), span))
        });
        let number = match (&from_values, &default) {
            (Some((n, ..)), _) => n.to_string(),
            (None, Some(d)) => d.clone(),
            (None, None) => continue,
        };
        if number.len() > at.len() {
            continue;
        }
        // The number, then blanks: same length, and YAML reads an integer.
        for (i, b) in bytes[at.clone()].iter_mut().enumerate() {
            *b = number.as_bytes().get(i).copied().unwrap_or(b' ');
        }
        if let Some((number, file, text, span)) = from_values {
            out.push(FromValues {
                at,
                file,
                text,
                span,
                path,
                number,
            });
        }
    }
    *blanked = String::from_utf8(bytes).unwrap_or_default();
    out
}

/// The span of the scalar at `keys` in a block-style YAML text (`service:` / `  port: 80`).
pub fn locate_key(text: &str, keys: &[&str]) -> Option<Range<usize>> {
    // The block-mapping keys enclosing each line, by indentation: a line `key:` closes every
    // key at its indentation or deeper. The path matches when the open keys are `keys`.
    let mut open: Vec<(usize, &str)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if body.trim().is_empty() || body.starts_with('#') {
            continue;
        }
        while open.last().is_some_and(|(i, _)| *i >= indent) {
            open.pop();
        }
        let Some((key, rest)) = body.split_once(':') else {
            continue;
        };
        let key = key.trim_end().trim_matches(['"', '\'']);
        if key.starts_with('-') || key.contains(char::is_whitespace) {
            continue;
        }
        open.push((indent, key));
        if open.len() == keys.len() && open.iter().map(|(_, k)| *k).eq(keys.iter().copied()) {
            let value = rest.split(" #").next().unwrap_or("").trim_end();
            let lead = value.len() - value.trim_start().len();
            let at = start + indent + (body.len() - rest.len()) + lead;
            return Some(at..at + value.trim().len());
        }
    }
    None
}

/// `text` with every `{{ … }}` blanked, byte for byte (newlines kept, so lines and offsets hold).
pub fn blank_actions(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    while let Some(open) = find(bytes, i, b"{{") {
        let close = find(bytes, open + 2, b"}}").map_or(bytes.len(), |c| c + 2);
        let multi_line = bytes[open..close].contains(&b'\n');
        for b in &mut out[open..close] {
            if *b != b'\n' {
                *b = if multi_line { b' ' } else { FILLER };
            }
        }
        i = close;
    }
    // A line left holding only filler and blanks held only actions: it says nothing in YAML.
    let mut start = 0;
    while start < out.len() {
        let end = out[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(out.len(), |p| start + p);
        let line = &out[start..end];
        let changed = line.iter().zip(&bytes[start..end]).any(|(a, b)| a != b);
        if changed && line.iter().all(|b| *b == FILLER || b.is_ascii_whitespace()) {
            out[start..end].fill(b' ');
        }
        start = end + 1;
    }
    // Only ASCII bytes inside actions were replaced by ASCII; a multi-byte character inside an
    // action is replaced whole, byte by byte, so the text stays UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// A block a template renders zero or more times: `{{ if }}`, `{{ with }}`, `{{ range }}` …
/// `{{ end }}` (also `define` and `block`, paired the same way).
pub struct Condition {
    /// Where its opening action starts.
    pub opened: usize,
    /// From the end of the opening action to the start of its `{{ end }}`.
    pub body: std::ops::Range<usize>,
}

/// Every block of `text`, paired by nesting.
pub fn conditions(text: &str) -> Vec<Condition> {
    let bytes = text.as_bytes();
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(start) = find(bytes, i, b"{{") {
        let Some(close) = find(bytes, start + 2, b"}}") else {
            break;
        };
        let inner = text[start + 2..close]
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        let word = inner.split_whitespace().next().unwrap_or("");
        match word {
            "if" | "with" | "range" | "define" | "block" => open.push((start, close + 2)),
            "end" => {
                if let Some((opened, body_start)) = open.pop() {
                    out.push(Condition {
                        opened,
                        body: body_start..start,
                    });
                }
            }
            _ => {}
        }
        i = close + 2;
    }
    out
}

/// Both branches of an `{{ if }}…{{ else }}` stay in the blanked text, often setting one key
/// twice: the first (the `if` branch) is read.
pub fn options() -> serde_saphyr::Options {
    // Non-exhaustive: set the field on the defaults.
    let mut o = serde_saphyr::Options::default();
    o.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::FirstWins;
    o
}

/// A name a template computes (`{{ include "cart.fullname" . }}`): nothing but filler.
pub fn is_computed(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b == FILLER)
}

/// The template files that hold a chart's own workload and Service under Helm's scaffold
/// names; a computed name there is the chart's `fullname` (`<release>-<chart>`).
const MAIN_OBJECT_FILES: &[&str] = &[
    "deployment.yaml",
    "statefulset.yaml",
    "daemonset.yaml",
    "service.yaml",
    "deployment.yml",
    "statefulset.yml",
    "service.yml",
];

/// The spec service a chart's main object with a computed name belongs to: the one service
/// named as the chart or `<release>-<chart>`, when exactly one is. Anything less certain is
/// no evidence, and the object is not compared.
pub fn service_of_chart<'a>(p: &'a Platform, rel: &Path, chart: &str) -> Option<&'a Service> {
    let file = rel.file_name()?.to_string_lossy().to_ascii_lowercase();
    if !MAIN_OBJECT_FILES.contains(&file.as_str()) {
        return None;
    }
    let suffix = format!("-{chart}");
    let mut named = p
        .services
        .iter()
        .filter(|s| !s.is_external())
        .filter(|s| s.name.value == chart || s.name.value.ends_with(&suffix));
    let one = named.next()?;
    named.next().is_none().then_some(one)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_long_comment_blocks_parse_and_keys_are_found_by_their_path() {
        // Real charts document their values in comment blocks longer than a YAML parser's
        // default lookahead budget for comments.
        let comments = "  # a documented option\n".repeat(200);
        let text = format!(
            "server:\n  config:\n    frontend:\n      port: 1\n{comments}  frontend:\n    service:\n      port: 7233 # rpc\n"
        );
        let doc: Value = serde_saphyr::from_str_with_options(&text, options()).unwrap();
        assert_eq!(doc["server"]["frontend"]["service"]["port"], 7233);
        // The nested `config.frontend` is not `server.frontend`.
        let span = locate_key(&text, &["server", "frontend", "service", "port"]).unwrap();
        assert_eq!(&text[span], "7233");
        assert_eq!(locate_key(&text, &["server", "frontend", "port"]), None);
    }

    #[test]
    fn actions_blank_to_the_same_length_and_the_yaml_parses() {
        let t = "{{- $name := include \"x.fullname\" . -}}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n          {{- if .Values.debug }}\n          args: [--debug]\n          {{- end }}\n          ports:\n            - containerPort: 8080\n          resources:\n{{ toYaml .Values.resources | indent 12 }}\n{{/*\na comment\n*/}}\n";
        let b = blank_actions(t);
        assert_eq!(b.len(), t.len());
        assert_eq!(b.lines().count(), t.lines().count());
        let doc: serde_json::Value = serde_saphyr::from_str(&b).unwrap();
        assert!(is_computed(doc["metadata"]["name"].as_str().unwrap()));
        assert_eq!(
            doc["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
            8080
        );
        let at = b.find("containerPort: 8080").unwrap();
        assert_eq!(&t[at..at + 19], "containerPort: 8080");
        assert!(!b.contains("{{"));
    }

    #[test]
    fn values_keys_are_located_in_block_yaml() {
        let t = "image:\n  port: 1\nservice:\n  type: ClusterIP\n  port: 80  # http\nport: 9\n";
        let at = locate_key(t, &["service", "port"]).unwrap();
        assert_eq!(&t[at], "80");
        let at = locate_key(t, &["port"]).unwrap();
        assert_eq!(&t[at], "9");
        assert_eq!(locate_key(t, &["service", "missing"]), None);
    }

    #[test]
    fn blocks_pair_by_nesting() {
        let t = "{{- if .a }}\nx: 1\n{{- with .b }}\ny: 2\n{{- end }}\n{{- end }}\nz: 3\n";
        let c = conditions(t);
        assert_eq!(c.len(), 2);
        let y = t.find("y: 2").unwrap();
        let z = t.find("z: 3").unwrap();
        assert!(c.iter().all(|c| c.body.contains(&y)));
        assert!(c.iter().all(|c| !c.body.contains(&z)));
        assert_eq!(
            c.iter()
                .filter(|c| c.body.contains(&t.find("x: 1").unwrap()))
                .count(),
            1
        );
    }

    #[test]
    fn a_chart_is_the_directory_holding_templates() {
        assert_eq!(
            chart_of(Path::new(
                "deploy/helm/basket-api/templates/deployment.yaml"
            ))
            .as_deref(),
            Some("basket-api")
        );
        assert_eq!(chart_of(Path::new("k8s/deployment.yaml")), None);
        assert_eq!(chart_of(Path::new("templates/deployment.yaml")), None);
    }
}
