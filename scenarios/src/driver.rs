//! The scenario driver: the client side of a run, generic over the platform so the same
//! code drives the simulator and real processes.
//!
//! It starts the service, creates the scenario's user sessions (cookies 1 to N), issues
//! each step on a fresh service thread (`T-<n>-<step>`, as COM would serve a client call)
//! in the session the step names and joins it, then stops the service. A step that stands
//! for the world rather than a client (a distribution's init exiting, the VM exiting) only
//! sets off the VM's callback thread, which runs on concurrently with later steps. The
//! driver reports results only as model events (`StepBegin` / `StepEnd`, `ServiceStopped`);
//! judging them is the observer's job.

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
    let mut sessions = Vec::new();
    for _ in 0..scenario.world.sessions {
        sessions.push(service.create_session().await);
    }
    let mut next = 1;
    for step in &scenario.steps {
        let members = match &step.action {
            StepAction::Parallel(members) => members.iter().collect(),
            _ => vec![step],
        };
        let mut threads = Vec::with_capacity(members.len());
        for member in members {
            threads.push(start_step(&platform, &sessions, member, &mut next).await);
        }
        for thread in &threads {
            platform.join(thread).await;
        }
    }
    if scenario.stop_service {
        service.stop().await;
        platform.emit(ModelEvent::ServiceStopped);
    }
}

async fn start_step<P: Platform>(
    platform: &P,
    sessions: &[Arc<UserSession<P>>],
    step: &Step,
    next: &mut u32,
) -> P::Thread {
    let index = *next;
    *next += 1;
    let action = step.action.clone();
    let session = sessions[step.session as usize - 1].clone();
    let thread_platform = platform.clone();
    let what = match sessions.len() {
        1 => action.describe(),
        _ => format!("{} ({})", action.describe(), session.cookie()),
    };
    let name = format!("T-{index}-{}", action.label());
    platform
        .spawn(name, async move {
            thread_platform.emit(ModelEvent::StepBegin { step: index, what });
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
        StepAction::ImportInPlace(name) => session.import_in_place(name).await,
        StepAction::DistroExits(name) => {
            session.distribution_exited(name).await;
            Ok(())
        }
        StepAction::VmExits => {
            session.vm_exited().await;
            Ok(())
        }
        StepAction::Sleep(duration) => {
            platform.sleep(*duration).await;
            Ok(())
        }
        StepAction::Parallel(_) => unreachable!("parallel groups are expanded by the driver"),
    }
}
