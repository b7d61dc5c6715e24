//! What a credential looks like inside a string, whatever it is named: token formats (the
//! shapes gitleaks' and trufflehog's rules anchor on), a password in a URI's user-info or
//! query, a private key. Pure functions over one string; `lint` runs them over every string
//! the spec can put into output, `import` over what it reads.
//!
//! A placeholder (`{KEY}`, `$(X)`, `${X}`) exempts only itself: in
//! `postgresql://admin:Hunter2@{DB_ADDRESS}/app` the password is still a literal.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// One credential found in a string: what it is and where (byte range in the string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub what: &'static str,
    pub range: Range<usize>,
}

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|_| unreachable!("a constant regex"))
}

/// Token formats: (what, pattern); the whole match is the secret.
static TOKENS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        (
            "an AWS access key id",
            r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        ),
        ("a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        ("a GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{60,}\b"),
        ("a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
        ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
        (
            "a Slack webhook",
            r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
        ),
        (
            "a Stripe key",
            r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b",
        ),
        ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        (
            "a SendGrid key",
            r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b",
        ),
        ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("an OpenAI key", r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b"),
        (
            "a JSON web token",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ),
        ("a private key", r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    ]
    .into_iter()
    .map(|(w, p)| (w, re(p)))
    .collect()
});

/// `scheme://user:password@…` (the user may be empty: `redis://:pw@host`); group 1 is the
/// password. Whatever follows the `@` — a host, a placeholder — does not matter.
static URI_PASSWORD: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b[a-z][a-z0-9+.-]*://[^\s:/@"'`]*:([^\s@/"'`]+)@"#));

/// `?password=…` / `&token=…` in a URL's query; group 1 is the value.
/// `user:password@host` without a scheme (a host property, a DSN); group 1 is the password.
static HOST_USERINFO: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^[A-Za-z0-9._%+-]*:([^\s@/"'`]+)@[A-Za-z0-9{$]"#));

static QUERY_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)[?&](?:password|passwd|pwd|pass|secret|token|access_token|api_key|apikey|key|auth)=([^&#\s]+)",
    )
});

/// Whether a piece of a value is a placeholder (or a mask) rather than a literal.
pub fn is_placeholder(s: &str) -> bool {
    s.is_empty()
        || s.starts_with('$')
        || s.starts_with('{')
        || s.starts_with('%')
        || s.starts_with('<')
        || s.chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
}

/// The password ranges of URI user-infos and secret query parameters in `text`.
pub fn uri_passwords(text: &str) -> Vec<Range<usize>> {
    URI_PASSWORD
        .captures_iter(text)
        .chain(QUERY_SECRET.captures_iter(text))
        .chain(HOST_USERINFO.captures_iter(text))
        .filter_map(|c| c.get(1))
        .filter(|m| !is_placeholder(m.as_str()) && !is_setting(m.as_str()))
        // `busybox:1.38@sha256:…` is an image pinned by digest, not `user:password@host`.
        .filter(|m| !text[m.end()..].starts_with("@sha"))
        .map(|m| m.range())
        .collect()
}

/// A query value no credential has: a number or a boolean (`?auth=true`).
fn is_setting(s: &str) -> bool {
    s.parse::<f64>().is_ok() || matches!(s.to_ascii_lowercase().as_str(), "true" | "false")
}

/// Every credential shape in `value`, whatever its name says.
pub fn shapes(value: &str) -> Vec<Shape> {
    let mut out: Vec<Shape> = Vec::new();
    for (what, re) in TOKENS.iter() {
        for m in re.find_iter(value) {
            out.push(Shape {
                what,
                range: m.range(),
            });
        }
    }
    for range in uri_passwords(value) {
        out.push(Shape {
            what: "a password in a URL",
            range,
        });
    }
    out.sort_by_key(|s| s.range.start);
    out.dedup_by(|a, b| a.range.start < b.range.end);
    out
}

/// A run of the base64/base64url alphabet with its padding (no `/`, which paths share).
static TOKEN_RUN: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z0-9+_-]{24,}={0,2}"));

