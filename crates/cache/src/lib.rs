//! The local copy of every connection's data: one SQLite file per workspace.
//!
//! Why it is shaped so:
//! - **Two layers.** Each connector keeps the platform's own records in raw tables
//!   (`raw_<platform>_<collection>`, one column per field ever seen, JSON kept as text) and the
//!   canonical tables of `switchboard_model::canonical` that every report reads. Raw tables
//!   grow a column with `ALTER TABLE` when a platform starts sending a new field, so schema
//!   drift never stops a sync; canonical tables are fixed by the model.
//! - **One transaction per page.** [`Cache::write_page`] stores a page's raw records, the
//!   canonical rows they imply, the records that could not be read and the collection's
//!   checkpoint together. A crash, a cancel or a network error between pages therefore loses
//!   nothing and duplicates nothing: the next sync resumes from a checkpoint that describes
//!   exactly the rows on disk. Rows are upserted by natural key (`ON CONFLICT DO UPDATE`), so
//!   re-reading an overlap window is harmless.
//! - **Readers never wait for the writer.** The file is in WAL mode with a writer connection
//!   and a separate read connection, each behind its own mutex, so the desktop app can run a
//!   report while a sync writes. (`open_in_memory` has a single connection: tests only.)
//! - **Reads go straight into polars.** [`Cache::read_frame`] selects only the requested
//!   columns, puts the report period into the SQL `WHERE` (every time column is indexed) and
//!   fills one typed `Vec` per column — the fast path measured at ~2 M rows/s.
//! - **Ordered, embedded migrations** recorded in `schema_migrations`; a cache written by a
//!   newer Switchboard is refused with a clear message instead of being damaged. After the
//!   migrations, canonical columns added to the model later are added to existing files, so a
//!   model change needs no hand-written migration unless it changes meaning.
//! - Foreign keys are off on purpose: a page of messages may arrive before its conversation.

mod frame;
mod migrations;
mod raw;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};
use switchboard_model::{canonical, ErrorCode};

pub use frame::{FrameRequest, TableInfo, TimeRange};
pub use raw::{CanonicalRows, Checkpoint, PageWrite, Rejected};
/// Re-exported so connectors that derive rows with SQL use the same rusqlite.
pub use rusqlite;
pub use rusqlite::types::Value as SqlValue;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("The local data file {path} could not be opened ({detail}). Check that its folder exists and that you may write to it, or choose another workspace folder.")]
    Open { path: String, detail: String },
    #[error("The local data file was written by a newer version of Switchboard (data version {found}; this version knows up to {supported}). Update Switchboard to open it.")]
    NewerSchema { found: i64, supported: i64 },
    #[error("There is no dataset named \"{0}\" in the local data. Pick one of the datasets offered in the report builder.")]
    UnknownTable(String),
    #[error("The dataset \"{table}\" has no column named \"{column}\". Remove it from the report or pick another column.")]
    UnknownColumn { table: String, column: String },
    #[error("Records for \"{table}\" could not be stored: {detail}. This is a bug in Switchboard; every record stored before this is kept.")]
    InvalidRows { table: String, detail: String },
    #[error("The local data could not be read or written ({0}). Every record stored before this is kept; try again, and restart Switchboard if it keeps happening.")]
    Sqlite(#[from] rusqlite::Error),
    #[error("The local data could not be turned into a table for the report ({0}).")]
    Frame(String),
}

impl CacheError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CacheError::UnknownTable(_) | CacheError::UnknownColumn { .. } => ErrorCode::InvalidReport,
            _ => ErrorCode::CacheError,
        }
    }
}

/// Upserts canonical rows inside a transaction (see [`Cache::replace_canonical_with`]).
pub fn upsert_canonical_in(tx: &Transaction<'_>, source: &str, rows: &CanonicalRows) -> Result<(), CacheError> {
    raw::upsert_canonical(tx, source, rows)
}

/// The writer connection and what it knows about the raw tables' columns.
struct Writer {
    conn: Connection,
    raw: RawColumns,
}

/// Lower-cased column names per raw table, so a page only asks SQLite when it sees a new
/// table. SQLite column names are case-insensitive, hence the lower case.
#[derive(Default)]
struct RawColumns {
    order: HashMap<String, Vec<String>>,
    set: HashMap<String, HashSet<String>>,
}

/// The local cache. `Send + Sync`: share it in an `Arc` between a sync and the report runner.
pub struct Cache {
    writer: Mutex<Writer>,
    /// None for in-memory caches, which read through the writer connection.
    reader: Option<Mutex<Connection>>,
}

