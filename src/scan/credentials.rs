//! Credentials committed with the code: private keys (MC305), passwords inside URIs (MC306)
//! and well-known default credentials (MC302) in hand-written manifests, `.env` files,
//! docker-compose files and code defaults — our users shipped `minioadmin/minioadmin` and a
//! `…-change-me` password this way.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::credential::uri_passwords;
use crate::diagnostic::Finding;
use crate::lint::is_default_credential;

pub enum Credential {
    PrivateKey(Range<usize>),
    InUri(Range<usize>),
    Default { name: String, span: Range<usize> },
}

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----")
        .unwrap_or_else(|_| unreachable!("a constant regex"))
});

/// `NAME: value`, `NAME=value`, `- NAME=value` (compose), `"NAME": "value"` on one line.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:^|[\s"'{,-])["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*[:=]\s*["']?([A-Za-z0-9_.-]+)["']?\s*,?\s*$"#,
    )
    .unwrap_or_else(|_| unreachable!("a constant regex"))
});

/// A Kubernetes env entry: `- name: NAME` then `value: VALUE` on the next line.
static ENV_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)name:\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*\n\s*value:\s*["']?([A-Za-z0-9_.-]+)["']?\s*$"#)
        .unwrap_or_else(|_| unreachable!("a constant regex"))
});

/// Credentials in a YAML, `.env` or compose text, where an unquoted value is a literal.
pub fn find(text: &str) -> Vec<Credential> {
    find_in(text, text, false)
}

/// Credentials in a scanned file: private keys in `raw` (a key in a comment is committed all
/// the same), the rest in `code` — `raw` with its comments blanked, so a commented example
/// (`; url = mysql://user:secret@host`) is prose. In code (`quoted_only`) an unquoted
/// `password: password` names a variable, not a literal.
pub fn find_in(raw: &str, code: &str, quoted_only: bool) -> Vec<Credential> {
    let mut out = Vec::new();
    if raw.contains("PRIVATE KEY-----") {
        out.extend(
            PRIVATE_KEY
                .find_iter(raw)
                .filter(|m| has_key_body(&raw[m.end()..]))
                .map(|m| Credential::PrivateKey(m.range())),
        );
    }
    let text = code;
    if text.contains("://") && text.contains('@') {
        out.extend(uri_passwords(text).into_iter().map(Credential::InUri));
    }
    // The env-entry form first: it knows the variable's name where `value: …` alone does not.
    let mut seen: Vec<Range<usize>> = Vec::new();
    for re in [&*ENV_ENTRY, &*ASSIGNMENT] {
        for c in re.captures_iter(text) {
            let (Some(name), Some(value)) = (c.get(1), c.get(2)) else {
                continue;
            };
            let quoted =
                value.start() > 0 && matches!(text.as_bytes()[value.start() - 1], b'"' | b'\'');
            if (quoted || !quoted_only)
                && is_default_credential(name.as_str(), value.as_str())
                && !seen.contains(&value.range())
            {
                seen.push(value.range());
                out.push(Credential::Default {
                    name: name.as_str().to_string(),
                    span: value.range(),
                });
            }
        }
    }
    out
}

/// Whether a PEM header is followed by a key: base64 lines (in a YAML block, a JSON string
/// with `\n` escapes, or a file), not `...`, a placeholder, or the end of a parser's pattern.
fn has_key_body(after: &str) -> bool {
    let head: String = after.chars().take(600).collect();
    let head = head.replace("\\n", "\n");
    let mut run = 0;
    for c in head.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=' {
            run += 1;
        } else if c.is_whitespace() || c == '"' || c == '\'' || (c == '#' && run == 0) {
            continue;
        } else if c == ':' && head.trim_start().starts_with("Proc-Type") {
            // An encrypted key's headers come first.
            return true;
        } else {
            break;
        }
    }
    run >= 64
}

