//! The ER7 engine: HL7 v2's pipe-delimited encoding, read and written
//! losslessly.
//!
//! * [`Message::parse`] indexes one message in a single pass without
//!   copying; [`parse_stream`] splits a file or buffer into messages,
//!   batches included.
//! * [`Path`] names a value (`PID-5.1`, `OBX[3]-5`, `PID-3[*].1`);
//!   [`Message::get`] and [`Message::get_all`] return [`Value`]s, whose
//!   [`raw`](Value::raw) bytes are borrowed from the input and whose
//!   [`text`](Value::text) is decoded on request.
//! * [`Message::set`], [`Message::insert_segment`] and
//!   [`Message::remove_segment`] edit; [`Message::new`] builds from scratch.
//! * [`Message::to_er7`] writes CR-terminated ER7: byte for byte the input
//!   when it used CR terminators. [`Message::to_er7_with`] writes with other
//!   delimiters.
//! * [`escape`] handles escape sequences in both directions, [`Charset`]
//!   the MSH-18 character sets.
//!
//! Nothing here panics on any input: problems come back as [`ParseError`]s
//! that say where they are (message, byte offset, segment, field), or as
//! [`Warning`]s from [`Message::check`].

mod charset;
mod delims;
mod error;
pub mod escape;
mod message;
pub mod path;
mod stream;
mod write;

/// The first `b` in `hay`. Values are mostly a few bytes long, where a plain
/// loop beats the setup of a vectorised search; long ones use memchr.
#[inline]
pub(crate) fn find_byte(b: u8, hay: &[u8]) -> Option<usize> {
    if hay.len() < 32 {
        hay.iter().position(|&c| c == b)
    } else {
        memchr::memchr(b, hay)
    }
}

pub use charset::Charset;
pub use delims::{DelimiterError, Delimiters};
pub use error::{EditError, ParseError, ParseErrorKind};
pub use message::{Level, Message, ParseOptions, Parts, Segment, Value, Values, Warning};
pub use path::{Index, Path, PathError};
pub use stream::{Messages, parse_stream};
