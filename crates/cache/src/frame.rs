//! Reads canonical and raw tables into polars frames, with column and period pushdown, and
//! lists the tables a report may read (the raw ones typed from their SQLite columns).

use polars::prelude::*;
use rusqlite::types::ValueRef;
use switchboard_model::canonical::{self, ColumnType};

use crate::{ident, Cache, CacheError};

/// A half-open period `[from_ms, to_ms)` on a time column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeRange {
    pub column: String,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A table a report may read, with its columns' types and its row count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    pub columns: Vec<(String, ColumnType)>,
    pub rows: Option<u64>,
}

/// The type a raw column is read as, from its declared SQLite type. Raw columns are typed
/// after the first value seen (INTEGER, REAL, TEXT, or none when it was null), so times sent
/// as numbers read as integers: the platform's unit is unknown here.
fn raw_type(declared: &str) -> ColumnType {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" => ColumnType::Int,
        "REAL" => ColumnType::Float,
        _ => ColumnType::Text,
    }
}

fn raw_columns(conn: &rusqlite::Connection, table: &str) -> Result<Vec<(String, ColumnType)>, CacheError> {
    let mut st = conn.prepare_cached("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")?;
    let cols = st
        .query_map([table], |r| Ok((r.get::<_, String>(0)?, raw_type(&r.get::<_, String>(1)?))))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(cols)
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameRequest {
    pub table: String,
    /// The columns to read, in this order; empty reads every column.
    pub columns: Vec<String>,
    pub time_range: Option<TimeRange>,
    /// Only this connection's rows; None reads every source.
    pub source: Option<String>,
}

enum Builder {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Time(Vec<Option<i64>>),
}

impl Builder {
    fn new(ty: ColumnType) -> Builder {
        match ty {
            ColumnType::Text | ColumnType::Json => Builder::Text(Vec::new()),
            ColumnType::Int => Builder::Int(Vec::new()),
            ColumnType::Float => Builder::Float(Vec::new()),
            ColumnType::Bool => Builder::Bool(Vec::new()),
            ColumnType::Time => Builder::Time(Vec::new()),
        }
    }

    /// SQLite is dynamically typed; a value stored with another type than the model's (an
    /// integer in a text column, a text number) is converted rather than failing the report.
    fn push(&mut self, v: ValueRef<'_>) {
        let as_i64 = |v: ValueRef<'_>| match v {
            ValueRef::Integer(i) => Some(i),
            ValueRef::Real(f) => Some(f as i64),
            ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(|s| s.trim().parse().ok()),
            _ => None,
        };
        match self {
            Builder::Text(c) => c.push(match v {
                ValueRef::Null => None,
                ValueRef::Integer(i) => Some(i.to_string()),
                ValueRef::Real(f) => Some(f.to_string()),
                ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
            }),
            Builder::Int(c) | Builder::Time(c) => c.push(as_i64(v)),
            Builder::Float(c) => c.push(match v {
                ValueRef::Integer(i) => Some(i as f64),
                ValueRef::Real(f) => Some(f),
                ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(|s| s.trim().parse().ok()),
                _ => None,
            }),
            Builder::Bool(c) => c.push(as_i64(v).map(|i| i != 0)),
        }
    }

    fn finish(self, name: &str) -> Column {
        let name = PlSmallStr::from(name);
        let s = match self {
            Builder::Text(v) => Series::new(name, v),
            Builder::Int(v) => Series::new(name, v),
            Builder::Float(v) => Series::new(name, v),
            Builder::Bool(v) => Series::new(name, v),
            Builder::Time(v) => Series::new(name, v).into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)),
        };
        s.into_column()
    }
}

