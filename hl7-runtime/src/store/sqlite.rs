//! [`SqliteStore`]: the message store in one SQLite file, with group commit.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::config::DbConfig;
use rusqlite::types::{Type, Value};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

use super::error::{Kind, StoreError, store_path};
use super::receipt::Outcome;
use super::{Filter, Receipt, Record, Status, Store, Stored, StoredRecord, Summary};

/// The schema this code writes and reads (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: i64 = 1;

/// `PRAGMA application_id` of a message store: "HL7S".
const APPLICATION_ID: i64 = 0x484C_3753;

/// Records committed between two checkpoints run by the checkpoint thread.
const CHECKPOINT_RECORDS: usize = 1000;

/// WAL pages after which the writer checkpoints by itself (SQLite's own
/// automatic checkpoint), should the checkpoint thread fall behind.
const WRITER_CHECKPOINT_PAGES: i64 = 16_384;

/// The WAL file is truncated to this size after it is reset.
const WAL_SIZE_LIMIT: i64 = 64 << 20;

/// Version 1: one row per received message; the bytes come last so that
/// listing reads only the first page of a row.
///
/// Only the duplicate lookup and time ranges have an index: every index is
/// a page rewritten by each commit, and indexes on the message type and the
/// status (a handful of values each) cost the writer about a quarter of its
/// time per record while `hl7 store list --type/--status` reads little
/// faster with them. Stores created before keep those two indexes; nothing
/// depends on their presence or absence.
const SCHEMA_V1: &str = "
CREATE TABLE messages (
    id               INTEGER PRIMARY KEY,
    received_at      INTEGER NOT NULL,  -- microseconds since 1970-01-01T00:00:00Z
    peer             TEXT NOT NULL,
    control_id       TEXT NOT NULL,     -- MSH-10
    sending_app      TEXT NOT NULL,     -- MSH-3 as written
    sending_facility TEXT NOT NULL,     -- MSH-4 as written
    message_type     TEXT NOT NULL,     -- MSH-9 as written
    version          TEXT NOT NULL,     -- MSH-12
    status           TEXT NOT NULL CHECK (status IN ('accepted', 'error', 'rejected')),
    ack_code         TEXT NOT NULL,
    findings         TEXT NOT NULL,     -- JSON array
    findings_count   INTEGER,           -- its length; NULL when not a JSON array
    duplicate_of     INTEGER REFERENCES messages (id),
    raw              BLOB NOT NULL,     -- the message as received
    ack              BLOB NOT NULL      -- the ACK sent
);
CREATE INDEX messages_by_control_id ON messages (control_id, sending_app, sending_facility);
CREATE INDEX messages_by_received_at ON messages (received_at);
";

const INSERT: &str = "
INSERT INTO messages (received_at, peer, control_id, sending_app, sending_facility,
                      message_type, version, status, ack_code, findings, findings_count,
                      duplicate_of, raw, ack)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
        CASE WHEN json_valid(?10) THEN
            CASE WHEN json_type(?10) = 'array' THEN json_array_length(?10) END
        END,
        ?11, ?12, ?13)";

const FIND_DUPLICATE: &str = "
SELECT id FROM messages
WHERE control_id = ?3 AND sending_app = ?1 AND sending_facility = ?2
ORDER BY id LIMIT 1";

const SUMMARY_COLUMNS: &str = "id, received_at, peer, control_id, sending_app, \
    sending_facility, message_type, version, status, ack_code, findings_count, \
    duplicate_of, length(raw)";

const GET: &str = "
SELECT id, received_at, peer, control_id, sending_app, sending_facility, message_type,
       version, status, ack_code, findings, duplicate_of, raw, ack
FROM messages WHERE id = ?1";

/// What a commit survives.
///
/// Both modes run SQLite in WAL mode and commit before a [`Receipt`]
/// resolves; they differ in when the data reaches the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = NORMAL`: a commit is in the operating system's hands
    /// when it returns, so it survives the crash or `kill -9` of the process,
    /// but the last commits before a power loss or kernel crash can be lost
    /// (the database stays consistent). The WAL is synced at checkpoints.
    #[default]
    Process,
    /// `synchronous = FULL`: every commit is synced to the disk (`fsync`)
    /// before it returns, so it also survives a power loss. Group commit
    /// shares one sync among all the records of a batch.
    Full,
}

impl Durability {
    fn synchronous(self) -> &'static str {
        match self {
            Durability::Process => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

/// How [`SqliteStore::open`] sets the store up.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// What a commit survives; [`Durability::Process`] by default.
    pub durability: Durability,
    /// Records that may wait for the writer before
    /// [`submit`](Store::submit) blocks (4,096 by default).
    pub queue_capacity: usize,
    /// The most records committed in one transaction (512 by default).
    pub max_batch: usize,
    /// How long a statement waits for a lock held by another connection
    /// before failing (5 s by default).
    pub busy_timeout: Duration,
    /// Reader connections kept open between reads (4 by default); more are
    /// opened when more threads read at once.
    pub idle_readers: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            durability: Durability::Process,
            queue_capacity: 4096,
            max_batch: 512,
            busy_timeout: Duration::from_secs(5),
            idle_readers: 4,
        }
    }
}

impl Options {
    /// The defaults.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets what a commit survives.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Options {
        self.durability = durability;
        self
    }

    /// Sets how many records may wait for the writer (at least 1).
    #[must_use]
    pub fn queue_capacity(mut self, records: usize) -> Options {
        self.queue_capacity = records.max(1);
        self
    }

    /// Sets the most records per transaction (at least 1).
    #[must_use]
    pub fn max_batch(mut self, records: usize) -> Options {
        self.max_batch = records.max(1);
        self
    }

    /// Sets how long to wait for another connection's lock.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Options {
        self.busy_timeout = timeout;
        self
    }

    /// Sets how many reader connections stay open between reads.
    #[must_use]
    pub fn idle_readers(mut self, connections: usize) -> Options {
        self.idle_readers = connections;
        self
    }
}

