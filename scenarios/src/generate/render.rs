//! A generated [`Shape`] as scenario-file text that the parser accepts, whatever shrinking
//! left of it: a step naming a distribution not yet registered names `Ubuntu` instead, a
//! WSLC step naming a session no earlier step created creates it, each worker has a name
//! of its own and is joined (when it is) by the hook that spawned it, and every step's
//! result is `"any"` — a generated scenario has no hand-written expectations, so its runs
//! are judged by the always-on oracles alone, by `generate` and by a pasted `replay` alike.
//!
//! Pure text building: never parses, never runs.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use plughost_model::wire::HookKind;

use crate::format::hook_key;

use super::shape::{Act, Call, FaultShape, Leaf, Op, PluginShape, Shape, StepShape};

/// The distributions registered when the service starts.
const WORLD_DISTROS: [&str; 2] = ["Ubuntu", "Fedora"];
/// Every distribution name a step may use: the world's, then the two a step may register.
const DISTROS: [&str; 4] = ["Ubuntu", "Fedora", "Debian", "Alpine"];
/// WSLC session names.
const WSLC_SESSIONS: [&str; 2] = ["s1", "s2"];

/// The scenario file for `shape`, with `description` as its description.
pub fn render(shape: &Shape, description: &str) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "description = {}", quoted(description));
    let _ = writeln!(text, "\n[world]\ndistros = [\"{}\"]", WORLD_DISTROS.join("\", \""));
    render_faults(&mut text, shape.faults);
    for (index, plugin) in shape.plugins.iter().enumerate() {
        render_plugin(&mut text, index, plugin);
    }
    let mut known =
        Known { distros: WORLD_DISTROS.iter().map(|d| d.to_string()).collect(), wslc: BTreeSet::new() };
    for step in &shape.steps {
        render_step(&mut text, step, &mut known);
    }
    text
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn render_faults(text: &mut String, faults: FaultShape) {
    if faults.crash + faults.reject + faults.slow == 0 {
        return;
    }
    let _ = writeln!(text, "\n[faults]");
    for (key, count) in [("crash", faults.crash), ("reject", faults.reject), ("slow", faults.slow)] {
        if count > 0 {
            let _ = writeln!(text, "{key} = {count}");
        }
    }
}

fn render_plugin(text: &mut String, index: usize, plugin: &PluginShape) {
    let name = format!("P{}", index + 1);
    let _ = writeln!(text, "\n[[plugin]]\nname = \"{name}\"");
    if plugin.load_fails {
        let _ = writeln!(text, "on_load = [{{ return = \"E_FAIL\" }}]");
    }
    let mut done = BTreeSet::new();
    let mut workers = 0;
    for (hook, acts) in &plugin.hooks {
        if !done.insert(*hook) {
            continue;
        }
        let mut actions = Vec::new();
        for (position, act) in acts.iter().enumerate() {
            render_act(&mut actions, *hook, position, act, &mut workers);
        }
        let _ = writeln!(text, "{} = [", hook_key(*hook));
        for action in actions {
            let _ = writeln!(text, "    {action},");
        }
        let _ = writeln!(text, "]");
    }
}

fn render_act(actions: &mut Vec<String>, hook: HookKind, position: usize, act: &Act, workers: &mut u32) {
    match act {
        Act::Log => actions.push(format!("{{ log = \"{} {position}: {{hr}}\" }}", hook_key(hook))),
        Act::Call(call) => actions.push(render_call(*call, hook)),
        Act::Sleep(ms) => actions.push(format!("{{ sleep_ms = {ms} }}")),
        Act::Worker { calls, count, joined } => {
            *workers += 1;
            let worker = format!("w{workers}");
            let mut body: Vec<String> = calls.iter().map(|call| render_call(*call, hook)).collect();
            body.push("{ log = \"{worker}: {hr}\" }".to_string());
            actions.push(format!(
                "{{ spawn = {{ worker = \"{worker}\", count = {count}, do = [{}] }} }}",
                body.join(", ")
            ));
            if *joined {
                actions.push(format!("{{ join = \"{worker}\" }}"));
            }
        }
        Act::Return(failure) => actions.push(format!("{{ return = \"{}\" }}", failure.name())),
        Act::PluginError => actions.push(format!("{{ plugin_error = \"{} failed\" }}", hook_key(hook))),
        Act::Crash => actions.push("\"crash\"".to_string()),
    }
}

