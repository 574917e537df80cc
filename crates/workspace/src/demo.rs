//! The demo workspace: a simulated contact center generated from a seed, served by the
//! simulator in-process on loopback and synced through the real Cognigy OData connector —
//! the same path real data takes, so what the demo shows is what the product does.

use crate::{Connection, Workspace, WorkspaceConfig, WorkspaceError};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use switchboard_model::ipc::SyncProgress;
use switchboard_sim::{FaultPlan, ServeOptions, World, WorldConfig};
use switchboard_sources::{OdataConfig, SyncOptions, SyncReport};

pub const DEMO_CONNECTION: &str = "demo";

/// The simulated world a demo workspace shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoWorld {
    pub seed: u64,
    pub start: NaiveDate,
    pub days: u32,
    pub conversations_per_day: u32,
}

impl DemoWorld {
    /// Four weeks ending yesterday, so "last 7 days" and "last 30 days" show data.
    pub fn ending_before(today: NaiveDate) -> DemoWorld {
        DemoWorld { seed: 7, start: today - Duration::days(28), days: 28, conversations_per_day: 150 }
    }

    pub fn world_config(&self) -> WorldConfig {
        WorldConfig { seed: self.seed, start: self.start, days: self.days, conversations_per_day: self.conversations_per_day }
    }

    fn end(&self) -> NaiveDate {
        self.start + Duration::days(self.days as i64)
    }
}

impl Workspace {
    /// Opens (creating if needed) the demo workspace in `dir`. A demo whose world ended more
    /// than a week before `today` is made anew, so relative periods keep showing data.
    pub fn open_demo(dir: &Path, today: NaiveDate) -> Result<Workspace, WorkspaceError> {
        let mut ws = Workspace::open(dir)?;
        let stale = match &ws.config.demo {
            None => true,
            Some(d) => d.end() + Duration::days(7) < today,
        };
        if stale {
            if ws.config.demo.is_some() {
                let cleared = ws.cache.clear_source(DEMO_CONNECTION).map_err(WorkspaceError::cache);
                ws.data_changed();
                cleared?;
            }
            ws.config = WorkspaceConfig {
                id: ws.config.id.clone(),
                name: "Demo contact center".into(),
                timezone: ws.config.timezone.clone(),
                demo: Some(DemoWorld::ending_before(today)),
                connections: vec![Connection {
                    id: DEMO_CONNECTION.into(),
                    name: "Built-in simulator".into(),
                    config: switchboard_sources::ConnectorConfig::CognigyOdata(OdataConfig {
                        base_url: "built-in simulator".into(),
                        version: "v1.1".into(),
                    }),
                    sync_every_minutes: None,
                }],
            };
            ws.save_config()?;
        }
        Ok(ws)
    }

    /// Whether the demo's data is in the cache already.
    pub fn demo_synced(&self) -> bool {
        self.cache.last_sync(DEMO_CONNECTION).ok().flatten().is_some_and(|r| r.finished_ms.is_some() && r.error.is_none())
    }

    /// Starts the simulator on loopback and syncs the demo world into the cache.
    pub async fn sync_demo(
        &self,
        cancel: Arc<AtomicBool>,
        progress: &mut (dyn FnMut(&SyncProgress) + Send),
    ) -> Result<SyncReport, WorkspaceError> {
        let demo = self.config.demo.clone().ok_or_else(|| WorkspaceError::BadInput("This workspace is not the demo workspace.".into()))?;
        let world = Arc::new(World::generate(&demo.world_config()));
        let sim = switchboard_sim::serve(
            world,
            ServeOptions {
                port: 0,
                api_key: switchboard_sim::DEMO_API_KEY.to_string(),
                agent_key: switchboard_sim::DEMO_AGENT_KEY.to_string(),
                faults: FaultPlan::default(),
                ..ServeOptions::default()
            },
        )
        .await
        .map_err(|e| WorkspaceError::Simulator(e.to_string()))?;
        let cfg = OdataConfig { base_url: sim.odata_url.clone(), version: "v1.1".into() };
        let opts = SyncOptions { cancel, ..SyncOptions::default() };
        let generation = self.frames().generation();
        let mut stale_on_progress = |p: &SyncProgress| {
            generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            progress(p)
        };
        let result =
            switchboard_sources::sync_cognigy_odata(&self.cache, DEMO_CONNECTION, &cfg, &sim.api_key, &opts, &mut stale_on_progress).await;
        self.data_changed();
        sim.shutdown().await;
        Ok(result?)
    }

    /// Today's date for the demo: UTC.
    pub fn today() -> NaiveDate {
        Utc::now().date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_syncs_runs_reports_and_is_made_anew_when_stale() {
        let dir = tempfile::tempdir().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
        let ws = Workspace::open_demo(dir.path(), today).unwrap();
        assert!(!ws.demo_synced());
        let demo = ws.config().demo.clone().unwrap();
        assert_eq!(demo.start + Duration::days(demo.days as i64), today, "the demo world ends where today starts");

        let mut seen = Vec::new();
        let report = ws.sync_demo(Arc::new(AtomicBool::new(false)), &mut |p: &SyncProgress| seen.push(p.clone())).await.unwrap();
        assert!(seen.last().unwrap().finished && seen.last().unwrap().error.is_none());
        assert!(seen.iter().any(|p| !p.finished && p.records > 0), "progress arrives during the sync");
        let world = World::generate(&demo.world_config());
        let counts = ws.cache().counts(DEMO_CONNECTION).unwrap();
        assert_eq!(counts.conversations as usize, world.conversations.len());
        assert_eq!(report.records as usize, counts.messages as usize + world.conversations.len() + world.event_count() + 4 + 8 + 12);
        assert!(ws.demo_synced());

        // A built-in report over the demo: one row per local day of the last 7 days, in the
        // workspace's timezone when the template sets none.
        let mut ws = ws;
        ws.set_timezone("America/New_York").unwrap();
        let t = crate::load_template("builtin:conversations-per-day-by-inbox").unwrap();
        let mut params = BTreeMap::new();
        params.insert("period".to_string(), "last_7_days".to_string());
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 20, 12, 0, 0).unwrap();
        let run = ws.run_template(&t, &params, now).unwrap();
        assert_eq!(run.output.timezone, "America/New_York");
        assert!(run.chart_svg.as_deref().unwrap().contains("<svg"));
        let days = run.output.frame.column("Day").unwrap().n_unique().unwrap();
        assert_eq!(days, 7);

        // Reopened six weeks later, the demo is regenerated and its old rows are gone.
        drop(ws);
        let later = today + Duration::days(42);
        let ws = Workspace::open_demo(dir.path(), later).unwrap();
        assert_eq!(ws.config().demo.as_ref().unwrap().start, later - Duration::days(28));
        assert_eq!(ws.cache().counts(DEMO_CONNECTION).unwrap().conversations, 0);
        assert!(!ws.demo_synced());
        assert_eq!(ws.config().timezone.as_deref(), Some("America/New_York"), "the person's settings survive");
    }
}
