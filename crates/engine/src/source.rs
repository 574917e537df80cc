//! Where report data comes from. The engine depends on this small trait rather than on the
//! cache directly so that its tests run on hand-built frames, and so that any store that can
//! answer "these columns of this table in this period" can feed a report.

use crate::error::EngineError;
pub use crate::request::{FrameRequest, TableInfo, TimeRange};
use polars::prelude::*;
use std::collections::HashMap;
use switchboard_model::canonical::{self, ColumnType};

pub trait FrameSource {
    /// The requested columns of one table, restricted to the time range when one is given.
    /// Times are `Datetime(ms, UTC)`, texts `String`, integers `Int64`, floats `Float64`,
    /// booleans `Boolean`; every column may hold nulls.
    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError>;

    /// The tables this source can answer for, with their columns' types: the canonical
    /// tables first, then any raw table (`raw_<platform>_<collection>`). By default the
    /// canonical tables with unknown row counts.
    fn tables(&self) -> Vec<TableInfo> {
        canonical::TABLES
            .iter()
            .map(|t| TableInfo {
                name: t.name.to_string(),
                columns: t.columns.iter().map(|c| (c.name.to_string(), c.ty)).collect(),
                rows: None,
            })
            .collect()
    }
}

/// A shared source is a source: the workspace keeps its cache behind an `Arc` and puts the
/// in-memory frame cache ([`crate::CachedSource`]) in front of it.
impl<T: FrameSource + ?Sized> FrameSource for std::sync::Arc<T> {
    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
        (**self).frame(req)
    }

    fn tables(&self) -> Vec<TableInfo> {
        (**self).tables()
    }
}

/// The column types of a frame as the model names them (raw tables held in memory).
fn column_types(frame: &DataFrame) -> Vec<(String, ColumnType)> {
    frame
        .schema()
        .iter()
        .map(|(name, dt)| {
            let ty = match dt {
                DataType::Boolean => ColumnType::Bool,
                DataType::Float32 | DataType::Float64 => ColumnType::Float,
                DataType::Datetime(_, _) | DataType::Date => ColumnType::Time,
                d if d.is_integer() => ColumnType::Int,
                _ => ColumnType::Text,
            };
            (name.to_string(), ty)
        })
        .collect()
}

/// Tables held in memory: the test double of the cache, and a way to report on a frame that
/// did not come from the cache (an imported file).
#[derive(Debug, Default, Clone)]
pub struct MemorySource {
    tables: HashMap<String, DataFrame>,
}

impl MemorySource {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_table(mut self, name: &str, frame: DataFrame) -> Self {
        self.insert(name, frame);
        self
    }

    pub fn insert(&mut self, name: &str, frame: DataFrame) {
        self.tables.insert(name.to_string(), frame);
    }
}

impl FrameSource for MemorySource {
    /// The canonical tables (held or not: an absent one reads as an error, as in the cache),
    /// then the other tables it holds, by name.
    fn tables(&self) -> Vec<TableInfo> {
        let mut out: Vec<TableInfo> = canonical::TABLES
            .iter()
            .map(|t| TableInfo {
                name: t.name.to_string(),
                columns: t.columns.iter().map(|c| (c.name.to_string(), c.ty)).collect(),
                rows: self.tables.get(t.name).map(|f| f.height() as u64),
            })
            .collect();
        let mut others: Vec<(&String, &DataFrame)> =
            self.tables.iter().filter(|(n, _)| canonical::table(n).is_none()).collect();
        others.sort_by(|a, b| a.0.cmp(b.0));
        out.extend(others.into_iter().map(|(name, f)| TableInfo {
            name: name.clone(),
            columns: column_types(f),
            rows: Some(f.height() as u64),
        }));
        out
    }

    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
        let Some(frame) = self.tables.get(&req.table) else {
            return Err(EngineError::Source {
                message: format!("there is no {} table in the local data", req.table),
            });
        };
        let mut lf = frame.clone().lazy();
        if let Some(source) = &req.source {
            if frame.schema().contains("source") {
                lf = lf.filter(col("source").eq(lit(source.clone())));
            }
        }
        if let Some(range) = &req.time_range {
            let ms = time_as_ms(col(range.column.as_str()), frame, &range.column)?;
            lf = lf.filter(ms.clone().gt_eq(lit(range.from_ms)).and(ms.lt(lit(range.to_ms))));
        }
        for c in &req.columns {
            if !frame.schema().contains(c) {
                return Err(EngineError::Source {
                    message: format!("the {} table has no column {c}", req.table),
                });
            }
        }
        if req.columns.is_empty() {
            // As in the cache: no column choice reads every column.
            return lf.collect().map_err(|e| EngineError::Source { message: e.to_string() });
        }
        let cols: Vec<Expr> = req.columns.iter().map(|c| col(c.as_str())).collect();
        lf.select(cols).collect().map_err(|e| EngineError::Source { message: e.to_string() })
    }
}

impl FrameSource for switchboard_cache::Cache {
    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
        self.read_frame(req).map_err(|e| EngineError::Source { message: e.to_string() })
    }

    fn tables(&self) -> Vec<TableInfo> {
        // A failed listing offers the canonical tables: a report on them still reads the file
        // and says what went wrong then.
        switchboard_cache::Cache::tables(self).unwrap_or_else(|_| {
            canonical::TABLES
                .iter()
                .map(|t| TableInfo {
                    name: t.name.to_string(),
                    columns: t.columns.iter().map(|c| (c.name.to_string(), c.ty)).collect(),
                    rows: None,
                })
                .collect()
        })
    }
}

/// A time column as milliseconds since the epoch, whether it is stored as a datetime or as
/// the integer the cache keeps on disk.
fn time_as_ms(e: Expr, frame: &DataFrame, name: &str) -> Result<Expr, EngineError> {
    match frame.schema().get(name) {
        Some(DataType::Datetime(_, _)) => Ok(e.dt().timestamp(TimeUnit::Milliseconds)),
        Some(DataType::Int64) => Ok(e),
        Some(other) => Err(EngineError::Source {
            message: format!("the column {name} holds {other}, not times"),
        }),
        None => Err(EngineError::Source { message: format!("there is no column {name}") }),
    }
}
