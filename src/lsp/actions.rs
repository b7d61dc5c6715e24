//! Quick fixes: each finding's `Fix` made into one text edit against the document the editor
//! holds. The edit is computed when asked, from the text of that moment, so it never applies
//! to a version it was not made for.

use std::path::Path;

use miette::SourceSpan;

use crate::diagnostic::Fix;
use crate::model::Platform;

/// A fix as an edit: (title, new text of the whole document). The caller turns the new text
/// into the one minimal edit. `model` is the model of `text` when it parses.
pub fn apply(
    fix: &Fix,
    text: &str,
    spec: Option<&Path>,
    model: Option<&Platform>,
) -> Option<(String, String)> {
    match fix {
        Fix::Replace { span, was, with } => {
            let r = span.offset()..span.offset() + span.len();
            (text.get(r.clone()) == Some(was.as_str())).then(|| {
                let mut new = text.to_string();
                new.replace_range(r, with);
                (format!("Replace `{was}` with `{with}`"), new)
            })
        }
        Fix::AddReason { node } => {
            let end = node_end(text, *node)?;
            let mut new = text.to_string();
            new.insert_str(end, " reason=\"TODO: why this is needed\"");
            Some(("Add reason=\"…\"".to_string(), new))
        }
        Fix::AddDependsOn { service, on } => add_depends_on(model?, text, service, on)
            .map(|new| (format!("Add `depends-on {on}` to `{service}`"), new)),
        Fix::AllocateNodePort { service, port } => {
            allocate(text, spec, service, port).map(|(n, new)| {
                (
                    format!("Give `{service}/{port}` the free NodePort {n}"),
                    new,
                )
            })
        }
    }
}

/// The end of a node's last entry: before its trailing spaces, `;` and comment.
fn node_end(text: &str, node: SourceSpan) -> Option<usize> {
    let slice = text.get(node.offset()..node.offset() + node.len())?;
    let line = slice.split('\n').next().unwrap_or(slice);
    let line = line.split("//").next().unwrap_or(line);
    let kept = line.trim_end().trim_end_matches(';').trim_end();
    Some(node.offset() + kept.len())
}

/// After the last `depends-on` entry of the service, or as its first child.
fn add_depends_on(p: &Platform, text: &str, service: &str, on: &str) -> Option<String> {
    let svc = p.services.iter().find(|s| s.name.value == service)?;
    let mut new = text.to_string();
    if let Some(last) = svc.depends_on.iter().max_by_key(|d| d.span.offset()) {
        new.insert_str(last.span.offset() + last.span.len(), &format!(" {on}"));
        return Some(new);
    }
    let open = svc.name.span.offset() + text[svc.name.span.offset()..].find('{')?;
    let line_end = open + text[open..].find('\n')?;
    let next = &text[line_end + 1..];
    let indent: String = next
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let indent = if next.trim_start().starts_with('}') || indent.is_empty() {
        let start = text[..svc.name.span.offset()]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let own: String = text[start..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .collect();
        format!("{own}    ")
    } else {
        indent
    };
    new.insert_str(line_end + 1, &format!("{indent}depends-on {on}\n"));
    Some(new)
}

/// `ports allocate` in the editor: drop the colliding `node-port=` and give the port the
/// lowest one nothing uses — this spec, its environments, nor (when the spec names one) any
/// entry of the shared registry but this port's own, as `ports allocate` decides.
fn allocate(text: &str, spec: Option<&Path>, service: &str, port: &str) -> Option<(u16, String)> {
    let (_, released) = crate::edit::release_node_port(text, service, port).ok()?;
    let p = crate::spec::parse(&released).platform?;
    let held = spec
        .and_then(|s| crate::registry::path_of(&p, s))
        .and_then(|path| crate::registry::load(&path).ok())
        .map(|reg| reg.held_for(&p.name.value, service, port))
        .unwrap_or_default();
    match crate::edit::allocate_node_port(&released, &p, service, port, &held).ok()? {
        crate::edit::Allocation::Done { text, node_port } => Some((node_port, text)),
        crate::edit::Allocation::Full { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Option<Platform> {
        crate::spec::parse(SPEC).platform
    }

    const SPEC: &str = "platform \"p\" {\n    namespace \"n\"\n    node-ports 30000 30010\n}\nservice \"a\" {\n    image \"a:1\"\n    port http 80 node-port=30000\n    allow \"root\" // legacy\n}\nservice \"b\" {\n    image \"b:1\"\n    port http 80 node-port=30000\n}\n";

    #[test]
    fn a_dependency_is_added_as_the_first_child() {
        let fix = Fix::AddDependsOn {
            service: "b".into(),
            on: "a".into(),
        };
        let (_, new) = apply(&fix, SPEC, None, model().as_ref()).expect("applies");
        assert!(
            new.contains("service \"b\" {\n    depends-on a\n    image \"b:1\""),
            "{new}"
        );
    }

    #[test]
    fn a_reason_goes_before_the_comment() {
        let at = SPEC.find("allow").expect("allow");
        let fix = Fix::AddReason {
            node: SourceSpan::new(at.into(), "allow \"root\" // legacy".len()),
        };
        let (_, new) = apply(&fix, SPEC, None, model().as_ref()).expect("applies");
        assert!(
            new.contains("allow \"root\" reason=\"TODO: why this is needed\" // legacy"),
            "{new}"
        );
    }

    #[test]
    fn a_colliding_node_port_moves_to_the_lowest_free_one() {
        let fix = Fix::AllocateNodePort {
            service: "b".into(),
            port: "http".into(),
        };
        let (title, new) = apply(&fix, SPEC, None, model().as_ref()).expect("applies");
        assert!(title.contains("30001"), "{title}");
        assert!(
            new.contains("service \"b\" {\n    image \"b:1\"\n    port http 80 node-port=30001"),
            "{new}"
        );
        let (_, f) = crate::resolve::compile(&new);
        assert!(
            !f.iter().any(|f| f.code() == "MC105"),
            "the collision is gone"
        );
    }

    #[test]
    fn a_replacement_of_text_that_moved_is_not_offered() {
        let fix = Fix::Replace {
            span: SourceSpan::new(0.into(), 4),
            was: "nope".into(),
            with: "{X}".into(),
        };
        assert!(apply(&fix, SPEC, None, model().as_ref()).is_none());
    }
}
