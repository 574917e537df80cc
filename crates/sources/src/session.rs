//! What every sync does around its platform-specific reading: count pages and records per
//! collection, tell the person how far it is (records, pages, rate, time left), honour a
//! cancel between pages, and — however the reading ended — derive the conversation-level
//! rows from what did arrive, record the run, and scrub every secret from the error.
//!
//! Connectors own paging and mapping; they hand each page to [`SyncSession::write_page`],
//! which writes it (records, set-aside records, canonical rows and checkpoint in one
//! transaction) and reports progress. [`SyncSession::finish`] closes the run. Keeping this in
//! one place is what makes every platform's sync resumable and its progress look the same.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use switchboard_cache::{Cache, CacheError, PageWrite, SyncRun};
use switchboard_model::ipc::SyncProgress;

use crate::http::{redact_url, HttpClient};
use crate::SourceError;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Records per request where the platform lets the client choose (OData `$top`: up to
    /// 10000). Connectors clamp it to their platform's limit.
    pub page_size: u32,
    /// How far before the checkpoint an incremental sync starts reading again.
    pub overlap: Duration,
    /// Set to stop the sync after the page being written.
    pub cancel: Arc<AtomicBool>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { page_size: 1000, overlap: Duration::from_secs(300), cancel: Arc::new(AtomicBool::new(false)) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionReport {
    pub collection: String,
    pub records: u64,
    pub pages: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncReport {
    pub collections: Vec<CollectionReport>,
    /// Records stored, all collections.
    pub records: u64,
    pub rejected: u64,
    pub elapsed: Duration,
}

impl SyncReport {
    pub fn empty() -> SyncReport {
        SyncReport { collections: Vec::new(), records: 0, rejected: 0, elapsed: Duration::ZERO }
    }

    /// One line for people: records per collection, set-aside records, time taken.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self.collections.iter().map(|c| format!("{} {}", c.records, c.collection)).collect();
        let mut s = format!("{} records in {:.1} s ({})", self.records, self.elapsed.as_secs_f64(), parts.join(", "));
        if self.rejected > 0 {
            let (n, verb) = if self.rejected == 1 { ("record", "was") } else { ("records", "were") };
            s.push_str(&format!("; {} {n} could not be read and {verb} set aside", self.rejected));
        }
        s
    }

    pub fn collection(&self, name: &str) -> Option<&CollectionReport> {
        self.collections.iter().find(|c| c.collection == name)
    }
}

pub(crate) fn ms(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// One sync run of one connection.
pub struct SyncSession<'a> {
    pub client: &'a HttpClient,
    pub cache: &'a Cache,
    pub source: &'a str,
    pub opts: &'a SyncOptions,
    progress: &'a mut (dyn FnMut(&SyncProgress) + 'a),
    pub report: SyncReport,
    collections_total: u32,
    current: Option<usize>,
    started: Instant,
    started_ms: i64,
    expected: Option<u64>,
}

impl<'a> SyncSession<'a> {
    /// `collections_total` is how many steps the progress bar counts (collections, or
    /// collections plus report series).
    pub fn new(
        client: &'a HttpClient,
        cache: &'a Cache,
        source: &'a str,
        opts: &'a SyncOptions,
        progress: &'a mut (dyn FnMut(&SyncProgress) + 'a),
        collections_total: u32,
    ) -> SyncSession<'a> {
        SyncSession {
            client,
            cache,
            source,
            opts,
            progress,
            report: SyncReport::empty(),
            collections_total,
            current: None,
            started: Instant::now(),
            started_ms: ms(client.clock().now()),
            expected: None,
        }
    }

    /// Now, by the client's clock (tests use a clock that never waits).
    pub fn now_ms(&self) -> i64 {
        ms(self.client.clock().now())
    }

    pub fn cancel_flag(&self) -> &AtomicBool {
        &self.opts.cancel
    }

    /// `Err(Cancelled)` once the person pressed cancel; call it before every request.
    pub fn check_cancel(&self) -> Result<(), SourceError> {
        if self.opts.cancel.load(Ordering::Relaxed) {
            Err(SourceError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Starts (or returns to) a collection: its pages and records are counted under `name`.
    pub fn begin(&mut self, name: &str) {
        if self.current.is_some_and(|i| self.report.collections[i].collection == name) {
            return;
        }
        let i = match self.report.collections.iter().position(|c| c.collection == name) {
            Some(i) => i,
            None => {
                self.report.collections.push(CollectionReport { collection: name.to_string(), records: 0, pages: 0, rejected: 0 });
                self.report.collections.len() - 1
            }
        };
        self.current = Some(i);
    }

    /// Adds records the platform says are still to come (a `$count`, a `meta` count): the
    /// progress then shows time left. Call it once per collection when the number is known.
    pub fn expect(&mut self, records: u64) {
        self.expected = Some(self.expected.unwrap_or(0) + records);
    }

    /// Writes one page (its records, set-aside records, canonical rows and checkpoint in one
    /// transaction), counts it under the current collection and reports progress.
    pub fn write_page(&mut self, page: &PageWrite<'_>) -> Result<(), SourceError> {
        self.cache.write_page(page)?;
        self.count_page(page.records.len() as u64, page.rejected.len() as u64);
        Ok(())
    }

    /// Counts a page written by other means (for example interval metrics replaced whole).
    pub fn count_page(&mut self, records: u64, rejected: u64) {
        if self.current.is_none() {
            self.begin("records");
        }
        let entry = &mut self.report.collections[self.current.unwrap()];
        entry.records += records;
        entry.rejected += rejected;
        entry.pages += 1;
        self.report.records += records;
        self.report.rejected += rejected;
        self.emit(false, None);
    }

    fn emit(&mut self, finished: bool, error: Option<&SourceError>) {
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        let p = SyncProgress {
            connection: self.source.to_string(),
            collection: if finished { String::new() } else { self.current.map(|i| self.report.collections[i].collection.clone()).unwrap_or_default() },
            collections_done: if finished {
                self.collections_total.max(self.report.collections.len() as u32)
            } else {
                self.report.collections.len().saturating_sub(1) as u32
            },
            collections_total: self.collections_total.max(self.report.collections.len() as u32),
            records: self.report.records,
            pages: self.report.collections.iter().map(|c| c.pages).sum(),
            records_expected: self.expected.map(|e| e.max(self.report.records)),
            elapsed_ms,
            finished,
            error: error.map(SourceError::to_app_error),
        };
        (self.progress)(&p);
    }

    /// Ends the run: derives what arrived (also after a failure, so nothing that did arrive is
    /// hidden), records the run, reports the final progress, and returns the report or the
    /// error with every `secret` scrubbed from it.
    pub fn finish(
        mut self,
        outcome: Result<(), SourceError>,
        derive: impl FnOnce(&Cache, &str) -> Result<(), CacheError>,
        secrets: &[&str],
    ) -> Result<SyncReport, SourceError> {
        let derived = derive(self.cache, self.source).map_err(SourceError::from);
        let mut outcome = outcome.and(derived);
        for s in secrets {
            outcome = outcome.map_err(|e| e.scrub(s));
        }
        self.report.elapsed = self.started.elapsed();
        let error = outcome.as_ref().err().map(|e| redact_url(&e.to_string()));
        let run = SyncRun { started_ms: self.started_ms, finished_ms: Some(self.now_ms()), records: self.report.records, error };
        self.cache.record_sync_run(self.source, &run)?;
        self.current = None;
        self.emit(true, outcome.as_ref().err());
        outcome.map(|_| self.report)
    }
}
