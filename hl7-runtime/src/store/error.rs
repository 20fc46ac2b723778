//! [`StoreError`]: what went wrong with a message store, and where.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An error from a message store.
///
/// Opaque, in the style of hyper's `Error`: ask it what happened with the
/// `is_*` predicates. Its `Display` names the store (the file path for
/// [`SqliteStore`](super::SqliteStore)) and says what failed, including the
/// database's own message; that text is for people and is not stable.
///
/// Errors are cheap to clone, so one failed group commit can resolve every
/// [`Receipt`](super::Receipt) of its batch with the same error.
#[derive(Clone)]
pub struct StoreError {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: Kind,
    /// The store's location (a file path for SQLite).
    store: Arc<Path>,
    /// The database's own words, when it said something.
    detail: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// There is no store at the path (and the caller did not ask to create one).
    Missing,
    /// The store could not be opened or created.
    Open,
    /// The file is not an SQLite database, or it is corrupt.
    NotADatabase,
    /// An SQLite database, but not a message store.
    NotAStore,
    /// The store was written by a newer version with this schema version.
    NewerSchema(i64),
    /// Records could not be committed.
    Write,
    /// A query failed.
    Read,
    /// A stored value could not be read back (for example an unknown status).
    Data,
    /// The store was opened read-only.
    ReadOnly,
    /// The store is closed or its writer has stopped.
    Closed,
}

impl StoreError {
    pub(crate) fn new(kind: Kind, store: &Arc<Path>, detail: Option<String>) -> StoreError {
        StoreError {
            inner: Box::new(Inner {
                kind,
                store: Arc::clone(store),
                detail,
            }),
        }
    }

    /// The store's location: the database file of an
    /// [`SqliteStore`](super::SqliteStore).
    pub fn store(&self) -> &Path {
        &self.inner.store
    }

    /// There is no store at the path (opening read-only never creates one).
    pub fn is_missing(&self) -> bool {
        self.inner.kind == Kind::Missing
    }

    /// The store could not be opened or created (permissions, a missing
    /// folder, a locked file).
    pub fn is_open(&self) -> bool {
        self.inner.kind == Kind::Open
    }

    /// The file is not an SQLite database, or it is corrupt.
    pub fn is_not_a_database(&self) -> bool {
        self.inner.kind == Kind::NotADatabase
    }

    /// The file is an SQLite database that holds something other than a
    /// message store.
    pub fn is_not_a_store(&self) -> bool {
        self.inner.kind == Kind::NotAStore
    }

    /// The store was written by a newer version of this toolkit whose schema
    /// this one does not know.
    pub fn is_newer_schema(&self) -> bool {
        matches!(self.inner.kind, Kind::NewerSchema(_))
    }

    /// Records could not be committed: the batch was rolled back and nothing
    /// of it is stored.
    pub fn is_write(&self) -> bool {
        self.inner.kind == Kind::Write
    }

    /// A query failed, or a stored value could not be read back.
    pub fn is_read(&self) -> bool {
        matches!(self.inner.kind, Kind::Read | Kind::Data)
    }

    /// The store was opened read-only and cannot take records.
    pub fn is_read_only(&self) -> bool {
        self.inner.kind == Kind::ReadOnly
    }

    /// The store is closed, or its writer stopped before the record was
    /// committed.
    pub fn is_closed(&self) -> bool {
        self.inner.kind == Kind::Closed
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store {}: ", self.inner.store.display())?;
        match self.inner.kind {
            Kind::Missing => f.write_str("no such file")?,
            Kind::Open => f.write_str("cannot open")?,
            Kind::NotADatabase => f.write_str("not an SQLite database, or corrupt")?,
            Kind::NotAStore => f.write_str("an SQLite database, but not an hl7 message store")?,
            Kind::NewerSchema(v) => write!(
                f,
                "schema version {v} was written by a newer version of hl7 (this one reads version {})",
                super::sqlite::SCHEMA_VERSION
            )?,
            Kind::Write => f.write_str("commit failed, the records were not stored")?,
            Kind::Read => f.write_str("query failed")?,
            Kind::Data => f.write_str("unreadable stored value")?,
            Kind::ReadOnly => f.write_str("opened read-only, cannot store records")?,
            Kind::Closed => f.write_str("the store is closed")?,
        }
        if let Some(detail) = &self.inner.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("kind", &self.inner.kind)
            .field("store", &self.inner.store)
            .field("detail", &self.inner.detail)
            .finish()
    }
}

impl std::error::Error for StoreError {}

/// The path as an `Arc<Path>`, shared by the errors of one store.
pub(crate) fn store_path(path: &Path) -> Arc<Path> {
    Arc::from(PathBuf::from(path).into_boxed_path())
}
