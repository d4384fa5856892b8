//! A run as a sequence diagram: the service's and the hosts' threads as participants (boxed
//! by process), calls and their returns, callbacks, spawns, the locks threads blocked on and
//! who held them, steps, plugin log lines, crashes, and at the end the verdict with its
//! wait-for cycle or violated invariant.
//!
//! Built from the canonical trace text (its format is documented in ARCHITECTURE.md) and the
//! run's verdict details, so it shows exactly what the trace shows, only shorter: lock
//! operations appear only for locks some thread blocked on, and bookkeeping events (exits,
//! event sets, pump internals) are left out. Rendered as Mermaid text here, and as SVG by
//! [`crate::html`]. Never influences a run.

use std::collections::BTreeMap;

/// One participant: a logical thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    /// Its trace name (`svc/T-1-start-distro`, `host:TestPlugin/H-2`).
    pub name: String,
    /// Its process (`svc`, `host:TestPlugin`).
    pub process: String,
}

/// How an arrow is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrow {
    /// A call (hook or callback) to the thread that serves it.
    Call,
    /// A call's result, back to its caller.
    Return,
    /// A thread starting another.
    Spawn,
    /// A thread blocked on something another thread holds.
    Wait,
}

/// What a note is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// A client step beginning, a plugin's log line.
    Plain,
    /// A contended lock taken or released.
    Lock,
    /// A host crash, a kill.
    Crash,
    /// The verdict: a violated invariant, a deadlock, a livelock.
    Verdict,
}

/// One row of the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// An arrow between two participants (indices into `participants`).
    Message { from: usize, to: usize, text: String, arrow: Arrow },
    /// A note over one participant.
    Note { over: usize, text: String, tone: Tone },
}

/// A whole diagram.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagram {
    /// Participants, grouped by process (the service first), each in order of appearance.
    pub participants: Vec<Participant>,
    /// Rows, in trace order; the verdict's rows last.
    pub items: Vec<Item>,
}

/// One canonical trace line: time, thread, event.
struct Line<'a> {
    thread: &'a str,
    event: &'a str,
}

fn parse_line(line: &str) -> Option<Line<'_>> {
    let (time, rest) = line.trim_start().split_once(' ')?;
    if !time.ends_with("ms") {
        return None;
    }
    let (thread, event) = rest.trim_start().split_once(' ')?;
    Some(Line { thread, event: event.trim_start() })
}

fn process_of(thread: &str) -> &str {
    thread.split_once('/').map_or(thread, |(process, _)| process)
}

/// Builds the diagram of a run from its trace, its verdict's lines (`verdict` first) and
/// where invariants were violated (`marks`: trace line index, invariant), which appear as
/// notes over the violating thread right after the violating event.
pub fn build(trace: &str, verdict: &str, details: &[String], marks: &[(usize, &str)]) -> Diagram {
    let lines: Vec<Option<Line<'_>>> = trace.lines().map(parse_line).collect();
    let contended: Vec<&str> =
        lines.iter().flatten().filter_map(|l| blocked_on(l.event).map(|(lock, _)| lock)).collect();
    let mut builder = Builder::default();
    for line in lines.iter().flatten() {
        builder.participant(line.thread);
    }
    for (index, line) in lines.iter().enumerate() {
        let Some(line) = line else { continue };
        builder.line(line, lines.get(index + 1).and_then(Option::as_ref), &contended);
        for (_, invariant) in marks.iter().filter(|(at, _)| *at == index) {
            builder.note(line.thread, format!("{invariant} violated here: {}", line.event), Tone::Verdict);
        }
    }
    builder.verdict(verdict, details);
    builder.finish()
}

/// `blocks on L (held by T)` → `(L, T)`.
fn blocked_on(event: &str) -> Option<(&str, &str)> {
    let rest = event.strip_prefix("blocks on ")?;
    let (lock, holder) = rest.split_once(" (held by ")?;
    Some((lock, holder.trim_end_matches(')')))
}

#[derive(Default)]
struct Builder {
    names: Vec<String>,
    items: Vec<(RawItem, usize)>,
    /// Per caller thread, its calls in flight: (what was called, the thread serving it).
    calls: BTreeMap<String, Vec<(String, Option<String>)>>,
}

/// An item with participants still named, indexed once every participant is known.
enum RawItem {
    Message { from: String, to: String, text: String, arrow: Arrow },
    Note { over: String, text: String, tone: Tone },
}

impl Builder {
    fn participant(&mut self, name: &str) {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
    }

    fn push(&mut self, item: RawItem) {
        let order = self.items.len();
        self.items.push((item, order));
    }

