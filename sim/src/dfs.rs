//! Bounded-exhaustive search: stateless depth-first search over the decision tree of a run,
//! with a preemption bound and sleep sets.
//!
//! Runs are pure functions of their decisions, so the search keeps no program state: to
//! explore another branch it replays the decisions that lead to the branch point and takes
//! the next alternative there ([`Search::next_run`]); past the branch it continues by a
//! fixed preference (keep the running thread, else the lowest-numbered thread, the clock
//! last; no fault; the first error code) and records every new choice point it passes.
//!
//! **Preemptions.** A schedule decision that runs another thread while the current one
//! could have continued is a preemption (CHESS's definition); so is letting the clock run
//! to the next timer while any thread could run (they all stand still for it), after which
//! whoever runs next does so for free. With `--preemption-bound K`
//! only schedules with at most K preemptions are explored; a thread that blocks, exits or
//! dies hands the processor over for free. Error-code and fault decisions are free.
//!
//! **Sleep sets** (Godefroid). After the subtree of option `t` at a node is explored, `t`'s
//! step (with its footprint, `footprint`) is put to sleep in the subtrees of the later
//! options, and stays asleep as long as the steps taken are independent of it: running it
//! there would only reorder independent steps of a schedule already explored. A run whose
//! every way on is asleep is pruned. With a preemption bound, reordering can change how
//! many preemptions a schedule needs, and a plain combination would miss schedules within
//! the bound (Coons et al., "Bounded partial-order reduction", OOPSLA 2013). So, with a
//! bound, a step is put to sleep only when moving it earlier cannot cost a preemption: it
//! was the running thread's own continuation, or it was a free choice (nobody could
//! continue) after which its thread could not run on (it blocked, exited or died). Then the
//! schedule that runs it first is within the bound whenever the pruned one is, and was
//! explored. A step inside which an error code or fault was decided is never put to sleep.
//!
//! The search is exact for what the kernel decides; what it assumes of the model is the
//! dependence relation written down in `footprint`.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::decision::DecisionKind;
use crate::footprint::{Actor, Footprint, StepRecord};
use crate::strategy::{ChoicePoint, SharedStrategy, Stop, Strategy, ValuePoint};

/// What the search explores.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SearchConfig {
    /// Most preemptions per schedule (`None`: every schedule).
    pub preemption_bound: Option<u32>,
    /// Whether to prune with sleep sets.
    pub sleep_sets: bool,
}

/// A step put to sleep: who took it and what it touched.
#[derive(Clone, Debug)]
struct Sleeper {
    actor: Actor,
    footprint: Footprint,
}

/// What a choice point offered.
#[derive(Clone, Debug)]
enum Offer {
    /// Schedule options (threads in id order, then the clock), and which one continues the
    /// running thread.
    Schedule { options: Vec<Actor>, continuing: Option<usize> },
    /// An error code or fault decision with this many options.
    Value { options: u32 },
}

impl Offer {
    fn options(&self) -> usize {
        match self {
            Offer::Schedule { options, .. } => options.len(),
            Offer::Value { options } => *options as usize,
        }
    }

    /// Whether taking `option` preempts (`ChoicePoint::preempts`).
    fn cost(&self, option: usize) -> u32 {
        match self {
            Offer::Schedule { options, .. } if options[option] == Actor::Clock => 1,
            Offer::Schedule { continuing: Some(c), .. } => u32::from(option != *c),
            _ => 0,
        }
    }

    /// Options in the order the search tries them: the continuing thread first.
    fn preference(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.options()).collect();
        if let Offer::Schedule { continuing: Some(c), .. } = self {
            order.retain(|o| o != c);
            order.insert(0, *c);
        }
        order
    }

    fn actor(&self, option: usize) -> Option<Actor> {
        match self {
            Offer::Schedule { options, .. } => Some(options[option]),
            Offer::Value { .. } => None,
        }
    }
}

/// One choice point on the current path.
#[derive(Clone, Debug)]
struct Node {
    offer: Offer,
    chosen: usize,
    preemptions_before: u32,
    /// The sleep set on arrival.
    sleep: Vec<Sleeper>,
    /// Options explored so far, with the step each took (when recorded).
    explored: Vec<(usize, Option<StepRecord>)>,
}

