//! The service ↔ host wire protocol: length-prefixed, versioned frames carrying messages
//! with call ids in both directions (hook calls out, plugin callbacks in, concurrently).
//!
//! Frame: `u32` little-endian length of what follows, then one version byte, then the
//! message (postcard). Reading a frame checks the size cap before allocating, the version,
//! and that the payload decodes completely; anything else is a typed [`ProtocolError`].
//! Which messages each side may send is checked by the receiver (`host_link`, `host`).

use std::fmt;
use std::io::{self, Read, Write};

use plughost_model::event::PluginEvent;
use plughost_model::ids::Name;
use plughost_model::wire::{CallbackReply, CallbackRequest, HostReply, HostRequest};
use serde::{Deserialize, Serialize};

/// The protocol version both sides speak.
pub const PROTOCOL_VERSION: u8 = 2;

/// The largest frame either side accepts (a scenario's script fits many times over).
pub const MAX_FRAME_BYTES: usize = 1 << 20;

/// One message.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub enum Message {
    /// Host → service, first: the host is up.
    Hello { pid: u32 },
    /// Service → host: an `IWslPluginHost` call.
    HostCall { id: u64, request: HostRequest },
    /// Host → service: the reply to `HostCall { id }`.
    HostReturn { id: u64, reply: HostReply },
    /// Host → service: a plugin callback.
    Callback { id: u64, thread: u32, request: CallbackRequest },
    /// Service → host: the reply to `Callback { id }`.
    CallbackReturn { id: u64, reply: CallbackReply },
    /// Host → service: what the plugin observed of itself (a log line, a hook entered or
    /// left, a `PluginError` result), on host thread `thread`.
    Plugin { thread: u32, plugin: Name, event: PluginEvent },
    /// Host → service: a trace line of a host thread (sent only when tracing).
    Trace { thread: String, line: String },
    /// Service → host: reply once no plugin thread runs.
    Quiesce { id: u64 },
    /// Host → service: no plugin thread runs.
    Quiescent { id: u64 },
    /// Service → host: report every unfinished thread (the watchdog fired).
    DumpThreads { id: u64 },
    /// Host → service: every unfinished thread and what it is doing.
    Threads { id: u64, threads: Vec<(String, String)> },
}

impl Message {
    /// The message's name, for errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Hello { .. } => "Hello",
            Message::HostCall { .. } => "HostCall",
            Message::HostReturn { .. } => "HostReturn",
            Message::Callback { .. } => "Callback",
            Message::CallbackReturn { .. } => "CallbackReturn",
            Message::Plugin { .. } => "Plugin",
            Message::Trace { .. } => "Trace",
            Message::Quiesce { .. } => "Quiesce",
            Message::Quiescent { .. } => "Quiescent",
            Message::DumpThreads { .. } => "DumpThreads",
            Message::Threads { .. } => "Threads",
        }
    }
}

/// A host broke the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// A frame longer than [`MAX_FRAME_BYTES`] (or empty).
    BadLength { length: usize },
    /// A frame of another protocol version.
    Version { found: u8 },
    /// A frame whose payload does not decode as one message.
    Malformed { reason: String },
    /// The stream ended inside a frame.
    Truncated,
    /// A message this side never accepts from that side.
    Unexpected { kind: &'static str },
    /// A reply to a call that is not outstanding.
    UnknownCall { id: u64 },
    /// A log line on behalf of another plugin.
    ForeignPlugin { plugin: Name },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::BadLength { length } => {
                write!(
                    f,
                    "frame of {length} bytes (the limit is {MAX_FRAME_BYTES}, and frames are never empty)"
                )
            }
            ProtocolError::Version { found } => {
                write!(f, "protocol version {found} (expected {PROTOCOL_VERSION})")
            }
            ProtocolError::Malformed { reason } => write!(f, "malformed frame: {reason}"),
            ProtocolError::Truncated => f.write_str("the stream ended inside a frame"),
            ProtocolError::Unexpected { kind } => write!(f, "unexpected {kind} message"),
            ProtocolError::UnknownCall { id } => write!(f, "reply to unknown call {id}"),
            ProtocolError::ForeignPlugin { plugin } => write!(f, "log line on behalf of plugin {plugin}"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Why no message could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The stream ended cleanly, between frames.
    Closed,
    /// The stream failed.
    Io(io::Error),
    /// The peer broke the protocol.
    Protocol(ProtocolError),
}

/// What the service knows of one host when a message arrives from it: enough to judge the
/// message before acting on it.
pub struct HostView<'a> {
    /// The plugin the host serves.
    pub plugin: &'a Name,
    /// Whether the host already said `Hello`.
    pub hello_seen: bool,
    /// Whether a call with this id is outstanding (sent, not yet answered).
    pub outstanding: &'a dyn Fn(u64) -> bool,
}

