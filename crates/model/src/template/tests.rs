use super::*;

const V2: &str = r#"{"switchboard":"report","version":2,"id":"x","name":"X",
    "parameters":[{"name":"period","type":"period","default":"last_7_days"},
                  {"name":"timezone","type":"timezone","default":"Europe/Berlin"},
                  {"name":"inbox","type":"inbox","label":"Inbox","default":"Web"}],
    "spec":{"dataset":"conversations","filters":[{"column":"inbox_name","op":"eq","value":"$inbox"}],
            "measures":[{"aggregation":"count","label":"Conversations"}]}}"#;

const V1: &str = r#"{"switchboard":"report","version":1,"id":"x","name":"X","x-owner":"ops",
    "parameters":{"period":"last_7_days","timezone":"Europe/Berlin","inbox":"Web"},
    "spec":{"dataset":"conversations","filters":[{"column":"inbox_name","op":"eq","value":"$inbox"}],
            "measures":[{"aggregation":"count","label":"Conversations"}]}}"#;

/// The files in `reports/` of one kind (`"report"` or `"dashboard"`).
fn builtin_files(kind: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .filter(|(name, text)| file_kind(text, name).unwrap() == kind)
        .collect();
    out.sort();
    out
}

fn builtin_texts() -> Vec<(String, String)> {
    let out = builtin_files("report");
    assert!(out.len() >= 3, "the built-in reports are found");
    out
}

#[test]
fn built_in_dashboards_pass_the_published_schema_and_round_trip() {
    let schema = jsonschema::validator_for(&dashboard_schema()).unwrap();
    let files = builtin_files("dashboard");
    assert!(!files.is_empty(), "a built-in dashboard is found");
    for (name, text) in files {
        let v: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = schema.iter_errors(&v).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let doc = Document::<DashboardTemplate>::parse(&text, &name).unwrap();
        assert!(doc.unknown.is_empty(), "{name} holds no field this version does not know: {:?}", doc.unknown);
        let saved = doc.to_file_text(&name).unwrap();
        assert!(schema.is_valid(&serde_json::from_str(&saved).unwrap()), "{name} as saved");
        assert_eq!(DashboardTemplate::parse(&saved, &name).unwrap(), doc.template, "{name} reads back the same");
        // Every tile runs with the defaults and with every shared parameter set.
        let d = &doc.template;
        let all: BTreeMap<String, String> = d.parameters.iter().map(|p| (p.name.clone(), if p.kind == ParameterType::Period { "last_week".into() } else { "X".into() })).collect();
        for t in &d.tiles {
            let r = d.tile_report(t);
            r.resolve(&BTreeMap::new()).unwrap();
            let s = r.resolve(&all).unwrap();
            assert_eq!(s.period, Period::LastWeek, "{name}: tile {} takes the shared period", t.id);
        }
    }
}

#[test]
fn parameters_fill_the_spec() {
    let t = ReportTemplate::parse(V2, "x.json").unwrap();
    let mut o = BTreeMap::new();
    o.insert("inbox".to_string(), "Email".to_string());
    o.insert("period".to_string(), "yesterday".to_string());
    let s = t.resolve(&o).unwrap();
    assert_eq!(s.period, Period::Yesterday);
    assert_eq!(s.timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(s.filters[0].value, serde_json::json!("Email"));
    // An empty value means any inbox: the filter goes.
    o.insert("inbox".to_string(), String::new());
    assert!(t.resolve(&o).unwrap().filters.is_empty());
    assert_eq!(t.parameters[2].kind, ParameterType::Inbox);
}

#[test]
fn version_1_migrates_on_open_and_saves_as_version_2() {
    let d = Document::<ReportTemplate>::parse(V1, "old.json").unwrap();
    assert_eq!(d.migrated_from, Some(1));
    assert_eq!(d.template.version, 2);
    let names: Vec<_> = d.template.parameters.iter().map(|p| (p.name.as_str(), p.kind, p.default.as_str())).collect();
    assert!(names.contains(&("period", ParameterType::Period, "last_7_days")), "{names:?}");
    assert!(names.contains(&("inbox", ParameterType::Inbox, "Web")), "{names:?}");
    // The same report as the v2 file.
    let v2 = ReportTemplate::parse(V2, "x.json").unwrap();
    let o = BTreeMap::new();
    assert_eq!(d.template.resolve(&o).unwrap(), v2.resolve(&o).unwrap());
    let text = d.to_file_text("old.json").unwrap();
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["$schema"], REPORT_SCHEMA_URL);
    assert!(saved["parameters"].is_array());
    assert_eq!(saved["x-owner"], "ops", "an unknown field of the old file is kept");
    let again = Document::<ReportTemplate>::parse(&text, "old.json").unwrap();
    assert_eq!(again.migrated_from, None);
    assert_eq!(again.template, d.template);
}