/// A record on its way to the writer, with the way to answer.
type Job = (Record, oneshot::Sender<Outcome>);

/// The message store in one SQLite file.
///
/// One writer thread owns the write connection. It takes whatever has
/// queued up (at most [`Options::max_batch`] records), stores it in one
/// transaction, commits, then resolves the receipts of the whole batch: many
/// connections share one commit (and, with [`Durability::Full`], one
/// `fsync`). Duplicates are found there, so records of the same batch see
/// each other. Reads use connections of their own and never wait for the
/// writer (WAL mode).
///
/// Dropping the store commits what is queued and joins the writer;
/// [`close`](SqliteStore::close) does the same and says whether the writer
/// ended well.
pub struct SqliteStore {
    path: Arc<Path>,
    /// `None` when opened read-only or closed.
    queue: Option<SyncSender<Job>>,
    writer: Option<JoinHandle<()>>,
    readers: Mutex<Vec<Connection>>,
    options: Options,
}

impl SqliteStore {
    /// Opens the store at `path`, creating the file and its schema when
    /// there is none, and starts the writer.
    ///
    /// # Errors
    ///
    /// The folder does not exist or the file cannot be created or opened
    /// ([`StoreError::is_open`]); the file is not an SQLite database
    /// ([`is_not_a_database`](StoreError::is_not_a_database)), is another
    /// application's database ([`is_not_a_store`](StoreError::is_not_a_store))
    /// or was written by a newer version
    /// ([`is_newer_schema`](StoreError::is_newer_schema)).
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<SqliteStore, StoreError> {
        let path = store_path(path.as_ref());
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.is_dir()
        {
            return Err(StoreError::new(
                Kind::Open,
                &path,
                Some(format!("the folder {} does not exist", parent.display())),
            ));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags)
            .map_err(|e| sql_error(Kind::Open, &path, &e))?;
        conn.busy_timeout(options.busy_timeout)
            .map_err(|e| sql_error(Kind::Open, &path, &e))?;
        let found = check_schema(&conn, &path)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| sql_error(Kind::Open, &path, &e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(
                Kind::Open,
                &path,
                Some(format!(
                    "cannot use WAL mode (the journal mode stays {mode})"
                )),
            ));
        }
        conn.pragma_update(None, "synchronous", options.durability.synchronous())
            .map_err(|e| sql_error(Kind::Open, &path, &e))?;
        // The bundled SQLite is built with STAT4, under which a statement
        // whose plan could depend on a bound value (the duplicate lookup)
        // is prepared again after every new binding: several percent of the
        // writer's time. The query planner stability guarantee keeps one
        // plan per statement.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(|e| sql_error(Kind::Open, &path, &e))?;
        conn.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
            .and_then(|()| conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT))
            .map_err(|e| sql_error(Kind::Open, &path, &e))?;
        if found == Found::Empty {
            create_schema(&mut conn, &path)?;
        }

        let checkpointer = Checkpointer::start(&path, &options)?;
        let (queue, jobs) = mpsc::sync_channel(options.queue_capacity.max(1));
        let writer = Writer {
            conn,
            path: Arc::clone(&path),
            jobs,
            max_batch: options.max_batch.max(1),
            checkpointer: Some(checkpointer),
            since_checkpoint: 0,
        };
        let writer = thread::Builder::new()
            .name("hl7-store-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| StoreError::new(Kind::Open, &path, Some(format!("writer thread: {e}"))))?;
        tracing::debug!(store = %path.display(), durability = ?options.durability, "store opened");
        Ok(SqliteStore {
            path,
            queue: Some(queue),
            writer: Some(writer),
            readers: Mutex::new(Vec::new()),
            options,
        })
    }

    /// Opens an existing store for reading only: no writer is started,
    /// nothing is created, and [`submit`](Store::submit) answers with an
    /// error ([`StoreError::is_read_only`]). For tools that look into the
    /// store of a running listener.
    ///
    /// # Errors
    ///
    /// As [`open`](SqliteStore::open), and [`StoreError::is_missing`] when
    /// there is no file at `path`; an empty file is not a store.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = store_path(path.as_ref());
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                return Err(StoreError::new(
                    Kind::Open,
                    &path,
                    Some("is a folder".into()),
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::new(Kind::Missing, &path, None));
            }
            Err(e) => return Err(StoreError::new(Kind::Open, &path, Some(e.to_string()))),
        }
        let options = Options::default();
        let conn = open_reader(&path, &options)?;
        if check_schema(&conn, &path)? == Found::Empty {
            return Err(StoreError::new(
                Kind::NotAStore,
                &path,
                Some("the database is empty".into()),
            ));
        }
        Ok(SqliteStore {
            path,
            queue: None,
            writer: None,
            readers: Mutex::new(vec![conn]),
            options,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commits what is queued, stops the writer and closes the store.
    ///
    /// # Errors
    ///
    /// [`StoreError::is_closed`] when the writer had stopped abnormally
    /// (records submitted after that were answered with errors).
    pub fn close(mut self) -> Result<(), StoreError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), StoreError> {
        // Without senders the writer drains the queue, then returns.
        self.queue = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Err(_)) => Err(StoreError::new(
                Kind::Closed,
                &self.path,
                Some("the writer thread panicked".into()),
            )),
            _ => Ok(()),
        }
    }

    /// Runs `read` on an idle reader connection (opening one when none is
    /// idle) and puts the connection back.
    fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path, &self.options)?,
        };
        let result = read(&conn).map_err(|e| sql_error(Kind::Read, &self.path, &e));
        let mut idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.options.idle_readers.max(1) {
            idle.push(conn);
        }
        result
    }

    fn closed(&self) -> StoreError {
        StoreError::new(Kind::Closed, &self.path, None)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            tracing::error!(error = %e, "store writer failed");
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("read_only", &self.queue.is_none())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Store for SqliteStore {
    fn submit(&self, record: Record) -> Receipt {
        let Some(queue) = &self.queue else {
            let e = StoreError::new(Kind::ReadOnly, &self.path, None);
            return Receipt::ready(Err(e.clone()), e);
        };
        let (tx, rx) = oneshot::channel();
        if queue.send((record, tx)).is_ok() {
            Receipt::pending(rx, self.closed())
        } else {
            let e = StoreError::new(
                Kind::Closed,
                &self.path,
                Some("the writer has stopped".into()),
            );
            Receipt::ready(Err(e.clone()), e)
        }
    }

    fn find_duplicate(
        &self,
        sending_app: &str,
        sending_facility: &str,
        control_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.read(|conn| find_duplicate(conn, sending_app, sending_facility, control_id))
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Summary>, StoreError> {
        let (sql, params) = list_query(filter);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params), |row| {
                Ok(Summary {
                    id: row.get(0)?,
                    received_at: from_micros(row.get(1)?),
                    peer: row.get(2)?,
                    control_id: row.get(3)?,
                    sending_app: row.get(4)?,
                    sending_facility: row.get(5)?,
                    message_type: row.get(6)?,
                    version: row.get(7)?,
                    status: status_column(row, 8)?,
                    ack_code: row.get(9)?,
                    findings: row
                        .get::<_, Option<i64>>(10)?
                        .map(|n| u64::try_from(n).unwrap_or(0)),
                    duplicate_of: row.get(11)?,
                    raw_len: u64::try_from(row.get::<_, i64>(12)?).unwrap_or(0),
                })
            })?;
            rows.collect()
        })
    }

    fn get(&self, id: i64) -> Result<Option<StoredRecord>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(GET)?
                .query_row([id], |row| {
                    Ok(StoredRecord {
                        id: row.get(0)?,
                        duplicate_of: row.get(11)?,
                        record: Record {
                            received_at: from_micros(row.get(1)?),
                            peer: row.get(2)?,
                            control_id: row.get(3)?,
                            sending_app: row.get(4)?,
                            sending_facility: row.get(5)?,
                            message_type: row.get(6)?,
                            version: row.get(7)?,
                            status: status_column(row, 8)?,
                            ack_code: row.get(9)?,
                            findings: row.get(10)?,
                            raw: row.get(12)?,
                            ack: row.get(13)?,
                        },
                    })
                })
                .optional()
        })
    }
}

