//! The shape of a generated scenario and the proptest strategies that draw it: plugins with
//! a script per hook (logs, API callbacks, sleeps, workers that call back — joined by their
//! hook or left running — failing returns, `PluginError`, a scripted crash), client steps
//! alone or in parallel in one or two user sessions (VM and distribution starts and stops,
//! registrations, exits, WSLC sessions and their containers and images), and a fault budget.
//!
//! A shape names things by small indices; `render` turns any shape — also one proptest has
//! shrunk — into a valid scenario file, so shrinking never has to know the format's rules.
//! Owns no randomness of its own: every value comes from the proptest runner's seeded RNG.

use plughost_model::wire::HookKind;
use proptest::collection::vec;
use proptest::prelude::*;

/// One generated scenario, before it is text.
#[derive(Clone, Debug)]
pub struct Shape {
    /// The registered plugins, in load order (one or two).
    pub plugins: Vec<PluginShape>,
    /// The client steps, in order (at least one).
    pub steps: Vec<StepShape>,
    /// The fault plan (`[faults]`), all zero for none.
    pub faults: FaultShape,
}

/// One plugin: whether its entry point fails, and its hooks' scripts (the first script of a
/// hook wins when a hook appears twice).
#[derive(Clone, Debug)]
pub struct PluginShape {
    /// `on_load` returns `E_FAIL` (a load failure: fatal for WSL2 starts).
    pub load_fails: bool,
    /// Hook scripts.
    pub hooks: Vec<(HookKind, Vec<Act>)>,
}

/// One action of a hook's script.
#[derive(Clone, Debug)]
pub enum Act {
    /// A log line with the thread's last HRESULT.
    Log,
    /// An API callback.
    Call(Call),
    /// Waits this many virtual milliseconds.
    Sleep(u64),
    /// Starts `count` workers that each make these callbacks; the hook joins them before it
    /// goes on, or returns and leaves them running.
    Worker { calls: Vec<Call>, count: u32, joined: bool },
    /// Returns this failure from the hook.
    Return(Failure),
    /// `PluginError` with a message.
    PluginError,
    /// Terminates the host process.
    Crash,
}

/// An API callback. In a WSLC hook the WSLC API's counterpart is called instead.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    /// `MountFolder` (WSLC: `WSLCMountFolder`).
    Mount,
    /// `ExecuteBinary` (WSLC: `WSLCCreateProcess`).
    Execute,
    /// `ExecuteBinaryInDistribution` (WSLC: `WSLCCreateProcess`).
    ExecuteInDistribution,
    /// `MountFolder` naming user session 2, whatever the hook's (WSLC: its own session).
    MountInSessionTwo,
}

/// A failing HRESULT a hook returns.
#[derive(Clone, Copy, Debug)]
pub enum Failure {
    /// An ordinary plugin failure.
    Fail,
    /// A transport code from a live plugin (not a crash code: spec §9.6).
    CallRejected,
    /// A crash code from a live plugin (classified as a crash: spec §9.6).
    Disconnected,
}

impl Failure {
    /// Its name in a scenario file.
    pub fn name(self) -> &'static str {
        match self {
            Failure::Fail => "E_FAIL",
            Failure::CallRejected => "RPC_E_CALL_REJECTED",
            Failure::Disconnected => "RPC_E_DISCONNECTED",
        }
    }
}

/// A client step: one operation, several at once, or a pause.
#[derive(Clone, Debug)]
pub enum StepShape {
    /// One operation.
    One(Leaf),
    /// Two or three operations at once, each on its own thread.
    Parallel(Vec<Leaf>),
    /// The client waits this many virtual milliseconds.
    Sleep(u64),
}

/// One operation in one user session (1 or 2).
#[derive(Clone, Debug)]
pub struct Leaf {
    /// What the client does.
    pub op: Op,
    /// The user session.
    pub session: u32,
}

