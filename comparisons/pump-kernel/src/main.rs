//! Runs the pump kernel under shuttle's random scheduler (default build) or loom's
//! exhaustive, preemption-bounded search (`--features loom`) and prints one JSON line with
//! the executions and the wall time.
//!
//! ```text
//! pump-kernel [--executions N] [--seed S]     # shuttle, random scheduler (default 100000, 0)
//! pump-kernel --preemption-bound K            # loom (built with --features loom)
//! ```
//!
//! `--no-recheck` runs the `no-recheck` mutant instead, which the kernel's checks must catch.

mod kernel;
mod prims;

use stopwatch::Stopwatch;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--no-recheck") {
        kernel::NO_RECHECK.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    run(&args);
}

#[expect(clippy::disallowed_types, clippy::disallowed_methods, reason = "throughput is wall-clock time")]
mod stopwatch {
    /// Wall-clock time since `start`: the figure this binary exists for.
    #[derive(Clone, Copy)]
    pub struct Stopwatch(std::time::Instant);

    impl Stopwatch {
        pub fn start() -> Stopwatch {
            Stopwatch(std::time::Instant::now())
        }

        pub fn seconds(self) -> f64 {
            self.0.elapsed().as_secs_f64()
        }
    }
}

/// The value after `flag`, parsed, or `default`.
fn flag(args: &[String], name: &str, default: u64) -> u64 {
    match args.iter().position(|arg| arg == name) {
        None => default,
        Some(at) => {
            let value = args.get(at + 1).unwrap_or_else(|| panic!("{name} needs a value"));
            value.parse().unwrap_or_else(|_| panic!("{name} {value}: not a number"))
        }
    }
}

#[cfg(not(feature = "loom"))]
fn run(args: &[String]) {
    use shuttle::scheduler::RandomScheduler;
    use shuttle::{Config, Runner};

    let executions = flag(args, "--executions", 100_000) as usize;
    let seed = flag(args, "--seed", 0);
    eprintln!("seed: {seed}");
    let runner = Runner::new(RandomScheduler::new_from_seed(seed, executions), Config::new());
    let stopwatch = Stopwatch::start();
    let ran = runner.run(kernel::execution);
    let seconds = stopwatch.seconds();
    println!(
        "{{\"tool\":\"shuttle\",\"scheduler\":\"random\",\"seed\":{seed},\"executions\":{ran},\
         \"seconds\":{seconds:.3},\"executions_per_sec\":{:.0}}}",
        ran as f64 / seconds
    );
}

#[cfg(feature = "loom")]
fn run(args: &[String]) {
    use std::sync::atomic::{AtomicU64, Ordering};

    static EXECUTIONS: AtomicU64 = AtomicU64::new(0);
    let bound = flag(args, "--preemption-bound", 1) as usize;
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    let stopwatch = Stopwatch::start();
    builder.check(move || {
        let done = EXECUTIONS.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(100_000) {
            // Progress, so a run stopped early still says how far it got.
            eprintln!("loom bound {bound}: {done} executions, {:.1} s", stopwatch.seconds());
        }
        kernel::execution();
    });
    let seconds = stopwatch.seconds();
    let ran = EXECUTIONS.load(Ordering::Relaxed);
    println!(
        "{{\"tool\":\"loom\",\"preemption_bound\":{bound},\"executions\":{ran},\"seconds\":{seconds:.3},\
         \"executions_per_sec\":{:.0}}}",
        ran as f64 / seconds
    );
}