#[test]
fn unknown_fields_anywhere_survive_a_round_trip() {
    let mut v: Value = serde_json::from_str(V2).unwrap();
    v["owner"] = serde_json::json!({"team": "EMEA", "since": 2024});
    v["spec"]["cache_hint"] = serde_json::json!("warm");
    v["spec"]["measures"][0]["x-colour"] = serde_json::json!("#ff0000");
    v["spec"]["filters"][0]["note"] = serde_json::json!(["a", {"deep": [1, 2, {"deeper": true}]}]);
    v["parameters"][2]["widget"] = serde_json::json!("dropdown");
    let d = Document::<ReportTemplate>::parse(&v.to_string(), "x.json").unwrap();
    assert_eq!(d.unknown.len(), 5, "{:?}", d.unknown);
    assert!(d.unknown.iter().any(|u| path_text(&u.path) == "spec.measures[0].x-colour"));
    // Change the report, save, and read the file back: the changes and the kept fields.
    let mut changed = d.clone();
    changed.template.name = "Renamed".into();
    changed.template.spec.measures[0].label = "Count".into();
    let text = changed.to_file_text("x.json").unwrap();
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back["name"], "Renamed");
    assert_eq!(back["spec"]["measures"][0]["label"], "Count");
    assert_eq!(back["owner"], v["owner"]);
    assert_eq!(back["spec"]["cache_hint"], "warm");
    assert_eq!(back["spec"]["measures"][0]["x-colour"], "#ff0000");
    assert_eq!(back["spec"]["filters"][0]["note"], v["spec"]["filters"][0]["note"]);
    assert_eq!(back["parameters"][2]["widget"], "dropdown");
    // The file stays readable: fields in the order of the format, not alphabetical.
    let order: Vec<usize> = ["\"$schema\"", "\"switchboard\"", "\"version\"", "\"id\"", "\"name\"", "\"spec\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    // A kept field goes with its parent when the parent is deleted.
    let mut without = d.clone();
    without.template.spec.filters.clear();
    let back: Value = serde_json::from_str(&without.to_file_text("x.json").unwrap()).unwrap();
    assert!(back["spec"].get("filters").is_none());
}

#[test]
fn errors_name_the_file_the_field_and_the_fix() {
    let e = ReportTemplate::parse("{", "weekly.json").unwrap_err().to_string();
    assert!(e.contains("weekly.json") && e.contains("line 1"), "{e}");
    let e = ReportTemplate::parse("{\"a\":1}", "a.json").unwrap_err().to_string();
    assert!(e.contains("not a Switchboard template"), "{e}");
    let e = ReportTemplate::parse(&V2.replace("Europe/Berlin", "Mars/Base"), "b.json").unwrap_err().to_string();
    assert!(e.contains("b.json") && e.contains("parameters[1]") && e.contains("IANA"), "{e}");
    let e = ReportTemplate::parse(&V2.replace("\"count\"", "\"average\""), "c.json").unwrap_err();
    match &e {
        TemplateError::Field { file, path, detail, fix } => {
            assert_eq!(file, "c.json");
            assert_eq!(path, "spec.measures[0].aggregation");
            assert!(detail.contains("average") && detail.contains("median"), "{detail}");
            assert!(fix.contains("one of"), "{fix}");
        }
        other => panic!("{other:?}"),
    }
    let e = ReportTemplate::parse(&V2.replace("\"version\":2", "\"version\":9"), "d.json").unwrap_err().to_string();
    assert!(e.contains("newer Switchboard"), "{e}");
    let e = ReportTemplate::parse(&V2.replace("\"id\":\"x\",", ""), "e.json").unwrap_err().to_string();
    assert!(e.contains("e.json") && e.contains("missing field `id`") && e.contains("Add that field"), "{e}");
    let e = ReportTemplate::parse(&V2.replace("\"dataset\":\"conversations\"", "\"dataset\":7"), "f.json").unwrap_err().to_string();
    assert!(e.contains("field spec.dataset") && e.contains("expected a string"), "{e}");
    let e = Document::<DashboardTemplate>::parse(V2, "g.json").unwrap_err().to_string();
    assert!(e.contains("is a report, not a dashboard"), "{e}");
    let e = Document::<ReportTemplate>::parse_bytes(b"{\"switchboard\":\"report\xff\"}", "h.json").unwrap_err().to_string();
    assert!(e.contains("h.json") && e.contains("not text"), "{e}");
}