impl Cache {
    /// Every table a report may read: the canonical tables in the model's order, then the
    /// raw tables by name, each with its row count over every source.
    pub fn tables(&self) -> Result<Vec<TableInfo>, CacheError> {
        self.read(|c| {
            let count = |t: &str| -> Result<u64, CacheError> {
                Ok(c.prepare(&format!("SELECT count(*) FROM {}", ident(t)))?.query_row([], |r| r.get::<_, i64>(0))? as u64)
            };
            let mut out = Vec::new();
            for t in canonical::TABLES {
                out.push(TableInfo {
                    name: t.name.to_string(),
                    columns: t.columns.iter().map(|c| (c.name.to_string(), c.ty)).collect(),
                    rows: Some(count(t.name)?),
                });
            }
            let raw: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'raw\\_%' ESCAPE '\\' ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for name in raw {
                let columns = raw_columns(c, &name)?;
                out.push(TableInfo { rows: Some(count(&name)?), name, columns });
            }
            Ok(out)
        })
    }

    /// Reads a canonical table into a frame. Only the requested columns are selected and the
    /// period goes into the SQL `WHERE`, where an index on `(source, <time column>)` serves
    /// it. Dtypes follow the model: Text/Json → String, Int → Int64, Float → Float64,
    /// Bool → Boolean, Time → Datetime(ms, UTC); every column is nullable.
    pub fn read_frame(&self, req: &FrameRequest) -> Result<DataFrame, CacheError> {
        // Raw tables are read with the columns SQLite has for them (they drift with the
        // platform); canonical ones with the model's.
        let schema: Vec<(String, ColumnType)> = match canonical::table(&req.table) {
            Some(t) => t.columns.iter().map(|c| (c.name.to_string(), c.ty)).collect(),
            None if req.table.starts_with("raw_") && crate::raw::check_raw_name(&req.table).is_ok() => {
                let cols = self.read(|c| raw_columns(c, &req.table))?;
                if cols.is_empty() {
                    return Err(CacheError::UnknownTable(req.table.clone()));
                }
                cols
            }
            None => return Err(CacheError::UnknownTable(req.table.clone())),
        };
        let table_name = req.table.as_str();
        let column = |name: &str| schema.iter().find(|(n, _)| n == name || n.eq_ignore_ascii_case(name));
        let unknown = |c: &str| CacheError::UnknownColumn { table: table_name.to_string(), column: c.to_string() };
        let mut columns: Vec<&(String, ColumnType)> = Vec::new();
        if req.columns.is_empty() {
            columns.extend(schema.iter());
        } else {
            for name in &req.columns {
                let c = column(name).ok_or_else(|| unknown(name))?;
                // A frame cannot hold one name twice.
                if !columns.iter().any(|k| k.0 == c.0) {
                    columns.push(c);
                }
            }
        }
        let mut sql = format!(
            "SELECT {} FROM {}",
            columns.iter().map(|c| ident(&c.0)).collect::<Vec<_>>().join(", "),
            ident(table_name)
        );
        let mut conditions = Vec::new();
        let mut params: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(s) = &req.source {
            params.push(s.clone().into());
            conditions.push(format!("source = ?{}", params.len()));
        }
        if let Some(r) = &req.time_range {
            let c = column(&r.column).ok_or_else(|| unknown(&r.column))?;
            params.push(r.from_ms.into());
            params.push(r.to_ms.into());
            conditions.push(format!("{0} >= ?{1} AND {0} < ?{2}", ident(&c.0), params.len() - 1, params.len()));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        let mut builders: Vec<Builder> = columns.iter().map(|c| Builder::new(c.1)).collect();
        let mut height = 0usize;
        self.read(|conn| {
            let mut st = conn.prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
            while let Some(row) = rows.next()? {
                for (i, b) in builders.iter_mut().enumerate() {
                    b.push(row.get_ref(i)?);
                }
                height += 1;
            }
            Ok(())
        })?;
        let cols: Vec<Column> = builders.into_iter().zip(&columns).map(|(b, c)| b.finish(&c.0)).collect();
        DataFrame::new(height, cols).map_err(|e| CacheError::Frame(e.to_string()))
    }
}
