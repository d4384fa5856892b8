//! `PluginManager` (spec §2, §4.5–§4.6, §5): the service's side of every plugin — lazy
//! activation, hook fan-out, the per-session pump registry, callback routing, crash
//! classification and the fatal-error latch.
//!
//! Owns `m_plugins`, `m_initOnce`, `m_pluginError` under `m_pluginErrorLock`,
//! `m_wslPumps` under `m_wslPumpLock`, and `m_wslcSessionRefs` under `m_wslcSessionRefLock`.
//! None of those locks is ever held across a wait on another thread, a cross-process call
//! or another lock (I-5). It never touches session state except through the session
//! registry, `UserSession` methods and the WSLC sessions it resolves.
//!
//! Submodules: `activation` (§5.1), `hooks` (§2 fan-out, §4.5), `routing` (§4.6),
//! `crash` (§5.2–§5.3), `callbacks` (`PluginHostCallbackImpl`, §3.1), `wslc` (the WSLC
//! hooks, the reference map and WSLC callbacks, §3.3, §6.3).
//!
//! Simplifications: `AcquireHostProxy` through the GIT always succeeds while a plugin is
//! loaded (what a dead host returns there is a spec gap, §9.7): a dead host is observed on
//! the call itself. COM initialisation of the notifying and worker threads cannot fail.

mod activation;
mod callbacks;
mod crash;
mod hooks;
mod host_end;
mod routing;
mod wslc;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64};

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::call_pump::CallPump;
use crate::design::Variant;
use crate::hresult::HResult;
use crate::ids::{Name, PluginIndex, SessionCookie};
use crate::platform::Platform;
use crate::script::PluginScript;
use crate::session_registry::SessionRegistry;
use crate::wslc::WslcSession;
use host_end::HostEnd;

pub use callbacks::WslWork;
pub use crash::is_host_crash;
pub use wslc::WslcSubject;

/// The pump type WSL hooks use.
pub type WslPump<P> = CallPump<P, WslWork<P>>;

/// Where a hook is fired from: the session it is about (`m_session`).
#[derive(Clone, Debug)]
pub struct HookSite {
    /// The session the hook is about.
    pub session: SessionCookie,
    /// Whose token `m_session.UserToken` holds: set while the session has a VM, null
    /// otherwise (§2.1 "Other gates", §9.15).
    pub user: Option<Name>,
}

/// A plugin as registered (`HKLM\…\Lxss\Plugins`), in enumeration order.
#[derive(Clone, Debug)]
pub struct PluginRegistration {
    /// The registry value name.
    pub name: Name,
    /// The value's data: the DLL's path (compared without regard to case).
    pub dll: Name,
    /// What the DLL does.
    pub script: Arc<PluginScript>,
}

/// One entry of `m_plugins` (`OutOfProcPlugin`).
struct PluginSlot<P: Platform> {
    index: PluginIndex,
    name: Name,
    script: Arc<PluginScript>,
    /// `hostCookie`: set once by activation, never cleared (a crashed host stays dialled, §5.3).
    host: Mutex<Option<Arc<HostEnd<P>>>>,
    crash_telemetry_fired: AtomicBool,
}

impl<P: Platform> PluginSlot<P> {
    fn host(&self) -> Option<Arc<HostEnd<P>>> {
        self.host.lock().clone()
    }
}

/// The fatal plugin error (`m_pluginError`).
type FatalError = Option<(Name, HResult)>;

/// The service's plugin manager.
pub struct PluginManager<P: Platform> {
    platform: P,
    variant: Variant,
    plugins: Vec<PluginSlot<P>>,
    registry: Weak<SessionRegistry<P>>,
    init_lock: P::Mutex,
    initialized: Mutex<bool>,
    error_lock: P::SrwLock,
    plugin_error: Mutex<FatalError>,
    pump_lock: P::SrwLock,
    pumps: Mutex<BTreeMap<SessionCookie, Arc<WslPump<P>>>>,
    wslc_ref_lock: P::Mutex,
    wslc_refs: Mutex<BTreeMap<u32, Arc<WslcSession>>>,
    next_pump: AtomicU64,
    next_callback: AtomicU64,
    this: Weak<Self>,
}

impl<P: Platform> PluginManager<P> {
    /// `LoadPlugins`: records the plugins; no host is started until first use (§5.1).
    pub fn new(
        platform: P,
        variant: Variant,
        plugins: &[PluginRegistration],
        registry: Weak<SessionRegistry<P>>,
    ) -> Arc<Self> {
        Arc::new_cyclic(|this| PluginManager {
            init_lock: platform.mutex("m_initOnce".to_string()),
            error_lock: platform.srw_lock("m_pluginErrorLock".to_string()),
            pump_lock: platform.srw_lock("m_wslPumpLock".to_string()),
            wslc_ref_lock: platform.mutex("m_wslcSessionRefLock".to_string()),
            wslc_refs: Mutex::new(BTreeMap::new()),
            plugins: activation::discover(plugins, variant),
            platform,
            variant,
            registry,
            initialized: Mutex::new(false),
            plugin_error: Mutex::new(None),
            pumps: Mutex::new(BTreeMap::new()),
            next_pump: AtomicU64::new(1),
            next_callback: AtomicU64::new(1),
            this: this.clone(),
        })
    }

    /// The design and mutant the service runs.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// Plugins whose host was activated (`hostCookie != 0`), with the host, in enumeration
    /// order.
    fn loaded(&self) -> impl Iterator<Item = (&PluginSlot<P>, Arc<HostEnd<P>>)> {
        self.plugins.iter().filter_map(|slot| Some((slot, slot.host()?)))
    }
}
