//! What a file's place in the repository says about the weight of a finding in it.
//!
//! An error needs evidence that what runs disagrees with the spec. A deployed manifest, a
//! config file or a service's code is such evidence; documentation (`*.md`, a README's
//! `docker run` example), a test's fixture or an alternative deployment kept beside the real
//! one (`extras/`, `examples/`, a Terraform copy) is not: what it says does not run as the
//! platform. So every finding is capped by its file's standing — documentation and variants
//! to information, tests and local-development settings to a warning — and the message says
//! why. The cap is applied once, to every finding of a file, whatever rule made it; a
//! variant's manifest that names the spec's own namespace claims to be the platform and keeps
//! its errors (`manifest.rs`).

use std::path::{Component, Path};

use crate::diagnostic::{Finding, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Manifests, config and code that run as the platform: findings keep their severity.
    Deployed,
    /// Tests, CI fixtures and local-development settings: a warning at most.
    Test,
    /// An alternative deployment kept beside the real one: information at most.
    Variant,
    /// Prose: information at most.
    Docs,
}

const DOC_EXTENSIONS: &[&str] = &["md", "markdown", "rst", "adoc", "txt", "html"];
const DOC_DIRS: &[&str] = &["docs", "doc", "documentation"];
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "testdata",
    "testing",
    "e2e",
    "cypress",
    "spec",
    "ci",
    "integration-tests",
    "loadtest",
];
const VARIANT_DIRS: &[&str] = &[
    "extras",
    "examples",
    "example",
    "samples",
    "sample-manifests",
    "legacy",
    "archive",
    "_archived",
    "deprecated",
    "contrib",
    ".github",
    ".gitlab",
    ".circleci",
    "iac",
    "terraform",
    "release",
    "releases",
];

/// The standing of the file at `rel` (relative to the scanned root).
pub fn of(rel: &Path) -> Standing {
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let ext = rel
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let mut dirs: Vec<String> = rel
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    // Below a JVM source root (`src/main/java`, `src/test/kotlin`) directories are package
    // names, not the repository's layout: `anthos/samples/bankofanthos` is code that runs.
    if let Some(root) = dirs.windows(2).position(|w| {
        matches!(w[0].as_str(), "main" | "test")
            && matches!(w[1].as_str(), "java" | "kotlin" | "scala" | "groovy")
    }) {
        dirs.truncate(root + 1);
    }
    let in_dir = |set: &[&str]| dirs.iter().any(|d| set.contains(&d.as_str()));
    if DOC_EXTENSIONS.contains(&ext.as_str()) || name.starts_with("readme") || in_dir(DOC_DIRS) {
        return Standing::Docs;
    }
    if in_dir(VARIANT_DIRS) || ext == "tf" || ext == "tfvars" {
        return Standing::Variant;
    }
    if in_dir(TEST_DIRS) || is_test_file(&name) {
        return Standing::Test;
    }
    Standing::Deployed
}

/// Test sources and local-development settings by the naming conventions of their languages.
fn is_test_file(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    name.ends_with("_test.go")
        || name.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        || stem.ends_with("test") && (name.ends_with(".java") || name.ends_with(".kt"))
        || stem.ends_with("tests") && (name.ends_with(".java") || name.ends_with(".kt") || name.ends_with(".cs"))
        || name.contains(".test.")
        || name.contains(".spec.")
        // Spring profiles, Elixir and Rails environments for a developer's machine.
        || ["application-test", "application-dev", "application-local", "bootstrap-test", "bootstrap-local"]
            .iter()
            .any(|p| name.starts_with(p))
        || name == "dev.exs"
        || name == "test.exs"
        || name.starts_with("docker-compose.override")
        || name.starts_with("docker-compose.dev")
}

impl Standing {
    fn cap(self) -> Option<(Severity, &'static str)> {
        match self {
            Standing::Deployed => None,
            Standing::Test => Some((Severity::Warning, "a test or local-development file")),
            Standing::Variant => Some((
                Severity::Info,
                "an alternative deployment kept beside the platform's",
            )),
            Standing::Docs => Some((Severity::Info, "documentation")),
        }
    }

    /// Lowers `f` to what this standing allows, saying why in the message.
    pub fn apply(self, mut f: Finding) -> Finding {
        let Some((most, why)) = self.cap() else {
            return f;
        };
        if rank(f.severity) > rank(most) {
            f.severity = most;
            f.message = format!(
                "{} ({why}: not what runs, so {} only)",
                f.message,
                most.as_str()
            );
        }
        f
    }
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 2,
        Severity::Warning => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_files_by_what_they_are() {
        let cases = [
            ("kubernetes-manifests/frontend.yaml", Standing::Deployed),
            ("src/cart/main.go", Standing::Deployed),
            ("docker-compose.yml", Standing::Deployed),
            ("README.md", Standing::Docs),
            ("src/quote/README.md", Standing::Docs),
            ("docs/setup.yaml", Standing::Docs),
            ("charts/x/templates/NOTES.txt", Standing::Docs),
            ("extras/cloudsql/config.yaml", Standing::Variant),
            (".github/workflows/ci.yaml", Standing::Variant),
            ("iac/prod/env.tf", Standing::Variant),
            ("charts/temporal/tests/configmap_test.yaml", Standing::Test),
            ("src/cart/cart_test.go", Standing::Test),
            ("src/ledger/src/test/java/x/LedgerTest.java", Standing::Test),
            ("web/src/app.spec.ts", Standing::Test),
            ("svc/src/main/resources/application-dev.yml", Standing::Test),
            ("flagd-ui/config/dev.exs", Standing::Test),
            ("flagd-ui/config/runtime.exs", Standing::Deployed),
            ("tests/test_app.py", Standing::Test),
            // A Java package named `samples` or `examples` is code that runs.
            (
                "src/ledger/src/main/java/anthos/samples/bank/Controller.java",
                Standing::Deployed,
            ),
            (
                "svc/src/test/java/com/examples/ClientTest.java",
                Standing::Test,
            ),
        ];
        for (path, want) in cases {
            assert_eq!(of(Path::new(path)), want, "{path}");
        }
    }

    #[test]
    fn caps_the_severity_and_says_why() {
        let f = Finding::new("MC201", "x is 1 here");
        assert_eq!(f.severity, Severity::Error);
        let doc = Standing::Docs.apply(f);
        assert_eq!(doc.severity, Severity::Info);
        assert!(doc.message.contains("documentation"), "{}", doc.message);
        let w = Standing::Test.apply(Finding::new("MC201", "x"));
        assert_eq!(w.severity, Severity::Warning);
        let kept = Standing::Deployed.apply(Finding::new("MC201", "x"));
        assert_eq!(kept.severity, Severity::Error);
        assert_eq!(kept.message, "x");
    }
}
