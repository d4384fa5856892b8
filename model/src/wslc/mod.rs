//! The WSLC session manager (`WSLCSessionManagerImpl`, spec §6): creating a session —
//! registered with the plugin manager early, published late, after `OnWslcSessionCreated`
//! with the sessions lock released — the veto and the lost race, the exactly-once stopping
//! notification, and the container and image notifications the per-user process sends.
//!
//! Owns `m_sessions` under `m_wslcSessionsLock` (a plain mutex) and the session ids. It never
//! holds that lock across a plugin hook or a call into a session: every stopping dispatch
//! and every hook runs with it released (I-5).
//!
//! Simplifications: settings, flags other than open-existing, persistent sessions, access
//! checks, the default session and the VM factory are absent; a session dies only when its
//! client terminates it or the service stops; the per-user process is `session`.

mod session;

use std::sync::Arc;

use parking_lot::Mutex;

pub use session::WslcSession;

use crate::design::Mutant;
use crate::event::{ModelEvent, UserError};
use crate::hresult::{ERROR_ALREADY_EXISTS, WSLC_E_SESSION_NOT_FOUND};
use crate::ids::Name;
use crate::platform::{LockGuard, PlainMutex, Platform};
use crate::plugin_manager::{PluginManager, WslcSubject};
use crate::wire::HookKind;
use crate::world::World;

/// `SessionEntry`: a published session and whether its stopping notification went out.
struct Entry {
    session: Arc<WslcSession>,
    stopping_notified: bool,
}

impl Entry {
    fn new(session: Arc<WslcSession>) -> Entry {
        Entry { session, stopping_notified: false }
    }
}

struct ManagerState {
    sessions: Vec<Entry>,
    next_id: u32,
}

/// How a creation ended once the plugins were told.
enum Outcome {
    Commit,
    Veto(UserError),
    /// A concurrent creator won the name: the caller gets what opening it gives.
    RaceLost(Result<Arc<WslcSession>, UserError>),
}

/// The WSLC session manager.
pub struct WslcSessionManager<P: Platform> {
    platform: P,
    plugins: Arc<PluginManager<P>>,
    world: Arc<World>,
    lock: P::Mutex,
    state: Mutex<ManagerState>,
}

impl<P: Platform> WslcSessionManager<P> {
    /// A manager with no sessions.
    pub fn new(platform: P, plugins: Arc<PluginManager<P>>, world: Arc<World>) -> WslcSessionManager<P> {
        WslcSessionManager {
            lock: platform.mutex("m_wslcSessionsLock".to_string()),
            state: Mutex::new(ManagerState { sessions: Vec::new(), next_id: 1 }),
            platform,
            plugins,
            world,
        }
    }

    /// `CreateSession(name)`: an existing session of that name is opened when `open_existing`
    /// (else `ERROR_ALREADY_EXISTS`); otherwise a new one is created and registered under the
    /// lock, plugins are told with the lock released, and the lock is taken again to publish
    /// it — unless a plugin vetoed it or a concurrent creator won the name, in which case it
    /// gets its one stopping notification and is terminated.
    pub async fn create_session(
        &self,
        name: &Name,
        open_existing: bool,
    ) -> Result<Arc<WslcSession>, UserError> {
        let guard = self.lock.lock().await;
        let mut dead = Vec::new();
        let existing = self.find_locked(name, open_existing, &mut dead);
        let created = match existing {
            Some(_) => None,
            None => Some(self.create_locked(name).await),
        };
        guard.unlock().await;
        self.dispatch_all(dead).await;
        if let Some(existing) = existing {
            return existing;
        }
        let created = created.expect("created when no session of that name exists");
        let subject = subject(&created, None);
        let notified = self.plugins.on_wslc_session_created(&subject).await;
        if self.has(Mutant::WslcRegisterAfterNotify) {
            self.plugins.register_wslc_session(created.clone()).await;
        }
        let (outcome, dead) = self.decide(name, open_existing, &created, notified).await;
        let result = match outcome {
            Outcome::Commit => Ok(created),
            Outcome::Veto(error) => {
                self.tear_down(&created).await;
                Err(error)
            }
            Outcome::RaceLost(winner) => {
                self.tear_down(&created).await;
                winner
            }
        };
        self.dispatch_all(dead).await;
        result
    }

    /// Step 7 for a vetoed or race-lost session: one stopping notification, then terminated.
    async fn tear_down(&self, created: &Arc<WslcSession>) {
        if !self.has(Mutant::WslcVetoWithoutStopping) {
            self.dispatch_stopping(&mut Entry::new(created.clone())).await;
        }
        created.terminate();
        self.platform.emit(ModelEvent::WslcSessionTerminated { session: created.id() });
    }

    /// A new session, registered with the plugin manager before any plugin sees it.
    async fn create_locked(&self, name: &Name) -> Arc<WslcSession> {
        let id = {
            let mut state = self.state.lock();
            state.next_id += 1;
            state.next_id - 1
        };
        let session = WslcSession::new(id, name.clone(), self.world.clone());
        if !self.has(Mutant::WslcRegisterAfterNotify) {
            self.plugins.register_wslc_session(session.clone()).await;
        }
        session
    }

