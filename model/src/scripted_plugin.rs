//! The scripted plugin: a [`Plugin`] that interprets a [`PluginScript`], standing in for
//! WSL's test plugin DLL.
//!
//! Owns the plugin's own state (workers, flags, rendezvous, counters) and the interpreter.
//! Everything a script does to the world goes through the platform (threads, events, sleep,
//! process termination) or the [`PluginApi`] (callbacks into the service).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use crate::event::ModelEvent;
use crate::hresult::{ERROR_INVALID_HANDLE, HResult, S_OK};
use crate::ids::{Name, SessionCookie};
use crate::platform::{Event, Platform, Reset};
use crate::plugin::{Plugin, PluginApi};
use crate::script::{Action, ApiAction, ApiTemplate, Block, OnError, PluginScript, Template};
use crate::wire::{ApiCall, CallbackReply, DistroInfo, HookCall, HookKind, WslcInfo};

/// How a block ended.
enum Flow {
    Next,
    Return(HResult),
}

/// One plugin thread's context: the hook it runs in (or was spawned from) and its last result.
#[derive(Clone)]
struct Frame {
    session: SessionCookie,
    /// Whom the hook's token resolves to (none: no usable token).
    user: Option<Name>,
    vm_flags: Option<u32>,
    distro: Option<DistroInfo>,
    wslc: Option<WslcInfo>,
    worker: Option<Name>,
    last: Option<CallbackReply>,
}

struct Counter {
    value: i64,
    max: i64,
}

struct Rendezvous<P: Platform> {
    parties: u32,
    arrived: Mutex<u32>,
    open: P::Event,
}

struct State<P: Platform> {
    workers: BTreeMap<Name, Vec<P::Thread>>,
    flags: BTreeMap<Name, Arc<P::Event>>,
    rendezvous: BTreeMap<Name, Arc<Rendezvous<P>>>,
    counters: BTreeMap<Name, Counter>,
    texts: BTreeMap<Name, String>,
    distro_ids: BTreeMap<Name, u32>,
}

/// A plugin whose behaviour is a script.
pub struct ScriptedPlugin<P: Platform, A: PluginApi> {
    platform: P,
    name: Name,
    script: Arc<PluginScript>,
    api: Arc<A>,
    state: Mutex<State<P>>,
    this: Weak<Self>,
}

type BlockFuture<'a> = Pin<Box<dyn Future<Output = Flow> + Send + 'a>>;

impl<P: Platform, A: PluginApi> ScriptedPlugin<P, A> {
    /// A plugin named `name` running `script` against `api`.
    pub fn new(platform: P, name: Name, script: Arc<PluginScript>, api: Arc<A>) -> Arc<Self> {
        Arc::new_cyclic(|this| ScriptedPlugin {
            platform,
            name,
            script,
            api,
            state: Mutex::new(State {
                workers: BTreeMap::new(),
                flags: BTreeMap::new(),
                rendezvous: BTreeMap::new(),
                counters: BTreeMap::new(),
                texts: BTreeMap::new(),
                distro_ids: BTreeMap::new(),
            }),
            this: this.clone(),
        })
    }