/// The single writer: owns the write connection and commits in groups.
struct Writer {
    conn: Connection,
    path: Arc<Path>,
    jobs: Receiver<Job>,
    max_batch: usize,
    /// Copies the WAL back into the database off the commit path.
    checkpointer: Option<Checkpointer>,
    /// Records committed since the checkpointer was last asked to run.
    since_checkpoint: usize,
}

impl Writer {
    fn run(mut self) {
        let mut batch: Vec<Job> = Vec::with_capacity(self.max_batch);
        // `recv` fails once the store is dropped and the queue is empty.
        while let Ok(job) = self.jobs.recv() {
            batch.push(job);
            while batch.len() < self.max_batch {
                match self.jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            let committed = self.commit(&mut batch);
            self.since_checkpoint += committed;
            if self.since_checkpoint >= CHECKPOINT_RECORDS {
                self.since_checkpoint = 0;
                if let Some(checkpointer) = &self.checkpointer {
                    checkpointer.request();
                }
            }
        }
        if let Some(checkpointer) = self.checkpointer.take() {
            checkpointer.stop();
        }
        tracing::debug!(store = %self.path.display(), "store writer stopped");
    }

    /// Stores the batch in one transaction and answers every receipt. When
    /// the batch fails because of one of its records (too big, a constraint),
    /// each record is tried alone, so that record does not take the others
    /// down with it; when it fails for a reason that would fail each of them
    /// (a lock held elsewhere, I/O, a full disk), the whole batch is answered
    /// with the error at once. Returns how
    /// many records were committed.
    fn commit(&mut self, batch: &mut Vec<Job>) -> usize {
        let started = Instant::now();
        let mut committed = 0;
        match insert(&self.conn, batch.iter().map(|(record, _)| record)) {
            Ok(stored) => {
                committed = stored.len();
                tracing::trace!(
                    records = batch.len(),
                    micros = started.elapsed().as_micros(),
                    "group commit"
                );
                for ((_, answer), stored) in batch.drain(..).zip(stored) {
                    // A receipt dropped unawaited is not an error.
                    let _ = answer.send(Ok(stored));
                }
            }
            Err(e) if batch.len() > 1 && record_specific(&e) => {
                tracing::warn!(
                    store = %self.path.display(),
                    records = batch.len(),
                    error = %e,
                    "group commit failed, committing one by one"
                );
                for (record, answer) in batch.drain(..) {
                    let outcome = insert(&self.conn, std::iter::once(&record))
                        .map(|stored| stored[0])
                        .map_err(|e| sql_error(Kind::Write, &self.path, &e));
                    match &outcome {
                        Ok(_) => committed += 1,
                        Err(e) => {
                            tracing::error!(error = %e, control_id = %record.control_id, "record not stored");
                        }
                    }
                    let _ = answer.send(outcome);
                }
            }
            Err(e) => {
                let e = sql_error(Kind::Write, &self.path, &e);
                tracing::error!(error = %e, "record not stored");
                for (_, answer) in batch.drain(..) {
                    let _ = answer.send(Err(e.clone()));
                }
            }
        }
        committed
    }
}

/// A thread with its own connection that runs passive checkpoints (WAL
/// back into the database file, with the syncs that takes) when the writer
/// asks, so that commits do not wait for them.
struct Checkpointer {
    requests: SyncSender<()>,
    thread: JoinHandle<()>,
}

impl Checkpointer {
    fn start(path: &Arc<Path>, options: &Options) -> Result<Checkpointer, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|e| sql_error(Kind::Open, path, &e))?;
        conn.busy_timeout(options.busy_timeout)
            .and_then(|()| {
                conn.pragma_update(None, "synchronous", options.durability.synchronous())
            })
            .map_err(|e| sql_error(Kind::Open, path, &e))?;
        // One request waiting is enough: it covers everything before it.
        let (requests, pending) = mpsc::sync_channel::<()>(1);
        let store = Arc::clone(path);
        let thread = thread::Builder::new()
            .name("hl7-store-checkpoint".into())
            .spawn(move || {
                while pending.recv().is_ok() {
                    let started = Instant::now();
                    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
                    }) {
                        Ok((wal_pages, copied)) => tracing::trace!(
                            wal_pages,
                            copied,
                            micros = started.elapsed().as_micros(),
                            "checkpoint"
                        ),
                        Err(e) => {
                            tracing::warn!(store = %store.display(), error = %e, "checkpoint failed");
                        }
                    }
                }
            })
            .map_err(|e| {
                StoreError::new(Kind::Open, path, Some(format!("checkpoint thread: {e}")))
            })?;
        Ok(Checkpointer { requests, thread })
    }

    /// Asks for a checkpoint, unless one is already asked for.
    fn request(&self) {
        let _ = self.requests.try_send(());
    }

    fn stop(self) {
        drop(self.requests);
        if self.thread.join().is_err() {
            tracing::error!("store checkpoint thread panicked");
        }
    }
}

