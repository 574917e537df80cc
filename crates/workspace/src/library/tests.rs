use super::*;
use std::collections::BTreeMap;

fn library() -> (tempfile::TempDir, Library) {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("team")).unwrap();
    let mut lib = Library::at_home(home.path());
    lib.set_team_folder(home.path(), Some(home.path().join("team"))).unwrap();
    (home, lib)
}

fn report(name: &str) -> AnyTemplate {
    AnyTemplate::Report(
        ReportTemplate::parse(
            &format!(r#"{{"switchboard":"report","version":2,"id":"r","name":"{name}","tags":["speed"],"spec":{{"dataset":"conversations"}}}}"#),
            "r.json",
        )
        .unwrap(),
    )
}

/// The built-in reports (the built-in dashboards are tested on their own).
fn builtin_reports() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    BUILTIN.iter().filter(|(name, text)| file_kind(text, name).unwrap() == "report")
}

fn saved_path(o: SaveOutcome) -> String {
    match o {
        SaveOutcome::Saved { path, .. } => path,
        other => panic!("{other:?}"),
    }
}

#[test]
fn builtins_parse_and_damaged_files_are_listed_with_their_error() {
    let (home, lib) = library();
    std::fs::create_dir_all(home.path().join("templates")).unwrap();
    std::fs::write(home.path().join("templates/broken.json"), "{ not json").unwrap();
    std::fs::write(home.path().join("team/bad-field.json"), r#"{"switchboard":"report","version":2,"id":"b","name":"B","spec":{"dataset":"conversations","measures":[{"aggregation":"average","label":"x"}]}}"#).unwrap();
    lib.create(Shelf::Team, &report("Fine")).unwrap();
    let all = lib.list();
    assert_eq!(all.iter().filter(|t| t.shelf == Shelf::BuiltIn && t.error.is_none()).count(), BUILTIN.len());
    let broken = all.iter().find(|t| t.name == "broken.json").unwrap();
    assert!(broken.error.as_deref().unwrap().contains("not valid JSON"));
    let bad = all.iter().find(|t| t.name == "bad-field.json").unwrap();
    let e = bad.error.as_deref().unwrap();
    assert!(e.contains("bad-field.json") && e.contains("spec.measures[0].aggregation") && e.contains("Use one of"), "{e}");
    assert_eq!(bad.shelf, Shelf::Team);
    assert!(all.iter().any(|t| t.name == "Fine" && t.shelf == Shelf::Team && t.error.is_none()), "the others still show");
    // Opening it gives the same error, not a crash.
    assert!(lib.open(&bad.path).unwrap_err().to_string().contains("spec.measures[0].aggregation"));
}

#[test]
fn two_writers_never_silently_overwrite_each_other() {
    let (_home, lib) = library();
    let path = saved_path(lib.create(Shelf::Team, &report("Weekly SLA")).unwrap());
    // Ana and Ben open the same team file.
    let ana = lib.open(&path).unwrap();
    let ben = lib.open(&path).unwrap();
    let mut ben_t = ben.report.clone().unwrap();
    ben_t.description = "Ben's change".into();
    let saved = lib.save(&path, &AnyTemplate::Report(ben_t), ben.version.as_ref()).unwrap();
    assert!(matches!(saved, SaveOutcome::Saved { .. }));
    // Ana saves second: she is told, and nothing is written.
    let mut ana_t = ana.report.clone().unwrap();
    ana_t.description = "Ana's change".into();
    let ana_t = AnyTemplate::Report(ana_t);
    let outcome = lib.save(&path, &ana_t, ana.version.as_ref()).unwrap();
    let SaveOutcome::Conflict { theirs, message, .. } = outcome else { panic!("{outcome:?}") };
    assert!(message.contains("Keep both"), "{message}");
    assert_eq!(lib.open(&path).unwrap().report.unwrap().description, "Ben's change");
    assert_eq!(Some(&theirs), lib.open(&path).unwrap().version.as_ref());
    // Keep both: hers is a copy beside it, his stays.
    let copy = saved_path(lib.save_copy(&path, &ana_t).unwrap());
    let copy_t = lib.open(&copy).unwrap().report.unwrap();
    assert_eq!((copy_t.name.as_str(), copy_t.description.as_str()), ("Weekly SLA (your copy)", "Ana's change"));
    assert_ne!(copy_t.id, "r");
    assert_eq!(lib.open(&path).unwrap().report.unwrap().description, "Ben's change");
    // Or overwrite, on purpose.
    lib.overwrite(&path, &ana_t).unwrap();
    assert_eq!(lib.open(&path).unwrap().report.unwrap().description, "Ana's change");
    // A save with the current version goes through; a new file over an existing one does not.
    let now = lib.open(&path).unwrap();
    assert!(matches!(lib.save(&path, &ana_t, now.version.as_ref()).unwrap(), SaveOutcome::Saved { .. }));
    assert!(matches!(lib.save(&path, &ana_t, None).unwrap(), SaveOutcome::Conflict { .. }));
}

#[test]
fn a_save_keeps_fields_this_version_does_not_know() {
    let (home, lib) = library();
    let path = home.path().join("team/newer.json");
    std::fs::write(&path, r#"{"switchboard":"report","version":2,"id":"n","name":"N","x-reviewed-by":"Kim",
        "spec":{"dataset":"conversations","measures":[{"aggregation":"count","label":"N","x-style":{"bold":true}}]}}"#).unwrap();
    let path = path.to_string_lossy().into_owned();
    let opened = lib.open(&path).unwrap();
    let mut t = opened.report.unwrap();
    t.name = "Renamed inside".into();
    lib.save(&path, &AnyTemplate::Report(t), opened.version.as_ref()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(v["name"], "Renamed inside");
    assert_eq!(v["x-reviewed-by"], "Kim");
    assert_eq!(v["spec"]["measures"][0]["x-style"]["bold"], true);
    let renamed = lib.rename(&path, "Weekly volume").unwrap();
    assert!(renamed.ends_with("weekly-volume.json") && !Path::new(&path).exists());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&renamed).unwrap()).unwrap();
    assert_eq!((v["name"].as_str(), v["id"].as_str(), v["x-reviewed-by"].as_str()), (Some("Weekly volume"), Some("n"), Some("Kim")));
}