    fn run_block<'a>(&'a self, block: &'a [Action], frame: &'a mut Frame) -> BlockFuture<'a> {
        Box::pin(async move {
            for action in block {
                if let Flow::Return(hr) = self.run_action(action, frame).await {
                    return Flow::Return(hr);
                }
            }
            Flow::Next
        })
    }

    async fn run_action(&self, action: &Action, frame: &mut Frame) -> Flow {
        match action {
            Action::Log(template) => self.log(template, frame),
            Action::Call(call) => return self.call(call, frame).await,
            Action::PluginError(message) => {
                let hr = self.api.plugin_error(message.clone());
                let (plugin, message) = (self.name.clone(), message.clone());
                self.platform.emit(ModelEvent::PluginErrorCalled { plugin, hr, message });
                frame.last = Some(CallbackReply::hr(hr));
            }
            Action::LookupUser(on_error) => {
                let hr = if frame.user.is_some() { S_OK } else { ERROR_INVALID_HANDLE };
                frame.last = Some(CallbackReply::hr(hr));
                if hr.failed() && *on_error == OnError::Return {
                    return Flow::Return(hr);
                }
            }
            Action::Spawn { worker, count, body } => self.spawn(worker, *count, body, frame).await,
            Action::Join(worker) => self.join(worker).await,
            Action::Rendezvous { name, parties } => self.rendezvous(name, *parties).await,
            Action::Add { counter, by } => self.add(counter, *by),
            Action::Repeat { times, body } => {
                for _ in 0..*times {
                    if let Flow::Return(hr) = self.run_block(body, frame).await {
                        return Flow::Return(hr);
                    }
                }
            }
            Action::LoopUntilFlag { flag, extra, pause, body } => {
                return self.loop_until_flag(flag, *extra, *pause, body, frame).await;
            }
            Action::IfFlag { flag, then, otherwise } => {
                let branch = if self.flag_is_set(flag).await { then } else { otherwise };
                return self.run_block(branch, frame).await;
            }
            Action::IfMatches { text, pattern, then, otherwise } => {
                let matched = wildcard_match(&self.render(pattern, frame), &self.render(text, frame));
                return self.run_block(if matched { then } else { otherwise }, frame).await;
            }
            Action::Remember { name, value } => {
                let text = self.render(value, frame);
                self.state.lock().texts.insert(name.clone(), text);
            }
            Action::Sleep(duration) => self.platform.sleep(*duration).await,
            Action::SetFlag(flag) => self.flag(flag).set().await,
            Action::WaitFlag(flag) => self.flag(flag).wait().await,
            Action::Return(hr) => return Flow::Return(*hr),
            Action::Crash => self.platform.terminate_current_process().await,
            Action::Hang => {
                let never = self.platform.event(format!("{}/hang", self.name), Reset::Manual);
                never.wait().await;
            }
        }
        Flow::Next
    }

    fn log(&self, template: &Template, frame: &Frame) {
        let line = self.render(template, frame);
        self.platform.emit(ModelEvent::PluginLog { plugin: self.name.clone(), line });
    }

    async fn call(&self, action: &ApiAction, frame: &mut Frame) -> Flow {
        let session = action.session.map(SessionCookie).unwrap_or(frame.session);
        let api = self.build_call(&action.api, frame);
        let reply = self.api.call(session, api).await;
        let hr = reply.hr;
        frame.last = Some(reply);
        let counter = if hr.succeeded() { &action.count_ok } else { &action.count_err };
        if let Some(counter) = counter {
            self.add(counter, 1);
        }
        if hr.failed() && action.on_error == OnError::Return {
            return Flow::Return(hr);
        }
        Flow::Next
    }

    fn build_call(&self, api: &ApiTemplate, frame: &Frame) -> ApiCall {
        match api {
            ApiTemplate::MountFolder { windows_path, linux_path, read_only, name } => ApiCall::MountFolder {
                windows_path: windows_path.clone(),
                linux_path: linux_path.clone(),
                read_only: *read_only,
                name: name.clone(),
            },
            ApiTemplate::ExecuteBinary { path, args } => {
                ApiCall::ExecuteBinary { path: path.clone(), args: args.clone() }
            }
            ApiTemplate::WslcMountFolder { windows_path, mountpoint, read_only } => {
                ApiCall::WslcMountFolder {
                    windows_path: windows_path.clone(),
                    mountpoint: mountpoint.clone(),
                    read_only: *read_only,
                }
            }
            ApiTemplate::WslcUnmountFolder { mountpoint } => {
                ApiCall::WslcUnmountFolder { mountpoint: mountpoint.clone() }
            }
            ApiTemplate::WslcCreateProcess { executable, args } => {
                ApiCall::WslcCreateProcess { executable: executable.clone(), args: args.clone() }
            }
            ApiTemplate::ExecuteBinaryInDistribution { distro, path, args } => {
                // A distribution the plugin never heard of is passed as the zero GUID.
                let id = match distro {
                    None => frame.distro.as_ref().map_or(0, |d| d.id),
                    Some(name) => self.state.lock().distro_ids.get(name).copied().unwrap_or(0),
                };
                ApiCall::ExecuteBinaryInDistribution { distro: id, path: path.clone(), args: args.clone() }
            }
        }
    }

    async fn spawn(&self, worker: &Name, count: u32, body: &Block, frame: &Frame) {
        for index in 1..=count {
            let name: Name = if count == 1 { worker.clone() } else { format!("{worker}-{index}").into() };
            let plugin = self.this.upgrade().expect("a running plugin is alive");
            let body = body.clone();
            let mut child = Frame { worker: Some(name.clone()), last: None, ..frame.clone() };
            let thread = self
                .platform
                .spawn(name.to_string(), async move {
                    plugin.run_block(&body, &mut child).await;
                })
                .await;
            self.state.lock().workers.entry(worker.clone()).or_default().push(thread);
        }
    }

    async fn join(&self, worker: &Name) {
        let threads = self.state.lock().workers.remove(worker).unwrap_or_default();
        for thread in &threads {
            self.platform.join(thread).await;
        }
    }

    async fn rendezvous(&self, name: &Name, parties: u32) {
        let point = {
            let mut state = self.state.lock();
            let (platform, plugin) = (&self.platform, &self.name);
            state
                .rendezvous
                .entry(name.clone())
                .or_insert_with(|| {
                    Arc::new(Rendezvous {
                        parties,
                        arrived: Mutex::new(0),
                        open: platform.event(format!("{plugin}/rendezvous:{name}"), Reset::Manual),
                    })
                })
                .clone()
        };
        let last = {
            let mut arrived = point.arrived.lock();
            *arrived += 1;
            *arrived >= point.parties
        };
        if last {
            point.open.set().await;
        } else {
            point.open.wait().await;
        }
    }

    async fn loop_until_flag(
        &self,
        flag: &Name,
        extra: u32,
        pause: std::time::Duration,
        body: &Block,
        frame: &mut Frame,
    ) -> Flow {
        let mut remaining: Option<u32> = None;
        loop {
            if let Flow::Return(hr) = self.run_block(body, frame).await {
                return Flow::Return(hr);
            }
            if remaining.is_none() && self.flag_is_set(flag).await {
                remaining = Some(extra);
            }
            if let Some(left) = remaining.as_mut() {
                if *left == 0 {
                    return Flow::Next;
                }
                *left -= 1;
            }
            if !pause.is_zero() {
                self.platform.sleep(pause).await;
            }
        }
    }

    fn add(&self, counter: &Name, by: i64) {
        let mut state = self.state.lock();
        let entry = state.counters.entry(counter.clone()).or_insert(Counter { value: 0, max: 0 });
        entry.value += by;
        entry.max = entry.max.max(entry.value);
    }

    fn flag(&self, flag: &Name) -> Arc<P::Event> {
        let mut state = self.state.lock();
        let (platform, plugin) = (&self.platform, &self.name);
        state
            .flags
            .entry(flag.clone())
            .or_insert_with(|| Arc::new(platform.event(format!("{plugin}/flag:{flag}"), Reset::Manual)))
            .clone()
    }

    async fn flag_is_set(&self, flag: &Name) -> bool {
        self.flag(flag).wait_timeout(std::time::Duration::ZERO).await
    }

    fn render(&self, template: &Template, frame: &Frame) -> String {
        render_template(&template.0, |key, out| self.placeholder(key, frame, out))
    }

    /// Appends the value of placeholder `key` in `frame` to `out`; false if it has none there.
    fn placeholder(&self, key: &str, frame: &Frame, out: &mut String) -> bool {
        fn put(out: &mut String, value: Option<impl std::fmt::Display>) -> bool {
            value.is_some_and(|value| write!(out, "{value}").is_ok())
        }
        let last = frame.last.as_ref();
        let (distro, wslc) = (frame.distro.as_ref(), frame.wslc.as_ref());
        match key {
            "hr" => put(out, last.map(|r| r.hr)),
            "output" => put(out, last.map(|r| r.output.as_deref().unwrap_or_default())),
            "errno" => put(out, last.and_then(|r| r.errno)),
            "wslc_session" => put(out, wslc.map(|w| &w.name)),
            "object" => put(out, wslc.and_then(|w| w.object.as_ref())),
            "distro" => put(out, distro.map(|d| &d.name)),
            "distro_id" => put(out, distro.map(|d| d.id)),
            "init_pid" => put(out, distro.map(|d| d.init_pid)),
            "session" => put(out, Some(frame.session.0)),
            "user" => put(out, Some(frame.user.as_deref().unwrap_or("(no token)"))),
            "vm_flags" => put(out, frame.vm_flags),
            "worker" => put(out, frame.worker.as_ref()),
            _ => {
                let state = self.state.lock();
                if self.script.remembers(key) {
                    return put(out, Some(state.texts.get(key).map_or("", |text| text.as_str())));
                }
                match key.strip_suffix(".max") {
                    Some(counter) => put(out, Some(state.counters.get(counter).map_or(0, |c| c.max))),
                    None => put(out, Some(state.counters.get(key).map_or(0, |c| c.value))),
                }
            }
        }
    }
}