/// Whether a failed batch may have failed because of one record, so that
/// the others could still be stored one by one.
fn record_specific(e: &rusqlite::Error) -> bool {
    match e.sqlite_error_code() {
        Some(code) => matches!(
            code,
            ErrorCode::TooBig | ErrorCode::ConstraintViolation | ErrorCode::TypeMismatch
        ),
        // Not from SQLite: a value that could not be converted.
        None => true,
    }
}

/// Inserts the records in one transaction, each marked with the record it
/// duplicates, and commits. On error the transaction is rolled back.
fn insert<'a>(
    conn: &Connection,
    records: impl Iterator<Item = &'a Record>,
) -> rusqlite::Result<Vec<Stored>> {
    // BEGIN and COMMIT as cached statements: `Connection::transaction`
    // parses both again for every commit, which with one lockstep
    // connection is every record.
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    let result = insert_rows(conn, records).and_then(|stored| {
        conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(stored)
    });
    if result.is_err()
        && !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        tracing::warn!(error = %e, "rollback failed");
    }
    result
}

/// The rows of [`insert`], inside its transaction.
fn insert_rows<'a>(
    conn: &Connection,
    records: impl Iterator<Item = &'a Record>,
) -> rusqlite::Result<Vec<Stored>> {
    let mut insert = conn.prepare_cached(INSERT)?;
    let mut duplicate = conn.prepare_cached(FIND_DUPLICATE)?;
    let mut stored = Vec::new();
    for r in records {
        let duplicate_of = duplicate
            .query_row(
                [&r.sending_app, &r.sending_facility, &r.control_id],
                |row| row.get(0),
            )
            .optional()?;
        let id = insert.insert(rusqlite::params![
            to_micros(r.received_at),
            r.peer,
            r.control_id,
            r.sending_app,
            r.sending_facility,
            r.message_type,
            r.version,
            r.status.as_str(),
            r.ack_code,
            r.findings,
            duplicate_of,
            r.raw,
            r.ack,
        ])?;
        stored.push(Stored { id, duplicate_of });
    }
    Ok(stored)
}

fn find_duplicate(
    conn: &Connection,
    sending_app: &str,
    sending_facility: &str,
    control_id: &str,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(FIND_DUPLICATE)?
        .query_row([sending_app, sending_facility, control_id], |row| {
            row.get(0)
        })
        .optional()
}

/// The SELECT for `filter` and its parameters.
fn list_query(filter: &Filter) -> (String, Vec<Value>) {
    let mut conditions: Vec<&str> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    if let Some(prefix) = &filter.message_type {
        // Equal, or continued with a component: between "P^" and "P_"
        // ('_' follows '^' in every encoding), so the index serves it.
        conditions.push("(message_type = ? OR (message_type >= ? AND message_type < ?))");
        params.push(Value::Text(prefix.clone()));
        params.push(Value::Text(format!("{prefix}^")));
        params.push(Value::Text(format!("{prefix}_")));
    }
    if let Some(status) = filter.status {
        conditions.push("status = ?");
        params.push(Value::Text(status.as_str().into()));
    }
    if let Some(control_id) = &filter.control_id {
        conditions.push("control_id = ?");
        params.push(Value::Text(control_id.clone()));
    }
    if let Some(since) = filter.since {
        conditions.push("received_at >= ?");
        params.push(Value::Integer(to_micros(since)));
    }
    if let Some(until) = filter.until {
        conditions.push("received_at < ?");
        params.push(Value::Integer(to_micros(until)));
    }
    let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM messages");
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(if filter.newest_first {
        " ORDER BY id DESC"
    } else {
        " ORDER BY id"
    });
    if let Some(limit) = filter.limit {
        sql.push_str(" LIMIT ?");
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    }
    (sql, params)
}