    fn message(&mut self, from: &str, to: &str, text: String, arrow: Arrow) {
        self.participant(to);
        self.push(RawItem::Message { from: from.to_string(), to: to.to_string(), text, arrow });
    }

    fn note(&mut self, over: &str, text: String, tone: Tone) {
        self.push(RawItem::Note { over: over.to_string(), text, tone });
    }

    fn line(&mut self, line: &Line<'_>, next: Option<&Line<'_>>, contended: &[&str]) {
        let (thread, event) = (line.thread, line.event);
        if let Some(rest) = event.strip_prefix("calls ") {
            let (what, _) = rest.rsplit_once(" on ").unwrap_or((rest, ""));
            // The kernel starts the serving thread right after the call, from the caller.
            let server = next
                .filter(|n| n.thread == thread)
                .and_then(|n| n.event.strip_prefix("spawn "))
                .map(str::to_string);
            if let Some(server) = &server {
                self.message(thread, server, what.to_string(), Arrow::Call);
            } else {
                self.note(thread, format!("calls {what}"), Tone::Plain);
            }
            self.calls.entry(thread.to_string()).or_default().push((what.to_string(), server));
        } else if let Some(spawned) = event.strip_prefix("spawn ") {
            let served_call = self
                .calls
                .get(thread)
                .and_then(|calls| calls.last())
                .is_some_and(|(_, server)| server.as_deref() == Some(spawned));
            if !served_call {
                self.message(thread, spawned, "spawn".to_string(), Arrow::Spawn);
            }
        } else if let Some((what, result)) = event.split_once(" returned ") {
            let call = self.calls.get_mut(thread).and_then(|calls| {
                let position = calls.iter().rposition(|(called, _)| called == what)?;
                Some(calls.remove(position))
            });
            match call {
                Some((_, Some(server))) => self.message(&server, thread, result.to_string(), Arrow::Return),
                _ => self.note(thread, format!("{what} returned {result}"), Tone::Plain),
            }
        } else if let Some((lock, holder)) = blocked_on(event) {
            self.message(thread, holder, format!("blocks on {lock}"), Arrow::Wait);
        } else if let Some(lock) = event
            .strip_prefix("lock and unlock ")
            .or_else(|| event.strip_prefix("lock "))
            .or_else(|| event.strip_prefix("unlock "))
        {
            let name = lock.trim_end_matches(" (shared)");
            if contended.contains(&name) {
                self.note(thread, event.to_string(), Tone::Lock);
            }
        } else if event.starts_with("kills ") || event.contains("crash") {
            self.note(thread, event.to_string(), Tone::Crash);
        } else if event.starts_with("step ")
            || event.contains(" log: ")
            || event.starts_with("waits to join ")
        {
            self.note(thread, event.to_string(), Tone::Plain);
        }
    }

    /// The verdict's rows: each wait-for line as an arrow to the thread it waits for, every
    /// other detail as a note over the thread it names (else the first participant).
    fn verdict(&mut self, verdict: &str, details: &[String]) {
        let first = self.names.first().cloned().unwrap_or_else(|| "svc/main".to_string());
        self.participant(&first);
        let tone = if verdict == "pass" { Tone::Plain } else { Tone::Verdict };
        self.note(&first, format!("verdict: {verdict}"), tone);
        for detail in details.iter().map(|d| d.trim()) {
            let mut mentioned: Vec<(usize, String)> = self
                .names
                .iter()
                .filter_map(|name| Some((first_mention(detail, name)?, name.clone())))
                .collect();
            mentioned.sort();
            let waiter = mentioned.first().filter(|(at, _)| *at == 0 && detail.contains(" wait"));
            let waited = mentioned.last().filter(|(at, _)| *at > 0);
            match (waiter, waited) {
                (Some((_, waiter)), Some((_, waited))) => {
                    let text = detail[waiter.len()..].trim().to_string();
                    let (waiter, waited) = (waiter.clone(), waited.clone());
                    self.message(&waiter, &waited, text, Arrow::Wait);
                }
                _ => {
                    let over = mentioned.first().map_or(first.clone(), |(_, name)| name.clone());
                    self.note(&over, detail.to_string(), Tone::Verdict);
                }
            }
        }
    }

    fn finish(self) -> Diagram {
        // The service's threads first, then each host's, each in order of appearance.
        let mut processes: Vec<&str> = Vec::new();
        for name in &self.names {
            let process = process_of(name);
            if !processes.contains(&process) {
                processes.push(process);
            }
        }
        processes.sort_by_key(|process| *process != "svc");
        let mut participants = Vec::new();
        for process in &processes {
            for name in self.names.iter().filter(|name| process_of(name) == *process) {
                participants.push(Participant { name: name.clone(), process: process.to_string() });
            }
        }
        let index =
            |name: &str| participants.iter().position(|p| p.name == name).expect("a known participant");
        let items = self
            .items
            .into_iter()
            .map(|(item, _)| match item {
                RawItem::Message { from, to, text, arrow } => {
                    Item::Message { from: index(&from), to: index(&to), text, arrow }
                }
                RawItem::Note { over, text, tone } => Item::Note { over: index(&over), text, tone },
            })
            .collect();
        Diagram { participants, items }
    }
}