    /// Step 6: under the lock again, veto, race lost, or publish.
    async fn decide(
        &self,
        name: &Name,
        open_existing: bool,
        created: &Arc<WslcSession>,
        notified: Result<(), UserError>,
    ) -> (Outcome, Vec<Entry>) {
        let guard = self.lock.lock().await;
        let mut dead = Vec::new();
        let outcome = match notified {
            Err(error) => Outcome::Veto(error),
            Ok(()) => match self.find_locked(name, open_existing, &mut dead) {
                Some(winner) => Outcome::RaceLost(winner),
                None => {
                    self.state.lock().sessions.push(Entry::new(created.clone()));
                    Outcome::Commit
                }
            },
        };
        guard.unlock().await;
        (outcome, dead)
    }

    /// `ForEachSessionLockHeld` looking for `name`: dead entries are moved to `dead`.
    fn find_locked(
        &self,
        name: &Name,
        open_existing: bool,
        dead: &mut Vec<Entry>,
    ) -> Option<Result<Arc<WslcSession>, UserError>> {
        let mut state = self.state.lock();
        let (live, gone): (Vec<Entry>, Vec<Entry>) =
            std::mem::take(&mut state.sessions).into_iter().partition(|e| e.session.open());
        state.sessions = live;
        dead.extend(gone);
        let found = state.sessions.iter().find(|e| e.session.name() == name)?;
        Some(if open_existing { Ok(found.session.clone()) } else { Err(UserError::hr(ERROR_ALREADY_EXISTS)) })
    }

    /// `OpenSessionByName` through `ForEachSession`: dead sessions found on the way get their
    /// stopping notification after the lock is released.
    pub async fn open_session(&self, name: &Name) -> Result<Arc<WslcSession>, UserError> {
        let guard = self.lock.lock().await;
        let mut dead = Vec::new();
        let found = self.find_locked(name, true, &mut dead);
        guard.unlock().await;
        self.dispatch_all(dead).await;
        found.unwrap_or(Err(UserError::hr(WSLC_E_SESSION_NOT_FOUND)))
    }

    /// `DispatchSessionStopping`: only the first call per entry proceeds; the session stays
    /// resolvable during the hook and is unregistered after it.
    async fn dispatch_stopping(&self, entry: &mut Entry) {
        if std::mem::replace(&mut entry.stopping_notified, true) {
            return;
        }
        let subject = subject(&entry.session, None);
        let early = self.has(Mutant::WslcUnregisterBeforeStopping);
        if early {
            self.plugins.unregister_wslc_session(entry.session.id()).await;
        }
        self.plugins.on_wslc_event(HookKind::WslcSessionStopping, &subject).await;
        if !early {
            self.plugins.unregister_wslc_session(entry.session.id()).await;
        }
    }

    fn has(&self, mutant: Mutant) -> bool {
        self.plugins.variant().has(mutant)
    }

    async fn dispatch_all(&self, entries: Vec<Entry>) {
        for mut entry in entries {
            self.dispatch_stopping(&mut entry).await;
        }
    }

    /// The manager's destructor at service stop: sessions taken out under the lock, then each
    /// notified and terminated with it released.
    pub async fn shutdown(&self) {
        let guard = self.lock.lock().await;
        let snapshot = std::mem::take(&mut self.state.lock().sessions);
        let held = if self.has(Mutant::WslcStoppingUnderSessionsLock) {
            Some(guard)
        } else {
            guard.unlock().await;
            None
        };
        for mut entry in snapshot {
            self.dispatch_stopping(&mut entry).await;
            entry.session.terminate();
            self.platform.emit(ModelEvent::WslcSessionTerminated { session: entry.session.id() });
        }
        if let Some(guard) = held {
            guard.unlock().await;
        }
    }

    /// The per-user process started a container and tells the service
    /// (`IWSLCPluginNotifier::OnContainerStarted`): a failing plugin stops it again and fails
    /// the start with the plugin's error.
    pub async fn container_started(
        &self,
        session: &Arc<WslcSession>,
        container: &Name,
    ) -> Result<(), UserError> {
        session.start_container(container);
        let result = self.plugins.on_wslc_container_started(&subject(session, Some(container))).await;
        if self.has(Mutant::WslcContainerVetoIgnored) {
            return Ok(());
        }
        if result.is_err() {
            session.stop_container(container);
        }
        result
    }

    /// `OnContainerStopping`, sent only for a container that was running.
    pub async fn container_stopping(&self, session: &Arc<WslcSession>, container: &Name) {
        if session.stop_container(container) {
            self.plugins
                .on_wslc_event(HookKind::WslcContainerStopping, &subject(session, Some(container)))
                .await;
        }
    }

    /// `OnImageCreated` (a pull or an import).
    pub async fn image_created(&self, session: &Arc<WslcSession>, image: &Name) {
        session.add_image(image);
        self.plugins.on_wslc_event(HookKind::WslcImageCreated, &subject(session, Some(image))).await;
    }

    /// `OnImageDeleted`, for an image that existed.
    pub async fn image_deleted(&self, session: &Arc<WslcSession>, image: &Name) {
        if session.delete_image(image) {
            self.plugins.on_wslc_event(HookKind::WslcImageDeleted, &subject(session, Some(image))).await;
        }
    }
}

fn subject(session: &WslcSession, object: Option<&Name>) -> WslcSubject {
    WslcSubject { id: session.id(), name: session.name().clone(), object: object.cloned() }
}
