//! `--junit FILE`: a JUnit XML report for CI test reporters, one test case per row of the
//! table (a scenario, or a matrix cell), a failure element when the row is `FAILED`.

use std::fmt::Write as _;
use std::path::Path;

use super::UsageError;
use crate::html::escape;

/// One test case.
pub(super) struct Case {
    /// The row's name.
    pub(super) name: String,
    /// Wall-clock time it took.
    pub(super) seconds: f64,
    /// The failure report, when the row did not go as the scenario expects.
    pub(super) failure: Option<String>,
}

/// The XML document: one `testsuite` named `suite`.
pub(super) fn junit_xml(suite: &str, cases: &[Case]) -> String {
    let failures = cases.iter().filter(|case| case.failure.is_some()).count();
    let total: f64 = cases.iter().map(|case| case.seconds).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites><testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total:.3}\">",
        escape(suite),
        cases.len()
    );
    for case in cases {
        let _ = write!(
            xml,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(suite),
            escape(&case.name),
            case.seconds
        );
        match &case.failure {
            None => xml.push_str("/>\n"),
            Some(report) => {
                let first = report.lines().nth(1).unwrap_or("did not go as the scenario expects");
                let _ = writeln!(
                    xml,
                    ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>",
                    escape(first),
                    escape(report)
                );
            }
        }
    }
    xml.push_str("</testsuite></testsuites>\n");
    xml
}

/// Writes the report to `path`.
pub(super) fn write_junit(path: &Path, suite: &str, cases: &[Case]) -> Result<(), UsageError> {
    std::fs::write(path, junit_xml(suite, cases))
        .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))
}
