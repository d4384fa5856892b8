//! `InvokeOnWslPump` (spec §4.6): where a WSL callback's work runs.
//!
//! Owns the routing loop: a registered pump for the cookie first; if it has stopped, or
//! there is none, the direct path with a 25 ms timed acquire of `m_instanceLock`; on a
//! timeout, back to the pump check — without a retry limit, a deadline or cancellation,
//! exactly as the source (§9.2). `m_wslPumpLock` is dropped before `Invoke` blocks.

use std::time::Duration;

use super::{PluginManager, WslWork};
use crate::call_pump::PumpWork;
use crate::design::Mutant;
use crate::event::{ModelEvent, WorkSite};
use crate::hresult::{E_ILLEGAL_METHOD_CALL, ERROR_TIMEOUT};
use crate::platform::{LockGuard, Platform, SrwLock};
use crate::wire::CallbackReply;

/// `c_directLockPollInterval`.
pub const DIRECT_LOCK_POLL_INTERVAL: Duration = Duration::from_millis(25);

impl<P: Platform> PluginManager<P> {
    /// Runs `work` on the session's pump, or directly under its instance lock.
    pub(crate) async fn invoke_on_wsl_pump(&self, work: WslWork<P>) -> CallbackReply {
        loop {
            // 1. Copy the pump out under the shared registry lock; never block holding it.
            let guard = self.pump_lock.lock_shared().await;
            let pump = self.pumps.lock().get(&work.session()).cloned();
            guard.unlock().await;

            // 2. A hook is in flight: run on its notifying thread. `None`: it just stopped.
            if let Some(pump) = pump
                && let Some(reply) = pump.invoke(work.clone()).await
            {
                return reply;
            }

            if self.variant.has(Mutant::NoDirectPath) {
                return CallbackReply::hr(E_ILLEGAL_METHOD_CALL);
            }

            // 3. Unknown session: run the work unlocked so it reports "not found".
            let Some(session) = work.find_session().await else {
                return work.run(WorkSite::NoSession).await;
            };

            // 4. The direct path.
            if self.variant.has(Mutant::NoTimedAcquire) {
                return session.invoke_under_instance_lock(&work, WorkSite::Direct).await;
            }
            if let Some(reply) =
                session.try_invoke_under_instance_lock(DIRECT_LOCK_POLL_INTERVAL, &work).await
            {
                return reply;
            }

            // 5. Timed out: the holder has not registered a pump yet; look again.
            self.platform.emit(ModelEvent::DirectAcquireTimedOut { callback: work.callback() });
            if self.variant.has(Mutant::NoRecheck) {
                return CallbackReply::hr(ERROR_TIMEOUT);
            }
        }
    }
}
