//! The wait-for graph across processes, and the deadlock and livelock reports built on it.
//!
//! Edges: a lock waiter → the lock's holders; a joiner → the joined thread; a caller → the
//! thread serving its call (hook calls into hosts, callbacks into the service); an event
//! waiter → the event's expected signaller, when the model declared one. A report names
//! the first cycle found (rotated to start at its lowest thread id, so it is stable) and
//! then every other blocked thread with what it waits for.

use std::collections::BTreeSet;

use plughost_model::platform::ThreadId;

use crate::kernel::{State, ThreadState, Wait};
use crate::outcome::{Outcome, Report};
use crate::trace;

/// Quiescence with blocked threads.
pub(crate) fn deadlock(state: &State) -> Outcome {
    let blocked = blocked_threads(state);
    match find_cycle(state, &blocked) {
        Some(cycle) => Outcome::Deadlock(cycle_report(state, &cycle, &blocked)),
        None => Outcome::Deadlock(Report {
            summary: format!("deadlock: nothing can run and {} threads are blocked forever", blocked.len()),
            lines: blocked.iter().map(|&t| describe(state, t)).collect(),
        }),
    }
}

/// The virtual-time budget ran out.
pub(crate) fn time_budget_exhausted(state: &State) -> Outcome {
    let summary = format!(
        "livelock: virtual-time budget exhausted at {} with threads still retrying",
        trace::duration(state.clock)
    );
    budget_outcome(state, summary)
}

/// The choice-point budget ran out.
pub(crate) fn step_budget_exhausted(state: &State) -> Outcome {
    let summary = format!("livelock: {} choice points without the run ending", state.steps - 1);
    budget_outcome(state, summary)
}

/// A budget ran out: a cycle among threads that wait without a timeout is a deadlock (the
/// other threads merely kept the clock going); otherwise it is a livelock, and a cycle
/// that closes through a spinning thread is named as the reason it spins.
fn budget_outcome(state: &State, summary: String) -> Outcome {
    let blocked = blocked_threads(state);
    let spinning = state.timed_waiters();
    let untimed: Vec<ThreadId> = blocked.iter().copied().filter(|t| !spinning.contains(t)).collect();
    if let Some(cycle) = find_cycle(state, &untimed) {
        return Outcome::Deadlock(cycle_report(state, &cycle, &blocked));
    }
    let mut lines: Vec<String> = spinning
        .iter()
        .map(|&t| {
            format!(
                "spinning: {} (timed out {} times)",
                describe(state, t),
                state.threads[t.0 as usize].timeouts
            )
        })
        .collect();
    match find_cycle(state, &blocked) {
        Some(cycle) => {
            lines.push("wait-for cycle through the spinning thread:".to_string());
            lines.extend(cycle.iter().map(|&t| format!("  {}", describe(state, t))));
            lines.extend(
                untimed
                    .iter()
                    .filter(|t| !cycle.contains(t))
                    .map(|&t| format!("also blocked: {}", describe(state, t))),
            );
        }
        None => lines.extend(untimed.iter().map(|&t| format!("blocked: {}", describe(state, t)))),
    }
    if let Some(running) = state.running {
        lines.push(format!("{} is running", state.thread_name(running)));
    }
    Outcome::Livelock(Report { summary, lines })
}

fn blocked_threads(state: &State) -> Vec<ThreadId> {
    (0..state.threads.len())
        .map(|i| ThreadId(i as u32))
        .filter(|t| matches!(state.threads[t.0 as usize].state, ThreadState::Blocked { .. }))
        .collect()
}

fn wait_of(state: &State, thread: ThreadId) -> Option<&Wait> {
    match &state.threads[thread.0 as usize].state {
        ThreadState::Blocked { wait, .. } => Some(wait),
        _ => None,
    }
}