/// Where `text` first names the thread `name` as a whole word (not `svc/R-1` in `svc/R-12`).
fn first_mention(text: &str, name: &str) -> Option<usize> {
    text.match_indices(name).map(|(at, _)| at).find(|&at| {
        let after = text[at + name.len()..].chars().next();
        !after.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
    })
}

impl Diagram {
    /// Mermaid `sequenceDiagram` text.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("sequenceDiagram\n");
        let mut current: Option<&str> = None;
        for (index, participant) in self.participants.iter().enumerate() {
            if current != Some(participant.process.as_str()) {
                if current.is_some() {
                    out.push_str("    end\n");
                }
                out.push_str(&format!("    box {}\n", mermaid_text(&participant.process)));
                current = Some(&participant.process);
            }
            out.push_str(&format!("        participant p{index} as {}\n", mermaid_text(&participant.name)));
        }
        if current.is_some() {
            out.push_str("    end\n");
        }
        for item in &self.items {
            match item {
                Item::Message { from, to, text, arrow } => {
                    let arrow = match arrow {
                        Arrow::Call => "->>",
                        Arrow::Return => "-->>",
                        Arrow::Spawn => "-)",
                        Arrow::Wait => "--x",
                    };
                    out.push_str(&format!("    p{from}{arrow}p{to}: {}\n", mermaid_text(text)));
                }
                Item::Note { over, text, tone } => {
                    let note = format!("Note over p{over}: {}", mermaid_text(text));
                    match tone {
                        Tone::Plain | Tone::Lock => out.push_str(&format!("    {note}\n")),
                        Tone::Crash => {
                            out.push_str(&format!("    rect rgb(255, 230, 200)\n        {note}\n    end\n"))
                        }
                        Tone::Verdict => {
                            out.push_str(&format!("    rect rgb(255, 215, 215)\n        {note}\n    end\n"))
                        }
                    }
                }
            }
        }
        out
    }
}

/// Text made safe for a Mermaid statement: its entity codes for the characters Mermaid
/// reads as syntax (`#`, `;`, `<`, `>`), and one line.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "       0.000ms svc/T-1                      calls OnVMStarted on host:P
       0.000ms svc/T-1                      spawn host:P/H-1
       0.000ms host:P/H-1                   calls MountFolder (session#1) on svc
       0.000ms host:P/H-1                   spawn svc/R-1
       0.000ms svc/R-1                      blocks on session#1.instance_lock (held by svc/T-1)
       0.000ms host:P/H-1                   kills host:P
       0.000ms svc/T-1                      OnVMStarted returned transport error RPC_S_CALL_FAILED
";

    #[test]
    fn calls_returns_waits_and_crashes_become_rows() {
        let diagram = build(
            TRACE,
            "deadlock",
            &["svc/R-1 waits for lock L held by svc/T-1".to_string()],
            &[(5, "I-10")],
        );
        let names: Vec<&str> = diagram.participants.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["svc/T-1", "svc/R-1", "host:P/H-1"], "the service's threads first");
        let text = diagram.to_mermaid();
        assert!(text.contains("p0->>p2: OnVMStarted"), "{text}");
        assert!(text.contains("p2->>p1: MountFolder (session#35;1)"), "{text}");
        assert!(text.contains("p1--xp0: blocks on session#35;1.instance_lock"), "{text}");
        assert!(text.contains("rect rgb(255, 230, 200)\n        Note over p2: kills host:P"), "{text}");
        assert!(text.contains("p2-->>p0: transport error RPC_S_CALL_FAILED"), "{text}");
        assert!(text.contains("p1--xp0: waits for lock L held by"), "{text}");
        assert!(text.contains("rect rgb(255, 215, 215)\n        Note over p0: verdict: deadlock"), "{text}");
        assert!(text.contains("    box svc\n") && text.contains("    box host:P\n"), "{text}");
        assert!(text.contains("Note over p2: I-10 violated here: kills host:P"), "{text}");
    }

    #[test]
    fn thread_names_are_matched_whole() {
        assert_eq!(first_mention("svc/R-12 waits for svc/R-1", "svc/R-1"), Some(19));
        assert_eq!(first_mention("svc/R-12 waits", "svc/R-1"), None);
    }
}
