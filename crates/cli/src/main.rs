//! `switchboard`: the same engine as the desktop app, headless. Serve the simulator, sync a
//! connection into a workspace, list and run report templates and dashboards to CSV, Excel,
//! PDF, SVG or PNG.
//!
//! With no `--workspace`, commands use the demo workspace (created and synced on first use
//! from the built-in simulator), so `switchboard run reports/<template> --out x.xlsx` works on
//! a fresh machine. Errors print as `error [code]: message` and exit with status 1.

use anyhow::Context;
use clap::{Parser, Subcommand};

mod serve_app;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use switchboard_model::ipc::{ConnectionDraft, ExportFormat, FieldKind, Shelf, SyncProgress};
use switchboard_model::template;
use switchboard_model::AppError;
use switchboard_workspace::{AnyTemplate, Keychain, Library, MemorySecrets, SecretStore, Workspace, WorkspaceError};

// Reports over millions of rows allocate and free large buffers on every run; mimalloc keeps
// freed memory for the next run instead of handing it back to the system, which the default
// allocator does and then pays for zeroing fresh pages (README, speed of reports).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Contact-center reports from your live-chat platform, headless.", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the built-in simulated contact center through every platform's API.
    ///
    /// Prints each platform's base URL and demo credentials (Cognigy Live Agent OData v1.0,
    /// v1.1 and v2.0 and REST, agentbot, LivePerson, Koopid), then serves until Ctrl-C. With
    /// --truth, writes the world's true KPIs as JSON instead and exits.
    Simulate {
        /// Seed of the generated world; the same seed gives the same world.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// First day of the world (YYYY-MM-DD); default: 28 days before today.
        #[arg(long)]
        start: Option<chrono::NaiveDate>,
        /// Number of days.
        #[arg(long, default_value_t = 28)]
        days: u32,
        /// Average conversations per day.
        #[arg(long, default_value_t = 150)]
        per_day: u32,
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Faults to inject, rules separated by ';': rate-limit:every=N[,retry-after=S][,on=E],
        /// server-error:every=N[,burst=K][,status=500|502|503][,on=E], slow:ms=M[,on=E],
        /// malformed:<Collection>@<offset>, cut:<Collection>@<offset> (connection dropped
        /// mid-body), unauthorized:<Collection>@<offset>, drift:<Collection> (schema drift),
        /// expire:after=N (the credential expires after N requests). E is a collection or path.
        #[arg(long)]
        faults: Option<String>,
        /// The platform APIs to serve, comma-separated: odata, rest, agentbot, liveperson,
        /// koopid, or all.
        #[arg(long, default_value = "all")]
        platforms: String,
        /// Write the world's true KPIs to this JSON file and exit.
        #[arg(long)]
        truth: Option<PathBuf>,
        /// Write the world itself to this JSON file and exit: its conversations as the
        /// canonical table holds them (times in UTC milliseconds), agents, teams and inboxes.
        /// For checking any report by hand or with another tool.
        #[arg(long)]
        world: Option<PathBuf>,
        /// Timezone of the days and weeks in --truth.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// SLA threshold in seconds for --truth.
        #[arg(long, default_value_t = 60.0)]
        sla_seconds: f64,
    },
    /// Add or change a connection of a workspace. Secrets go to the computer's keychain.
    ///
    /// Settings are given as --set name=value (see `switchboard platforms` for each platform's
    /// fields). Each secret field is read from the environment variable named by
    /// --secret-env field=VARIABLE, or else asked for on the terminal (standard input).
    Connect {
        #[arg(long)]
        workspace: PathBuf,
        /// cognigy_odata, cognigy_rest, agentbot, liveperson, koopid, odata_feed, rest_api or file.
        #[arg(long)]
        platform: String,
        /// What to call it (its id is made from this).
        #[arg(long)]
        name: String,
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        settings: Vec<String>,
        #[arg(long = "secret-env", value_name = "FIELD=VARIABLE")]
        secret_env: Vec<String>,
        /// Try the connection before saving it, and save only if it works.
        #[arg(long)]
        test: bool,
    },
    /// List the kinds of connection and the fields each one asks for.
    Platforms,
    /// Try a workspace's connections and say what each one found or what is wrong.
    Test {
        #[arg(long)]
        workspace: PathBuf,
        /// Only this connection.
        #[arg(long)]
        connection: Option<String>,
    },
    /// Sync a workspace's connections into its local cache, with secrets from the keychain.
    ///
    /// With --url, first adds (or updates) a Cognigy Live Agent OData connection whose access
    /// token is read from the environment variable named by --token-env for this run only: it
    /// is not stored anywhere (for scripts and CI).
    Sync {
        /// Workspace folder; default: the demo workspace.
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Only this connection.
        #[arg(long)]
        connection: Option<String>,
        /// OData base URL, e.g. https://odata-liveagent-trial.cognigy.ai/v1.1/odata/
        #[arg(long)]
        url: Option<String>,
        /// Connection id (the name rows are kept under) for --url.
        #[arg(long, default_value = "cognigy")]
        id: String,
        /// Environment variable holding the Live Agent access token, for --url.
        #[arg(long, default_value = "SWITCHBOARD_TOKEN")]
        token_env: String,
        /// Keep syncing every N minutes until stopped (Ctrl-C).
        #[arg(long, value_name = "MINUTES")]
        every: Option<u32>,
    },
    /// Run a report template and write the result to a file.
    ///
    /// The format follows the file name: .xlsx (Excel), .csv, .pdf (chart and table), .svg or
    /// .png (the chart; --width, --height and --dpi set its size).
    Run {
        /// A template file (for example reports/median-first-response-by-agent.json) or
        /// builtin:<name>.
        template: String,
        /// Output file.
        #[arg(long, short)]
        out: PathBuf,
        /// Parameter values, e.g. --param period=last_week --param timezone=Europe/Berlin.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// Workspace folder; default: the demo workspace.
        #[arg(long)]
        workspace: Option<PathBuf>,
        #[command(flatten)]
        export: ExportFlags,
    },
    /// List the library: built-in, personal and team templates (damaged ones with their error).
    Templates {
        /// Only templates whose name, description or tags contain this.
        #[arg(long)]
        search: Option<String>,
        /// Only templates with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Kept for older scripts; the library no longer depends on the workspace.
        #[arg(long, hide = true)]
        workspace: Option<PathBuf>,
    },
    /// Check, import or export template files, pick the team folder, print the JSON Schema.
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
    /// Run dashboards: several reports with shared parameters.
    Dashboard {
        #[command(subcommand)]
        command: DashboardCommand,
    },
    /// Show a workspace's connections, record counts and last sync.
    Status {
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Serve the app's screens to a web browser on 127.0.0.1, backed by a workspace (the
    /// demo by default): to try the report builder without the desktop app.
    ServeApp {
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// The built app (`npm run build` in ui/ writes it to ui/dist).
        #[arg(long, default_value = "ui/dist")]
        ui: PathBuf,
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Resolve relative periods ("last week") as if it were this instant (RFC 3339).
        #[arg(long, hide = true)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Subcommand)]
enum TemplateCommand {
    /// Read a template file and say what is wrong with it, if anything (exit code 1 if so).
    Check { file: PathBuf },
    /// Copy a template file into the personal shelf (or the team folder with --team).
    Import {
        file: PathBuf,
        #[arg(long)]
        team: bool,
    },
    /// Write a library template (a path, or builtin:<name>) to a file.
    Export { template: String, out: PathBuf },
    /// Show, set (a folder) or clear (--clear) the team folder.
    TeamFolder {
        folder: Option<PathBuf>,
        #[arg(long)]
        clear: bool,
    },
    /// Print the published JSON Schema of report (or, with --dashboard, dashboard) templates.
    Schema {
        #[arg(long)]
        dashboard: bool,
    },
}

#[derive(Subcommand)]
enum DashboardCommand {
    /// Run every report of a dashboard with shared parameters; with --out book.xlsx or
    /// --out dash.pdf, write them to one workbook (a sheet per report) or one PDF.
    Run {
        /// A dashboard template file.
        dashboard: String,
        /// Parameter values shared by every report, e.g. --param period=last_week.
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// An .xlsx or .pdf file; without it, a summary of each report is printed.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Workspace folder; default: the demo workspace.
        #[arg(long)]
        workspace: Option<PathBuf>,
        #[command(flatten)]
        export: ExportFlags,
    },
}

fn parse_params(params: Vec<String>) -> anyhow::Result<BTreeMap<String, String>> {
    let mut p = BTreeMap::new();
    for kv in params {
        let (k, v) = kv.split_once('=').ok_or_else(|| anyhow::anyhow!("--param {kv:?}: write it as name=value"))?;
        p.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(p)
}

/// How the file is written: CSV, XLSX and PNG options. Each applies to its format only, and
/// giving one for another format is an error rather than silently ignored.
#[derive(clap::Args, Debug, Default)]
struct ExportFlags {
    /// CSV: start with a UTF-8 byte order mark so Excel reads accents right (the default).
    #[arg(long, overrides_with = "no_bom")]
    bom: bool,
    /// CSV: no byte order mark (for programs that do not expect one).
    #[arg(long, overrides_with = "bom")]
    no_bom: bool,
    /// CSV: the column separator: ',' (default), ';' or 'tab'.
    #[arg(long, value_name = "CHAR")]
    delimiter: Option<String>,
    /// CSV: the decimal mark: '.' (default) or ',' (needs --delimiter ';' or tab).
    #[arg(long, value_name = "CHAR")]
    decimal: Option<String>,
    /// CSV: dates as this strftime pattern instead of ISO (2026-03-02), e.g. '%d.%m.%Y'.
    #[arg(long, value_name = "PATTERN")]
    date_format: Option<String>,
    /// CSV: date-times as this pattern; default: --date-format followed by ' %H:%M'.
    #[arg(long, value_name = "PATTERN")]
    datetime_format: Option<String>,
    /// XLSX: leave out the block above the table (report name, filters, parameters,
    /// timezone, sync time), so the header is on row 1.
    #[arg(long)]
    no_metadata: bool,
    /// PNG: width in pixels (default 960).
    #[arg(long, value_name = "PIXELS")]
    width: Option<u32>,
    /// PNG: height in pixels (default 480).
    #[arg(long, value_name = "PIXELS")]
    height: Option<u32>,
    /// PNG: dots per inch (default 96; 192 or 300 for print). Text and lines scale with it.
    #[arg(long, value_name = "DPI")]
    dpi: Option<f64>,
}

impl ExportFlags {
    /// The flags given, by the format they belong to.
    fn given(&self) -> Vec<(ExportFormat, &'static str)> {
        let mut v = vec![];
        let csv = [
            (self.bom, "--bom"),
            (self.no_bom, "--no-bom"),
            (self.delimiter.is_some(), "--delimiter"),
            (self.decimal.is_some(), "--decimal"),
            (self.date_format.is_some(), "--date-format"),
            (self.datetime_format.is_some(), "--datetime-format"),
        ];
        v.extend(csv.into_iter().filter(|(on, _)| *on).map(|(_, f)| (ExportFormat::Csv, f)));
        if self.no_metadata {
            v.push((ExportFormat::Xlsx, "--no-metadata"));
        }
        let png = [(self.width.is_some(), "--width"), (self.height.is_some(), "--height"), (self.dpi.is_some(), "--dpi")];
        v.extend(png.into_iter().filter(|(on, _)| *on).map(|(_, f)| (ExportFormat::Png, f)));
        v
    }

    /// The export choices for `format`; a flag meant for another format is refused.
    fn choices(&self, format: ExportFormat) -> anyhow::Result<switchboard_workspace::ExportChoices> {
        if let Some((belongs, flag)) = self.given().into_iter().find(|(f, _)| *f != format) {
            anyhow::bail!(
                "{flag} applies to .{} files only, and this export is .{}: leave it out, or name the output .{}.",
                belongs.extension(),
                format.extension(),
                belongs.extension()
            );
        }
        let defaults = switchboard_workspace::ExportChoices::default();
        Ok(switchboard_workspace::ExportChoices {
            csv: switchboard_workspace::CsvChoices {
                bom: !self.no_bom,
                delimiter: self.delimiter.clone().unwrap_or(defaults.csv.delimiter),
                decimal: self.decimal.clone().unwrap_or(defaults.csv.decimal),
                date_format: self.date_format.clone(),
                datetime_format: self.datetime_format.clone(),
            },
            xlsx_metadata: !self.no_metadata,
            png: switchboard_workspace::PngChoices {
                width: self.width.unwrap_or(defaults.png.width),
                height: self.height.unwrap_or(defaults.png.height),
                dpi: self.dpi.unwrap_or(defaults.png.dpi),
            },
        })
    }
}

/// The format named by `out`'s extension, if `formats` has it.
fn format_of(out: &std::path::Path, formats: &[ExportFormat], what: &str) -> anyhow::Result<ExportFormat> {
    let names: Vec<String> = formats.iter().map(|f| format!(".{}", f.extension())).collect();
    let list = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    };
    match ExportFormat::from_path(&out.to_string_lossy()).filter(|f| formats.contains(f)) {
        Some(f) => Ok(f),
        None => anyhow::bail!("Cannot write {what} to {}: name the file {list}.", out.display()),
    }
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    if let Err(e) = rt.block_on(run(cli)) {
        match e.downcast_ref::<WorkspaceError>() {
            Some(w) => {
                let a: AppError = w.to_app_error();
                eprintln!("error [{}]: {}", a.code.as_str(), a.message);
            }
            None => eprintln!("error: {e:#}"),
        }
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate { seed, start, days, per_day, port, faults, platforms, truth, world: world_file, timezone, sla_seconds } => {
            let platforms = switchboard_sim::Platform::parse_list(&platforms).map_err(|e| anyhow::anyhow!("--platforms: {e}"))?;
            let start = start.unwrap_or_else(|| Workspace::today() - chrono::Duration::days(days as i64));
            let cfg = switchboard_sim::WorldConfig { seed, start, days, conversations_per_day: per_day };
            let world = switchboard_sim::World::generate(&cfg);
            if let Some(path) = world_file {
                let dump = serde_json::json!({
                    "conversations": world.conversations(),
                    "agents": world.agents,
                    "teams": world.teams,
                    "inboxes": world.inboxes,
                });
                std::fs::write(&path, serde_json::to_string(&dump)?).with_context(|| format!("writing {}", path.display()))?;
                println!("Wrote {} to {}", switchboard_sim::world_summary(&world), path.display());
                return Ok(());
            }
            if let Some(path) = truth {
                let tz: chrono_tz::Tz = timezone.parse().map_err(|_| anyhow::anyhow!("{timezone:?} is not an IANA timezone"))?;
                let t = switchboard_sim::truth(&world, tz, sla_seconds);
                std::fs::write(&path, serde_json::to_string_pretty(&t)?).with_context(|| format!("writing {}", path.display()))?;
                println!("Wrote the true KPIs of {} to {}", switchboard_sim::world_summary(&world), path.display());
                return Ok(());
            }
            let faults = match faults {
                Some(f) => switchboard_sim::FaultPlan::parse(&f).map_err(|e| anyhow::anyhow!("--faults: {e}"))?,
                None => Default::default(),
            };
            let summary = switchboard_sim::world_summary(&world);
            let sim = switchboard_sim::serve(
                Arc::new(world),
                switchboard_sim::ServeOptions {
                    port,
                    api_key: switchboard_sim::DEMO_API_KEY.into(),
                    agent_key: switchboard_sim::DEMO_AGENT_KEY.into(),
                    faults,
                    now_ms: None,
                    platforms: platforms.clone(),
                },
            )
            .await
            .context("starting the simulator")?;
            use switchboard_sim::Platform;
            let (base, admin, agent) = (sim.base_url.as_str(), switchboard_sim::DEMO_API_KEY, switchboard_sim::DEMO_AGENT_KEY);
            if platforms.contains(&Platform::LiveAgentOdata) {
                // These three lines first: scripts and tests read them.
                println!("Cognigy Live Agent OData: {}", sim.odata_url);
                println!("Access token (administrator): {admin}");
                println!("Access token (agent, not allowed): {agent}");
                for version in ["v1.0", "v1.1", "v2.0"] {
                    println!("Cognigy Live Agent OData {version}: {base}{version}/odata/ (apikey={admin} or Authorization: Bearer {admin})");
                }
            }
            use switchboard_sim::{agentbot, koopid, liveperson};
            if platforms.contains(&Platform::LiveAgentRest) {
                println!("Cognigy Live Agent REST: {base}api/v1/accounts/1/");
                println!("  header api_access_token: {admin} (administrator); {agent} is an agent without access to reports");
            }
            if platforms.contains(&Platform::Agentbot) {
                println!("agentbot Live analytics: {base}");
                println!(
                    "  log in: POST {base}{} with {{\"email\":\"{}\",\"password\":\"{admin}\"}} (user {} with password {agent} lacks the Reports permission); then headers Authorization: <the Bearer token> and X-Token: {admin}",
                    agentbot::LOGIN_PATH.trim_start_matches('/'),
                    agentbot::DEMO_USER,
                    agentbot::DEMO_AGENT_USER,
                );
            }
            if platforms.contains(&Platform::LivePerson) {
                println!("LivePerson CSDS: {base}api/account/{}/service/baseURI.json?version=1.0", liveperson::ACCOUNT_ID);
                println!(
                    "  OAuth 1.0a: consumer key {}, consumer secret {admin}, token {}, token secret {admin}; or Authorization: Bearer {admin}; or OAuth 2.0 client {} with secret {admin}",
                    liveperson::OAUTH_CONSUMER_KEY,
                    liveperson::OAUTH_TOKEN,
                    liveperson::OAUTH2_CLIENT_ID,
                );
            }
            if platforms.contains(&Platform::Koopid) {
                println!("Koopid Dashboard: {base}Dashboard/");
                println!("  query apiKey={admin}&providerId={} ({agent} is a role without Dashboard access)", koopid::PROVIDER_ID);
            }
            println!("Serving {summary}. Press Ctrl-C to stop.");
            use std::io::Write;
            std::io::stdout().flush().ok();
            tokio::signal::ctrl_c().await.ok();
            sim.shutdown().await;
            Ok(())
        }
        Command::Connect { workspace, platform, name, settings, secret_env, test } => {
            let mut ws = Workspace::open(&workspace)?;
            let form = switchboard_sources::platform_form(&platform).ok_or_else(|| {
                anyhow::anyhow!("{platform:?} is not a kind of connection; `switchboard platforms` lists them.")
            })?;
            let mut values = BTreeMap::new();
            for kv in settings {
                let (k, v) = kv.split_once('=').ok_or_else(|| anyhow::anyhow!("--set {kv:?}: write it as field=value"))?;
                let k = k.trim();
                if form.fields.iter().any(|f| f.name == k && f.kind == FieldKind::Secret) {
                    anyhow::bail!("{k} is a secret: give it with --secret-env {k}=VARIABLE or type it when asked, never on the command line.");
                }
                values.insert(k.to_string(), v.trim().to_string());
            }
            let envs: BTreeMap<String, String> = secret_env
                .iter()
                .map(|kv| kv.split_once('=').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())))
                .collect::<Option<_>>()
                .ok_or_else(|| anyhow::anyhow!("--secret-env: write it as field=VARIABLE"))?;
            let existing = ws.config().connections.iter().find(|c| c.name == name).map(|c| c.id.clone());
            for f in form.fields.iter().filter(|f| f.kind == FieldKind::Secret) {
                let value = match envs.get(&f.name) {
                    Some(var) => std::env::var(var).map_err(|_| anyhow::anyhow!("The environment variable {var} (for {}) is not set.", f.label))?,
                    None if f.required && existing.is_none() => read_secret(&f.label, &f.help)?,
                    None => continue,
                };
                values.insert(f.name.clone(), value);
            }
            let draft = ConnectionDraft { id: existing.unwrap_or_default(), name, platform, values };
            let keychain = Keychain::new();
            if test {
                let verdict = ws.test_connection(&draft, &keychain).await;
                if !verdict.ok {
                    anyhow::bail!("Not saved: {}", verdict.message);
                }
                println!("{}", verdict.message);
            }
            let status = ws.save_connection(&draft, &keychain)?;
            println!("Saved connection {:?} ({}); its secrets are in the keychain. Sync it with: switchboard sync --workspace {} --connection {}", status.name, status.id, workspace.display(), status.id);
            Ok(())
        }
        Command::Platforms => {
            for f in switchboard_sources::platform_forms() {
                println!("{} — {}\n  {}", f.platform, f.label, f.help);
                for field in f.fields {
                    let kind = if field.kind == FieldKind::Secret { " (secret)" } else { "" };
                    let req = if field.required { "" } else { ", optional" };
                    println!("    {}{}{}: {} — {}", field.name, kind, req, field.label, field.help);
                }
            }
            Ok(())
        }
        Command::Test { workspace, connection } => {
            let ws = Workspace::open(&workspace)?;
            let keychain = Keychain::new();
            let mut failed = false;
            for c in ws.config().connections.iter().filter(|c| connection.as_ref().is_none_or(|id| &c.id == id)) {
                let draft = ws.connection_draft(&c.id)?;
                let verdict = ws.test_connection(&draft, &keychain).await;
                println!("{}: {}", c.id, verdict.message);
                failed |= !verdict.ok;
            }
            if failed {
                anyhow::bail!("A connection did not work; see above.");
            }
            Ok(())
        }
        Command::Sync { workspace, connection, url, id, token_env, every } => {
            if url.is_some() && workspace.is_none() {
                anyhow::bail!(
                    "The demo workspace shows simulated data only: choose a folder for your own workspace with --workspace (for example --workspace ./acme)."
                );
            }
            let mut ws = open_workspace(workspace.as_ref(), url.is_none()).await?;
            // --url: a token for this run only, held in memory and never written.
            let once = MemorySecrets::default();
            let keychain = Keychain::new();
            let mut store: &dyn SecretStore = &keychain;
            let mut only = connection.clone();
            if let Some(url) = url {
                let token = std::env::var(&token_env).map_err(|_| {
                    anyhow::anyhow!("Set the environment variable {token_env} to the Live Agent access token (Profile Settings → Access Token).")
                })?;
                let mut values = BTreeMap::new();
                values.insert("base_url".to_string(), url);
                values.insert("token".to_string(), token);
                let exists = ws.config().connections.iter().any(|c| c.id == id);
                let draft = ConnectionDraft { id: if exists { id.clone() } else { String::new() }, name: id.clone(), platform: "cognigy_odata".into(), values };
                let status = ws.save_connection(&draft, &once)?;
                store = &once;
                only = Some(status.id);
            }
            loop {
                if ws.is_demo() && ws.config().connections.iter().all(|c| c.id == switchboard_workspace::DEMO_CONNECTION) {
                    sync_demo(&ws).await?;
                } else {
                    let ids: Vec<String> =
                        ws.config().connections.iter().filter(|c| only.as_ref().is_none_or(|o| &c.id == o)).map(|c| c.id.clone()).collect();
                    if ids.is_empty() {
                        anyhow::bail!("This workspace has no connection to sync. Add one with `switchboard connect`.");
                    }
                    for cid in ids {
                        let bar = progress_bar();
                        let cancel = Arc::new(AtomicBool::new(false));
                        let stop = cancel.clone();
                        let ctrl_c = tokio::spawn(async move {
                            if tokio::signal::ctrl_c().await.is_ok() {
                                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                            }
                        });
                        let report = ws.sync_connection(&cid, store, cancel, &mut |p: &SyncProgress| show_progress(&bar, p)).await;
                        ctrl_c.abort();
                        bar.finish_and_clear();
                        let report = report?;
                        println!("{cid}: {}", report.summary());
                    }
                }
                print_status(&ws);
                let Some(minutes) = every else { break };
                eprintln!("Next sync in {minutes} min (Ctrl-C to stop).");
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(minutes as u64 * 60)) => {}
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            Ok(())
        }
        Command::Run { template, out, params, workspace, export } => {
            // Flags and options are checked before the workspace opens or the report runs.
            let format = format_of(&out, &switchboard_workspace::REPORT_FORMATS, "a report")?;
            let t = switchboard_workspace::load_template(&template)?;
            let p = parse_params(params)?;
            let options = export.choices(format)?.to_options(format, &p)?;
            let ws = open_workspace(workspace.as_ref(), true).await?;
            let run = ws.run_template(&t, &p, chrono::Utc::now())?;
            ws.export_with(&run, &out, format, &options)?;
            println!("{}: {} rows → {}", t.name, run.output.frame.height(), out.display());
            Ok(())
        }
        Command::ServeApp { workspace, ui, port, now } => {
            let ws = open_workspace(workspace.as_ref(), true).await?;
            serve_app::serve(ws, ui, port, now).await
        }
        Command::Templates { search, tag, workspace: _ } => {
            let library = Library::at_home(&Workspace::default_home());
            for t in library.search(search.as_deref().unwrap_or(""), tag.as_deref()) {
                let shelf = match t.shelf {
                    Shelf::BuiltIn => "built-in",
                    Shelf::Personal => "personal",
                    Shelf::Team => "team",
                };
                match &t.error {
                    None => {
                        let tags = if t.tags.is_empty() { String::new() } else { format!(" [{}]", t.tags.join(", ")) };
                        let params: Vec<String> = t.parameter_details.iter().map(|p| format!("{}={}", p.name, p.default)).collect();
                        println!("{:<58} {} ({shelf} {}){tags}\n{:<58} {}", t.path, t.name, t.kind, "", t.description);
                        if !params.is_empty() {
                            println!("{:<58} parameters: {}", "", params.join(" "));
                        }
                    }
                    Some(e) => println!("{:<58} DAMAGED ({shelf}): {e}", t.path),
                }
            }
            Ok(())
        }
        Command::Template { command } => {
            let home = Workspace::default_home();
            let mut library = Library::at_home(&home);
            match command {
                TemplateCommand::Check { file } => {
                    let opened = switchboard_workspace::load_any(&file.to_string_lossy())?;
                    println!("{}: a valid {} template, {:?}", file.display(), match opened { AnyTemplate::Report(_) => "report", AnyTemplate::Dashboard(_) => "dashboard" }, opened.name());
                }
                TemplateCommand::Import { file, team } => {
                    let path = library.import(&file, if team { Shelf::Team } else { Shelf::Personal })?;
                    println!("Imported {} as {path}", file.display());
                }
                TemplateCommand::Export { template, out } => {
                    library.export(&template, &out)?;
                    println!("Wrote {}", out.display());
                }
                TemplateCommand::TeamFolder { folder, clear } => {
                    if clear || folder.is_some() {
                        library.set_team_folder(&home, if clear { None } else { folder })?;
                    }
                    let f = library.folders();
                    println!("personal: {}\nteam:     {}", f.personal, f.team.as_deref().unwrap_or("(none chosen)"));
                }
                TemplateCommand::Schema { dashboard } => {
                    let schema = if dashboard { template::dashboard_schema() } else { template::report_schema() };
                    println!("{}", serde_json::to_string_pretty(&schema)?);
                }
            }
            Ok(())
        }
        Command::Dashboard { command: DashboardCommand::Run { dashboard, params, out, workspace, export } } => {
            let d = switchboard_workspace::load_dashboard(&dashboard)?;
            let p = parse_params(params)?;
            let target = match &out {
                Some(out) => {
                    let format = format_of(out, &switchboard_workspace::DASHBOARD_FORMATS, "a dashboard")?;
                    Some((out, format, export.choices(format)?.to_options(format, &p)?))
                }
                None if !export.given().is_empty() => anyhow::bail!("{} needs a file to write: add --out dash.xlsx or --out dash.pdf.", export.given()[0].1),
                None => None,
            };
            let ws = open_workspace(workspace.as_ref(), true).await?;
            let run = ws.run_dashboard(&d, &p, chrono::Utc::now())?;
            for (id, r) in &run.tiles {
                match r {
                    Ok(r) => println!("{id}: {}: {} rows", r.template.name, r.output.frame.height()),
                    Err(e) => println!("{id}: could not run: {e}"),
                }
            }
            if let Some((out, format, options)) = target {
                ws.export_dashboard_with(&run, out, format, &options)?;
                println!("{} → {}", d.name, out.display());
            }
            Ok(())
        }
        Command::Status { workspace } => {
            let ws = open_workspace(workspace.as_ref(), false).await?;
            print_status(&ws);
            Ok(())
        }
    }
}

