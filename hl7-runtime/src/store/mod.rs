//! The durable message store behind the MLLP listener (feature `store`).
//!
//! A listener that acknowledges a message promises the sender it will not be
//! lost, so each message is stored, and the store commits, before the ACK
//! goes out. The store keeps the message exactly as received, the ACK that
//! was sent and the metadata to find it again (time, peer, MSH-3/4/9/10/12,
//! status and validation findings).
//!
//! * [`Store`] is the interface: [`submit`](Store::submit) hands a
//!   [`Record`] over and returns a [`Receipt`] that resolves once the record
//!   is durably committed; [`list`](Store::list), [`get`](Store::get) and
//!   [`find_duplicate`](Store::find_duplicate) read. It is a trait so that a
//!   server database shared by several listeners can be added later.
//! * [`SqliteStore`] is the implementation: one SQLite file in WAL mode, a
//!   single writer thread that commits whatever has queued up in one
//!   transaction (group commit), and reader connections of their own.
//!   [`Durability`] says what a commit survives.
//!
//! Records whose sending application, facility and control id (MSH-3, MSH-4,
//! MSH-10) were seen before are stored too (nothing is dropped) and marked
//! with the id of the first one ([`Stored::duplicate_of`]).
//!
//! ```
//! use std::time::SystemTime;
//! use hl7_runtime::store::{Filter, Options, Record, SqliteStore, Status, Store};
//!
//! # let dir = std::env::temp_dir().join(format!("hl7-store-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! # let path = dir.join("doc.sqlite");
//! let store = SqliteStore::open(&path, Options::default())?;
//! let raw = b"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261204100000||ORU^R01^ORU_R01|M42|P|2.5.1\rPID|1||123\r";
//! let record = Record {
//!     received_at: SystemTime::now(),
//!     peer: "127.0.0.1:5000".into(),
//!     control_id: "M42".into(),
//!     sending_app: "LAB".into(),
//!     sending_facility: "HOSP".into(),
//!     message_type: "ORU^R01^ORU_R01".into(),
//!     version: "2.5.1".into(),
//!     status: Status::Accepted,
//!     ack_code: "AA".into(),
//!     findings: "[]".into(),
//!     raw: raw.to_vec(),
//!     ack: b"MSH|^~\\&|EHR|HOSP|LAB|HOSP|20261204100000||ACK^R01^ACK|A1|P|2.5.1\rMSA|AA|M42\r".to_vec(),
//! };
//! // Blocking callers wait; async code writes `store.submit(record).await?`.
//! let stored = store.submit(record).wait()?;
//! assert_eq!(stored.duplicate_of, None);
//!
//! let oru = store.list(&Filter::new().message_type("ORU^R01"))?;
//! assert_eq!(oru[0].id, stored.id);
//! let back = store.get(stored.id)?.expect("just stored");
//! assert_eq!(back.record.raw, raw);
//! # drop(store);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `docs/store.md` for the schema, what each durability mode survives
//! and the `hl7 store` command.

mod error;
mod receipt;
mod sqlite;

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

pub use error::StoreError;
pub use receipt::Receipt;
pub use sqlite::{Durability, Options, SqliteStore};

/// A durable store of received messages and the ACKs sent for them.
///
/// Object safe: listeners hold an `Arc<dyn Store>`.
pub trait Store: Send + Sync {
    /// Hands the record to the store; the returned [`Receipt`] resolves once
    /// it is durably committed (group commit).
    ///
    /// Only ACK after the receipt resolves with `Ok`. When the store's queue
    /// is full this call blocks until the writer has made room, which is how
    /// a store that cannot keep up slows its producers down.
    fn submit(&self, record: Record) -> Receipt;

    /// Earliest stored record with the same sending app, facility and
    /// control id.
    ///
    /// Sees committed records only; a record still in the queue is found by
    /// the writer, which sets [`Stored::duplicate_of`].
    fn find_duplicate(
        &self,
        sending_app: &str,
        sending_facility: &str,
        control_id: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// The metadata of the records that match `filter`.
    fn list(&self, filter: &Filter) -> Result<Vec<Summary>, StoreError>;

    /// Everything stored about one record, or `None` when there is no record
    /// with that id.
    fn get(&self, id: i64) -> Result<Option<StoredRecord>, StoreError>;
}

/// One received message, what was answered, and what is known about it.
///
/// Owned, so it can cross to the store's writer thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// When the message was received (stored to the microsecond).
    pub received_at: SystemTime,
    /// The peer's address, such as `127.0.0.1:5000`.
    pub peer: String,
    /// MSH-10, the message control id.
    pub control_id: String,
    /// MSH-3 as written.
    pub sending_app: String,
    /// MSH-4 as written.
    pub sending_facility: String,
    /// MSH-9 as written, such as `ADT^A01^ADT_A01`.
    pub message_type: String,
    /// MSH-12.
    pub version: String,
    /// What the ACK code means.
    pub status: Status,
    /// The ACK code sent: `AA`, `AE`, `AR`, `CA`, ...
    pub ack_code: String,
    /// The validation findings as a JSON array, `[]` when there are none.
    pub findings: String,
    /// The message exactly as received (the frame's payload).
    pub raw: Vec<u8>,
    /// The ACK that was sent.
    pub ack: Vec<u8>,
}

/// What the ACK said about a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Accepted: AA or CA.
    Accepted,
    /// An error in the content: AE or CE.
    Error,
    /// Rejected (unsupported type, version or processing id, or an internal
    /// failure): AR or CR.
    Rejected,
}

