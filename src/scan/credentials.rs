//! Credentials committed with the code: private keys (MC305), passwords inside URIs (MC306)
//! and well-known default credentials (MC302) in hand-written manifests, `.env` files,
//! docker-compose files and code defaults — our users shipped `minioadmin/minioadmin` and a
//! `…-change-me` password this way.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::diagnostic::Finding;
use crate::lint::{is_default_credential, uri_passwords};

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

pub fn find(text: &str) -> Vec<Credential> {
    let mut out = Vec::new();
    if text.contains("PRIVATE KEY-----") {
        out.extend(
            PRIVATE_KEY
                .find_iter(text)
                .map(|m| Credential::PrivateKey(m.range())),
        );
    }
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
            if is_default_credential(name.as_str(), value.as_str())
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
        assert_eq!(kinds("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"), ["key"]);
        // Look-alikes: placeholders, settings, words that are no credential.
        assert!(kinds("url: postgresql://admin:$(DB_PASSWORD)@db:5432/x\n").is_empty());
        assert!(kinds("url: postgresql://admin:${DB_PASSWORD}@db:5432/x\n").is_empty());
        assert!(kinds("ROLE: admin\nUSER_ROLE=admin\n").len() <= 1);
        assert!(kinds("PASSWORD_MIN_LENGTH: 12\nmode: password\n").is_empty());
        assert!(kinds("-----BEGIN PUBLIC KEY-----\n").is_empty());
        assert!(kinds("see https://example.com/a@b\n").is_empty());
    }
}