/// A client operation. Distributions are numbered 0..4 (the first two exist from the start,
/// the others only once registered); WSLC sessions 0..2.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    StartDistro(u8),
    StartVm,
    TerminateDistro(u8),
    Shutdown,
    RegisterDistro(u8),
    ImportInPlace(u8),
    UnregisterDistro(u8),
    DistroExits(u8),
    VmExits,
    WslcCreateSession(u8),
    WslcTerminateSession(u8),
    WslcStartContainer(u8),
    WslcStopContainer(u8),
    WslcPullImage(u8),
}

/// How many faults of each kind one run may inject (hangs are left out: a hung hook wedges
/// the design by design, spec §9.3).
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultShape {
    /// Host crashes, at any phase.
    pub crash: u32,
    /// Hook calls rejected with `RPC_E_CALL_REJECTED`.
    pub reject: u32,
    /// Hook calls served late.
    pub slow: u32,
}

/// Scenarios of one or two plugins, one to five steps, and now and then a fault budget.
pub fn shape() -> impl Strategy<Value = Shape> {
    (vec(plugin(), 1..=2), vec(step(), 1..=5), faults()).prop_map(|(plugins, steps, faults)| Shape {
        plugins,
        steps,
        faults,
    })
}

fn plugin() -> impl Strategy<Value = PluginShape> {
    (prop::bool::weighted(0.05), vec((hook(), vec(act(), 0..=4)), 0..=4))
        .prop_map(|(load_fails, hooks)| PluginShape { load_fails, hooks })
}

fn hook() -> impl Strategy<Value = HookKind> {
    prop_oneof![
        3 => Just(HookKind::VmStarted),
        3 => Just(HookKind::DistributionStarted),
        2 => Just(HookKind::DistributionStopping),
        2 => Just(HookKind::VmStopping),
        2 => Just(HookKind::DistributionRegistered),
        1 => Just(HookKind::DistributionUnregistered),
        1 => Just(HookKind::WslcSessionCreated),
        1 => Just(HookKind::WslcSessionStopping),
        1 => Just(HookKind::WslcContainerStarted),
        1 => Just(HookKind::WslcContainerStopping),
        1 => Just(HookKind::WslcImageCreated),
    ]
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => Just(Act::Log),
        4 => call().prop_map(Act::Call),
        1 => (1u64..=30).prop_map(Act::Sleep),
        4 => (vec(call(), 1..=2), 1u32..=2, any::<bool>())
            .prop_map(|(calls, count, joined)| Act::Worker { calls, count, joined }),
        1 => prop_oneof![Just(Failure::Fail), Just(Failure::CallRejected), Just(Failure::Disconnected)]
            .prop_map(Act::Return),
        1 => Just(Act::PluginError),
        1 => Just(Act::Crash),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        3 => Just(Call::Mount),
        1 => Just(Call::Execute),
        1 => Just(Call::ExecuteInDistribution),
        1 => Just(Call::MountInSessionTwo),
    ]
}

fn step() -> impl Strategy<Value = StepShape> {
    prop_oneof![
        5 => leaf().prop_map(StepShape::One),
        2 => vec(leaf(), 2..=3).prop_map(StepShape::Parallel),
        1 => (1u64..=50).prop_map(StepShape::Sleep),
    ]
}

fn leaf() -> impl Strategy<Value = Leaf> {
    (op(), prop::bool::weighted(0.2))
        .prop_map(|(op, second)| Leaf { op, session: if second { 2 } else { 1 } })
}

fn op() -> impl Strategy<Value = Op> {
    let distro = 0u8..4;
    let wslc = 0u8..2;
    prop_oneof![
        6 => distro.clone().prop_map(Op::StartDistro),
        2 => Just(Op::StartVm),
        2 => distro.clone().prop_map(Op::TerminateDistro),
        1 => Just(Op::Shutdown),
        2 => distro.clone().prop_map(Op::RegisterDistro),
        1 => distro.clone().prop_map(Op::ImportInPlace),
        1 => distro.clone().prop_map(Op::UnregisterDistro),
        1 => distro.prop_map(Op::DistroExits),
        1 => Just(Op::VmExits),
        2 => wslc.clone().prop_map(Op::WslcCreateSession),
        1 => wslc.clone().prop_map(Op::WslcTerminateSession),
        1 => wslc.clone().prop_map(Op::WslcStartContainer),
        1 => wslc.clone().prop_map(Op::WslcStopContainer),
        1 => wslc.prop_map(Op::WslcPullImage),
    ]
}