/// The in-run half of the search: follows a prefix, then extends the path.
struct SearchRun {
    config: SearchConfig,
    prefix: Vec<u32>,
    /// The node where this run takes a new alternative (the last of the prefix), if any.
    branch: Option<usize>,
    next: usize,
    preemptions: u32,
    sleep: Vec<Sleeper>,
    tracking: bool,
    /// New nodes past the prefix.
    nodes: Vec<Node>,
    /// Which node's chosen step comes next: the branch (`None` inside) or a new node.
    awaiting: Option<Awaiting>,
    branch_step: Option<StepRecord>,
}

#[derive(Clone, Copy, Debug)]
enum Awaiting {
    Branch,
    New(usize),
}

impl SearchRun {
    fn new(config: SearchConfig, prefix: Vec<u32>, branch: Option<usize>, sleep: Vec<Sleeper>) -> SearchRun {
        SearchRun {
            config,
            tracking: branch.is_none(),
            prefix,
            branch,
            next: 0,
            preemptions: 0,
            sleep,
            nodes: Vec::new(),
            awaiting: None,
            branch_step: None,
        }
    }

    fn asleep(&self, actor: Option<Actor>) -> bool {
        actor.is_some_and(|actor| self.sleep.iter().any(|s| s.actor == actor))
    }

    fn within_bound(&self, cost: u32) -> bool {
        self.config.preemption_bound.is_none_or(|bound| self.preemptions + cost <= bound)
    }

    /// A choice point: replay the prefix, or extend the path.
    fn decide(&mut self, offer: Offer) -> Result<usize, Stop> {
        let index = self.next;
        self.next += 1;
        if let Some(&choice) = self.prefix.get(index) {
            let choice = choice as usize;
            if choice >= offer.options() {
                return Err(Stop::Diverged(format!(
                    "the search replayed decision {} as option {choice}, but the run offers {} options: the run is not deterministic",
                    index + 1,
                    offer.options()
                )));
            }
            self.preemptions += offer.cost(choice);
            if Some(index) == self.branch {
                self.tracking = true;
                if matches!(offer, Offer::Schedule { .. }) {
                    self.awaiting = Some(Awaiting::Branch);
                }
            }
            return Ok(choice);
        }
        let choice = offer
            .preference()
            .into_iter()
            .find(|&o| self.within_bound(offer.cost(o)) && !self.asleep(offer.actor(o)))
            .ok_or(Stop::Pruned)?;
        let node = Node {
            preemptions_before: self.preemptions,
            sleep: self.sleep.clone(),
            chosen: choice,
            explored: vec![(choice, None)],
            offer,
        };
        self.preemptions += node.offer.cost(choice);
        if matches!(node.offer, Offer::Schedule { .. }) {
            self.awaiting = Some(Awaiting::New(self.nodes.len()));
        }
        self.nodes.push(node);
        Ok(choice)
    }
}

impl Strategy for SearchRun {
    fn choose(&mut self, point: ChoicePoint<'_>) -> Result<usize, Stop> {
        let mut options: Vec<Actor> = point.runnable.iter().map(|&t| Actor::Thread(t)).collect();
        if point.can_advance {
            options.push(Actor::Clock);
        }
        self.decide(Offer::Schedule { options, continuing: point.current_option() })
    }

    fn choose_value(&mut self, point: ValuePoint) -> Result<usize, Stop> {
        debug_assert_ne!(point.kind, DecisionKind::Schedule);
        self.decide(Offer::Value { options: point.options })
    }

    fn records_steps(&self) -> bool {
        self.config.sleep_sets
    }

    fn stepped(&mut self, step: &StepRecord) -> Result<(), Stop> {
        match self.awaiting.take() {
            Some(Awaiting::Branch) => self.branch_step = Some(step.clone()),
            Some(Awaiting::New(node)) => {
                if let Some(explored) = self.nodes[node].explored.last_mut() {
                    explored.1 = Some(step.clone());
                }
            }
            None => {}
        }
        if !self.tracking {
            return Ok(());
        }
        if self.sleep.iter().any(|s| s.actor == step.actor) {
            // A sleeping step was the only way on: this whole branch is covered elsewhere.
            return Err(Stop::Pruned);
        }
        self.sleep.retain(|s| !s.footprint.conflicts(&step.footprint));
        Ok(())
    }
}

/// How far a search got.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SearchStats {
    /// Runs started (schedules completed plus runs pruned on the way).
    pub runs: u64,
    /// Runs that ended on their own: distinct schedules explored.
    pub schedules: u64,
    /// Runs pruned by sleep sets before they ended.
    pub pruned: u64,
    /// Whether every schedule within the bound was explored.
    pub exhausted: bool,
    /// Whether the bound kept some alternative out (so the search was not of every schedule).
    pub bound_reached: bool,
}

