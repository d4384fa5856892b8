//! The scenario driver: the client side of a run, generic over the platform so the same
//! code drives the simulator and real processes.
//!
//! It starts the service, creates one user session, issues each step on a fresh service
//! thread (`T-<n>-<step>`, as COM would serve a client call) and joins it, then stops the
//! service. It reports results only as model events (`StepBegin` / `StepEnd`); judging them
//! is the observer's job.

use std::sync::Arc;

use plughost_model::design::Variant;
use plughost_model::event::{ModelEvent, UserError};
use plughost_model::platform::Platform;
use plughost_model::service::Service;
use plughost_model::user_session::{ShutdownBehavior, UserSession};

use crate::scenario::{Scenario, Step, StepAction};

/// Runs `scenario` against the service built with `variant`.
pub async fn drive<P: Platform>(platform: P, scenario: Arc<Scenario>, variant: Variant) {
    let service = Service::new(platform.clone(), variant, &scenario.plugins, scenario.world.clone());
    let session = service.create_session().await;
    let mut next = 1;
    for step in &scenario.steps {
        match &step.action {
            StepAction::Parallel(members) => {
                let mut threads = Vec::with_capacity(members.len());
                for member in members {
                    threads.push(start_step(&platform, &session, member, &mut next).await);
                }
                for thread in &threads {
                    platform.join(thread).await;
                }
            }
            _ => {
                let thread = start_step(&platform, &session, step, &mut next).await;
                platform.join(&thread).await;
            }
        }
    }
    if scenario.stop_service {
        service.stop().await;
        platform.emit(ModelEvent::ServiceStopped);
    }
}

async fn start_step<P: Platform>(
    platform: &P,
    session: &Arc<UserSession<P>>,
    step: &Step,
    next: &mut u32,
) -> P::Thread {
    let index = *next;
    *next += 1;
    let action = step.action.clone();
    let (thread_platform, session) = (platform.clone(), session.clone());
    let name = format!("T-{index}-{}", action.label());
    platform
        .spawn(name, async move {
            thread_platform.emit(ModelEvent::StepBegin { step: index, what: action.describe() });
            let result = execute(&thread_platform, &session, &action).await;
            thread_platform.emit(ModelEvent::StepEnd { step: index, result });
        })
        .await
}

async fn execute<P: Platform>(
    platform: &P,
    session: &UserSession<P>,
    action: &StepAction,
) -> Result<(), UserError> {
    match action {
        StepAction::StartVm => session.start_vm().await,
        StepAction::StartDistro(name) => session.create_instance(name).await,
        StepAction::TerminateDistro(name) => session.terminate_distribution(name).await,
        StepAction::Shutdown => session.shutdown(ShutdownBehavior::Wait).await,
        StepAction::RegisterDistro(name) => session.register_distribution(name).await,
        StepAction::UnregisterDistro(name) => session.unregister_distribution(name).await,
        StepAction::Sleep(duration) => {
            platform.sleep(*duration).await;
            Ok(())
        }
        StepAction::Parallel(_) => unreachable!("parallel groups are expanded by the driver"),
    }
}