impl Credential {
    pub fn into_finding(self, file: &str, text: &Arc<String>) -> Finding {
        match self {
            Credential::PrivateKey(span) => Finding::new("MC305", "a private key is committed here")
                .in_text(file, text, span, "private key")
                .help("remove it and rotate it; keep it in the secret store and mount it with `volume … secret=`"),
            Credential::InUri(span) => Finding::new("MC306", "a password inside a connection URI")
                .in_text(file, text, span, "literal password")
                .help("read the password from a Secret at run time instead of writing it into the URI"),
            Credential::Default { name, span } => {
                let value = text.get(span.clone()).unwrap_or_default().to_string();
                Finding::new(
                    "MC302",
                    format!("`{name}` is set to the well-known default `{value}`"),
                )
                .in_text(file, text, span, "a default credential")
                .help("generate a real credential, keep it in the secret store, and reference it from a Secret")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        find(text)
            .iter()
            .map(|c| match c {
                Credential::PrivateKey(_) => "key",
                Credential::InUri(_) => "uri",
                Credential::Default { .. } => "default",
            })
            .collect()
    }

    #[test]
    fn finds_what_users_committed_and_not_look_alikes() {
        assert_eq!(kinds("MINIO_ROOT_PASSWORD=minioadmin\n"), ["default"]);
        assert_eq!(kinds("  POSTGRES_PASSWORD: password\n"), ["default"]);
        assert_eq!(kinds("      - MINIO_ROOT_USER=minioadmin\n"), ["default"]);
        assert_eq!(
            kinds("- name: POSTGRES_PASSWORD\n  value: mlflow-secure-password-change-me\n"),
            ["default"]
        );
        assert_eq!(kinds("url: postgresql://admin:s3cret@db:5432/x\n"), ["uri"]);
        let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0";
        assert_eq!(
            kinds(&format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n")),
            ["key"]
        );
        // In a JSON string, with `\n` escapes.
        assert_eq!(
            kinds(&format!(
                "\"key\": \"-----BEGIN PRIVATE KEY-----\\n{body}\\n\""
            )),
            ["key"]
        );
        // A header with no key after it: a chart's commented example, a PEM parser's pattern.
        assert!(kinds("## -----BEGIN RSA PRIVATE KEY-----\n##       ...\n").is_empty());
        assert!(kinds("var re = /-----BEGIN PRIVATE KEY-----([^-]*)-----END/;\n").is_empty());
        // A user name, a role, or the name of a Secret's key is no credential.
        assert!(kinds("POSTGRES_USER: admin\nGF_AUTH_ANONYMOUS_ORG_ROLE: Admin\n").is_empty());
        assert!(kinds("existingSecretKey: password\npasswordKey: password\n").is_empty());
        // Look-alikes: placeholders, settings, words that are no credential.
        assert!(kinds("url: postgresql://admin:$(DB_PASSWORD)@db:5432/x\n").is_empty());
        assert!(kinds("url: postgresql://admin:${DB_PASSWORD}@db:5432/x\n").is_empty());
        assert!(kinds("ROLE: admin\nUSER_ROLE=admin\n").len() <= 1);
        assert!(kinds("PASSWORD_MIN_LENGTH: 12\nmode: password\n").is_empty());
        assert!(kinds("-----BEGIN PUBLIC KEY-----\n").is_empty());
        assert!(kinds("see https://example.com/a@b\n").is_empty());
    }

    #[test]
    fn code_needs_a_quoted_literal_and_comments_are_prose() {
        let code = "  password: password,\n";
        assert_eq!(
            find_in(code, code, true).len(),
            0,
            "a variable, not a literal"
        );
        let lit = "  password: 'password',\n";
        assert_eq!(find_in(lit, lit, true).len(), 1);
        // The caller blanks comments: a commented example URI is gone from `code`.
        let raw = "; url = mysql://user:secret@host/db\n";
        let blank = " ".repeat(raw.len() - 1) + "\n";
        assert!(find_in(raw, &blank, false).is_empty());
    }
}
