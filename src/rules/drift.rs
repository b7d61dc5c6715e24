//! MC2xx: the repository disagreeing with the spec. MC201–MC204 are the drift scanner's
//! (not built yet; codes reserved in DESIGN.md order); MC205 is `check`'s output comparison.

use super::Rule;
use crate::diagnostic::Severity::Error;

pub(super) static RULES: &[Rule] = &[Rule {
    code: "MC205",
    name: "stale-output",
    severity: Error,
    summary: "a generated file in output/ differs from what the spec builds",
    explanation: "What it does: builds the spec in memory and compares every generated file with \
output/ on disk: a missing file, a generated file the spec no longer produces, and a file whose \
contents differ (hand-edited, or the spec changed without a build) are each reported with the \
first differing line.\n\
Why it matters: the manifests applied to the cluster are the ones in output/; if they lag the \
spec, the single source of truth is not true.\n\
Example: `port grpc 50055` changed to 50056 in platform.kdl without running `maestroc build`.\n\
Fix: run `maestroc build` and commit output/ with the spec; `maestroc diff` shows what changes.",
}];