#[test]
fn unknown_parameter_is_refused() {
    let t = ReportTemplate::parse(V2, "x.json").unwrap();
    let mut o = BTreeMap::new();
    o.insert("team".to_string(), "A".to_string());
    assert!(t.resolve(&o).unwrap_err().to_string().contains("it takes: period, timezone, inbox"));
    // A placeholder nobody declared is an error when the file opens, not an empty result.
    let e = ReportTemplate::parse(&V2.replace("$inbox", "$team"), "p.json").unwrap_err().to_string();
    assert!(e.contains("p.json") && e.contains("\"$team\"") && e.contains("Declare the parameter"), "{e}");
    let e = DashboardTemplate::parse(&DASHBOARD.replace("$inbox", "$agent"), "q.json").unwrap_err().to_string();
    assert!(e.contains("tiles[1].spec") && e.contains("$agent"), "{e}");
}

#[test]
fn secrets_and_credentials_are_refused() {
    let with = |path: &[&str], value: Value| {
        let mut v: Value = serde_json::from_str(V2).unwrap();
        let mut cur = &mut v;
        for p in &path[..path.len() - 1] {
            cur = if let Ok(i) = p.parse::<usize>() { &mut cur[i] } else { &mut cur[*p] };
        }
        cur[path[path.len() - 1]] = value;
        ReportTemplate::parse(&v.to_string(), "s.json")
    };
    let e = with(&["spec", "filters", "0", "value"], "https://bob:hunter2@example.com/x".into()).unwrap_err();
    assert!(matches!(&e, TemplateError::Secret { path, .. } if path == "spec.filters[0].value"), "{e:?}");
    assert!(e.to_string().contains("never hold secrets") && !e.to_string().contains("hunter2"));
    let e = with(&["source"], "https://api.example.com/odata?apikey=abc".into()).unwrap_err();
    assert!(matches!(e, TemplateError::Secret { .. }));
    let e = with(&["connection"], serde_json::json!({"api_token": "abc"})).unwrap_err();
    assert!(matches!(&e, TemplateError::Secret { path, .. } if path == "connection.api_token"), "{e:?}");
    // Addresses without credentials are fine (a filter on a page URL).
    assert!(with(&["spec", "filters", "0", "value"], "https://example.com/help?page=2".into()).is_ok());
    // Nor can one be saved.
    let mut d = Document::<ReportTemplate>::parse(V2, "s.json").unwrap();
    d.template.description = "see https://u:p@host/".into();
    assert!(matches!(d.to_file_text("s.json"), Err(TemplateError::Secret { .. })));
}

const DASHBOARD: &str = r#"{"switchboard":"dashboard","version":2,"id":"d","name":"Monday",
    "parameters":[{"name":"period","type":"period","default":"last_7_days"},{"name":"inbox","type":"inbox","default":""}],
    "tiles":[
      {"id":"b","title":"Second","layout":{"x":6,"y":0,"w":6,"h":4},"spec":{"dataset":"conversations","measures":[{"aggregation":"count","label":"N"}]}},
      {"id":"a","title":"First","layout":{"x":0,"y":0,"w":6,"h":4},"spec":{"dataset":"conversations",
         "filters":[{"column":"inbox_name","op":"eq","value":"$inbox"}],"measures":[{"aggregation":"count","label":"N"}]}},
      {"id":"c","title":"Below","layout":{"x":0,"y":4,"w":12,"h":3},"spec":{"dataset":"messages"}}]}"#;

#[test]
fn dashboard_tiles_share_the_parameters_and_read_in_layout_order() {
    let d = DashboardTemplate::parse(DASHBOARD, "d.json").unwrap();
    assert_eq!(d.columns, 12);
    let order: Vec<_> = d.tiles_in_order().iter().map(|t| t.id.as_str()).collect();
    assert_eq!(order, ["a", "b", "c"]);
    let first = d.tile_report(d.tiles_in_order()[0]);
    let mut o = BTreeMap::new();
    o.insert("inbox".to_string(), "Web".to_string());
    o.insert("period".to_string(), "last_month".to_string());
    let s = first.resolve(&o).unwrap();
    assert_eq!((s.period, s.filters[0].value.clone()), (Period::LastMonth, serde_json::json!("Web")));
    assert!(first.resolve(&BTreeMap::new()).unwrap().filters.is_empty(), "default: any inbox");
    let e = DashboardTemplate::parse(&DASHBOARD.replace("\"x\":6,", "\"x\":10,"), "d.json").unwrap_err().to_string();
    assert!(e.contains("tiles[0].layout") && e.contains("12-column"), "{e}");
    let e = DashboardTemplate::parse(&DASHBOARD.replace("\"id\":\"b\"", "\"id\":\"a\""), "d.json").unwrap_err().to_string();
    assert!(e.contains("tiles[1].id"), "{e}");
}

