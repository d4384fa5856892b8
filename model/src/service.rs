//! The service process as a whole (`wslservice.exe`, spec §1.1, §5.5): its session table and
//! its plugin manager, how a user session comes to exist, and how the service stops.
//!
//! Owns construction and the stop order (§5.5): sessions leave `g_sessions` first (so late
//! callbacks get `ERROR_NOT_FOUND` instead of spinning), each is shut down (firing the
//! teardown hooks), then the WSLC manager notifies and terminates its sessions, then every
//! host is killed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::design::Variant;
use crate::ids::SessionCookie;
use crate::platform::Platform;
use crate::plugin_manager::{PluginManager, PluginRegistration};
use crate::session_registry::SessionRegistry;
use crate::user_session::{ShutdownBehavior, UserSession};
use crate::world::World;
use crate::wslc::WslcSessionManager;

/// The service.
pub struct Service<P: Platform> {
    platform: P,
    registry: Arc<SessionRegistry<P>>,
    plugins: Arc<PluginManager<P>>,
    wslc: WslcSessionManager<P>,
    world: Arc<World>,
    next_cookie: AtomicU32,
}

impl<P: Platform> Service<P> {
    /// A started service with `plugins` registered (none activated yet).
    pub fn new(
        platform: P,
        variant: Variant,
        plugins: &[PluginRegistration],
        world: Arc<World>,
    ) -> Arc<Self> {
        let registry = Arc::new(SessionRegistry::new(&platform));
        let plugins = PluginManager::new(platform.clone(), variant, plugins, Arc::downgrade(&registry));
        let wslc = WslcSessionManager::new(platform.clone(), plugins.clone(), world.clone());
        Arc::new(Service { platform, registry, plugins, wslc, world, next_cookie: AtomicU32::new(1) })
    }

    /// `ServiceMain`'s start, after `LoadPlugins`: no host is activated yet (§5.1).
    pub async fn start(&self) {
        self.plugins.service_started().await;
    }

    /// `CreateInstanceForCurrentUser`'s session creation: a new session in `g_sessions`.
    pub async fn create_session(&self) -> Arc<UserSession<P>> {
        let cookie = SessionCookie(self.next_cookie.fetch_add(1, Ordering::Relaxed));
        let session =
            UserSession::new(self.platform.clone(), cookie, self.plugins.clone(), self.world.clone());
        self.registry.insert(session.clone()).await;
        session
    }

    /// The WSLC session manager.
    pub fn wslc(&self) -> &WslcSessionManager<P> {
        &self.wslc
    }

    /// `ServiceStopped` steps 3, 4 and 6.
    pub async fn stop(&self) {
        for session in self.registry.clear().await {
            // Shutdown never fails; its hooks are all teardown hooks.
            let _ = session.shutdown(ShutdownBehavior::ForceAfter30Seconds).await;
        }
        self.wslc.shutdown().await;
        self.plugins.shutdown().await;
    }
}
