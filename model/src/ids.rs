//! Small identifiers shared by the service, the host and the traces.
//!
//! Owns the identity types and the rule that makes thread names unique; it never allocates
//! identifiers (the components that create sessions, pumps and callbacks own their
//! counters, so numbering is deterministic).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A WSL user session's cookie (`SessionId` in the plugin API).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct SessionCookie(pub u32);

/// A plugin's position in registry-enumeration order (the order hooks are fanned out in).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct PluginIndex(pub u32);

/// One plugin callback received by the service, numbered in arrival order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct CallbackId(pub u64);

/// One `PluginCallPump`, numbered in creation order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
pub struct PumpId(pub u64);

/// A cheaply clonable name (plugin, distribution, worker): up to 23 bytes inline, so that
/// the many copies a run makes (into events, facts, calls and the oracles' tables) cost no
/// atomic reference count; a longer one is shared.
pub type Name = smol_str::SmolStr;

/// Appends `n` in decimal to `text`, without the formatting machinery: names of per-run
/// objects are built many thousands of times a second.
pub fn push_number(text: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    text.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// `{prefix}{n}`: the name of the `n`th of a kind of thread or object (`R-3`, `W-1`).
pub fn numbered(prefix: &str, n: u64) -> String {
    let mut name = String::with_capacity(prefix.len() + 20);
    name.push_str(prefix);
    push_number(&mut name, n);
    name
}

/// `{prefix}{n}.{member}`: the name of an object a numbered owner holds.
fn member_name(prefix: &str, n: u64, member: &str) -> String {
    let mut name = numbered(prefix, n);
    name.reserve(1 + member.len());
    name.push('.');
    name.push_str(member);
    name
}

/// What a WSL user session's name starts with.
const SESSION_PREFIX: &str = "session#";
/// What a WSLC session's name starts with.
const WSLC_PREFIX: &str = "wslc#";

impl SessionCookie {
    /// `session#N.member`, the name of one of the session's locks or events.
    pub fn member(self, member: &str) -> String {
        member_name(SESSION_PREFIX, u64::from(self.0), member)
    }

    /// The session's name: `session#N`, or `wslc#N` for a WSLC session.
    pub fn name(self, wslc: bool) -> String {
        let mut name = String::new();
        self.push_name(&mut name, wslc);
        name
    }

    /// Appends the session's name to `text`: `session#N`, or `wslc#N` for a WSLC session.
    pub fn push_name(self, text: &mut String, wslc: bool) {
        text.push_str(if wslc { WSLC_PREFIX } else { SESSION_PREFIX });
        push_number(text, u64::from(self.0));
    }
}

impl PumpId {
    /// `pump#N.member`, the name of one of the pump's locks or events.
    pub fn member(self, member: &str) -> String {
        member_name("pump#", self.0, member)
    }
}

impl fmt::Display for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SESSION_PREFIX}{}", self.0)
    }
}

impl fmt::Display for CallbackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cb#{}", self.0)
    }
}

impl fmt::Display for PumpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pump#{}", self.0)
    }
}

/// Makes names unique within one process run, as both platforms name threads: the first
/// `name` stays `name`, later ones become `name#2`, `name#3`, …
#[derive(Default, Debug)]
pub struct UniqueNames {
    taken: BTreeMap<String, u32>,
}

impl UniqueNames {
    /// The unique form of `name`.
    pub fn claim(&mut self, name: &str) -> String {
        self.claim_owned(name.to_string())
    }

    /// The unique form of `name`, reusing its allocation when it is the first of its name.
    pub fn claim_owned(&mut self, name: String) -> String {
        if let Some(count) = self.taken.get_mut(&name) {
            *count += 1;
            return format!("{name}#{count}");
        }
        self.taken.insert(name.clone(), 1);
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_read_as_their_owner_displays() {
        for n in [0, 1, 9, 10, 99, 1234, u32::MAX] {
            assert_eq!(
                SessionCookie(n).member("instance_lock"),
                format!("{}.instance_lock", SessionCookie(n))
            );
            assert_eq!(PumpId(u64::from(n)).member("lock"), format!("{}.lock", PumpId(u64::from(n))));
        }
        let mut text = String::from("x");
        push_number(&mut text, u64::MAX);
        assert_eq!(text, format!("x{}", u64::MAX));
    }
}
