//! The run's executor: each simulated thread's future lives in its thread's slot, and the
//! executor polls only the running thread's, until the run has an outcome.
//!
//! Exactly one thread runs at a time and only the strategy changes which ([`State::pick`]),
//! so there is nothing for an executor to choose: after each poll it polls whoever runs
//! now. Futures are polled with a no-op waker (whoever is granted the processor is polled
//! next; nothing else can make progress). A thread's future is its body: it is first
//! polled when the strategy first runs the thread, and when it returns the thread exits
//! (in the same step). A killed thread's future is dropped after the poll that killed it,
//! the remaining ones at the end of the run, in thread order.
//!
//! Never poll or drop a future while holding the state: they borrow it themselves.

use std::task::{Context, Poll, Waker};

use plughost_model::platform::{BoxFuture, ThreadId};

use super::{Kernel, State};

impl Kernel {
    /// Polls the running thread's future, then whoever runs next, until the run has an
    /// outcome.
    pub fn run_until_end(&self) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut next = self.state().take_running_task();
        // Panics happen outside the lock: unwinding drops futures, whose guards take it.
        while let Some((thread, mut task)) = next.unwrap_or_else(|broken| panic!("{broken}")) {
            let ready = task.as_mut().poll(&mut cx) == Poll::Ready(());
            let (ended, doomed, stuck) = {
                let mut state = self.state();
                if ready {
                    if state.tracing {
                        state.trace_as(state.current(), |_| "exits".to_string());
                    }
                    state.exit(thread);
                }
                let stuck = !ready && state.running == Some(thread) && state.outcome.is_none();
                let ended = if ready || stuck || state.is_done(thread) {
                    Some(task)
                } else {
                    state.thread(thread).task = Some(task);
                    None
                };
                let stuck = stuck.then(|| state.thread_name(thread).to_string());
                next = state.take_running_task();
                (ended, std::mem::take(&mut state.doomed), stuck)
            };
            drop(ended);
            drop(doomed);
            if let Some(name) = stuck {
                panic!("{name} is running but waits for something other than the kernel");
            }
        }
    }

    /// Drops every future still alive (threads blocked when the run ended), in thread
    /// order, outside any borrow of the state.
    pub fn drop_tasks(&self) {
        let tasks: Vec<BoxFuture<()>> = {
            let mut state = self.state();
            let mut tasks = std::mem::take(&mut state.doomed);
            tasks.extend(state.threads.iter_mut().filter_map(|t| t.task.take()));
            tasks
        };
        drop(tasks);
    }
}

impl State {
    /// The running thread and its future, to poll; `None` once the run has an outcome;
    /// `Err` if the run stopped without one (a kernel bug).
    #[inline]
    fn take_running_task(&mut self) -> Result<Option<(ThreadId, BoxFuture<()>)>, String> {
        if self.outcome.is_some() {
            return Ok(None);
        }
        let Some(thread) = self.running else {
            return Err("a run stopped with no thread running and no outcome".to_string());
        };
        match self.thread(thread).task.take() {
            Some(task) => Ok(Some((thread, task))),
            None => Err(format!("running thread {} has no future", self.thread_name(thread))),
        }
    }
}
