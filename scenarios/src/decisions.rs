//! Decision-list files: a versioned header that says which run the list belongs to, then
//! the decisions, one token each (`sim::decision`).
//!
//! ```text
//! # plughost decision list: plughost replay --scenario pump_kernel --decisions FILE
//! format = 1
//! scenario = "pump_kernel"
//! scenario_hash = "6c3e4f0e9d2b1a87"
//! design = "pump"
//! mutant = "no-workerdone-poll"
//! strategy = "random --seed 3"
//! budget = "time=120000ms steps=2000000 preemption=25ms"
//! faults = "none"
//! ends = "completion"
//! decisions = 36
//! ---
//! 2/3 0/2 e:1/4 …
//! ```
//!
//! Replaying checks every header field except `strategy` (which only says what made the
//! list) and `ends` (which says how to replay it: to completion, or up to the first oracle
//! violation, as shrinking shows a failure) against the run about to happen; a mismatch is
//! an error naming the field and both values, never a run of something else. The list itself is checked decision by decision
//! as the run consumes it (`StrategySpec::Replay`).

use std::fmt;

use plughost_model::design::Variant;
use plughost_sim::{Budget, Decision, Ends};

use crate::scenario::Scenario;

/// The format version this plughost writes and reads.
pub const FORMAT: u32 = 1;

/// What a decision list belongs to.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Header {
    /// Format version.
    pub format: u32,
    /// Scenario name.
    pub scenario: String,
    /// The scenario file's content hash, hexadecimal.
    pub scenario_hash: String,
    /// Design name.
    pub design: String,
    /// Mutant name, or `none`.
    pub mutant: String,
    /// The strategy and parameters that made the list (not checked on replay).
    pub strategy: String,
    /// The run's budgets.
    pub budget: String,
    /// The fault plan's budget, or `none`.
    pub faults: String,
    /// Where the run ends (not checked: it says how to replay the list).
    pub ends: Ends,
}

impl Header {
    /// The header of a run of `scenario` under `variant` with `faults`, made by `strategy`.
    pub fn for_run(
        scenario: &Scenario,
        variant: Variant,
        strategy: &str,
        faults: &str,
        ends: Ends,
    ) -> Header {
        Header {
            format: FORMAT,
            scenario: scenario.name.clone(),
            scenario_hash: format!("{:016x}", scenario.content_hash()),
            design: variant.design.name().to_string(),
            mutant: variant.mutant.map_or("none", |m| m.name()).to_string(),
            strategy: strategy.to_string(),
            budget: describe_budget(scenario.explore.budget),
            faults: faults.to_string(),
            ends,
        }
    }

    /// The first field (other than `strategy`) in which `self`, read from a file, differs from
    /// `run`, the header of the run about to replay it.
    pub fn mismatch(&self, run: &Header) -> Option<String> {
        let fields = [
            ("scenario", &self.scenario, &run.scenario, ""),
            ("scenario_hash", &self.scenario_hash, &run.scenario_hash, " (the scenario file changed since)"),
            ("design", &self.design, &run.design, " (give --design)"),
            ("mutant", &self.mutant, &run.mutant, " (give --mutant, or leave it out for none)"),
            ("budget", &self.budget, &run.budget, " (the scenario's [explore] budgets changed since)"),
            ("faults", &self.faults, &run.faults, " (give --faults)"),
        ];
        fields.into_iter().find(|(_, file, run, _)| file != run).map(|(field, file, run, hint)| {
            format!("header `{field}` is `{file}`, but this run has `{run}`{hint}")
        })
    }
}

/// How budgets read in a header.
pub fn describe_budget(budget: Budget) -> String {
    format!(
        "time={}ms steps={} preemption={}ms",
        budget.time.as_millis(),
        budget.steps,
        budget.preemption.as_millis()
    )
}

/// A decision list with its header.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DecisionFile {
    /// What it belongs to.
    pub header: Header,
    /// The decisions, in order.
    pub decisions: Vec<Decision>,
}

impl DecisionFile {
    /// The file's text; `replay` is the command that replays it (a comment on the first line).
    pub fn to_text(&self, replay: &str) -> String {
        let h = &self.header;
        let mut text = format!("# plughost decision list: {replay}\n");
        text += &format!("format = {}\n", h.format);
        for (key, value) in [
            ("scenario", &h.scenario),
            ("scenario_hash", &h.scenario_hash),
            ("design", &h.design),
            ("mutant", &h.mutant),
            ("strategy", &h.strategy),
            ("budget", &h.budget),
            ("faults", &h.faults),
            ("ends", &h.ends.name().to_string()),
        ] {
            text += &format!("{key} = {}\n", quoted(value));
        }
        text += &format!("decisions = {}\n---\n", self.decisions.len());
        let tokens: Vec<String> = self.decisions.iter().map(Decision::to_string).collect();
        for line in tokens.chunks(20) {
            text += &line.join(" ");
            text.push('\n');
        }
        text
    }

