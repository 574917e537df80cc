//! Recently read frames kept in memory, so that changing a report in the builder (another
//! group, another chart, a narrower period) does not read SQLite again.
//!
//! [`CachedSource`] wraps any [`FrameSource`]. Reads still go to the inner source with
//! column and period pushdown; what comes back is kept, keyed by table, connection, columns
//! and time range, and a later request is answered from memory when a kept frame holds a
//! superset of it: the same table and connection, every requested column, and a time range
//! that covers the requested one (the narrower range is cut out of the kept frame, which is
//! why a ranged read also keeps its range column). A miss whose table, connection and range
//! match a kept frame reads the union of both column sets, so the builder's growing column
//! list converges on one frame instead of many overlapping ones.
//!
//! Memory is bounded by bytes (polars' estimate), least recently used first out; the
//! workspace sizes it to the machine ([`capacity_for_this_machine`]). A sync makes every kept
//! frame stale: the workspace bumps the shared generation counter
//! ([`CachedSource::generation`]) after each write, and the next request drops everything.
//! [`CachedSource::stats`] counts what was answered from memory and what was read, so that
//! tests (and a curious person) can see the cache work.

use crate::error::EngineError;
use crate::source::{FrameRequest, FrameSource, TableInfo, TimeRange};
use polars::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// 1.5 GB: room for a few million-row frames on the 8 GB machines Switchboard targets.
pub const DEFAULT_CAPACITY_BYTES: usize = 1536 * 1024 * 1024;
/// Never more than this, whatever the machine: the rest of the memory is the reports' own.
pub const MAX_CAPACITY_BYTES: usize = 6 * 1024 * 1024 * 1024;
const MIN_CAPACITY_BYTES: usize = 256 * 1024 * 1024;

/// A quarter of the machine's memory, between 256 MB and [`MAX_CAPACITY_BYTES`]: the frames
/// of 20 M messages take about 1.3 GB, and a report needs about as much again while it runs.
/// [`DEFAULT_CAPACITY_BYTES`] where the memory size cannot be read.
pub fn capacity_for_this_machine() -> usize {
    capacity_for(total_memory_bytes())
}

fn capacity_for(total: Option<u64>) -> usize {
    match total {
        Some(t) => ((t / 4) as usize).clamp(MIN_CAPACITY_BYTES, MAX_CAPACITY_BYTES),
        None => DEFAULT_CAPACITY_BYTES,
    }
}

/// Physical memory on Linux (`/proc/meminfo`); None elsewhere, which takes the default.
fn total_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// What a [`CachedSource`] has done since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameCacheStats {
    /// Requests answered from a kept frame.
    pub hits: u64,
    /// Requests that read the inner source.
    pub reads: u64,
    /// Times everything kept was dropped because the data changed.
    pub invalidations: u64,
}

struct Entry {
    table: String,
    source: Option<String>,
    /// Every column of the table when None (the request named none).
    columns: Option<Vec<String>>,
    range: Option<TimeRange>,
    frame: DataFrame,
    bytes: usize,
    last_used: u64,
}

#[derive(Default)]
struct Kept {
    generation: u64,
    entries: Vec<Entry>,
    tick: u64,
    bytes: usize,
    stats: FrameCacheStats,
}

pub struct CachedSource<S> {
    inner: S,
    capacity: usize,
    generation: Arc<AtomicU64>,
    kept: Mutex<Kept>,
}

impl<S: FrameSource> CachedSource<S> {
    pub fn new(inner: S) -> Self {
        Self::with_capacity(inner, DEFAULT_CAPACITY_BYTES)
    }

    pub fn with_capacity(inner: S, capacity_bytes: usize) -> Self {
        CachedSource { inner, capacity: capacity_bytes, generation: Arc::new(AtomicU64::new(0)), kept: Mutex::new(Kept::default()) }
    }

    /// The counter a writer bumps (`fetch_add(1)`) after changing the data.
    pub fn generation(&self) -> Arc<AtomicU64> {
        self.generation.clone()
    }

    /// Forgets every kept frame now.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Bytes held now (polars' estimate).
    pub fn held_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The most bytes it keeps.
    pub fn capacity_bytes(&self) -> usize {
        self.capacity
    }

