//! The scenario driver: the client side of a run, generic over the platform so the same
//! code drives the simulator and real processes.
//!
//! It starts the service (discovery only: hosts are activated on first use), creates the
//! scenario's user sessions (cookies 1 to N), issues each step on a fresh service thread
//! (`T-<n>-<step>`, as COM would serve a client call) in the session the step names and
//! joins it, then stops the service. A step that stands for the world rather than a client
//! (a distribution's init exiting, the VM exiting) only sets off the VM's callback thread,
//! which runs on concurrently with later steps. The driver reports results only as model
//! events (`StepBegin` / `StepEnd`, `ServiceStopped`); judging them is the observer's job.
//! WSLC steps act through the session handles the driver's client got from the manager (a
//! vetoed session never gives one); container and image steps stand for the session's
//! per-user process telling the service, on the thread the step runs on (a COM RPC thread of
//! the service).

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use plughost_model::design::Variant;
use plughost_model::event::{ModelEvent, UserError};
use plughost_model::hresult::WSLC_E_SESSION_NOT_FOUND;
use plughost_model::ids::{Name, numbered};
use plughost_model::platform::Platform;
use plughost_model::service::Service;
use plughost_model::user_session::{ShutdownBehavior, UserSession};
use plughost_model::wslc::WslcSession;

use crate::scenario::{Scenario, Step, StepAction, WslcEvent};

/// What the client holds: the service, its WSL sessions, and the WSLC sessions it was given.
struct Client<P: Platform> {
    service: Arc<Service<P>>,
    sessions: Vec<Arc<UserSession<P>>>,
    wslc: Mutex<BTreeMap<Name, Arc<WslcSession>>>,
}

/// Runs `scenario` against the service built with `variant`.
pub async fn drive<P: Platform>(platform: P, scenario: Arc<Scenario>, variant: Variant) {
    let service = Service::new(platform.clone(), variant, &scenario.plugins, scenario.world.clone());
    service.start().await;
    let mut sessions = Vec::new();
    for _ in 0..scenario.world.sessions {
        sessions.push(service.create_session().await);
    }
    let client = Arc::new(Client { service: service.clone(), sessions, wslc: Mutex::new(BTreeMap::new()) });
    let mut next = 1;
    for step in &scenario.steps {
        let members = match &step.action {
            StepAction::Parallel(members) => members.iter().collect(),
            _ => vec![step],
        };
        let mut threads = Vec::with_capacity(members.len());
        for member in members {
            threads.push(start_step(&platform, &client, member, &mut next).await);
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
    client: &Arc<Client<P>>,
    step: &Step,
    next: &mut u32,
) -> P::Thread {
    let index = *next;
    *next += 1;
    let action = step.action.clone();
    let session = client.sessions[step.session as usize - 1].clone();
    let (thread_platform, client) = (platform.clone(), client.clone());
    let what = match client.sessions.len() {
        1 => action.describe(),
        _ => format!("{} ({})", action.describe(), session.cookie()),
    };
    let mut name = numbered("T-", u64::from(index));
    name.push('-');
    name.push_str(action.label());
    platform
        .spawn(name, async move {
            thread_platform.emit(ModelEvent::StepBegin { step: index, op: action.label(), what });
            let result = execute(&thread_platform, &client, &session, &action).await;
            thread_platform.emit(ModelEvent::StepEnd { step: index, result });
        })
        .await
}

async fn execute<P: Platform>(
    platform: &P,
    client: &Client<P>,
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
        StepAction::WslcCreateSession { name, open_existing } => {
            let created = client.service.wslc().create_session(name, *open_existing).await?;
            client.wslc.lock().insert(name.clone(), created);
            Ok(())
        }
        StepAction::WslcOpenSession(name) => {
            let opened = client.service.wslc().open_session(name).await?;
            client.wslc.lock().insert(name.clone(), opened);
            Ok(())
        }
        StepAction::WslcTerminateSession(name) => {
            let session = client.wslc_session(name)?;
            session.terminate();
            platform.emit(ModelEvent::WslcSessionTerminated { session: session.id() });
            Ok(())
        }
        StepAction::Wslc { session, event, object } => {
            let session = client.wslc_session(session)?;
            let manager = client.service.wslc();
            match event {
                WslcEvent::ContainerStarted => return manager.container_started(&session, object).await,
                WslcEvent::ContainerStopping => manager.container_stopping(&session, object).await,
                WslcEvent::ImageCreated => manager.image_created(&session, object).await,
                WslcEvent::ImageLoaded => session.add_image(object),
                WslcEvent::ImageDeleted => manager.image_deleted(&session, object).await,
            }
            Ok(())
        }
        StepAction::Parallel(_) => unreachable!("parallel groups are expanded by the driver"),
    }
}

impl<P: Platform> Client<P> {
    /// The WSLC session the client holds under `name`.
    fn wslc_session(&self, name: &Name) -> Result<Arc<WslcSession>, UserError> {
        self.wslc.lock().get(name).cloned().ok_or(UserError::hr(WSLC_E_SESSION_NOT_FOUND))
    }
}