#[test]
fn version_1_files_open_migrated_and_say_so() {
    let (home, lib) = library();
    let path = home.path().join("team/old.json");
    std::fs::write(&path, r#"{"switchboard":"report","version":1,"id":"o","name":"Old","parameters":{"period":"last_7_days"},"spec":{"dataset":"conversations"}}"#).unwrap();
    let path = path.to_string_lossy().into_owned();
    let listed = lib.list().into_iter().find(|t| t.path == path).unwrap();
    assert_eq!(listed.migrated_from, Some(1));
    let opened = lib.open(&path).unwrap();
    assert!(opened.notices[0].contains("older format version 1"), "{:?}", opened.notices);
    lib.save(&path, &AnyTemplate::Report(opened.report.unwrap()), opened.version.as_ref()).unwrap();
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!((v["version"].as_u64(), v["parameters"][0]["type"].as_str()), (Some(2), Some("period")));
}

#[test]
fn duplicate_import_export_delete_search_and_read_only_builtins() {
    let (home, lib) = library();
    let builtin = format!("{BUILTIN_PREFIX}median-first-response-by-agent.json");
    assert!(lib.open(&builtin).unwrap().version.is_none());
    assert!(lib.save(&builtin, &report("x"), None).unwrap_err().to_string().contains("read-only"));
    assert!(lib.delete(&builtin).is_err());
    let copy = lib.duplicate(&builtin, Shelf::Personal).unwrap();
    assert_eq!(lib.shelf_of(&copy).unwrap(), Shelf::Personal);
    assert_eq!(lib.open(&copy).unwrap().report.unwrap().name, "Median first response time by agent (copy)");
    // Export, then import into the team folder.
    let out = home.path().join("sent.json");
    lib.export(&copy, &out).unwrap();
    let imported = lib.import(&out, Shelf::Team).unwrap();
    assert_eq!(lib.shelf_of(&imported).unwrap(), Shelf::Team);
    std::fs::write(home.path().join("junk.json"), "[1,2").unwrap();
    assert!(lib.import(&home.path().join("junk.json"), Shelf::Team).unwrap_err().to_string().contains("junk.json"));
    // Search: name, description, tags; and by tag.
    let names = |v: Vec<TemplateSummary>| v.into_iter().map(|t| t.name).collect::<Vec<_>>();
    assert_eq!(names(lib.search("MEDIAN", None)).len(), 3, "the built-in, the copy and the import");
    assert!(names(lib.search("local day", None)).contains(&"Conversations per day by inbox".to_string()), "by description");
    let by_tag = names(lib.search("", Some("agents")));
    assert!(by_tag.len() == 3 && by_tag.iter().all(|n| n.contains("Median")), "{by_tag:?}");
    lib.delete(&copy).unwrap();
    assert!(!Path::new(&copy).exists());
    // Nothing outside the library can be written or deleted through it.
    assert!(lib.delete(&out.to_string_lossy()).unwrap_err().to_string().contains("not in the library"));
    // The team folder is remembered in the home.
    assert_eq!(Library::at_home(home.path()).folders().team, lib.folders().team);
}

#[test]
fn the_watcher_reports_a_file_appearing_changing_and_disappearing() {
    let (home, lib) = library();
    let (tx, rx) = std::sync::mpsc::channel();
    let _w = crate::watch(&lib.watched_folders(), move |changed| {
        let _ = tx.send(changed);
    })
    .unwrap();
    let wait = |what: &str| {
        let got = rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap_or_else(|_| panic!("no event for {what}"));
        assert!(got.iter().any(|p| p.ends_with("colleague.json")), "{what}: {got:?}");
    };
    let file = home.path().join("team/colleague.json");
    std::fs::write(&file, "{}").unwrap();
    wait("a new file");
    std::fs::write(&file, "{\"a\":1}").unwrap();
    wait("a change");
    std::fs::remove_file(&file).unwrap();
    wait("a deletion");
}

/// Save → open → run gives the same result for every built-in report, and a dashboard of
/// them runs each with the shared parameters.
#[test]
fn built_in_reports_round_trip_and_run_as_a_dashboard() {
    let ws_dir = tempfile::tempdir().unwrap();
    let ws = crate::Workspace::open_demo(ws_dir.path(), chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(ws.sync_demo(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)), &mut |_| {})).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let (_home, lib) = library();
    let mut params = BTreeMap::new();
    params.insert("period".to_string(), "last_30_days".to_string());
    let mut tiles = vec![];
    for (i, (name, _)) in builtin_reports().enumerate() {
        let original = load_template(&format!("{BUILTIN_PREFIX}{name}")).unwrap();
        let before = ws.run_template(&original, &params, now).unwrap().to_ipc(10_000);
        assert!(!before.rows.is_empty(), "{name} has rows to compare");
        let path = saved_path(lib.create(Shelf::Personal, &AnyTemplate::Report(original.clone())).unwrap());
        let reopened = lib.open(&path).unwrap().report.unwrap();
        assert_eq!(reopened, original, "{name}");
        let after = ws.run_template(&reopened, &params, now).unwrap().to_ipc(10_000);
        assert_eq!(after, before, "{name}");
        tiles.push(switchboard_model::template::DashboardTile {
            id: format!("t{i}"),
            title: original.name.clone(),
            layout: switchboard_model::template::TileLayout { x: (i as u32 % 2) * 6, y: i as u32 / 2 * 4, w: 6, h: 4 },
            spec: original.spec.clone(),
            from: Some(original.id.clone()),
        });
    }
    let dashboard = DashboardTemplate {
        switchboard: "dashboard".into(),
        version: 2,
        id: "monday".into(),
        name: "Monday".into(),
        columns: 12,
        parameters: vec![
            switchboard_model::template::Parameter {
                name: "period".into(),
                kind: switchboard_model::template::ParameterType::Period,
                default: "last_7_days".into(),
                ..Default::default()
            },
            // The median report filters on "$inbox": the dashboard shares that parameter.
            switchboard_model::template::Parameter { name: "inbox".into(), kind: switchboard_model::template::ParameterType::Inbox, ..Default::default() },
        ],
        tiles,
        ..Default::default()
    };
    let path = saved_path(lib.create(Shelf::Team, &AnyTemplate::Dashboard(dashboard.clone())).unwrap());
    let reopened = load_dashboard(&path).unwrap();
    assert_eq!(reopened, dashboard);
    let run = ws.run_dashboard(&reopened, &params, now).unwrap().to_ipc(10_000);
    assert_eq!(run.tiles.len(), builtin_reports().count());
    for (tile, (name, _)) in run.tiles.iter().zip(builtin_reports()) {
        let alone = ws.run_template(&load_template(&format!("{BUILTIN_PREFIX}{name}")).unwrap(), &params, now).unwrap().to_ipc(10_000);
        assert_eq!(tile.result.as_ref().unwrap().rows, alone.rows, "{name}");
    }
    let mut wrong = params.clone();
    wrong.insert("team".into(), "A".into());
    assert!(ws.run_dashboard(&reopened, &wrong, now).is_err(), "an unknown shared parameter is refused");
    // The whole dashboard goes to one workbook, one sheet per report (and the chart data each reads).
    let out = ws_dir.path().join("book.xlsx");
    ws.export_dashboard_xlsx(&ws.run_dashboard(&reopened, &params, now).unwrap(), &out).unwrap();
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let sheets = book.sheet_names();
    for (name, _) in builtin_reports() {
        let title = load_template(&format!("{BUILTIN_PREFIX}{name}")).unwrap().name;
        assert!(sheets.iter().any(|s| title.starts_with(s.as_str()) || s.starts_with(&title[..title.len().min(20)])), "a sheet for {title}: {sheets:?}");
    }
    assert!(!ws_dir.path().join("book-t0.xlsx").exists(), "no workbook per report");
}
