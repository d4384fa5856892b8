//! `replay --html FILE`: one self-contained page a reviewer opens from a CI artefact — the
//! replay command, the verdict and why (the wait-for cycle, the violated invariant), the
//! sequence diagram drawn as inline SVG, its Mermaid source, and the full trace with the
//! violating event marked. No script, style or font is fetched from anywhere.
//!
//! The page carries one small inline script that measures the drawn diagram and writes what
//! it measured into `body[data-rendered]`, so a headless browser's DOM dump proves the page
//! rendered (the tests check it in Chromium). Its [`escape`] serves the JUnit report too.

use std::fmt::Write as _;

use crate::diagram::{Arrow, Diagram, Item, Tone};

/// What the page shows.
pub struct Report<'a> {
    /// The scenario's name.
    pub scenario: &'a str,
    /// The command that replays the run.
    pub replay: &'a str,
    /// The verdict.
    pub verdict: &'a str,
    /// What the scenario expected.
    pub expected: &'a str,
    /// Why (the verdict's detail lines).
    pub details: &'a [String],
    /// The canonical trace.
    pub trace: &'a str,
    /// The 0-based index of the trace line at which the verdict's finding happened, if known.
    pub marked_line: Option<usize>,
    /// The diagram.
    pub diagram: &'a Diagram,
}