    pub fn stats(&self) -> FrameCacheStats {
        self.lock().stats
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn covers(entry: &Entry, req: &FrameRequest) -> bool {
    if entry.table != req.table || entry.source != req.source {
        return false;
    }
    let has = |c: &str| entry.columns.as_ref().is_none_or(|cols| cols.iter().any(|k| k == c));
    let columns_ok = match &req.columns {
        cols if cols.is_empty() => entry.columns.is_none(),
        cols => cols.iter().all(|c| has(c)),
    };
    if !columns_ok {
        return false;
    }
    match (&entry.range, &req.time_range) {
        (None, None) => true,
        (None, Some(r)) => has(&r.column),
        (Some(_), None) => false,
        (Some(e), Some(r)) => e == r || (e.column == r.column && e.from_ms <= r.from_ms && e.to_ms >= r.to_ms && has(&r.column)),
    }
}

/// The requested part of a kept frame.
fn cut(entry: &Entry, req: &FrameRequest) -> Result<DataFrame, EngineError> {
    let mut lf = entry.frame.clone().lazy();
    if let Some(r) = &req.time_range {
        if entry.range.as_ref() != Some(r) {
            let c = col(r.column.as_str());
            let ms = match entry.frame.schema().get(r.column.as_str()) {
                Some(DataType::Datetime(_, _)) => c.dt().timestamp(TimeUnit::Milliseconds),
                _ => c.cast(DataType::Int64),
            };
            lf = lf.filter(ms.clone().gt_eq(lit(r.from_ms)).and(ms.lt(lit(r.to_ms))));
        }
    }
    if !req.columns.is_empty() {
        let mut seen: Vec<&str> = Vec::new();
        for c in &req.columns {
            if !seen.contains(&c.as_str()) {
                seen.push(c);
            }
        }
        lf = lf.select(seen.into_iter().map(col).collect::<Vec<_>>());
    }
    Ok(lf.collect()?)
}

impl<S: FrameSource> FrameSource for CachedSource<S> {
    fn frame(&self, req: &FrameRequest) -> Result<DataFrame, EngineError> {
        let current = self.generation.load(Ordering::SeqCst);
        let mut read = req.clone();
        {
            let mut kept = self.lock();
            if kept.generation != current {
                let mut stats = kept.stats;
                stats.invalidations += 1;
                *kept = Kept { generation: current, stats, ..Kept::default() };
            }
            kept.tick += 1;
            let tick = kept.tick;
            if let Some(e) = kept.entries.iter_mut().find(|e| covers(e, req)) {
                e.last_used = tick;
                let out = cut(e, req);
                kept.stats.hits += 1;
                return out;
            }
            kept.stats.reads += 1;
            // Read the union with a kept frame of the same table, connection and range.
            if !read.columns.is_empty() {
                if let Some(e) = kept
                    .entries
                    .iter()
                    .find(|e| e.table == req.table && e.source == req.source && e.range == req.time_range)
                {
                    if let Some(cols) = &e.columns {
                        for c in cols {
                            if !read.columns.contains(c) {
                                read.columns.push(c.clone());
                            }
                        }
                    }
                }
                if let Some(r) = &read.time_range {
                    if !read.columns.contains(&r.column) {
                        read.columns.push(r.column.clone());
                    }
                }
            }
        }
        // Read without holding the lock: another report may be served meanwhile.
        let frame = self.inner.frame(&read)?;
        let bytes = frame.estimated_size();
        let entry = Entry {
            table: read.table.clone(),
            source: read.source.clone(),
            columns: (!read.columns.is_empty()).then(|| read.columns.clone()),
            range: read.time_range.clone(),
            frame,
            bytes,
            last_used: 0,
        };
        let out = cut(&entry, req)?;
        let mut kept = self.lock();
        if kept.generation == current && bytes <= self.capacity {
            // The new frame supersedes kept ones it covers.
            let before = kept.entries.len();
            let mut freed = 0;
            kept.entries.retain(|e| {
                let superseded = e.table == entry.table
                    && e.source == entry.source
                    && e.range == entry.range
                    && match (&e.columns, &entry.columns) {
                        (_, None) => true,
                        (Some(old), Some(new)) => old.iter().all(|c| new.contains(c)),
                        (None, Some(_)) => false,
                    };
                if superseded {
                    freed += e.bytes;
                }
                !superseded
            });
            if kept.entries.len() != before {
                kept.bytes -= freed;
            }
            kept.tick += 1;
            let tick = kept.tick;
            kept.bytes += bytes;
            kept.entries.push(Entry { last_used: tick, ..entry });
            while kept.bytes > self.capacity {
                let Some(oldest) = kept.entries.iter().enumerate().min_by_key(|(_, e)| e.last_used).map(|(i, _)| i) else {
                    break;
                };
                let e = kept.entries.remove(oldest);
                kept.bytes -= e.bytes;
            }
        }
        Ok(out)
    }

    fn tables(&self) -> Vec<TableInfo> {
        self.inner.tables()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_capacity_is_a_quarter_of_memory_within_bounds() {
        const GB: u64 = 1024 * 1024 * 1024;
        assert_eq!(capacity_for(Some(8 * GB)), 2 * GB as usize);
        assert_eq!(capacity_for(Some(512 * 1024 * 1024)), MIN_CAPACITY_BYTES);
        assert_eq!(capacity_for(Some(64 * GB)), MAX_CAPACITY_BYTES);
        assert_eq!(capacity_for(None), DEFAULT_CAPACITY_BYTES);
    }
}