fn render_call(call: Call, hook: HookKind) -> String {
    if hook.is_wslc() {
        return match call {
            Call::Mount | Call::MountInSessionTwo => {
                "{ wslc_mount_folder = { windows = 'C:\\plugin', mountpoint = \"/generated\" } }".to_string()
            }
            Call::Execute | Call::ExecuteInDistribution => {
                "{ wslc_create_process = { executable = \"/bin/true\" } }".to_string()
            }
        };
    }
    match call {
        Call::Mount => "{ mount_folder = { windows = 'C:\\plugin', linux = \"/generated\" } }".to_string(),
        Call::Execute => "{ execute_binary = { path = \"/bin/true\" } }".to_string(),
        Call::ExecuteInDistribution => {
            "{ execute_binary_in_distribution = { path = \"/bin/echo\", args = [\"hi\"] } }".to_string()
        }
        Call::MountInSessionTwo => {
            "{ mount_folder = { windows = 'C:\\plugin', linux = \"/other\", session = 2 } }".to_string()
        }
    }
}

/// The names earlier steps made known.
struct Known {
    distros: BTreeSet<String>,
    wslc: BTreeSet<String>,
}

impl Known {
    /// A distribution a step may name: the one asked for when it exists by now, else the
    /// first of the world's.
    fn distro(&self, index: u8) -> &'static str {
        let name = DISTROS[usize::from(index) % DISTROS.len()];
        if self.distros.contains(name) { name } else { WORLD_DISTROS[0] }
    }
}

fn render_step(text: &mut String, step: &StepShape, known: &mut Known) {
    match step {
        StepShape::One(leaf) => {
            let _ = writeln!(text, "\n[[step]]\n{}", render_leaf(leaf, known).join("\n"));
        }
        StepShape::Parallel(leaves) => {
            let members: Vec<String> =
                leaves.iter().map(|leaf| format!("{{ {} }}", render_leaf(leaf, known).join(", "))).collect();
            let _ = writeln!(text, "\n[[step]]\nparallel = [{}]", members.join(", "));
        }
        StepShape::Sleep(ms) => {
            let _ = writeln!(text, "\n[[step]]\nsleep_ms = {ms}");
        }
    }
}

/// A leaf step's `key = value` pairs: its operation, its session unless the first, and
/// `expect = "any"`.
fn render_leaf(leaf: &Leaf, known: &mut Known) -> Vec<String> {
    let mut pairs = vec![render_op(leaf.op, known)];
    if leaf.session != 1 {
        pairs.push(format!("session = {}", leaf.session));
    }
    pairs.push("expect = \"any\"".to_string());
    pairs
}

fn render_op(op: Op, known: &mut Known) -> String {
    let registered = |index: u8| DISTROS[2 + usize::from(index) % 2];
    match op {
        Op::StartDistro(d) => format!("start_distro = \"{}\"", known.distro(d)),
        Op::StartVm => "start_vm = true".to_string(),
        Op::TerminateDistro(d) => format!("terminate_distro = \"{}\"", known.distro(d)),
        Op::Shutdown => "shutdown = true".to_string(),
        Op::RegisterDistro(d) | Op::ImportInPlace(d) => {
            let name = registered(d);
            known.distros.insert(name.to_string());
            let key = if matches!(op, Op::RegisterDistro(_)) { "register_distro" } else { "import_in_place" };
            format!("{key} = \"{name}\"")
        }
        Op::UnregisterDistro(d) => format!("unregister_distro = \"{}\"", known.distro(d)),
        Op::DistroExits(d) => format!("distro_exits = \"{}\"", known.distro(d)),
        Op::VmExits => "vm_exits = true".to_string(),
        Op::WslcCreateSession(s) => create_session(s, known),
        Op::WslcTerminateSession(s)
        | Op::WslcStartContainer(s)
        | Op::WslcStopContainer(s)
        | Op::WslcPullImage(s) => {
            let session = WSLC_SESSIONS[usize::from(s) % WSLC_SESSIONS.len()];
            if !known.wslc.contains(session) {
                return create_session(s, known);
            }
            match op {
                Op::WslcTerminateSession(_) => format!("wslc_terminate_session = \"{session}\""),
                Op::WslcStartContainer(_) => {
                    format!("wslc_start_container = {{ wslc_session = \"{session}\", container = \"c\" }}")
                }
                Op::WslcStopContainer(_) => {
                    format!("wslc_stop_container = {{ wslc_session = \"{session}\", container = \"c\" }}")
                }
                _ => format!("wslc_pull_image = {{ wslc_session = \"{session}\", image = \"i\" }}"),
            }
        }
    }
}

fn create_session(index: u8, known: &mut Known) -> String {
    let session = WSLC_SESSIONS[usize::from(index) % WSLC_SESSIONS.len()];
    known.wslc.insert(session.to_string());
    format!("wslc_create_session = \"{session}\"")
}