/// The whole page.
pub fn page(report: &Report<'_>) -> String {
    let mut html = String::new();
    let title = format!("plughost: {} — {}", report.scenario, report.verdict);
    let _ = write!(
        html,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{STYLE}</style></head>\n<body>\n",
        escape(&title)
    );
    let _ = writeln!(html, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(html, "<p>expected: {}</p>", escape(report.expected));
    let _ = writeln!(html, "<h2>Replay</h2>\n<pre id=\"replay\">{}</pre>", escape(report.replay));
    let _ = writeln!(html, "<h2>Why</h2>\n<pre id=\"why\">{}</pre>", escape(&why(report)));
    let _ = writeln!(html, "<h2>Sequence diagram</h2>\n<div id=\"diagram\">{}</div>", svg(report.diagram));
    let _ = writeln!(
        html,
        "<details><summary>Mermaid source</summary><pre id=\"mermaid\">{}</pre></details>",
        escape(&report.diagram.to_mermaid())
    );
    let _ = writeln!(html, "<h2>Trace</h2>\n<pre id=\"trace\">{}</pre>", trace(report));
    let _ = writeln!(html, "<script>{CHECK}</script>\n</body></html>");
    html
}

fn why(report: &Report<'_>) -> String {
    let mut text = format!("verdict: {}\n", report.verdict);
    for line in report.details {
        let _ = writeln!(text, "  {line}");
    }
    text
}

fn trace(report: &Report<'_>) -> String {
    let mut out = String::new();
    for (index, line) in report.trace.lines().enumerate() {
        if Some(index) == report.marked_line {
            let _ = writeln!(out, "<mark id=\"violation\">{}</mark>", escape(line));
        } else {
            let _ = writeln!(out, "{}", escape(line));
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}\
#replay{font-size:14px;background:#eef4ff}mark{background:#ffc9c9;font-weight:bold}\
svg text{font-family:monospace;font-size:11px}#diagram{overflow-x:auto}";

const CHECK: &str = "(function(){var s=document.querySelector('#diagram svg');\
var b=s?s.getBBox():{width:0,height:0};\
var p=s?s.querySelectorAll('text.participant').length:0;\
var r=s?s.querySelectorAll('.row').length:0;\
document.body.setAttribute('data-rendered','svg '+Math.round(b.width)+'x'+Math.round(b.height)+' participants '+p+' rows '+r);})();";

const ROW_PX: usize = 26;
const CHAR_PX: f64 = 6.7;
const TOP_PX: usize = 70;

/// The diagram as inline SVG: a column per participant (boxed by process), a row per item.
pub fn svg(diagram: &Diagram) -> String {
    let longest = diagram.participants.iter().map(|p| p.name.len()).max().unwrap_or(8);
    let column = ((longest as f64 * CHAR_PX) as usize + 30).max(130);
    let x = |index: usize| 10 + column * index + column / 2;
    let width = 20 + column * diagram.participants.len().max(1);
    let height = TOP_PX + ROW_PX * (diagram.items.len() + 1);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n"
    );
    out.push_str(
        "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\"/></marker></defs>\n",
    );
    processes(&mut out, diagram, column, height);
    for (index, participant) in diagram.participants.iter().enumerate() {
        let _ = writeln!(
            out,
            "<line x1=\"{0}\" y1=\"{TOP_PX}\" x2=\"{0}\" y2=\"{height}\" stroke=\"#bbb\" stroke-dasharray=\"3,3\"/>\n\
             <rect x=\"{1}\" y=\"36\" width=\"{2}\" height=\"24\" rx=\"3\" fill=\"#fff\" stroke=\"#555\"/>\n\
             <text class=\"participant\" x=\"{0}\" y=\"52\" text-anchor=\"middle\">{3}</text>",
            x(index),
            x(index) - column / 2 + 6,
            column - 12,
            escape(&participant.name)
        );
    }
    for (row, item) in diagram.items.iter().enumerate() {
        let y = TOP_PX + ROW_PX * (row + 1);
        match item {
            Item::Message { from, to, text, arrow } => message(&mut out, x(*from), x(*to), y, text, *arrow),
            Item::Note { over, text, tone } => note(&mut out, x(*over), y, width, text, *tone),
        }
    }
    out.push_str("</svg>");
    out
}

/// A light box behind each process's columns, with the process's name.
fn processes(out: &mut String, diagram: &Diagram, column: usize, height: usize) {
    let mut start = 0;
    while start < diagram.participants.len() {
        let process = &diagram.participants[start].process;
        let end = start + diagram.participants[start..].iter().take_while(|p| &p.process == process).count();
        let fill = if process == "svc" { "#eef4ff" } else { "#f1faee" };
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"4\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{fill}\" stroke=\"#ccc\"/>\n\
             <text x=\"{}\" y=\"22\" font-weight=\"bold\">{}</text>",
            12 + column * start,
            column * (end - start) - 4,
            height - 8,
            20 + column * start,
            escape(process)
        );
        start = end;
    }
}

fn message(out: &mut String, from: usize, to: usize, y: usize, text: &str, arrow: Arrow) {
    let (stroke, dash) = match arrow {
        Arrow::Call => ("#222", ""),
        Arrow::Return => ("#222", " stroke-dasharray=\"6,3\""),
        Arrow::Spawn => ("#888", " stroke-dasharray=\"2,3\""),
        Arrow::Wait => ("#c00", " stroke-dasharray=\"6,3\""),
    };
    let colour = if arrow == Arrow::Wait { "#c00" } else { "#222" };
    if from == to {
        let _ = writeln!(
            out,
            "<g class=\"row\"><path d=\"M{from},{} h30 v10 h-28\" fill=\"none\" stroke=\"{stroke}\"{dash} marker-end=\"url(#head)\"/>\
             <text x=\"{}\" y=\"{}\" fill=\"{colour}\"><title>{}</title>{}</text></g>",
            y - 8,
            from + 36,
            y,
            escape(text),
            escape(&shorten(text, 48))
        );
        return;
    }
    let span = from.abs_diff(to);
    let fits = ((span as f64 / CHAR_PX) as usize).max(24);
    let _ = writeln!(
        out,
        "<g class=\"row\"><line x1=\"{from}\" y1=\"{y}\" x2=\"{to}\" y2=\"{y}\" stroke=\"{stroke}\"{dash} marker-end=\"url(#head)\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{colour}\"><title>{}</title>{}</text></g>",
        from.min(to) + span / 2,
        y - 4,
        escape(text),
        escape(&shorten(text, fits))
    );
}

fn note(out: &mut String, x: usize, y: usize, width: usize, text: &str, tone: Tone) {
    let (fill, stroke) = match tone {
        Tone::Plain => ("#fffbe6", "#d9c77a"),
        Tone::Lock => ("#eef", "#99c"),
        Tone::Crash => ("#ffe6cc", "#e08a2c"),
        Tone::Verdict => ("#ffd7d7", "#c00"),
    };
    let shown = shorten(text, 90);
    let box_width = (shown.chars().count() as f64 * CHAR_PX) as usize + 12;
    let left = x.saturating_sub(box_width / 2).clamp(2, width.saturating_sub(box_width + 2).max(2));
    let _ = writeln!(
        out,
        "<g class=\"row\"><rect x=\"{left}\" y=\"{}\" width=\"{box_width}\" height=\"19\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
         <text x=\"{}\" y=\"{}\"><title>{}</title>{}</text></g>",
        y - 14,
        left + 6,
        y,
        escape(text),
        escape(&shown)
    );
}

/// At most `chars` characters, an ellipsis marking a cut.
fn shorten(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Text and attribute escaping for HTML and XML (the JUnit report's too): the five markup
/// characters as entities, control characters other than newline and tab dropped (XML 1.0
/// cannot carry them).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}
