//! Raw tables (the platform's records, every field) and page writes.

use std::borrow::Cow;
use std::collections::HashMap;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::ToSql;
use rusqlite::{params, params_from_iter, Connection, Transaction};
use serde_json::{Map, Value};
use switchboard_model::canonical;

use crate::migrations::sql_string;
use crate::{ident, CacheError, RawColumns, Writer};

/// Where a collection's sync stands. Written in the same transaction as the rows it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The connector's cursor (for OData: the newest `updated_at` committed). None until a
    /// page with a cursor value has been stored.
    pub cursor: Option<String>,
    /// When the checkpoint was written, ms since the epoch.
    pub updated_at_ms: i64,
    /// Records stored for this collection so far, over all syncs.
    pub records: u64,
}

/// A record that could not be read, kept with the reason so that nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub reason: String,
    /// The record as received (JSON text).
    pub raw: String,
}

/// Canonical rows for one table: each row holds the values of every column after `source`,
/// in the model's column order.
#[derive(Debug, Clone, PartialEq)]
pub struct CanonicalRows {
    pub table: &'static str,
    pub rows: Vec<Vec<SqlValue>>,
}

/// One page of a sync, written atomically by [`crate::Cache::write_page`].
#[derive(Debug, Clone, Copy)]
pub struct PageWrite<'a> {
    pub source: &'a str,
    pub collection: &'a str,
    /// `raw_<platform>_<collection>`, lower case letters, digits and `_`.
    pub raw_table: &'a str,
    /// Records with an `id` field (the raw table's key after `source`).
    pub records: &'a [Map<String, Value>],
    pub rejected: &'a [Rejected],
    pub canonical: &'a [CanonicalRows],
    pub checkpoint: &'a Checkpoint,
    /// Raw columns to index (with `source`) once they exist, e.g. `conversation_id`.
    pub index_columns: &'a [&'a str],
}

pub(crate) fn check_raw_name(name: &str) -> Result<(), CacheError> {
    let ok = name.starts_with("raw_")
        && name.len() > 4
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(CacheError::InvalidRows { table: name.to_string(), detail: "a raw table name must look like raw_<platform>_<collection>".into() })
    }
}

fn sql_type(v: &Value) -> Option<&'static str> {
    match v {
        Value::Null => None,
        Value::Bool(_) => Some("INTEGER"),
        Value::Number(n) if n.is_i64() => Some("INTEGER"),
        Value::Number(_) => Some("REAL"),
        Value::String(_) | Value::Array(_) | Value::Object(_) => Some("TEXT"),
    }
}

pub(crate) fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(*b as i64),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// A field name as its raw column is named: lower case (borrowed when it already is).
fn lower_name(k: &str) -> Cow<'_, str> {
    if k.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(k)
    } else {
        Cow::Owned(k.to_lowercase())
    }
}

/// One value of a raw row, bound without copying: the same SQL values as [`to_sql`].
enum Cell<'a> {
    Text(&'a str),
    Json(Option<&'a Value>),
}

impl ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Json(None) | Cell::Json(Some(Value::Null)) => ToSqlOutput::Borrowed(ValueRef::Null),
            Cell::Json(Some(Value::String(s))) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Json(Some(v)) => ToSqlOutput::Owned(to_sql(v)),
        })
    }
}

/// Creates the raw table on first sight and adds a column for every new field of the page.
fn ensure_raw_columns(w: &mut RawColumns, tx: &Transaction<'_>, page: &PageWrite<'_>) -> Result<(), CacheError> {
    let table = page.raw_table;
    if !w.order.contains_key(table) {
        let mut st = tx.prepare(&format!("SELECT name FROM pragma_table_info({})", sql_string(table)))?;
        let have: Vec<String> = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        drop(st);
        let have: Vec<String> = if have.is_empty() {
            let id_type = page.records.iter().find_map(|r| r.get("id").and_then(sql_type)).unwrap_or("");
            tx.execute_batch(&format!(
                "CREATE TABLE {} (source TEXT NOT NULL, id {id_type} NOT NULL, PRIMARY KEY (source, id))",
                ident(table)
            ))?;
            vec!["source".into(), "id".into()]
        } else {
            have.into_iter().map(|h| h.to_lowercase()).collect()
        };
        w.set.insert(table.to_string(), have.iter().cloned().collect());
        w.order.insert(table.to_string(), have);
    }
    let mut added = false;
    for rec in page.records {
        for (k, v) in rec {
            if w.set[table].contains(lower_name(k).as_ref()) {
                continue;
            }
            let lower = k.to_lowercase();
            // Type the column after the first non-null value seen in this page; SQLite keeps
            // any later value of another type as it is, so drift never fails a write.
            let ty = page.records.iter().find_map(|r| r.get(k).and_then(sql_type)).or(sql_type(v)).unwrap_or("");
            tx.execute_batch(&format!("ALTER TABLE {} ADD COLUMN {} {ty}", ident(table), ident(&lower)))?;
            w.set.get_mut(table).unwrap().insert(lower.clone());
            w.order.get_mut(table).unwrap().push(lower);
            added = true;
        }
    }
    if added || !page.index_columns.is_empty() {
        for col in page.index_columns {
            if w.set[table].contains(&col.to_lowercase()) {
                tx.execute_batch(&format!(
                    "CREATE INDEX IF NOT EXISTS {} ON {} (source, {})",
                    ident(&format!("{table}_{col}")),
                    ident(table),
                    ident(col)
                ))?;
            }
        }
    }
    Ok(())
}