/// Wildcard matching as the test plugin's callers use it (`PathMatchSpec`): `*` any run of
/// characters, `?` any one character, everything else itself.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            backtrack = Some((p, t));
            p += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Renders `{key}` placeholders through `lookup`, which appends a key's value to the text
/// and says whether it had one; unknown or unavailable keys render as `{key}` so a mistake
/// shows in the log instead of vanishing.
pub fn render_template(text: &str, mut lookup: impl FnMut(&str, &mut String) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.bytes().position(|b| b == b'{' || b == b'}') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        match (tail.starts_with('{'), tail.find('}')) {
            (true, Some(end)) => {
                let key = &tail[1..end];
                if !lookup(key, &mut out) {
                    out.push_str(&tail[..=end]);
                }
                rest = &tail[end + 1..];
            }
            _ => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl<P: Platform, A: PluginApi> Plugin for ScriptedPlugin<P, A> {
    async fn entry_point(&self) -> HResult {
        let mut frame = Frame {
            session: SessionCookie(0),
            user: None,
            vm_flags: None,
            distro: None,
            wslc: None,
            worker: None,
            last: None,
        };
        match self.run_block(&self.script.on_load, &mut frame).await {
            Flow::Return(hr) => hr,
            Flow::Next => S_OK,
        }
    }

    fn implements(&self, hook: HookKind) -> bool {
        self.script.hooks.contains_key(&hook)
    }

    async fn hook(&self, call: &HookCall) -> HResult {
        if let Some(distro) = &call.distro {
            self.state.lock().distro_ids.insert(distro.name.clone(), distro.id);
        }
        let Some(block) = self.script.hooks.get(&call.kind) else { return S_OK };
        let (plugin, hook) = (self.name.clone(), call.kind);
        self.platform.emit(ModelEvent::PluginHookEntered { plugin: plugin.clone(), hook });
        let mut frame = Frame {
            session: call.session,
            user: call.user.clone(),
            vm_flags: call.vm_flags,
            distro: call.distro.clone(),
            wslc: call.wslc.clone(),
            worker: None,
            last: None,
        };
        let hr = match self.run_block(block, &mut frame).await {
            Flow::Return(hr) => hr,
            Flow::Next => S_OK,
        };
        self.platform.emit(ModelEvent::PluginHookLeft { plugin, hook, hr });
        hr
    }
}

#[cfg(test)]
mod tests {
    use super::render_template;

    #[test]
    fn wildcards_match_like_path_match_spec() {
        use super::wildcard_match;
        assert!(wildcard_match("VM created*", "VM created (flags=0)"));
        assert!(wildcard_match("a?c", "abc") && wildcard_match("*", "") && wildcard_match("", ""));
        assert!(!wildcard_match("a?c", "ac") && !wildcard_match("", "x") && !wildcard_match("*x", "xy"));
    }

    #[test]
    fn templates_substitute_escape_and_keep_unknown_keys() {
        let lookup = |key: &str, out: &mut String| {
            out.push_str(if key == "hr" { "S_OK" } else { return false });
            true
        };
        assert_eq!(render_template("result={hr}", lookup), "result=S_OK");
        assert_eq!(render_template("{{literal}} {nope}", lookup), "{literal} {nope}");
        assert_eq!(render_template("dangling { brace", lookup), "dangling { brace");
    }
}
