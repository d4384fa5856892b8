//! The service's session table (`g_sessions` under `g_sessionLock`, spec §1.3): how a
//! callback's cookie finds its session.
//!
//! Owns the table and its SRW lock. `FindSessionByCookie` takes the lock exclusively, as
//! the source does (every 25 ms spin round pays for it, §9.2). It never holds the lock
//! across anything but the table access.
//!
//! Simplifications: `g_sessionTerminationLock` and per-user `TerminateSession` (logoff) are
//! absent; sessions leave the table only when the service stops.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::ids::SessionCookie;
use crate::platform::{LockGuard, Platform, SrwLock};
use crate::user_session::UserSession;

/// `g_sessions`.
pub struct SessionRegistry<P: Platform> {
    lock: P::SrwLock,
    sessions: Mutex<BTreeMap<SessionCookie, Arc<UserSession<P>>>>,
}

impl<P: Platform> SessionRegistry<P> {
    /// An empty table.
    pub fn new(platform: &P) -> Self {
        SessionRegistry {
            lock: platform.srw_lock("g_sessionLock".to_string()),
            sessions: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds a session.
    pub async fn insert(&self, session: Arc<UserSession<P>>) {
        let guard = self.lock.lock_exclusive().await;
        self.sessions.lock().insert(session.cookie(), session);
        guard.unlock().await;
    }

    /// `FindSessionByCookie`.
    pub async fn find(&self, cookie: SessionCookie) -> Option<Arc<UserSession<P>>> {
        let guard = self.lock.lock_exclusive().await;
        let session = self.sessions.lock().get(&cookie).cloned();
        guard.unlock().await;
        session
    }

    /// `ClearSessionsAndBlockNewInstances`: removes every session and returns them.
    pub async fn clear(&self) -> Vec<Arc<UserSession<P>>> {
        let guard = self.lock.lock_exclusive().await;
        let sessions = std::mem::take(&mut *self.sessions.lock());
        guard.unlock().await;
        sessions.into_values().collect()
    }
}