/// A depth-first search over the decision tree of one program.
pub struct Search {
    config: SearchConfig,
    stack: Vec<Node>,
    /// The plan of the next run: a prefix whose last decision is a new alternative, and the
    /// sleep set to take after it. `None` once exhausted.
    plan: Option<(Vec<u32>, Option<usize>, Vec<Sleeper>)>,
    current: Option<Arc<Mutex<SearchRun>>>,
    stats: SearchStats,
}

impl Search {
    /// A search that has not started.
    pub fn new(config: SearchConfig) -> Search {
        Search {
            config,
            stack: Vec::new(),
            plan: Some((Vec::new(), None, Vec::new())),
            current: None,
            stats: SearchStats::default(),
        }
    }

    /// How far it got.
    pub fn stats(&self) -> SearchStats {
        self.stats
    }

    /// The strategy of the next run, or `None` when every schedule within the bound has been
    /// explored. After the run, call [`Search::learn`].
    pub fn next_run(&mut self) -> Option<SharedStrategy> {
        let (prefix, branch, sleep) = self.plan.take()?;
        let run = Arc::new(Mutex::new(SearchRun::new(self.config, prefix, branch, sleep)));
        self.current = Some(run.clone());
        Some(SharedStrategy(run))
    }

    /// Takes in what the last run found (`pruned`: it was stopped by the search) and plans
    /// the next one.
    pub fn learn(&mut self, pruned: bool) {
        let run = self.current.take().expect("learn follows next_run");
        let run =
            std::mem::replace(&mut *run.lock(), SearchRun::new(self.config, Vec::new(), None, Vec::new()));
        self.stats.runs += 1;
        if pruned {
            self.stats.pruned += 1;
        } else {
            self.stats.schedules += 1;
        }
        if let Some(branch) = run.branch {
            self.stack.truncate(branch + 1);
            let node = &mut self.stack[branch];
            node.chosen = run.prefix[branch] as usize;
            node.explored.push((node.chosen, run.branch_step));
        }
        self.stack.extend(run.nodes);
        self.plan = self.backtrack();
        self.stats.exhausted = self.plan.is_none();
    }

    /// The deepest node with an alternative left, and the plan that takes it.
    fn backtrack(&mut self) -> Option<(Vec<u32>, Option<usize>, Vec<Sleeper>)> {
        while let Some(depth) = self.stack.len().checked_sub(1) {
            if let Some(option) = self.alternative(depth) {
                let node = &self.stack[depth];
                let mut sleep = node.sleep.clone();
                if self.config.sleep_sets {
                    sleep.extend(self.sleepers(node));
                }
                let mut prefix: Vec<u32> = self.stack[..depth].iter().map(|n| n.chosen as u32).collect();
                prefix.push(option as u32);
                return Some((prefix, Some(depth), sleep));
            }
            self.stack.pop();
        }
        None
    }

    /// The next option of node `depth` to explore, if any.
    fn alternative(&mut self, depth: usize) -> Option<usize> {
        let bound = self.config.preemption_bound;
        let node = &self.stack[depth];
        let mut cut = false;
        let found = node.offer.preference().into_iter().find(|&option| {
            if node.explored.iter().any(|(o, _)| *o == option) {
                return false;
            }
            let asleep = node.offer.actor(option).is_some_and(|a| node.sleep.iter().any(|s| s.actor == a));
            if asleep {
                return false;
            }
            let within = bound.is_none_or(|b| node.preemptions_before + node.offer.cost(option) <= b);
            cut |= !within;
            within
        });
        self.stats.bound_reached |= cut;
        found
    }

    /// The explored options of `node` that may sleep in its later subtrees.
    fn sleepers(&self, node: &Node) -> Vec<Sleeper> {
        let Offer::Schedule { options, continuing } = &node.offer else { return Vec::new() };
        node.explored
            .iter()
            .filter_map(|(option, step)| {
                let step = step.as_ref()?;
                let thread_step = matches!(options[*option], Actor::Thread(_));
                let moves_for_free = self.config.preemption_bound.is_none()
                    || *continuing == Some(*option)
                    || (continuing.is_none() && !step.runnable_after);
                (thread_step && moves_for_free && !step.decided_inside)
                    .then(|| Sleeper { actor: step.actor, footprint: step.footprint.clone() })
            })
            .collect()
    }
}
