//! Ordered schema migrations, embedded in the binary and recorded in `schema_migrations`.

use rusqlite::{params, Connection, Transaction};
use switchboard_model::canonical::{ColumnType, TABLES};

use crate::{ident, CacheError};

type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// Append only: a released migration is never edited.
const MIGRATIONS: &[(i64, Migration)] = &[(1, canonical_and_sync_tables), (2, rejected_records_once)];

pub(crate) fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

pub(crate) fn current_version(conn: &Connection) -> Result<i64, CacheError> {
    Ok(conn.query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| r.get(0))?)
}

pub(crate) fn migrate(conn: &Connection) -> Result<(), CacheError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
    )?;
    let current = current_version(conn)?;
    if current > latest() {
        return Err(CacheError::NewerSchema { found: current, supported: latest() });
    }
    for (version, run) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.unchecked_transaction()?;
        run(&tx)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
            params![version, chrono::Utc::now().timestamp_millis()],
        )?;
        tx.commit()?;
    }
    add_missing_canonical_columns(conn)?;
    Ok(())
}

fn canonical_and_sync_tables(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    for t in TABLES {
        let mut cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| {
                let not_null = c.name == "source" || t.key.contains(&c.name);
                format!("{} {}{}", ident(c.name), c.ty.sql(), if not_null { " NOT NULL" } else { "" })
            })
            .collect();
        let key: Vec<String> = std::iter::once("source").chain(t.key.iter().copied()).map(ident).collect();
        cols.push(format!("PRIMARY KEY ({})", key.join(", ")));
        tx.execute_batch(&format!("CREATE TABLE {} ({})", ident(t.name), cols.join(", ")))?;
        // Reports filter by period on any time column, scoped to a source.
        for c in t.columns.iter().filter(|c| c.ty == ColumnType::Time) {
            tx.execute_batch(&format!(
                "CREATE INDEX {} ON {} (source, {})",
                ident(&format!("{}_{}", t.name, c.name)),
                ident(t.name),
                ident(c.name)
            ))?;
        }
    }
    tx.execute_batch(
        "CREATE INDEX messages_conversation ON messages (source, conversation_id);
         CREATE INDEX conversation_events_conversation ON conversation_events (source, conversation_id);
         CREATE TABLE sync_checkpoints (
             source TEXT NOT NULL, collection TEXT NOT NULL, cursor TEXT,
             updated_at_ms INTEGER NOT NULL, records INTEGER NOT NULL DEFAULT 0,
             PRIMARY KEY (source, collection));
         CREATE TABLE sync_runs (
             id INTEGER PRIMARY KEY, source TEXT NOT NULL, started_ms INTEGER NOT NULL,
             finished_ms INTEGER, records INTEGER NOT NULL DEFAULT 0, error TEXT);
         CREATE INDEX sync_runs_source ON sync_runs (source, started_ms);
         CREATE TABLE rejected_records (
             id INTEGER PRIMARY KEY, source TEXT NOT NULL, collection TEXT NOT NULL,
             reason TEXT NOT NULL, raw TEXT, at_ms INTEGER);
         CREATE INDEX rejected_records_source ON rejected_records (source, collection);",
    )
}

/// A record set aside is kept once however often a sync reads it again (the overlap window
/// and resumes re-read pages), so the count shown to the person is the number of bad records.
fn rejected_records_once(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DELETE FROM rejected_records WHERE id NOT IN (
             SELECT min(id) FROM rejected_records GROUP BY source, collection, raw);
         CREATE UNIQUE INDEX rejected_records_once ON rejected_records (source, collection, raw);",
    )
}

/// Columns added to the canonical model after a file was created are added to the file, so
/// the engine can rely on every model column existing (NULL in old rows).
fn add_missing_canonical_columns(conn: &Connection) -> Result<(), CacheError> {
    for t in TABLES {
        let mut st = conn.prepare(&format!("SELECT name FROM pragma_table_info({})", sql_string(t.name)))?;
        let have: Vec<String> = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        if have.is_empty() {
            // A table added to the model after migration 1.
            let cols: Vec<String> = t.columns.iter().map(|c| format!("{} {}", ident(c.name), c.ty.sql())).collect();
            let key: Vec<String> = std::iter::once("source").chain(t.key.iter().copied()).map(ident).collect();
            conn.execute_batch(&format!(
                "CREATE TABLE {} ({}, PRIMARY KEY ({}))",
                ident(t.name),
                cols.join(", "),
                key.join(", ")
            ))?;
            continue;
        }
        for c in t.columns {
            if !have.iter().any(|h| h.eq_ignore_ascii_case(c.name)) {
                conn.execute_batch(&format!("ALTER TABLE {} ADD COLUMN {} {}", ident(t.name), ident(c.name), c.ty.sql()))?;
            }
        }
    }
    Ok(())
}

pub(crate) fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
