//! The run's executor: each simulated thread's future lives in its thread's slot, and the
//! executor polls only the running thread's, until the run has an outcome.
//!
//! Exactly one thread runs at a time and only the strategy changes which ([`State::pick`]),
//! so there is nothing for an executor to choose: after each poll it polls whoever runs
//! now. Futures are polled with a no-op waker (whoever is granted the processor is polled
//! next; nothing else can make progress). A killed thread's future is dropped after the
//! poll that killed it, the remaining ones at the end of the run, in thread order.
//!
//! Never poll or drop a future while holding the state lock: they take it themselves.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use plughost_model::platform::{BoxFuture, ThreadId};

use super::Kernel;

impl Kernel {
    /// Polls the running thread's future, then whoever runs next, until the run has an
    /// outcome.
    pub fn run_until_end(&self) {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            let (thread, task) = {
                let mut state = self.state();
                let thread = match state.running {
                    Some(thread) if state.outcome.is_none() => thread,
                    None if state.outcome.is_none() => panic!("a run stopped with no thread running"),
                    _ => return,
                };
                (thread, state.thread(thread).task.take())
            };
            let mut task = task.unwrap_or_else(|| panic!("running thread {} has no future", thread.0));
            let ready = task.as_mut().poll(&mut cx) == Poll::Ready(());
            let (ended, doomed) = {
                let mut state = self.state();
                let doomed = std::mem::take(&mut state.doomed);
                if ready || state.is_done(thread) {
                    (Some(task), doomed)
                } else {
                    if state.running == Some(thread) && state.outcome.is_none() {
                        panic!(
                            "{} is running but waits for something other than the kernel",
                            state.thread_name(thread)
                        );
                    }
                    state.thread(thread).task = Some(task);
                    (None, doomed)
                }
            };
            drop(ended);
            drop(doomed);
        }
    }

    /// Drops every future still alive (threads blocked when the run ended), in thread
    /// order, outside the state lock.
    pub fn drop_tasks(&self) {
        let tasks: Vec<BoxFuture<()>> = {
            let mut state = self.state();
            let mut tasks = std::mem::take(&mut state.doomed);
            tasks.extend(state.threads.iter_mut().filter_map(|t| t.task.take()));
            tasks
        };
        drop(tasks);
    }

    /// Starts `thread`'s future (it is polled once the strategy runs the thread).
    pub(super) fn install_task<F>(&self, thread: ThreadId, body: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let kernel = self.clone();
        let task: BoxFuture<()> = Box::pin(async move {
            kernel.wait_turn(thread).await;
            body.await;
            kernel.trace(|_| "exits".to_string());
            kernel.state().exit(thread);
        });
        self.state().thread(thread).task = Some(task);
    }
}