/// Opens the chosen workspace, or the demo (syncing it first when `sync_demo_if_new`).
async fn open_workspace(dir: Option<&PathBuf>, sync_demo_if_new: bool) -> anyhow::Result<Workspace> {
    match dir {
        Some(d) => Ok(Workspace::open(d)?),
        None => {
            let ws = Workspace::open_demo(&Workspace::demo_dir(), Workspace::today())?;
            if sync_demo_if_new && !ws.demo_synced() {
                eprintln!("Setting up the demo workspace in {} …", ws.dir().display());
                sync_demo(&ws).await?;
            }
            Ok(ws)
        }
    }
}

async fn sync_demo(ws: &Workspace) -> anyhow::Result<()> {
    let bar = progress_bar();
    let report = ws.sync_demo(Arc::new(AtomicBool::new(false)), &mut |p: &SyncProgress| show_progress(&bar, p)).await;
    bar.finish_and_clear();
    let report = report?;
    eprintln!("Demo synced: {}", report.summary());
    Ok(())
}

/// Asks for a secret on the terminal (standard input), one line.
fn read_secret(label: &str, help: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, Write};
    eprintln!("{help}");
    eprint!("{label}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let v = line.trim().to_string();
    if v.is_empty() {
        anyhow::bail!("No {label} given; nothing was saved.");
    }
    Ok(v)
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} collections · {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn show_progress(bar: &ProgressBar, p: &SyncProgress) {
    bar.set_length(p.collections_total.max(1) as u64);
    bar.set_position(p.collections_done as u64);
    let secs = p.elapsed_ms as f64 / 1000.0;
    let rate = if secs > 0.5 { p.records as f64 / secs } else { 0.0 };
    let mut msg = format!("{} · {} records, {} pages", p.collection, p.records, p.pages);
    if rate > 0.0 {
        msg.push_str(&format!(", {:.0}/s", rate));
        if let Some(total) = p.records_expected.filter(|t| *t > p.records) {
            msg.push_str(&format!(", about {:.0} s left", (total - p.records) as f64 / rate));
        }
    }
    bar.set_message(msg);
}

fn print_status(ws: &Workspace) {
    let s = ws.status();
    println!("Workspace: {} ({})", s.name, ws.dir().display());
    for c in s.connections {
        let when = c
            .last_sync_ms
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|| "never".into());
        println!(
            "  {} [{}] {} — {} records ({} conversations, {} messages), last sync {}",
            c.id, c.platform, c.url, c.records, c.conversations, c.messages, when
        );
        if c.rejected > 0 {
            println!("    {} records could not be read and were set aside", c.rejected);
        }
        if let Some(e) = c.last_error {
            println!("    last error: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    //! The `run` and `dashboard run` commands end to end on a synced demo workspace, each
    //! file opened with an independent reader; and the flag checks, which need no data.
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("switchboard").chain(args.iter().copied())).unwrap()
    }

    fn error_of(args: &[&str]) -> String {
        let rt = tokio::runtime::Runtime::new().unwrap();
        format!("{:#}", rt.block_on(run(cli(args))).unwrap_err())
    }

    #[test]
    fn a_flag_for_another_format_or_an_unknown_extension_is_refused_before_anything_runs() {
        // No workspace is opened for these: the error comes first (the folder stays empty).
        let ws = tempfile::tempdir().unwrap();
        let w = ws.path().to_str().unwrap();
        let e = error_of(&["run", "builtin:median-first-response-by-agent.json", "--out", "x.docx", "--workspace", w]);
        assert!(e.contains("name the file .xlsx, .csv, .pdf, .png or .svg"), "{e}");
        let e = error_of(&["run", "builtin:median-first-response-by-agent.json", "--out", "x.pdf", "--width", "800", "--workspace", w]);
        assert!(e.contains("--width applies to .png files only, and this export is .pdf"), "{e}");
        let e = error_of(&["run", "builtin:median-first-response-by-agent.json", "--out", "x.xlsx", "--delimiter", ";", "--workspace", w]);
        assert!(e.contains("--delimiter applies to .csv files only"), "{e}");
        let e = error_of(&["run", "builtin:median-first-response-by-agent.json", "--out", "x.png", "--no-metadata", "--workspace", w]);
        assert!(e.contains("--no-metadata applies to .xlsx files only"), "{e}");
        let e = error_of(&["run", "builtin:median-first-response-by-agent.json", "--out", "x.csv", "--decimal", ",", "--workspace", w]);
        assert!(e.contains("semicolon or a tab"), "{e}");
        assert_eq!(std::fs::read_dir(ws.path()).unwrap().count(), 0, "nothing opened or written");
    }

    #[test]
    fn reports_go_to_pdf_and_sized_png_and_dashboards_to_pdf_and_xlsx() {
        let dir = tempfile::tempdir().unwrap();
        let ws_dir = dir.path().join("ws");
        let rt = tokio::runtime::Runtime::new().unwrap();
        {
            let ws = Workspace::open_demo(&ws_dir, Workspace::today()).unwrap();
            rt.block_on(ws.sync_demo(Arc::new(AtomicBool::new(false)), &mut |_| {})).unwrap();
        }
        let w = ws_dir.to_str().unwrap();
        let out = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let report = "builtin:median-first-response-by-agent.json";
        let period = "period=last_30_days";

        let png = out("chart.png");
        rt.block_on(run(cli(&["run", report, "--param", period, "--out", &png, "--width", "1600", "--height", "900", "--dpi", "300", "--workspace", w]))).unwrap();
        let reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap())).read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (1600, 900));
        assert_eq!(reader.info().pixel_dims.unwrap().xppu, 11811, "300 DPI is 11,811 pixels per metre");

        let pdf = out("report.pdf");
        rt.block_on(run(cli(&["run", report, "--param", period, "--out", &pdf, "--workspace", w]))).unwrap();
        let doc = lopdf::Document::load(&pdf).unwrap();
        assert_eq!(doc.get_pages().len(), 2, "the chart page and the table page");
        let info = doc.get_object(doc.trailer.get(b"Info").unwrap().as_reference().unwrap()).unwrap().as_dict().unwrap();
        let title = String::from_utf8_lossy(info.get(b"Title").unwrap().as_str().unwrap()).into_owned();
        assert!(title.contains("Median first response time by agent"), "the PDF is titled after the report: {title:?}");

        let svg = out("chart.svg");
        rt.block_on(run(cli(&["run", report, "--param", period, "--out", &svg, "--workspace", w]))).unwrap();
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));

        // A dashboard of two built-in reports, written as a PDF and as a workbook.
        let tile = |i: u32, path: &str| {
            let t = switchboard_workspace::load_template(path).unwrap();
            template::DashboardTile { id: format!("t{i}"), title: t.name.clone(), layout: template::TileLayout { x: 0, y: i * 4, w: 12, h: 4 }, spec: t.spec, from: None }
        };
        let dashboard = template::DashboardTemplate {
            switchboard: "dashboard".into(),
            version: 2,
            id: "monday".into(),
            name: "Monday".into(),
            columns: 12,
            parameters: vec![template::Parameter { name: "period".into(), kind: template::ParameterType::Period, default: "last_7_days".into(), ..Default::default() }, template::Parameter { name: "inbox".into(), kind: template::ParameterType::Inbox, ..Default::default() }],
            tiles: vec![tile(0, report), tile(1, "builtin:conversations-per-day-by-inbox.json")],
            ..Default::default()
        };
        let d = out("monday.json");
        std::fs::write(&d, serde_json::to_string(&dashboard).unwrap()).unwrap();
        let dash_pdf = out("dash.pdf");
        rt.block_on(run(cli(&["dashboard", "run", &d, "--param", period, "--out", &dash_pdf, "--workspace", w]))).unwrap();
        assert!(lopdf::Document::load(&dash_pdf).unwrap().get_pages().len() >= 3, "two reports, each from a new page");
        let book = out("dash.xlsx");
        rt.block_on(run(cli(&["dashboard", "run", &d, "--param", period, "--out", &book, "--no-metadata", "--workspace", w]))).unwrap();
        use calamine::Reader;
        let mut xlsx: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
        let first = xlsx.sheet_names()[0].clone();
        assert!(first.starts_with("Median first response"), "{first}");
        assert_eq!(xlsx.worksheet_range(&first).unwrap().get_value((0, 0)).unwrap().to_string(), "Agent", "--no-metadata: the header on row 1");

        let e = error_of(&["dashboard", "run", &d, "--out", &out("dash.csv"), "--workspace", w]);
        assert!(e.contains("Cannot write a dashboard") && e.contains("name the file .xlsx or .pdf"), "{e}");
        let e = error_of(&["dashboard", "run", &d, "--out", &out("dash.pdf"), "--width", "10", "--workspace", w]);
        assert!(e.contains("--width applies to .png files only"), "{e}");
    }
}
