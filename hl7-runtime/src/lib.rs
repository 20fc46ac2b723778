//! The HL7 v2 runtime: lossless, zero-copy ER7 parsing, paths, editing and
//! writing.
//!
//! ```
//! use hl7_runtime::er7::{parse_stream, Path};
//!
//! let input = b"MSH|^~\\&|LAB||EHR||20260101||ORU^R01|42|P|2.5.1\r\
//! PID|1||123^^^HOSP^MR||O'BRIEN^ANN\r\
//! OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL\r\
//! OBX|2|FT|11502-2^Report^LN||Line one\\.br\\Line two \\T\\ more\r";
//! let values: Path = "OBX[*]-5".parse()?;
//! for msg in parse_stream(input) {
//!     let msg = msg?;
//!     for v in msg.get_all(&values) {
//!         println!("{}", v.text());
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules:
//!
//! * [`er7`]: the engine (parse, paths, escapes, character sets, streams,
//!   editing, writing);
//! * [`types`]: the primitive HL7 data types over their wire text, with typed
//!   access (NM as an exact decimal, DT/TM/DTM with precision and offset);
//! * [`typed`]: the traits behind `#[derive(Segment, Composite)]`;
//! * [`structure`]: assigning a message's segments to the groups of a
//!   message structure;
//! * `validate` (feature `validate`): checking messages against profiles;
//! * `json` and `xml` (features `json`, `xml`): lossless encodings;
//! * `store` (feature `store`): the durable SQLite message store behind the
//!   MLLP listener.
//! * `mllp` (feature `mllp`): MLLP framing, ACKs, the validating listener,
//!   the sender and TLS.

pub mod er7;
#[cfg(feature = "json")]
pub mod json;
#[cfg(feature = "mllp")]
pub mod mllp;
#[cfg(feature = "store")]
pub mod store;
pub mod structure;
pub mod typed;
pub mod types;
#[cfg(feature = "validate")]
pub mod validate;
#[cfg(feature = "xml")]
pub mod xml;

#[doc(hidden)]
pub mod __private;

#[cfg(feature = "derive")]
pub use hl7_derive::{Composite, Segment};
