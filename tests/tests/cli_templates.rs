//! Templates and dashboards through the `switchboard` binary: checking a damaged file, the
//! team folder, importing an old-format file, listing by tag, and running a dashboard with
//! shared `--param`s whose reports give the same numbers as run alone.

mod common;

use common::*;

#[test]
fn damaged_files_are_explained_and_the_library_lists_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let team = h.join("share");
    std::fs::create_dir_all(&team).unwrap();
    let bad = h.join("bad.json");
    std::fs::write(&bad, r#"{"switchboard":"report","version":2,"id":"b","name":"B","spec":{"dataset":"conversations","measures":[{"aggregation":"avg","label":"x"}]}}"#).unwrap();
    let out = switchboard(h, &["template", "check", bad.to_str().unwrap()], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("bad.json") && err.contains("spec.measures[0].aggregation") && err.contains("Use one of"), "{err}");

    let text = ok(&switchboard(h, &["template", "team-folder", team.to_str().unwrap()], &[]));
    assert!(text.contains(team.to_str().unwrap()), "{text}");
    // A version 1 file imports into the team folder in the current format.
    let old = h.join("old.json");
    std::fs::write(&old, r#"{"switchboard":"report","version":1,"id":"o","name":"Old weekly","tags":["monday"],"parameters":{"period":"last_7_days"},"spec":{"dataset":"conversations","measures":[{"aggregation":"count","label":"N"}]}}"#).unwrap();
    ok(&switchboard(h, &["template", "import", old.to_str().unwrap(), "--team"], &[]));
    let imported: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(team.join("old-weekly.json")).unwrap()).unwrap();
    assert_eq!(imported["version"], 2);
    std::fs::copy(&bad, team.join("bad.json")).unwrap();
    let list = ok(&switchboard(h, &["templates"], &[]));
    assert!(list.contains("Old weekly (team report) [monday]") && list.contains("parameters: period=last_7_days"), "{list}");
    assert!(list.contains("DAMAGED (team)") && list.contains("Median first response time by agent"), "{list}");
    let tagged = ok(&switchboard(h, &["templates", "--tag", "monday"], &[]));
    assert!(tagged.contains("Old weekly") && !tagged.contains("Median"), "{tagged}");
    let schema = ok(&switchboard(h, &["template", "schema", "--dashboard"], &[]));
    assert!(schema.contains("dashboard-template.v2.schema.json") && schema.contains("\"tiles\""));
}

#[test]
fn a_dashboard_runs_its_reports_with_shared_parameters() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let sim = Sim::start(&["--seed", "5", "--start", "2026-03-02", "--days", "14", "--per-day", "30"], None);
    let ws = h.join("acme");
    let ws = ws.to_str().unwrap();
    ok(&switchboard(h, &["sync", "--workspace", ws, "--url", &sim.url], &[("SWITCHBOARD_TOKEN", &sim.token)]));
    let median: serde_json::Value =
        serde_json::from_str(switchboard_workspace::builtin_templates().iter().find(|(n, _)| n.starts_with("median")).unwrap().1).unwrap();
    let volume: serde_json::Value =
        serde_json::from_str(switchboard_workspace::builtin_templates().iter().find(|(n, _)| n.starts_with("conversations")).unwrap().1).unwrap();
    let dashboard = serde_json::json!({
        "switchboard": "dashboard", "version": 2, "id": "monday", "name": "Monday",
        "parameters": [{"name": "period", "type": "period", "default": "last_7_days"},
                       {"name": "inbox", "type": "inbox", "default": ""}],
        "tiles": [
            {"id": "speed", "title": "Speed", "layout": {"x": 6, "y": 0, "w": 6, "h": 4}, "spec": median["spec"]},
            {"id": "volume", "title": "Volume", "layout": {"x": 0, "y": 0, "w": 6, "h": 4}, "spec": volume["spec"]}
        ]
    });
    let file = h.join("monday.json");
    std::fs::write(&file, serde_json::to_string_pretty(&dashboard).unwrap()).unwrap();
    let book = h.join("book.xlsx");
    let text = ok(&switchboard(
        h,
        &["dashboard", "run", file.to_str().unwrap(), "--workspace", ws, "--param", "period=all", "--out", book.to_str().unwrap()],
        &[],
    ));
    // Reading order: the left tile first.
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("volume: Volume: ") && lines[1].starts_with("speed: Speed: "), "{text}");
    // Each report gives what it gives alone with the same parameters.
    for (line, template) in [(lines[0], "reports/conversations-per-day-by-inbox.json"), (lines[1], "reports/median-first-response-by-agent.json")] {
        let alone = ok(&switchboard(h, &["run", template, "--workspace", ws, "--param", "period=all", "--out", h.join("x.csv").to_str().unwrap()], &[]));
        let rows = |s: &str| s.split(": ").nth(if s.contains(" → ") { 1 } else { 2 }).unwrap().split(' ').next().unwrap().to_string();
        assert_eq!(rows(line), rows(&alone), "{line} / {alone}");
        assert_ne!(rows(line), "0");
    }
    assert!(h.join("book-volume.xlsx").exists() || book.exists());
    // A parameter the dashboard does not take is refused, not ignored.
    let out = switchboard(h, &["dashboard", "run", file.to_str().unwrap(), "--workspace", ws, "--param", "team=A"], &[]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("it takes: period, inbox"));
}