pub(crate) fn write_page(w: &mut Writer, page: &PageWrite<'_>) -> Result<(), CacheError> {
    check_raw_name(page.raw_table)?;
    if let Some(bad) = page.records.iter().position(|r| r.get("id").is_none_or(Value::is_null)) {
        return Err(CacheError::InvalidRows { table: page.raw_table.into(), detail: format!("record {bad} of the page has no id") });
    }
    let Writer { conn, raw } = w;
    let out = write_page_in(conn, raw, page);
    if out.is_err() {
        // A failed transaction rolls back its ALTER TABLEs too: forget what was learned in it.
        raw.order.remove(page.raw_table);
        raw.set.remove(page.raw_table);
    }
    out
}

fn write_page_in(conn: &mut Connection, raw: &mut RawColumns, page: &PageWrite<'_>) -> Result<(), CacheError> {
    let tx = conn.transaction()?;
    if !page.records.is_empty() {
        ensure_raw_columns(raw, &tx, page)?;
        let cols = &raw.order[page.raw_table];
        let names: Vec<String> = cols.iter().map(|c| ident(c)).collect();
        let placeholders = vec!["?"; cols.len()].join(", ");
        let updates: Vec<String> =
            cols.iter().filter(|c| *c != "source" && *c != "id").map(|c| format!("{0} = excluded.{0}", ident(c))).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({placeholders}) ON CONFLICT (source, id) DO {}",
            ident(page.raw_table),
            names.join(", "),
            if updates.is_empty() { "NOTHING".to_string() } else { format!("UPDATE SET {}", updates.join(", ")) }
        );
        let mut st = tx.prepare_cached(&sql)?;
        // Field names may differ in case from the column names. Each record's values are
        // bound straight from the page (no copy of the record, its strings or the source).
        let position: HashMap<&str, usize> = cols.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut row: Vec<Option<&Value>> = vec![None; cols.len()];
        for rec in page.records {
            row.iter_mut().for_each(|v| *v = None);
            for (k, v) in rec {
                if let Some(&i) = position.get(lower_name(k).as_ref()) {
                    row[i] = Some(v);
                }
            }
            let values = cols.iter().zip(&row).map(|(c, v)| if c == "source" { Cell::Text(page.source) } else { Cell::Json(*v) });
            st.execute(params_from_iter(values))?;
        }
    }
    for r in page.canonical {
        upsert_canonical(&tx, page.source, r)?;
    }
    if !page.rejected.is_empty() {
        let mut st = tx.prepare_cached(
            "INSERT INTO rejected_records (source, collection, reason, raw, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)\n             ON CONFLICT (source, collection, raw) DO UPDATE SET reason = excluded.reason, at_ms = excluded.at_ms",
        )?;
        for r in page.rejected {
            st.execute(params![page.source, page.collection, r.reason, r.raw, page.checkpoint.updated_at_ms])?;
        }
    }
    tx.prepare_cached(
        "INSERT INTO sync_checkpoints (source, collection, cursor, updated_at_ms, records) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (source, collection) DO UPDATE SET cursor = excluded.cursor,
             updated_at_ms = excluded.updated_at_ms, records = excluded.records",
    )?
    .execute(params![
        page.source,
        page.collection,
        page.checkpoint.cursor,
        page.checkpoint.updated_at_ms,
        page.checkpoint.records as i64
    ])?;
    tx.commit()?;
    Ok(())
}

pub(crate) fn upsert_canonical(tx: &Transaction<'_>, source: &str, rows: &CanonicalRows) -> Result<(), CacheError> {
    let t = canonical::table(rows.table).ok_or_else(|| CacheError::UnknownTable(rows.table.to_string()))?;
    let width = t.columns.len() - 1;
    if let Some(bad) = rows.rows.iter().find(|r| r.len() != width) {
        return Err(CacheError::InvalidRows {
            table: t.name.into(),
            detail: format!("a row has {} values, the table has {width} columns after source", bad.len()),
        });
    }
    let names: Vec<String> = t.columns.iter().map(|c| ident(c.name)).collect();
    let key: Vec<String> = std::iter::once("source").chain(t.key.iter().copied()).map(ident).collect();
    let updates: Vec<String> = t
        .columns
        .iter()
        .filter(|c| c.name != "source" && !t.key.contains(&c.name))
        .map(|c| format!("{0} = excluded.{0}", ident(c.name)))
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO {}",
        ident(t.name),
        names.join(", "),
        vec!["?"; names.len()].join(", "),
        key.join(", "),
        if updates.is_empty() { "NOTHING".to_string() } else { format!("UPDATE SET {}", updates.join(", ")) }
    );
    let mut st = tx.prepare_cached(&sql)?;
    let src = SqlValue::Text(source.to_string());
    for row in &rows.rows {
        st.execute(params_from_iter(std::iter::once(&src).chain(row.iter())))?;
    }
    Ok(())
}

pub(crate) fn read_raw(c: &Connection, table: &str, source: &str, columns: &[&str]) -> Result<Vec<Vec<SqlValue>>, CacheError> {
    let mut st = c.prepare(&format!("SELECT name FROM pragma_table_info({})", sql_string(table)))?;
    let have: Vec<String> = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
    if have.is_empty() {
        return Ok(Vec::new());
    }
    let select: Vec<String> = columns
        .iter()
        .map(|c| if have.iter().any(|h| h.eq_ignore_ascii_case(c)) { ident(&c.to_lowercase()) } else { "NULL".into() })
        .collect();
    let sql = format!("SELECT {} FROM {} WHERE source = ?1", select.join(", "), ident(table));
    let mut st = c.prepare_cached(&sql)?;
    let mut rows = st.query([source])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut v = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            v.push(r.get::<_, SqlValue>(i)?);
        }
        out.push(v);
    }
    Ok(out)
}
