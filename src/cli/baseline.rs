//! `check --baseline FILE` / `--write-baseline FILE`: record the findings a team accepts today
//! (adopting maestroc on a repository with known drift) so that `check` fails only on new ones.
//! An entry is a finding's code, file and message — not its line, so an edit above a known
//! finding does not resurrect it; entries count, so a second copy of a known finding is new.
//! Entries that match nothing any more are reported, so the baseline only shrinks.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Finding;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub code: String,
    pub file: String,
    pub message: String,
}

fn entry(f: &Finding, spec: &str) -> Entry {
    Entry {
        code: f.rule.code.to_string(),
        file: f
            .location
            .as_ref()
            .map_or(spec.to_string(), |l| l.file.clone()),
        message: f.message.clone(),
    }
}

/// Writes the findings (errors and warnings; information is never a failure) as a baseline.
pub fn write(path: &Path, findings: &[Finding], spec: &str) -> std::io::Result<usize> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .filter(|f| f.severity >= crate::diagnostic::Severity::Warning)
        .map(|f| entry(f, spec))
        .collect();
    entries.sort();
    let n = entries.len();
    let text = serde_json::to_string_pretty(&Baseline {
        version: 1,
        findings: entries,
    })
    .map_err(std::io::Error::other)?;
    crate::output::write_new(path, &(text + "\n"), true).map_err(std::io::Error::other)?;
    Ok(n)
}

pub fn read(path: &Path) -> Result<Baseline, String> {
    let text = crate::read::capped_text(path, crate::read::MAX_SIDE_FILE_BYTES)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let b: Baseline = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a maestroc baseline: {e}", path.display()))?;
    if b.version != 1 {
        return Err(format!(
            "{}: baseline version {} is not 1",
            path.display(),
            b.version
        ));
    }
    Ok(b)
}

/// Removes the findings the baseline accepts; returns how many, and an information finding for
/// each entry that matched nothing (fixed since: delete it from the baseline).
pub fn apply(b: &Baseline, findings: Vec<Finding>, spec: &str) -> (Vec<Finding>, usize) {
    let mut left: BTreeMap<&Entry, usize> = BTreeMap::new();
    for e in &b.findings {
        *left.entry(e).or_default() += 1;
    }
    let mut kept = Vec::new();
    let mut accepted = 0;
    for f in findings {
        let e = entry(&f, spec);
        match left.get_mut(&e) {
            Some(n) if *n > 0 => {
                *n -= 1;
                accepted += 1;
            }
            _ => kept.push(f),
        }
    }
    for (e, n) in left {
        for _ in 0..n {
            kept.push(
                Finding::new(
                    "MC210",
                    format!(
                        "the baseline accepts {} in {} ({}), which is no longer found",
                        e.code, e.file, e.message
                    ),
                )
                .help(
                    "it was fixed: remove the entry, or rewrite the baseline with --write-baseline",
                ),
            );
        }
    }
    (kept, accepted)
}