/// The committed schema files are generated from the types: a field added to the spec (or a
/// template) without regenerating them fails here.
#[test]
fn schema_files_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    for (file, schema) in [("report-template.v2.schema.json", report_schema()), ("dashboard-template.v2.schema.json", dashboard_schema())] {
        let want = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(file);
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(have == want, "schema/{file} is stale: run `UPDATE_SCHEMA=1 cargo test -p switchboard-model schema` and commit it");
    }
}

/// Every field a spec can hold is named in the schema (checked on a spec with every part
/// filled in, walking the JSON), so the schema documents the whole format.
#[test]
fn every_spec_field_is_in_the_schema() {
    let full = serde_json::json!({
        "dataset": "conversations", "joins": [{"relation": "agent"}],
        "columns": [{"name": "waited", "expression": "1", "format": "duration"}],
        "period": "last_7_days", "period_column": "created_at", "timezone": "UTC",
        "filters": [{"column": "a", "op": "eq", "value": 1}],
        "group_by": [{"column": "created_at", "bucket": "day", "label": "Day", "week_start": "monday",
                      "bins": {"width": 1.0, "start": 0.0, "edges": [1.0]}}],
        "measures": [{"aggregation": "share", "column": "a", "metric": "m", "threshold": 1.0, "condition": "c",
                      "of": "o", "window": "running_total", "label": "L", "format": "percent"}],
        "having": [{"column": "L", "op": "gt", "value": 1}],
        "pivot": {"column": "b"}, "sort": [{"column": "L", "descending": true}],
        "top": {"n": 3, "by": "L", "group": "g", "others": false}, "limit": 5,
        "chart": {"kind": "bar", "x": "a", "y": "b", "series": "c", "title": "t", "x_label": "x", "y_label": "y",
                  "colors": ["#000000"], "data_labels": true}
    });
    // Parsing proves the literal uses every field under its real name; serializing it back
    // gives the names the file format writes.
    let spec: ReportSpec = serde_json::from_value(full).unwrap();
    let v = serde_json::to_value(&spec).unwrap();
    let schema = report_schema().to_string();
    let mut keys = vec![];
    collect_keys(&v, &mut keys);
    assert!(keys.len() > 40, "{keys:?}");
    for k in keys {
        assert!(schema.contains(&format!("\"{k}\":")), "the schema does not describe the spec field {k:?}");
    }
    fn collect_keys(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, x)| {
                out.push(k.clone());
                collect_keys(x, out)
            }),
            Value::Array(a) => a.iter().for_each(|x| collect_keys(x, out)),
            _ => {}
        }
    }
}

#[test]
fn built_in_templates_pass_the_published_schema() {
    let report = jsonschema::validator_for(&report_schema()).unwrap();
    for (name, text) in builtin_texts() {
        let v: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = report.iter_errors(&v).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        // And what Switchboard saves passes it too.
        let saved: Value = serde_json::from_str(&Document::<ReportTemplate>::parse(&text, &name).unwrap().to_file_text(&name).unwrap()).unwrap();
        assert!(report.is_valid(&saved), "{name} as saved");
    }
    // The schema is not a rubber stamp: a wrong aggregation fails it.
    let mut bad: Value = serde_json::from_str(V2).unwrap();
    bad["spec"]["measures"][0]["aggregation"] = "average".into();
    assert!(!report.is_valid(&bad));
    // Extra fields are valid: they are kept, not refused.
    let mut extra: Value = serde_json::from_str(V2).unwrap();
    extra["spec"]["measures"][0]["x-colour"] = "#ff0000".into();
    assert!(report.is_valid(&extra));
    let dashboard = jsonschema::validator_for(&dashboard_schema()).unwrap();
    let d: Value = serde_json::from_str(DASHBOARD).unwrap();
    assert!(dashboard.is_valid(&d), "{:?}", dashboard.iter_errors(&d).map(|e| e.to_string()).collect::<Vec<_>>());
    assert!(!dashboard.is_valid(&serde_json::from_str::<Value>(V2).unwrap()));
}