impl Status {
    /// The status an ACK code stands for: `AA`/`CA` accepted, `AE`/`CE`
    /// error, `AR`/`CR` rejected; `None` for anything else.
    pub fn from_ack_code(code: &str) -> Option<Status> {
        match code {
            "AA" | "CA" => Some(Status::Accepted),
            "AE" | "CE" => Some(Status::Error),
            "AR" | "CR" => Some(Status::Rejected),
            _ => None,
        }
    }

    /// `accepted`, `error` or `rejected`: the stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Error => "error",
            Status::Rejected => "rejected",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not `accepted`, `error` or `rejected`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownStatus(String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown status '{}' (expected accepted, error or rejected)",
            self.0
        )
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for Status {
    type Err = UnknownStatus;

    /// `accepted`, `error` or `rejected`, in any case.
    fn from_str(s: &str) -> Result<Status, UnknownStatus> {
        match s.to_ascii_lowercase().as_str() {
            "accepted" => Ok(Status::Accepted),
            "error" => Ok(Status::Error),
            "rejected" => Ok(Status::Rejected),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

/// Where a submitted record was stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The record's id, increasing in commit order.
    pub id: i64,
    /// The id of the earliest record with the same sending application,
    /// facility and control id, when there is one.
    pub duplicate_of: Option<i64>,
}

/// A stored record's metadata, without the message and ACK bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The record's id.
    pub id: i64,
    /// When the message was received.
    pub received_at: SystemTime,
    /// The peer's address.
    pub peer: String,
    /// MSH-10.
    pub control_id: String,
    /// MSH-3 as written.
    pub sending_app: String,
    /// MSH-4 as written.
    pub sending_facility: String,
    /// MSH-9 as written.
    pub message_type: String,
    /// MSH-12.
    pub version: String,
    /// What the ACK code means.
    pub status: Status,
    /// The ACK code sent.
    pub ack_code: String,
    /// How many findings the record has: the length of its findings array,
    /// or `None` when the stored findings are not a JSON array.
    pub findings: Option<u64>,
    /// The earliest record with the same sending application, facility and
    /// control id, when this one is a duplicate.
    pub duplicate_of: Option<i64>,
    /// The message's size in bytes.
    pub raw_len: u64,
}

/// Everything stored about one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    /// The record's id.
    pub id: i64,
    /// The earliest record with the same sending application, facility and
    /// control id, when this one is a duplicate.
    pub duplicate_of: Option<i64>,
    /// The record as submitted (`received_at` to the microsecond).
    pub record: Record,
}

/// Which records [`Store::list`] returns; every condition set must hold.
///
/// Build one with the methods (`Filter::new().status(Status::Error).limit(20)`)
/// or set the fields of `Filter::default()`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Filter {
    /// MSH-9 equal to this or starting with it followed by `^`: `ADT`
    /// matches `ADT^A01^ADT_A01`, `ADT^A01` matches `ADT^A01` and
    /// `ADT^A01^ADT_A01`, neither matches `ADTX^A01` or `ADT^A011`.
    pub message_type: Option<String>,
    /// Only records with this status.
    pub status: Option<Status>,
    /// Only records with this control id (MSH-10).
    pub control_id: Option<String>,
    /// Only records received at or after this time.
    pub since: Option<SystemTime>,
    /// Only records received before this time.
    pub until: Option<SystemTime>,
    /// At most this many records.
    pub limit: Option<usize>,
    /// Newest first (highest id first) instead of oldest first; with
    /// `limit`, this gives the latest records.
    pub newest_first: bool,
}

impl Filter {
    /// A filter that matches every record, oldest first.
    pub fn new() -> Filter {
        Filter::default()
    }

    /// Only MSH-9 equal to `prefix` or continuing it with `^` (`ADT`, `ADT^A01`).
    #[must_use]
    pub fn message_type(mut self, prefix: impl Into<String>) -> Filter {
        self.message_type = Some(prefix.into());
        self
    }

    /// Only records with this status.
    #[must_use]
    pub fn status(mut self, status: Status) -> Filter {
        self.status = Some(status);
        self
    }

    /// Only records with this control id.
    #[must_use]
    pub fn control_id(mut self, control_id: impl Into<String>) -> Filter {
        self.control_id = Some(control_id.into());
        self
    }

    /// Only records received at or after `time`.
    #[must_use]
    pub fn since(mut self, time: SystemTime) -> Filter {
        self.since = Some(time);
        self
    }

    /// Only records received before `time`.
    #[must_use]
    pub fn until(mut self, time: SystemTime) -> Filter {
        self.until = Some(time);
        self
    }

    /// At most `n` records.
    #[must_use]
    pub fn limit(mut self, n: usize) -> Filter {
        self.limit = Some(n);
        self
    }

    /// Newest first instead of oldest first.
    #[must_use]
    pub fn newest_first(mut self, yes: bool) -> Filter {
        self.newest_first = yes;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_codes_map_to_statuses() {
        assert_eq!(Status::from_ack_code("AA"), Some(Status::Accepted));
        assert_eq!(Status::from_ack_code("CA"), Some(Status::Accepted));
        assert_eq!(Status::from_ack_code("AE"), Some(Status::Error));
        assert_eq!(Status::from_ack_code("CE"), Some(Status::Error));
        assert_eq!(Status::from_ack_code("AR"), Some(Status::Rejected));
        assert_eq!(Status::from_ack_code("CR"), Some(Status::Rejected));
        assert_eq!(Status::from_ack_code("aa"), None);
        assert_eq!(Status::from_ack_code(""), None);
    }

    #[test]
    fn status_names_parse_back() {
        for s in [Status::Accepted, Status::Error, Status::Rejected] {
            assert_eq!(s.to_string().parse::<Status>(), Ok(s));
            assert_eq!(s.as_str().to_uppercase().parse::<Status>(), Ok(s));
        }
        let e = "accept".parse::<Status>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown status 'accept' (expected accepted, error or rejected)"
        );
    }
}