/// Shannon entropy of `s` in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Random-looking runs in `value` (gitleaks' and trufflehog's generic rule, for tokens of no
/// known format): at least 24 characters mixing upper case, lower case and digits with an
/// entropy of at least 4.2 bits per character. Certificates, public keys and digests are
/// random by nature and public, so they are passed over.
pub fn high_entropy(value: &str) -> Vec<Range<usize>> {
    const PUBLIC: &[&str] = &[
        "BEGIN CERTIFICATE",
        "PUBLIC KEY",
        "ssh-rsa ",
        "ssh-ed25519 ",
    ];
    if PUBLIC.iter().any(|p| value.contains(p)) {
        return Vec::new();
    }
    TOKEN_RUN
        .find_iter(value)
        .filter(|m| {
            let s = m.as_str();
            let before = &value[..m.start()];
            let digest = [
                "sha1:", "sha256:", "sha512:", "sha256-", "sha384-", "sha512-",
            ]
            .iter()
            .any(|d| before.ends_with(d) || s.starts_with(d));
            !digest
                && s.bytes().any(|b| b.is_ascii_uppercase())
                && s.bytes().any(|b| b.is_ascii_lowercase())
                && s.bytes().any(|b| b.is_ascii_digit())
                && entropy(s) >= 4.2
        })
        .map(|m| m.range())
        .collect()
}

/// `value` with each range replaced by `*` of the same length (spans stay valid).
pub fn redact(value: &str, ranges: &[Range<usize>]) -> String {
    let mut bytes = value.as_bytes().to_vec();
    for r in ranges {
        for b in bytes.iter_mut().take(r.end.min(value.len())).skip(r.start) {
            // Only ASCII bytes are replaced so the text stays valid UTF-8.
            if b.is_ascii() {
                *b = b'*';
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(value.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(v: &str) -> Vec<&'static str> {
        shapes(v).into_iter().map(|s| s.what).collect()
    }

    #[test]
    fn finds_each_shape_and_skips_placeholders() {
        assert_eq!(
            whats("postgresql://admin:Hunter2@{DB_ADDRESS}/app"),
            ["a password in a URL"]
        );
        assert_eq!(whats("redis://:s3cret@cache:6379"), ["a password in a URL"]);
        assert_eq!(
            whats("https://api/x?user=a&password=pw1"),
            ["a password in a URL"]
        );
        assert!(whats("postgresql://admin:$(DB_PASSWORD)@{DB_ADDRESS}/app").is_empty());
        assert!(whats("https://{FRONTEND_ADDRESS}/login?next=/").is_empty());
        assert_eq!(whats("AKIAIOSFODNN7EXAMPLE"), ["an AWS access key id"]);
        assert_eq!(
            whats("ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            ["a GitHub token"]
        );
        assert_eq!(whats("xoxb-1234567890-abcdefghij"), ["a Slack token"]);
        assert_eq!(
            whats(
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
            ),
            ["a JSON web token"]
        );
        assert!(whats("ghcr.io/acme/api@sha256:0123456789abcdef").is_empty());
        assert!(whats("busybox:1.38.0@sha256:fd8d9aa63ba2f0982b53").is_empty());
        assert_eq!(whats("admin:pw99@db.example.com"), ["a password in a URL"]);
        assert!(whats("http://api.shop.svc.cluster.local:8080").is_empty());
    }

    #[test]
    fn high_entropy_runs_but_not_public_randomness() {
        let token = "q8Xr2LmZ7vTn4KpW9sYb3HcJ";
        assert_eq!(
            high_entropy(token),
            vec![std::ops::Range { start: 0, end: 24 }]
        );
        assert_eq!(
            high_entropy(&format!("--api-key={token}")),
            vec![std::ops::Range { start: 10, end: 34 }]
        );
        for fine in [
            "registry.local/p/api@sha256:0a1B2c3D4e5F6a7B8c9D0e1F2a3B4c5D6e7F8a9B",
            "sha512-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdI",
            "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUF\n",
            "123e4567-e89b-12d3-a456-426614174000",
            "0123456789abcdef0123456789abcdef01234567",
            "/usr/local/lib/python3.11/site-packages/x",
            "jdbc:postgresql://db.shop.svc.cluster.local:5432/orders",
            "AAAAAAAAAAAAAAAAAAAAAAAAAaaaaaaaa1111",
            "io.prometheus.jmx.JmxCollector-Config-2024",
        ] {
            assert!(high_entropy(fine).is_empty(), "{fine}");
        }
    }

    #[test]
    fn redaction_keeps_length() {
        let ranges = vec![2..4, 5..5];
        assert_eq!(redact("a:pw@h", &ranges), "a:**@h");
    }
}
