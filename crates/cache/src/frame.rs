//! Reads canonical tables into polars frames, with column and period pushdown.

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
    /// Reads a canonical table into a frame. Only the requested columns are selected and the
    /// period goes into the SQL `WHERE`, where an index on `(source, <time column>)` serves
    /// it. Dtypes follow the model: Text/Json → String, Int → Int64, Float → Float64,
    /// Bool → Boolean, Time → Datetime(ms, UTC); every column is nullable.
    pub fn read_frame(&self, req: &FrameRequest) -> Result<DataFrame, CacheError> {
        let table = canonical::table(&req.table).ok_or_else(|| CacheError::UnknownTable(req.table.clone()))?;
        let unknown = |c: &str| CacheError::UnknownColumn { table: table.name.to_string(), column: c.to_string() };
        let mut columns = Vec::new();
        if req.columns.is_empty() {
            columns.extend(table.columns.iter());
        } else {
            for name in &req.columns {
                let c = table.column(name).ok_or_else(|| unknown(name))?;
                // A frame cannot hold one name twice.
                if !columns.iter().any(|k: &&canonical::Column| k.name == c.name) {
                    columns.push(c);
                }
            }
        }
        let mut sql = format!(
            "SELECT {} FROM {}",
            columns.iter().map(|c| ident(c.name)).collect::<Vec<_>>().join(", "),
            ident(table.name)
        );
        let mut conditions = Vec::new();
        let mut params: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(s) = &req.source {
            params.push(s.clone().into());
            conditions.push(format!("source = ?{}", params.len()));
        }
        if let Some(r) = &req.time_range {
            let c = table.column(&r.column).ok_or_else(|| unknown(&r.column))?;
            params.push(r.from_ms.into());
            params.push(r.to_ms.into());
            conditions.push(format!("{0} >= ?{1} AND {0} < ?{2}", ident(c.name), params.len() - 1, params.len()));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        let mut builders: Vec<Builder> = columns.iter().map(|c| Builder::new(c.ty)).collect();
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
        let cols: Vec<Column> = builders.into_iter().zip(&columns).map(|(b, c)| b.finish(c.name)).collect();
        DataFrame::new(height, cols).map_err(|e| CacheError::Frame(e.to_string()))
    }
}