fn faults() -> impl Strategy<Value = FaultShape> {
    prop_oneof![
        3 => Just(FaultShape::default()),
        1 => (0u32..=1, 0u32..=1, 0u32..=1).prop_map(|(crash, reject, slow)| FaultShape { crash, reject, slow }),
    ]
}

/// Whether `shape` runs `register_distro` in a parallel group with another operation of the
/// same user session (spec §9.1: `RegisterDistribution` notifies without the instance lock,
/// so its hook can overlap the session's locked hooks).
pub fn registration_overlap(shape: &Shape) -> bool {
    shape.steps.iter().any(|step| match step {
        StepShape::Parallel(leaves) => leaves.iter().any(|registering| {
            matches!(registering.op, Op::RegisterDistro(_))
                && leaves.iter().filter(|other| other.session == registering.session).count() > 1
        }),
        _ => false,
    })
}

/// Every shape one removal simpler than `shape`: a step, a member of a parallel group, a
/// plugin, a hook, an action, a worker's callback or extra copy, a fault, a failing load.
/// What proptest's value trees cannot do once they have moved on (remove a part after a
/// sibling changed), a greedy pass over these can.
pub fn one_removal_simpler(shape: &Shape) -> Vec<Shape> {
    let mut simpler = Vec::new();
    let mut with = |change: &dyn Fn(&mut Shape)| {
        let mut candidate = shape.clone();
        change(&mut candidate);
        simpler.push(candidate);
    };
    for step in 0..shape.steps.len() {
        if shape.steps.len() > 1 {
            with(&|s| {
                s.steps.remove(step);
            });
        }
        if let StepShape::Parallel(leaves) = &shape.steps[step] {
            for leaf in 0..leaves.len() {
                with(&|s| {
                    let StepShape::Parallel(leaves) = &mut s.steps[step] else { return };
                    leaves.remove(leaf);
                    if leaves.len() == 1 {
                        s.steps[step] = StepShape::One(leaves[0].clone());
                    }
                });
            }
        }
    }
    for plugin in 0..shape.plugins.len() {
        if shape.plugins.len() > 1 {
            with(&|s| {
                s.plugins.remove(plugin);
            });
        }
        if shape.plugins[plugin].load_fails {
            with(&|s| s.plugins[plugin].load_fails = false);
        }
        for (hook, (_, acts)) in shape.plugins[plugin].hooks.iter().enumerate() {
            with(&|s| {
                s.plugins[plugin].hooks.remove(hook);
            });
            for (act, action) in acts.iter().enumerate() {
                with(&|s| {
                    s.plugins[plugin].hooks[hook].1.remove(act);
                });
                let Act::Worker { calls, count, .. } = action else { continue };
                if *count > 1 {
                    with(&|s| {
                        if let Act::Worker { count, .. } = &mut s.plugins[plugin].hooks[hook].1[act] {
                            *count = 1;
                        }
                    });
                }
                let removable = if calls.len() > 1 { calls.len() } else { 0 };
                for call in 0..removable {
                    with(&|s| {
                        if let Act::Worker { calls, .. } = &mut s.plugins[plugin].hooks[hook].1[act] {
                            calls.remove(call);
                        }
                    });
                }
            }
        }
    }
    let faults = shape.faults;
    for (count, clear) in [
        (faults.crash, (|f: &mut FaultShape| f.crash = 0) as fn(&mut FaultShape)),
        (faults.reject, |f: &mut FaultShape| f.reject = 0),
        (faults.slow, |f: &mut FaultShape| f.slow = 0),
    ] {
        if count > 0 {
            with(&|s| clear(&mut s.faults));
        }
    }
    simpler
}