fn status_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Status> {
    let text: String = row.get(index)?;
    text.parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

/// What [`check_schema`] found in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// A new or empty database: the schema is to be created.
    Empty,
    /// A message store of a schema this code reads.
    Store,
}

/// Tells a message store from an empty database, another application's
/// database, a newer store and a file that is not a database at all (the
/// first read of such a file fails with SQLITE_NOTADB).
fn check_schema(conn: &Connection, path: &Arc<Path>) -> Result<Found, StoreError> {
    let pragma = |name: &str| -> Result<i64, StoreError> {
        conn.pragma_query_value(None, name, |row| row.get(0))
            .map_err(|e| sql_error(Kind::Open, path, &e))
    };
    let application_id = pragma("application_id")?;
    let version = pragma("user_version")?;
    if application_id == APPLICATION_ID {
        return match version {
            v if v > SCHEMA_VERSION => Err(StoreError::new(Kind::NewerSchema(v), path, None)),
            SCHEMA_VERSION => Ok(Found::Store),
            v => Err(StoreError::new(
                Kind::NotAStore,
                path,
                Some(format!("unknown schema version {v}")),
            )),
        };
    }
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(|e| sql_error(Kind::Open, path, &e))?;
    if application_id == 0 && version == 0 && objects == 0 {
        Ok(Found::Empty)
    } else {
        Err(StoreError::new(
            Kind::NotAStore,
            path,
            Some(format!(
                "application id {application_id:#x}, {objects} tables and indexes"
            )),
        ))
    }
}

fn create_schema(conn: &mut Connection, path: &Arc<Path>) -> Result<(), StoreError> {
    let fail = |e: &rusqlite::Error| sql_error(Kind::Open, path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| fail(&e))?;
    // Another process may have created it since it was checked.
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| fail(&e))?;
    if version == 0 {
        tx.execute_batch(SCHEMA_V1).map_err(|e| fail(&e))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|e| fail(&e))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(|e| fail(&e))?;
    }
    tx.commit().map_err(|e| fail(&e))?;
    check_schema(conn, path).map(|_| ())
}

/// A connection for reading: the file must exist, and it never writes.
fn open_reader(path: &Arc<Path>, options: &Options) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| sql_error(Kind::Open, path, &e))?;
    conn.busy_timeout(options.busy_timeout)
        .and_then(|()| conn.pragma_update(None, "query_only", true))
        .map_err(|e| sql_error(Kind::Open, path, &e))?;
    Ok(conn)
}

/// A database error as a [`StoreError`]: a file that is not a database (or
/// is corrupt) is told apart whatever was being done.
fn sql_error(kind: Kind, path: &Arc<Path>, e: &rusqlite::Error) -> StoreError {
    let kind = match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Kind::NotADatabase,
        _ => match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => Kind::Data,
            _ => kind,
        },
    };
    StoreError::new(kind, path, Some(e.to_string()))
}

/// Microseconds since the Unix epoch (negative before it).
fn to_micros(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_micros()).map_or(i64::MIN, |m| -m),
    }
}

