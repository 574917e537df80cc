//! A sync killed at any moment (`kill -9`, no chance to clean up) resumes on the next run and
//! the cache ends with every record exactly once — for every platform, through the real CLI,
//! with the secrets in a keychain that belongs to the test.
//!
//! For each platform: an uninterrupted sync gives the reference counts; a second workspace's
//! sync is killed halfway through (by the time the first one took), must have stored only part
//! of the data, and its next sync must end with exactly the reference counts.

mod common;

use common::{ok, run, PrivateKeyring, Sim};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// (records, conversations) from `switchboard status`.
fn counts(home: &Path, keyring: &PrivateKeyring, ws: &Path) -> (u64, u64) {
    let text = ok(&run(home, keyring, &["status", "--workspace", ws.to_str().unwrap()], &[]));
    let line = text.lines().find(|l| l.contains(" records (")).unwrap_or_else(|| panic!("no counts in {text}"));
    let after = line.split(" — ").nth(1).unwrap();
    let records: u64 = after.split_whitespace().next().unwrap().parse().unwrap();
    let conversations: u64 = after.split('(').nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    (records, conversations)
}

struct Platform {
    name: &'static str,
    settings: Vec<String>,
    secrets: Vec<(&'static str, String)>,
}

fn platforms(sim: &Sim) -> Vec<Platform> {
    let base = sim.url.trim_end_matches("v1.1/odata/").to_string();
    let key = sim.token.clone();
    vec![
        Platform { name: "cognigy_odata", settings: vec![format!("base_url={}", sim.url)], secrets: vec![("token", key.clone())] },
        Platform { name: "cognigy_rest", settings: vec![format!("base_url={base}"), "account_id=1".into()], secrets: vec![("token", key.clone())] },
        Platform {
            name: "agentbot",
            settings: vec![format!("base_url={base}"), format!("auth_url={base}aivo-api"), "history_days=5".into()],
            secrets: vec![("user", switchboard_sim::agentbot::DEMO_USER.into()), ("password", key.clone()), ("x_token", key.clone())],
        },
        Platform {
            name: "liveperson",
            settings: vec!["account_id=1".into(), "auth=oauth1".into(), format!("csds_url={base}"), "history_days=5".into()],
            secrets: vec![
                ("app_key", switchboard_sim::liveperson::OAUTH_CONSUMER_KEY.into()),
                ("app_secret", key.clone()),
                ("access_token", switchboard_sim::liveperson::OAUTH_TOKEN.into()),
                ("access_token_secret", key.clone()),
            ],
        },
        Platform {
            name: "koopid",
            settings: vec![format!("base_url={base}"), format!("provider_id={}", switchboard_sim::koopid::PROVIDER_ID), "history_days=5".into()],
            secrets: vec![("api_key", key.clone())],
        },
    ]
}

fn connect(home: &Path, keyring: &PrivateKeyring, ws: &Path, p: &Platform) {
    let mut args: Vec<String> = vec!["connect".into(), "--workspace".into(), ws.to_string_lossy().into(), "--platform".into(), p.name.into(), "--name".into(), p.name.into()];
    for s in &p.settings {
        args.push("--set".into());
        args.push(s.clone());
    }
    let mut envs = Vec::new();
    for (field, value) in &p.secrets {
        let var = format!("SECRET_{}", field.to_uppercase());
        args.push("--secret-env".into());
        args.push(format!("{field}={var}"));
        envs.push((var, value.clone()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    ok(&run(home, keyring, &args, &envs));
}

fn sync_command(home: &Path, keyring: &PrivateKeyring, ws: &Path) -> Command {
    let mut cmd = Command::new(common::bin());
    cmd.args(["sync", "--workspace", ws.to_str().unwrap()]).env("SWITCHBOARD_HOME", home).envs(keyring.envs()).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

#[test]
fn every_platform_resumes_after_a_kill_9_with_every_record_once() {
    let keyring = PrivateKeyring::start();
    let home = tempfile::tempdir().unwrap();
    let start = (chrono::Utc::now().date_naive() - chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    // Slow answers stretch each sync over a few seconds, so that the kill lands mid-sync.
    let world = ["--seed", "8", "--start", &start, "--days", "3", "--per-day", "40"];
    let sim = Sim::start(&world, Some("slow:ms=40"));
    // The same world behind every transient fault at once: 429s with Retry-After, bursts of
    // 502/503/500 and schema drift in the conversation records.
    let faulty = Sim::start(
        &world,
        Some("rate-limit:every=9,retry-after=1; server-error:every=13,status=502|503|500,burst=2; drift:Conversation"),
    );
    for (p, on_faults) in platforms(&sim).into_iter().zip(platforms(&faulty)) {
        let reference = home.path().join(format!("{}-reference", p.name));
        connect(home.path(), &keyring, &reference, &p);
        let t = Instant::now();
        let status = sync_command(home.path(), &keyring, &reference).status().unwrap();
        let took = t.elapsed();
        assert!(status.success(), "{}: the reference sync failed", p.name);
        let (want_records, want_conversations) = counts(home.path(), &keyring, &reference);
        assert!(want_conversations > 80, "{}: {want_conversations} conversations", p.name);

        let killed = home.path().join(format!("{}-killed", p.name));
        connect(home.path(), &keyring, &killed, &p);
        let mut child = sync_command(home.path(), &keyring, &killed).spawn().unwrap();
        std::thread::sleep(took / 2);
        // SIGKILL: the process gets no chance to finish a page or close the database.
        child.kill().unwrap();
        child.wait().unwrap();
        let (partial, _) = counts(home.path(), &keyring, &killed);
        assert!(partial < want_records, "{}: the kill landed after the sync had finished ({partial} of {want_records} records, {took:?})", p.name);

        let resumed = sync_command(home.path(), &keyring, &killed).status().unwrap();
        assert!(resumed.success(), "{}: the sync after the kill failed", p.name);
        assert_eq!(counts(home.path(), &keyring, &killed), (want_records, want_conversations), "{}: after kill -9 and a resume", p.name);
        eprintln!("{}: killed after {:?} with {partial} of {want_records} records; resumed to all of them", p.name, took / 2);

        let under_faults = home.path().join(format!("{}-faults", p.name));
        connect(home.path(), &keyring, &under_faults, &on_faults);
        let out = sync_command(home.path(), &keyring, &under_faults).stderr(Stdio::piped()).output().unwrap();
        assert!(out.status.success(), "{}: the sync under faults failed: {}", p.name, String::from_utf8_lossy(&out.stderr));
        assert_eq!(counts(home.path(), &keyring, &under_faults), (want_records, want_conversations), "{}: under every transient fault", p.name);
    }
}