/// A sync run as recorded in `sync_runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub records: u64,
    /// The error the run ended with, already free of secrets.
    pub error: Option<String>,
}

/// Row counts of one source, for the connection screen and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheCounts {
    pub conversations: u64,
    pub messages: u64,
    pub agents: u64,
    pub teams: u64,
    pub inboxes: u64,
    pub labels: u64,
    pub conversation_labels: u64,
    pub surveys: u64,
    pub conversation_events: u64,
    pub rejected: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in another thread while holding the lock leaves SQLite consistent (the
    // transaction rolls back on drop), so the connection is still safe to use.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    Ok(())
}

/// Quotes an SQL identifier.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Cache {
    /// Opens (creating if needed) the cache file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Cache, CacheError> {
        let open_err = |e: rusqlite::Error| CacheError::Open { path: path.display().to_string(), detail: e.to_string() };
        let conn = Connection::open(path).map_err(open_err)?;
        configure(&conn).map_err(open_err)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(CacheError::Open { path: path.display().to_string(), detail: format!("the file system does not allow WAL mode ({mode})") });
        }
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        migrations::migrate(&conn)?;
        let reader = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(open_err)?;
        configure(&reader).map_err(open_err)?;
        Ok(Cache { writer: Mutex::new(Writer::new(conn)), reader: Some(Mutex::new(reader)) })
    }

    /// A cache that lives in memory only (tests, the demo workspace's scratch data).
    pub fn open_in_memory() -> Result<Cache, CacheError> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::migrate(&conn)?;
        Ok(Cache { writer: Mutex::new(Writer::new(conn)), reader: None })
    }

    /// The schema version of this file.
    pub fn schema_version(&self) -> Result<i64, CacheError> {
        migrations::current_version(&lock(&self.writer).conn)
    }

    /// Runs `f` on the read connection (the writer's for in-memory caches).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, CacheError>) -> Result<T, CacheError> {
        match &self.reader {
            Some(r) => f(&lock(r)),
            None => f(&lock(&self.writer).conn),
        }
    }

    /// Runs `f` inside one write transaction; it commits only when `f` returns `Ok`.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, CacheError>) -> Result<T, CacheError> {
        let mut w = lock(&self.writer);
        let tx = w.conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// The checkpoint stored for a collection of a source.
    pub fn checkpoint(&self, source: &str, collection: &str) -> Result<Option<Checkpoint>, CacheError> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT cursor, updated_at_ms, records FROM sync_checkpoints WHERE source = ?1 AND collection = ?2")?
                .query_row(params![source, collection], |r| {
                    Ok(Checkpoint { cursor: r.get(0)?, updated_at_ms: r.get(1)?, records: r.get::<_, i64>(2)? as u64 })
                })
                .optional()?)
        })
    }

    /// Upserts canonical rows outside a page (connectors whose canonical rows need more than
    /// one page, test fixtures).
    pub fn upsert_canonical(&self, source: &str, rows: &[CanonicalRows]) -> Result<(), CacheError> {
        self.write(|tx| {
            for r in rows {
                raw::upsert_canonical(tx, source, r)?;
            }
            Ok(())
        })
    }

    /// Replaces, in one transaction, every row of `source` in the tables named in `clear`
    /// with `rows`. Used for canonical rows derived from many raw records at once, so that a
    /// reader sees either the old derivation or the new one, never a mix.
    pub fn replace_canonical(&self, source: &str, clear: &[&str], rows: &[CanonicalRows]) -> Result<(), CacheError> {
        self.write(|tx| {
            for name in clear {
                let t = canonical::table(name).ok_or_else(|| CacheError::UnknownTable(name.to_string()))?;
                tx.execute(&format!("DELETE FROM {} WHERE source = ?1", ident(t.name)), [source])?;
            }
            for r in rows {
                raw::upsert_canonical(tx, source, r)?;
            }
            Ok(())
        })
    }

    /// [`Cache::replace_canonical`] for rows too many to hold at once: inside one write
    /// transaction, the rows of `source` in the tables named in `clear` are deleted, then
    /// `fill` reads what it needs through the transaction (raw tables are not touched) and
    /// hands the new rows over in chunks with [`upsert_canonical_in`]. Readers see either the
    /// old rows or the new ones, never a mix; memory stays that of one chunk.
    pub fn replace_canonical_with<T>(
        &self,
        source: &str,
        clear: &[&str],
        fill: impl FnOnce(&Transaction<'_>) -> Result<T, CacheError>,
    ) -> Result<T, CacheError> {
        self.write(|tx| {
            for name in clear {
                let t = canonical::table(name).ok_or_else(|| CacheError::UnknownTable(name.to_string()))?;
                tx.execute(&format!("DELETE FROM {} WHERE source = ?1", ident(t.name)), [source])?;
            }
            fill(tx)
        })
    }

    /// Writes a page (raw records, canonical rows, rejected records, checkpoint) atomically.
    pub fn write_page(&self, page: &PageWrite<'_>) -> Result<(), CacheError> {
        let mut w = lock(&self.writer);
        raw::write_page(&mut w, page)
    }

    /// Reads raw records of `source`: one `Vec` per row with the values of `columns` in
    /// order; a column the raw table has never had reads as NULL (fields are optional).
    pub fn read_raw(&self, raw_table: &str, source: &str, columns: &[&str]) -> Result<Vec<Vec<SqlValue>>, CacheError> {
        raw::check_raw_name(raw_table)?;
        self.read(|c| raw::read_raw(c, raw_table, source, columns))
    }

    pub fn record_sync_run(&self, source: &str, run: &SyncRun) -> Result<(), CacheError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sync_runs (source, started_ms, finished_ms, records, error) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![source, run.started_ms, run.finished_ms, run.records as i64, run.error],
            )?;
            Ok(())
        })
    }

    /// The latest sync run of a source.
    /// Forgets everything one source brought: its canonical rows, raw records, checkpoints,
    /// sync history and set-aside records, in one transaction (the demo uses it when it makes
    /// its world anew).
    pub fn clear_source(&self, source: &str) -> Result<(), CacheError> {
        let tables: Vec<String> = self.read(|c| {
            let mut st = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'raw\\_%' ESCAPE '\\'")?;
            let names = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            Ok(names)
        })?;
        self.write(|tx| {
            let mut all: Vec<String> = switchboard_model::canonical::TABLES.iter().map(|t| t.name.to_string()).collect();
            all.extend(tables);
            all.extend(["sync_checkpoints", "sync_runs", "rejected_records"].map(String::from));
            for t in all {
                tx.execute(&format!("DELETE FROM {} WHERE source = ?1", ident(&t)), [source])?;
            }
            Ok(())
        })?;
        // Raw column lists are cached per table; they stay valid because tables are kept.
        Ok(())
    }

    pub fn last_sync(&self, source: &str) -> Result<Option<SyncRun>, CacheError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT started_ms, finished_ms, records, error FROM sync_runs WHERE source = ?1 ORDER BY started_ms DESC, id DESC LIMIT 1",
            )?
            .query_row([source], |r| {
                Ok(SyncRun { started_ms: r.get(0)?, finished_ms: r.get(1)?, records: r.get::<_, i64>(2)? as u64, error: r.get(3)? })
            })
            .optional()?)
        })
    }

    pub fn counts(&self, source: &str) -> Result<CacheCounts, CacheError> {
        self.read(|c| {
            let n = |table: &str| -> Result<u64, CacheError> {
                let sql = format!("SELECT count(*) FROM {} WHERE source = ?1", ident(table));
                Ok(c.prepare_cached(&sql)?.query_row([source], |r| r.get::<_, i64>(0))? as u64)
            };
            Ok(CacheCounts {
                conversations: n("conversations")?,
                messages: n("messages")?,
                agents: n("agents")?,
                teams: n("teams")?,
                inboxes: n("inboxes")?,
                labels: n("labels")?,
                conversation_labels: n("conversation_labels")?,
                surveys: n("surveys")?,
                conversation_events: n("conversation_events")?,
                rejected: n("rejected_records")?,
            })
        })
    }

    /// Rows of a source over every raw table (every record it synced, as received).
    pub fn raw_record_count(&self, source: &str) -> Result<u64, CacheError> {
        self.read(|c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'raw\\_%' ESCAPE '\\'")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut total = 0u64;
            for t in tables {
                let sql = format!("SELECT count(*) FROM {} WHERE source = ?1", ident(&t));
                total += c.prepare(&sql)?.query_row([source], |r| r.get::<_, i64>(0))? as u64;
            }
            Ok(total)
        })
    }

    /// The rejected records of a source: `(collection, reason, raw)`.
    pub fn rejected(&self, source: &str) -> Result<Vec<(String, String, String)>, CacheError> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT collection, reason, raw FROM rejected_records WHERE source = ?1 ORDER BY id")?;
            let rows = st.query_map([source], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }
}

impl Writer {
    fn new(conn: Connection) -> Writer {
        Writer { conn, raw: RawColumns::default() }
    }
}

#[cfg(test)]
mod tests;