fn from_micros(micros: i64) -> SystemTime {
    let d = Duration::from_micros(micros.unsigned_abs());
    let time = if micros >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    };
    time.unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// A folder removed when the test ends.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let dir = std::env::temp_dir().join(format!(
                "hl7-store-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).expect("temp dir");
            TempDir(dir)
        }

        fn file(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn record(control_id: &str, message_type: &str, status: Status) -> Record {
        Record {
            received_at: at(1_796_378_400) + Duration::from_micros(123_456),
            peer: "127.0.0.1:5000".into(),
            control_id: control_id.into(),
            sending_app: "LAB".into(),
            sending_facility: "HOSP".into(),
            message_type: message_type.into(),
            version: "2.5.1".into(),
            status,
            ack_code: match status {
                Status::Accepted => "AA",
                Status::Error => "AE",
                Status::Rejected => "AR",
            }
            .into(),
            findings: "[]".into(),
            raw: format!(
                "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261204100000||{message_type}|{control_id}|P|2.5.1\rPID|1||42\r"
            )
            .into_bytes(),
            ack: format!("MSH|^~\\&|EHR|HOSP|LAB|HOSP|20261204100000||ACK|A{control_id}|P|2.5.1\rMSA|AA|{control_id}\r")
                .into_bytes(),
        }
    }

    fn ids(summaries: &[Summary]) -> Vec<i64> {
        summaries.iter().map(|s| s.id).collect()
    }

    #[test]
    fn a_record_comes_back_as_it_went_in() {
        let dir = TempDir::new();
        let store = SqliteStore::open(dir.file("s.sqlite"), Options::default()).unwrap();
        let mut r = record("M1", "ADT^A01^ADT_A01", Status::Error);
        r.findings = r#"[{"code":101,"location":"PID-3"}]"#.into();
        r.raw.extend_from_slice(&[0, 0xff, b'\n']); // any bytes
        let stored = store.submit(r.clone()).wait().unwrap();
        assert_eq!(stored.duplicate_of, None);
        let back = store.get(stored.id).unwrap().unwrap();
        assert_eq!(back.id, stored.id);
        assert_eq!(back.duplicate_of, None);
        assert_eq!(back.record, r);
        assert_eq!(store.get(stored.id + 1).unwrap(), None);

        let listed = store.list(&Filter::new()).unwrap();
        assert_eq!(listed.len(), 1);
        let s = &listed[0];
        assert_eq!(s.received_at, r.received_at);
        assert_eq!(
            (s.control_id.as_str(), s.message_type.as_str(), s.status),
            ("M1", "ADT^A01^ADT_A01", Status::Error)
        );
        assert_eq!(s.findings, Some(1));
        assert_eq!(s.raw_len, r.raw.len() as u64);
    }

    #[test]
    fn findings_are_counted_when_they_are_an_array() {
        let dir = TempDir::new();
        let store = SqliteStore::open(dir.file("s.sqlite"), Options::default()).unwrap();
        for (i, findings) in ["[]", "[1,2,3]", "not json", "{\"a\":1}"]
            .iter()
            .enumerate()
        {
            let mut r = record(&format!("F{i}"), "ORU^R01", Status::Accepted);
            r.findings = (*findings).into();
            store.submit(r).wait().unwrap();
        }
        let counts: Vec<_> = store
            .list(&Filter::new())
            .unwrap()
            .iter()
            .map(|s| s.findings)
            .collect();
        assert_eq!(counts, [Some(0), Some(3), None, None]);
        // What was given is kept, whatever it is.
        let kept = store.get(3).unwrap().unwrap();
        assert_eq!(kept.record.findings, "not json");
    }

    #[test]
    fn many_threads_submitting_at_once_all_land_with_distinct_ids() {
        let dir = TempDir::new();
        let store = Arc::new(
            SqliteStore::open(dir.file("s.sqlite"), Options::default().max_batch(64)).unwrap(),
        );
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = Arc::clone(&store);
                thread::spawn(move || {
                    (0..250)
                        .map(|i| {
                            let r = record(&format!("T{t}-{i}"), "ADT^A04", Status::Accepted);
                            store.submit(r).wait().unwrap().id
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = HashSet::new();
        for t in threads {
            for id in t.join().unwrap() {
                assert!(all.insert(id), "id {id} given twice");
            }
        }
        assert_eq!(all.len(), 2000);
        let listed = store.list(&Filter::new()).unwrap();
        assert_eq!(listed.len(), 2000);
        assert_eq!(listed.iter().map(|s| s.id).collect::<HashSet<_>>(), all);
        assert!(listed.iter().all(|s| s.duplicate_of.is_none()));
    }

    #[test]
    fn duplicates_are_stored_and_point_at_the_first() {
        let dir = TempDir::new();
        let store = SqliteStore::open(dir.file("s.sqlite"), Options::default()).unwrap();
        let first = store
            .submit(record("D1", "ADT^A01", Status::Accepted))
            .wait()
            .unwrap();
        // Submitted together, so they share a batch with each other.
        let receipts: Vec<_> = (0..3)
            .map(|_| store.submit(record("D1", "ADT^A01", Status::Accepted)))
            .collect();
        let again: Vec<_> = receipts.into_iter().map(|r| r.wait().unwrap()).collect();
        for s in &again {
            assert_eq!(s.duplicate_of, Some(first.id));
            assert_ne!(s.id, first.id);
        }
        // Another facility, or another application, is another message.
        let mut other = record("D1", "ADT^A01", Status::Accepted);
        other.sending_facility = "CLINIC".into();
        assert_eq!(
            store.submit(other.clone()).wait().unwrap().duplicate_of,
            None
        );
        other.sending_facility = "HOSP".into();
        other.sending_app = "RIS".into();
        assert_eq!(store.submit(other).wait().unwrap().duplicate_of, None);

        assert_eq!(
            store.find_duplicate("LAB", "HOSP", "D1").unwrap(),
            Some(first.id)
        );
        assert_eq!(store.find_duplicate("LAB", "HOSP", "D2").unwrap(), None);
        assert_eq!(store.find_duplicate("LAB", "hosp", "D1").unwrap(), None);
        let listed = store.list(&Filter::new().control_id("D1")).unwrap();
        assert_eq!(listed.len(), 6);
        assert_eq!(
            listed
                .iter()
                .filter(|s| s.duplicate_of == Some(first.id))
                .count(),
            3
        );
        assert_eq!(
            store.get(again[1].id).unwrap().unwrap().duplicate_of,
            Some(first.id)
        );
    }

    #[test]
    fn duplicates_within_one_batch_point_at_the_first_of_the_batch() {
        let dir = TempDir::new();
        let store = SqliteStore::open(dir.file("s.sqlite"), Options::default()).unwrap();
        // The first is queued behind the same writer wake-up as the others,
        // so the writer has to see its own uncommitted insert.
        let receipts: Vec<_> = (0..50)
            .map(|i| store.submit(record(&format!("B{}", i % 5), "ORU^R01", Status::Accepted)))
            .collect();
        let stored: Vec<_> = receipts.into_iter().map(|r| r.wait().unwrap()).collect();
        for (i, s) in stored.iter().enumerate() {
            if i < 5 {
                assert_eq!(s.duplicate_of, None, "{i}");
            } else {
                assert_eq!(s.duplicate_of, Some(stored[i % 5].id), "{i}");
            }
        }
    }

    #[test]
    fn filters_select_by_type_status_control_id_time_and_limit() {
        let dir = TempDir::new();
        let store = SqliteStore::open(dir.file("s.sqlite"), Options::default()).unwrap();
        let rows = [
            ("C1", "ADT^A01^ADT_A01", Status::Accepted, 100),
            ("C2", "ADT^A01", Status::Error, 200),
            ("C3", "ADT^A011", Status::Accepted, 300),
            ("C4", "ADTX^A01", Status::Rejected, 400),
            ("C5", "ADT^A04^ADT_A01", Status::Accepted, 500),
            ("C6", "ORU^R01^ORU_R01", Status::Error, 600),
            ("C7", "ADT", Status::Accepted, 700),
            ("C2", "ORM^O01", Status::Accepted, 800),
        ];
        for (control_id, ty, status, secs) in rows {
            let mut r = record(control_id, ty, status);
            r.received_at = at(secs);
            store.submit(r).wait().unwrap();
        }
        let list = |f: Filter| ids(&store.list(&f).unwrap());
        assert_eq!(list(Filter::new()), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(list(Filter::new().message_type("ADT")), [1, 2, 3, 5, 7]);
        assert_eq!(list(Filter::new().message_type("ADT^A01")), [1, 2]);
        assert_eq!(list(Filter::new().message_type("ADT^A01^ADT_A01")), [1]);
        assert_eq!(
            list(Filter::new().message_type("ADT^A0")),
            Vec::<i64>::new()
        );
        assert_eq!(list(Filter::new().message_type("ORU")), [6]);
        assert_eq!(list(Filter::new().status(Status::Error)), [2, 6]);
        assert_eq!(list(Filter::new().status(Status::Rejected)), [4]);
        assert_eq!(list(Filter::new().control_id("C2")), [2, 8]);
        assert_eq!(list(Filter::new().since(at(300))), [3, 4, 5, 6, 7, 8]);
        assert_eq!(list(Filter::new().until(at(300))), [1, 2]);
        assert_eq!(
            list(Filter::new().since(at(250)).until(at(601))),
            [3, 4, 5, 6]
        );
        assert_eq!(list(Filter::new().limit(3)), [1, 2, 3]);
        assert_eq!(list(Filter::new().limit(3).newest_first(true)), [8, 7, 6]);
        assert_eq!(list(Filter::new().limit(0)), Vec::<i64>::new());
        assert_eq!(
            list(
                Filter::new()
                    .message_type("ADT")
                    .status(Status::Accepted)
                    .since(at(200))
                    .limit(2)
            ),
            [3, 5]
        );
        // LIKE wildcards in a prefix are plain characters.
        assert_eq!(list(Filter::new().message_type("AD%")), Vec::<i64>::new());
    }

    #[test]
    fn reopening_keeps_the_records_and_goes_on_numbering() {
        let dir = TempDir::new();
        let path = dir.file("s.sqlite");
        let first = {
            let store = SqliteStore::open(&path, Options::default()).unwrap();
            let first = store
                .submit(record("R1", "ADT^A01", Status::Accepted))
                .wait()
                .unwrap();
            store
                .submit(record("R2", "ADT^A01", Status::Accepted))
                .wait()
                .unwrap();
            first
        };
        let store =
            SqliteStore::open(&path, Options::default().durability(Durability::Full)).unwrap();
        assert_eq!(ids(&store.list(&Filter::new()).unwrap()), [1, 2]);
        assert_eq!(
            store.get(first.id).unwrap().unwrap().record.control_id,
            "R1"
        );
        let again = store
            .submit(record("R1", "ADT^A01", Status::Accepted))
            .wait()
            .unwrap();
        assert_eq!((again.id, again.duplicate_of), (3, Some(first.id)));
        store.close().unwrap();

        let read_only = SqliteStore::open_read_only(&path).unwrap();
        assert_eq!(ids(&read_only.list(&Filter::new()).unwrap()), [1, 2, 3]);
    }

    #[test]
    fn dropping_the_store_commits_what_is_queued() {
        let dir = TempDir::new();
        let path = dir.file("s.sqlite");
        let store = SqliteStore::open(&path, Options::default().max_batch(7)).unwrap();
        let receipts: Vec<_> = (0..300)
            .map(|i| store.submit(record(&format!("Q{i}"), "ADT^A08", Status::Accepted)))
            .collect();
        drop(store);
        let stored: Vec<_> = receipts.into_iter().map(|r| r.wait().unwrap().id).collect();
        assert_eq!(stored, (1..=300).collect::<Vec<i64>>());
        let store = SqliteStore::open_read_only(&path).unwrap();
        assert_eq!(store.list(&Filter::new()).unwrap().len(), 300);
    }

    #[test]
    fn receipts_can_be_awaited() {
        let dir = TempDir::new();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(dir.file("s.sqlite"), Options::default()).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let stored = runtime.block_on(async {
            let a = store.submit(record("A1", "ADT^A01", Status::Accepted));
            let b = store.submit(record("A1", "ADT^A01", Status::Accepted));
            (a.await.unwrap(), b.await.unwrap())
        });
        assert_eq!(stored.1.duplicate_of, Some(stored.0.id));
        // Blocking inside a runtime does not panic.
        let inside = runtime.block_on(async {
            store
                .submit(record("A2", "ADT^A01", Status::Accepted))
                .wait()
        });
        assert_eq!(inside.unwrap().id, 3);
    }

    #[test]
    fn a_failed_commit_answers_with_an_error_and_the_store_recovers() {
        let dir = TempDir::new();
        let path = dir.file("s.sqlite");
        let store = SqliteStore::open(
            &path,
            Options::default().busy_timeout(Duration::from_millis(50)),
        )
        .unwrap();
        store
            .submit(record("W0", "ADT^A01", Status::Accepted))
            .wait()
            .unwrap();
        // Another connection holds the write lock, so the writer cannot begin.
        let blocker = Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let receipts: Vec<_> = (1..4)
            .map(|i| store.submit(record(&format!("W{i}"), "ADT^A01", Status::Accepted)))
            .collect();
        for r in receipts {
            let e = r.wait().unwrap_err();
            assert!(e.is_write(), "{e:?}");
            assert!(e.to_string().contains("s.sqlite"), "{e}");
            assert!(e.to_string().contains("not stored"), "{e}");
        }
        // A lock held elsewhere fails the whole batch at once, not each of
        // its records after its own wait: 30 records take a few busy
        // timeouts (one per batch), far from 30.
        let started = Instant::now();
        let receipts: Vec<_> = (10..40)
            .map(|i| store.submit(record(&format!("W{i}"), "ADT^A01", Status::Accepted)))
            .collect();
        for r in receipts {
            assert!(r.wait().unwrap_err().is_write());
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        blocker.execute_batch("ROLLBACK").unwrap();
        let after = store
            .submit(record("W4", "ADT^A01", Status::Accepted))
            .wait()
            .unwrap();
        assert_eq!(after.id, 2);
        assert_eq!(ids(&store.list(&Filter::new()).unwrap()), [1, 2]);
    }

    #[test]
    fn a_record_that_cannot_be_stored_fails_alone() {
        let dir = TempDir::new();
        let path = dir.file("s.sqlite");
        let store = SqliteStore::open(&path, Options::default()).unwrap();
        let other = Connection::open(&path).unwrap();
        other
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.control_id = 'BAD'
                 BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;",
            )
            .unwrap();
        // Hold the write lock while submitting, so the records queue up and
        // share batches with the bad one.
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let receipts: Vec<_> = ["OK1", "BAD", "OK2", "OK3"]
            .iter()
            .map(|id| store.submit(record(id, "ADT^A01", Status::Accepted)))
            .collect();
        thread::sleep(Duration::from_millis(100));
        other.execute_batch("COMMIT").unwrap();
        let outcomes: Vec<_> = receipts.into_iter().map(Receipt::wait).collect();
        let e = outcomes[1].as_ref().unwrap_err();
        assert!(e.is_write(), "{e:?}");
        assert!(e.to_string().contains("refused by a trigger"), "{e}");
        for i in [0, 2, 3] {
            assert!(outcomes[i].is_ok(), "{i}: {:?}", outcomes[i]);
        }
        let stored: Vec<String> = store
            .list(&Filter::new())
            .unwrap()
            .into_iter()
            .map(|s| s.control_id)
            .collect();
        assert_eq!(stored, ["OK1", "OK2", "OK3"]);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_clearly() {
        let dir = TempDir::new();
        let path = dir.file("junk.sqlite");
        std::fs::write(
            &path,
            b"MSH|^~\\&|this is an HL7 file, not a database\r".repeat(100),
        )
        .unwrap();
        let e = SqliteStore::open(&path, Options::default()).unwrap_err();
        assert!(e.is_not_a_database(), "{e:?}");
        let text = e.to_string();
        assert!(text.contains(&*path.to_string_lossy()), "{text}");
        assert!(text.contains("not an SQLite database"), "{text}");
        let e = SqliteStore::open_read_only(&path).unwrap_err();
        assert!(e.is_not_a_database(), "{e:?}");
        // Nothing was written to it.
        assert!(std::fs::read(&path).unwrap().starts_with(b"MSH|"));
    }

    #[test]
    fn other_databases_newer_stores_and_missing_files_are_refused() {
        let dir = TempDir::new();
        let other = dir.file("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE patients (id INTEGER)")
            .unwrap();
        let e = SqliteStore::open(&other, Options::default()).unwrap_err();
        assert!(e.is_not_a_store(), "{e:?}");

        let newer = dir.file("newer.sqlite");
        SqliteStore::open(&newer, Options::default())
            .unwrap()
            .close()
            .unwrap();
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let e = SqliteStore::open(&newer, Options::default()).unwrap_err();
        assert!(e.is_newer_schema(), "{e:?}");
        assert!(e.to_string().contains("schema version 2"), "{e}");

        let missing = dir.file("missing.sqlite");
        let e = SqliteStore::open_read_only(&missing).unwrap_err();
        assert!(e.is_missing(), "{e:?}");
        assert!(
            !missing.exists(),
            "opening read-only must not create the file"
        );

        let empty = dir.file("empty.sqlite");
        std::fs::write(&empty, b"").unwrap();
        assert!(
            SqliteStore::open_read_only(&empty)
                .unwrap_err()
                .is_not_a_store()
        );
        // Opening for writing makes an empty file a store.
        SqliteStore::open(&empty, Options::default())
            .unwrap()
            .close()
            .unwrap();
        assert!(SqliteStore::open_read_only(&empty).is_ok());

        let e =
            SqliteStore::open(dir.file("no/such/folder/s.sqlite"), Options::default()).unwrap_err();
        assert!(e.is_open(), "{e:?}");
    }

    #[test]
    fn a_read_only_store_refuses_records() {
        let dir = TempDir::new();
        let path = dir.file("s.sqlite");
        SqliteStore::open(&path, Options::default())
            .unwrap()
            .close()
            .unwrap();
        let store = SqliteStore::open_read_only(&path).unwrap();
        let e = store
            .submit(record("X", "ADT^A01", Status::Accepted))
            .wait()
            .unwrap_err();
        assert!(e.is_read_only(), "{e:?}");
        assert!(store.list(&Filter::new()).unwrap().is_empty());
    }

    #[test]
    fn times_keep_microseconds_on_both_sides_of_the_epoch() {
        for t in [
            UNIX_EPOCH,
            at(1_796_378_400) + Duration::from_micros(1),
            UNIX_EPOCH - Duration::from_millis(1500),
        ] {
            assert_eq!(from_micros(to_micros(t)), t);
        }
        assert_eq!(to_micros(UNIX_EPOCH - Duration::from_secs(1)), -1_000_000);
    }
}