/// A small deterministic generator, so a failing case can be replayed from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One damaged copy of `text`: the kinds of damage a file meets (cut off by a failed copy, a
/// flipped byte, a hand edit that put a number where text was, pathological nesting, huge
/// numbers, bytes that are not UTF-8).
fn damage(text: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = text.to_vec();
    match rng.below(9) {
        0 => b.truncate(rng.below(b.len())),
        1 => {
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        2 => {
            // Swap a value's type: a string for a number, an object, an array, null.
            let s = String::from_utf8_lossy(&b).into_owned();
            let quotes: Vec<usize> = s.match_indices(": ").map(|(i, _)| i + 2).collect();
            if let Some(&at) = quotes.get(rng.below(quotes.len())) {
                let end = s[at..].find([',', '}', ']', '\n']).map(|e| at + e).unwrap_or(s.len());
                let with = ["123", "-1", "null", "true", "{}", "[]", "\"\"", "[1,[2]]", "{\"a\":1}", "1e999"][rng.below(10)];
                b = format!("{}{}{}", &s[..at], with, &s[end..]).into_bytes();
            }
        }
        3 => {
            let depth = 1 + rng.below(5000);
            let at = rng.below(b.len());
            let mut nest = "[".repeat(depth).into_bytes();
            nest.extend("]".repeat(rng.below(depth + 1)).bytes());
            b.splice(at..at, nest);
        }
        4 => {
            let s = String::from_utf8_lossy(&b).into_owned();
            let big = ["99999999999999999999999999", "4294967296", "-9223372036854775809", "1e308", "0.0000001"][rng.below(5)];
            b = s.replacen("2", big, 1 + rng.below(3)).into_bytes();
        }
        5 => {
            let at = rng.below(b.len());
            b.splice(at..at, [0xff, 0xfe, 0xc0][..1 + rng.below(3)].iter().copied());
        }
        6 => {
            let at = rng.below(b.len());
            let len = rng.below(40).min(b.len() - at);
            b.drain(at..at + len);
        }
        7 => {
            // Duplicate a slice: repeated keys, doubled brackets.
            let at = rng.below(b.len());
            let len = rng.below(60).min(b.len() - at);
            let piece: Vec<u8> = b[at..at + len].to_vec();
            b.splice(at..at, piece);
        }
        _ => {
            let s = String::from_utf8_lossy(&b).into_owned();
            b = s.replace("\"version\": 2", ["\"version\": 1", "\"version\": 0", "\"version\": \"2\"", "\"version\": 2.5"][rng.below(4)]).into_bytes();
        }
    }
    b
}

#[test]
fn damaged_files_give_errors_never_a_panic() {
    let mut originals: Vec<Vec<u8>> = builtin_texts().into_iter().map(|(_, t)| t.into_bytes()).collect();
    originals.push(V1.as_bytes().to_vec());
    originals.push(DASHBOARD.as_bytes().to_vec());
    let mut rng = Rng(0x005e_ed0f_7e4a_1a7e);
    let (mut errors, mut opened) = (0, 0);
    for round in 0..6000 {
        let original = &originals[round % originals.len()];
        let mut bytes = damage(original, &mut rng);
        if rng.below(4) == 0 {
            bytes = damage(&bytes, &mut rng);
        }
        let file = format!("damaged-{round}.json");
        let report = Document::<ReportTemplate>::parse_bytes(&bytes, &file);
        let dashboard = Document::<DashboardTemplate>::parse_bytes(&bytes, &file);
        for r in [report.as_ref().err(), dashboard.as_ref().err()].into_iter().flatten() {
            let m = r.to_string();
            assert!(m.contains(&file), "the error names the file: {m}");
        }
        match (&report, &dashboard) {
            (Ok(d), _) => {
                opened += 1;
                // What opened can be saved and opened again.
                let text = d.to_file_text(&file).unwrap();
                Document::<ReportTemplate>::parse(&text, &file).unwrap();
            }
            (_, Ok(d)) => {
                opened += 1;
                Document::<DashboardTemplate>::parse(&d.to_file_text(&file).unwrap(), &file).unwrap();
            }
            _ => errors += 1,
        }
    }
    // Most damage is caught; some (a flipped letter in a label) leaves a valid file.
    assert!(errors > 3000 && opened > 100, "errors {errors}, opened {opened}");
}