/// The threads `thread` waits for.
fn edges(state: &State, thread: ThreadId) -> Vec<ThreadId> {
    match wait_of(state, thread) {
        Some(Wait::Lock(lock)) => {
            let lock = &state.locks[*lock];
            lock.owner.into_iter().chain(lock.shared.iter().copied()).collect()
        }
        Some(Wait::Join(target)) => vec![*target],
        Some(Wait::Call(call)) => state.calls[*call].server.into_iter().collect(),
        Some(Wait::Events(events)) => events.iter().filter_map(|&e| state.events[e].signaller).collect(),
        Some(Wait::Sleep | Wait::Hung) | None => Vec::new(),
    }
}

/// The first cycle of the wait-for graph restricted to `among` (depth-first, each thread
/// explored once).
fn find_cycle(state: &State, among: &[ThreadId]) -> Option<Vec<ThreadId>> {
    let mut explored = BTreeSet::new();
    for &start in among {
        let mut path = vec![start];
        if let Some(cycle) = search(state, among, &mut path, &mut explored) {
            return Some(rotate(cycle));
        }
    }
    None
}

fn search(
    state: &State,
    among: &[ThreadId],
    path: &mut Vec<ThreadId>,
    explored: &mut BTreeSet<ThreadId>,
) -> Option<Vec<ThreadId>> {
    let last = *path.last().expect("the search path is never empty");
    if explored.contains(&last) {
        return None;
    }
    for next in edges(state, last) {
        if let Some(at) = path.iter().position(|&t| t == next) {
            return Some(path[at..].to_vec());
        }
        if !among.contains(&next) {
            continue;
        }
        path.push(next);
        if let Some(cycle) = search(state, among, path, explored) {
            return Some(cycle);
        }
        path.pop();
    }
    explored.insert(last);
    None
}

fn rotate(mut cycle: Vec<ThreadId>) -> Vec<ThreadId> {
    let lowest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
    cycle.rotate_left(lowest);
    cycle
}

fn cycle_report(state: &State, cycle: &[ThreadId], blocked: &[ThreadId]) -> Report {
    let processes: BTreeSet<usize> = cycle.iter().map(|t| state.threads[t.0 as usize].process).collect();
    let mut lines: Vec<String> = cycle.iter().map(|&t| describe(state, t)).collect();
    let others: Vec<String> = blocked
        .iter()
        .filter(|t| !cycle.contains(t))
        .map(|&t| format!("also blocked: {}", describe(state, t)))
        .collect();
    lines.extend(others);
    Report {
        summary: format!(
            "deadlock: wait-for cycle of {} threads across {} processes",
            cycle.len(),
            processes.len()
        ),
        lines,
    }
}

/// One blocked thread and what it waits for.
fn describe(state: &State, thread: ThreadId) -> String {
    let name = state.thread_name(thread);
    let what = match wait_of(state, thread) {
        None => return format!("{name} is not blocked"),
        Some(Wait::Lock(lock)) => {
            let lock = &state.locks[*lock];
            let holders: Vec<String> = lock
                .owner
                .map(|o| format!("{} (depth {})", state.thread_name(o), lock.depth))
                .into_iter()
                .chain(lock.shared.iter().map(|&t| format!("{} (shared)", state.thread_name(t))))
                .collect();
            format!("waits for lock {} held by {}", lock.name, holders.join(", "))
        }
        Some(Wait::Join(target)) => format!("waits to join {}", state.thread_name(*target)),
        Some(Wait::Call(call)) => {
            let call = &state.calls[*call];
            let server = call.server.map_or("nobody yet".to_string(), |s| state.thread_name(s).to_string());
            format!(
                "waits for call {} to {}, served by {server}",
                call.label, state.processes[call.target].name
            )
        }
        Some(Wait::Events(events)) => {
            let names: Vec<String> = events
                .iter()
                .map(|&e| {
                    let event = &state.events[e];
                    match event.signaller {
                        Some(s) => format!("{} (set by {})", event.name, state.thread_name(s)),
                        None => event.name.clone(),
                    }
                })
                .collect();
            format!("waits on {}", names.join(" or "))
        }
        Some(Wait::Sleep) => "sleeps".to_string(),
        Some(Wait::Hung) => "hangs: the fault plan made this call never return".to_string(),
    };
    format!("{name} {what}")
}