    /// Reads a file's text; errors say where.
    pub fn parse(text: &str) -> Result<DecisionFile, FileError> {
        let (head, body) = text
            .split_once("\n---\n")
            .or_else(|| text.strip_suffix("\n---").map(|head| (head, "")))
            .ok_or_else(|| FileError::new(0, "no `---` line between the header and the decisions"))?;
        let header = parse_header(head)?;
        let first_body_line = head.lines().count() + 2;
        let mut decisions = Vec::new();
        for (offset, line) in body.lines().enumerate() {
            for token in line.split_whitespace() {
                let decision = Decision::parse(token).ok_or_else(|| {
                    FileError::new(
                        first_body_line + offset,
                        format!(
                            "decision {} is `{token}`, not INDEX/OPTIONS (optionally e: or f:)",
                            decisions.len() + 1
                        ),
                    )
                })?;
                decisions.push(decision);
            }
        }
        let (count, header) = header;
        if count != decisions.len() {
            return Err(FileError::new(
                0,
                format!("the header says {count} decisions, the list has {}", decisions.len()),
            ));
        }
        Ok(DecisionFile { header, decisions })
    }
}

fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn unquoted(value: &str) -> Option<String> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
}

fn parse_header(head: &str) -> Result<(usize, Header), FileError> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    for (index, line) in head.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| FileError::new(index + 1, format!("`{line}` is not `key = value`")))?;
        fields.push((key.trim(), value.trim().to_string()));
    }
    let get = |key: &str| -> Result<&String, FileError> {
        fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v).ok_or_else(|| {
            FileError::new(
                0,
                format!("the header has no `{key}` (a list written by an older plughost? record it again)"),
            )
        })
    };
    let number = |key: &str| -> Result<usize, FileError> {
        get(key)?.parse().map_err(|_| FileError::new(0, format!("header `{key}` is not a number")))
    };
    let text = |key: &str| -> Result<String, FileError> {
        unquoted(get(key)?).ok_or_else(|| FileError::new(0, format!("header `{key}` is not a quoted string")))
    };
    let format = number("format")? as u32;
    if format != FORMAT {
        return Err(FileError::new(0, format!("format {format} is not one this plughost reads ({FORMAT})")));
    }
    let header = Header {
        format,
        scenario: text("scenario")?,
        scenario_hash: text("scenario_hash")?,
        design: text("design")?,
        mutant: text("mutant")?,
        strategy: text("strategy")?,
        budget: text("budget")?,
        faults: text("faults")?,
        ends: Ends::parse(&text("ends")?).ok_or_else(|| {
            FileError::new(0, "header `ends` is neither `completion` nor `first-violation`")
        })?,
    };
    Ok((number("decisions")?, header))
}

/// A decision-list file that cannot be read.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FileError {
    /// The line (1-based), or 0 for the header as a whole.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    fn new(line: usize, message: impl Into<String>) -> FileError {
        FileError { line, message: message.into() }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            line => write!(f, "line {line}: {}", self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DecisionFile {
        DecisionFile {
            header: Header {
                format: FORMAT,
                scenario: "pump_kernel".into(),
                scenario_hash: "0123456789abcdef".into(),
                design: "pump".into(),
                mutant: "none".into(),
                strategy: "random --seed 3".into(),
                budget: "time=1ms steps=2 preemption=3ms".into(),
                faults: "none".into(),
                ends: Ends::FirstViolation,
            },
            decisions: (0..45)
                .map(|i| Decision::parse(if i % 3 == 0 { "e:1/4" } else { "1/2" }).unwrap())
                .collect(),
        }
    }

    #[test]
    fn a_file_round_trips() {
        let file = sample();
        assert_eq!(DecisionFile::parse(&file.to_text("plughost replay …")), Ok(file));
    }

    #[test]
    fn a_bad_file_says_where() {
        let text = sample().to_text("x");
        let wrong_count = text.replace("decisions = 45", "decisions = 44");
        assert!(DecisionFile::parse(&wrong_count).unwrap_err().message.contains("says 44 decisions"));
        let bad_token = text.replacen("1/2", "2/2", 1);
        let error = DecisionFile::parse(&bad_token).unwrap_err();
        assert_eq!((error.line, error.message.starts_with("decision 2 is `2/2`")), (13, true), "{error}");
        let bare = "2 0 1\n";
        assert!(DecisionFile::parse(bare).unwrap_err().message.contains("no `---` line"));
        let no_mutant = text.replace("mutant = \"none\"\n", "");
        assert!(DecisionFile::parse(&no_mutant).unwrap_err().message.contains("no `mutant`"));
    }

    #[test]
    fn a_mismatch_names_the_field() {
        let file = sample().header;
        let mut run = file.clone();
        run.strategy = "pct".into();
        assert_eq!(file.mismatch(&run), None, "the strategy that made a list does not matter");
        run.mutant = "no-recheck".into();
        let message = file.mismatch(&run).unwrap();
        assert!(message.starts_with("header `mutant` is `none`, but this run has `no-recheck`"), "{message}");
    }
}