/// Checks a message from a host against what the service knows of that host: only messages
/// a host may send, one `Hello`, replies only to outstanding calls, plugin events only for
/// its own plugin. (A callback's session is not checked: the service answers
/// `ERROR_NOT_FOUND` for a cookie it does not know, as WSL does.)
pub fn check_from_host(message: &Message, view: &HostView<'_>) -> Result<(), ProtocolError> {
    match message {
        Message::Hello { .. } if view.hello_seen => Err(ProtocolError::Unexpected { kind: "second Hello" }),
        Message::HostReturn { id, .. } if !(view.outstanding)(*id) => {
            Err(ProtocolError::UnknownCall { id: *id })
        }
        Message::Plugin { plugin, .. } if plugin != view.plugin => {
            Err(ProtocolError::ForeignPlugin { plugin: plugin.clone() })
        }
        Message::HostCall { .. }
        | Message::CallbackReturn { .. }
        | Message::Quiesce { .. }
        | Message::DumpThreads { .. } => Err(ProtocolError::Unexpected { kind: message.kind() }),
        _ => Ok(()),
    }
}

/// Writes one frame, in three writes and a flush (`out` is buffered by every caller).
pub fn write_frame(out: &mut impl Write, message: &Message) -> io::Result<()> {
    let payload = postcard::to_allocvec(message).map_err(|e| io::Error::other(e.to_string()))?;
    let length = u32::try_from(payload.len() + 1).map_err(|_| io::Error::other("message too large"))?;
    out.write_all(&length.to_le_bytes())?;
    out.write_all(&[PROTOCOL_VERSION])?;
    out.write_all(&payload)?;
    out.flush()
}

/// Reads one frame, checking it.
pub fn read_frame(input: &mut impl Read) -> Result<Message, ReadError> {
    let mut header = [0u8; 4];
    match read_full(input, &mut header)? {
        0 => return Err(ReadError::Closed),
        4 => {}
        _ => return Err(ReadError::Protocol(ProtocolError::Truncated)),
    }
    let length = u32::from_le_bytes(header) as usize;
    if length == 0 || length > MAX_FRAME_BYTES {
        return Err(ReadError::Protocol(ProtocolError::BadLength { length }));
    }
    let mut body = vec![0u8; length];
    if read_full(input, &mut body)? != length {
        return Err(ReadError::Protocol(ProtocolError::Truncated));
    }
    if body[0] != PROTOCOL_VERSION {
        return Err(ReadError::Protocol(ProtocolError::Version { found: body[0] }));
    }
    let (message, rest) = postcard::take_from_bytes::<Message>(&body[1..])
        .map_err(|e| ReadError::Protocol(ProtocolError::Malformed { reason: e.to_string() }))?;
    if !rest.is_empty() {
        let reason = format!("{} bytes after the message", rest.len());
        return Err(ReadError::Protocol(ProtocolError::Malformed { reason }));
    }
    Ok(message)
}

/// Reads until `buffer` is full or the stream ends; returns how much was read.
fn read_full(input: &mut impl Read, buffer: &mut [u8]) -> Result<usize, ReadError> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plughost_model::hresult::S_OK;

    fn frame_of(message: &Message) -> Vec<u8> {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, message).expect("writes to memory");
        bytes
    }

    fn protocol_error(bytes: &[u8]) -> ProtocolError {
        match read_frame(&mut &bytes[..]) {
            Err(ReadError::Protocol(error)) => error,
            other => panic!("expected a protocol error, got {other:?}"),
        }
    }

    #[test]
    fn messages_round_trip() {
        let message =
            Message::HostReturn { id: 7, reply: HostReply { hr: S_OK, error_message: Some("m".into()) } };
        let bytes = frame_of(&message);
        match read_frame(&mut &bytes[..]) {
            Ok(Message::HostReturn { id: 7, reply }) => assert_eq!(reply.error_message.as_deref(), Some("m")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_kind_of_bad_frame_is_a_typed_error() {
        assert_eq!(
            protocol_error(&[0xff, 0xff, 0xff, 0x7f]),
            ProtocolError::BadLength { length: 0x7fff_ffff }
        );
        assert_eq!(protocol_error(&[0, 0, 0, 0]), ProtocolError::BadLength { length: 0 });
        assert_eq!(protocol_error(&[3, 0]), ProtocolError::Truncated);
        assert_eq!(protocol_error(&[5, 0, 0, 0, PROTOCOL_VERSION]), ProtocolError::Truncated);
        assert_eq!(protocol_error(&[1, 0, 0, 0, 9]), ProtocolError::Version { found: 9 });
        assert!(matches!(
            protocol_error(&[3, 0, 0, 0, PROTOCOL_VERSION, 0xee, 0xee]),
            ProtocolError::Malformed { .. }
        ));
        let mut trailing = frame_of(&Message::Quiesce { id: 1 });
        trailing[0] += 1;
        trailing.push(0);
        assert!(matches!(protocol_error(&trailing), ProtocolError::Malformed { .. }));
        assert!(matches!(read_frame(&mut &[][..]), Err(ReadError::Closed)));
    }
}
