use super::*;
use polars::prelude::{DataType, TimeUnit, TimeZone};
use serde_json::{json, Map, Value};

fn rec(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn cp(cursor: &str, records: u64) -> Checkpoint {
    Checkpoint { cursor: Some(cursor.into()), updated_at_ms: 1_000, records }
}

fn page<'a>(records: &'a [Map<String, Value>], canonical: &'a [CanonicalRows], checkpoint: &'a Checkpoint) -> PageWrite<'a> {
    PageWrite {
        source: "s1",
        collection: "Conversation",
        raw_table: "raw_test_conversation",
        records,
        rejected: &[],
        canonical,
        checkpoint,
        index_columns: &["inbox_id"],
    }
}

fn conversation_row(id: &str, created_at: i64, status: &str) -> Vec<SqlValue> {
    use SqlValue::*;
    let mut row = vec![Null; canonical::CONVERSATIONS.columns.len() - 1];
    let pos = |name: &str| canonical::CONVERSATIONS.columns.iter().position(|c| c.name == name).unwrap() - 1;
    row[pos("id")] = Text(id.into());
    row[pos("created_at")] = Integer(created_at);
    row[pos("status")] = Text(status.into());
    row[pos("bot_handled")] = Integer(1);
    row[pos("transfers")] = Integer(2);
    row[pos("csat_score")] = Real(4.0);
    row
}

fn raw_count(cache: &Cache, table: &str) -> i64 {
    cache.read(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)).unwrap()
}

#[test]
fn the_cache_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Cache>();
}

#[test]
fn migrations_are_idempotent_and_newer_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let c = Cache::open(&path).unwrap();
        assert_eq!(c.schema_version().unwrap(), 2);
        c.upsert_canonical("s1", &[CanonicalRows { table: "conversations", rows: vec![conversation_row("1", 5, "open")] }])
            .unwrap();
    }
    {
        let c = Cache::open(&path).unwrap();
        assert_eq!(c.schema_version().unwrap(), 2);
        assert_eq!(c.counts("s1").unwrap().conversations, 1, "reopening keeps the data");
        let n: i64 = c.read(|c| Ok(c.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))?)).unwrap();
        assert_eq!(n, 2, "each migration ran once");
        c.write(|tx| {
            tx.execute("INSERT INTO schema_migrations (version, applied_ms) VALUES (99, 0)", [])?;
            Ok(())
        })
        .unwrap();
    }
    match Cache::open(&path) {
        Err(e @ CacheError::NewerSchema { found: 99, supported: 2 }) => assert!(e.to_string().contains("newer version")),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("a newer file must be refused"),
    }
}

#[test]
fn upsert_deduplicates_raw_and_canonical_rows() {
    let c = Cache::open_in_memory().unwrap();
    let recs = vec![rec(json!({"id": 1, "status": 0})), rec(json!({"id": 2, "status": 1}))];
    let canon = vec![CanonicalRows { table: "conversations", rows: vec![conversation_row("1", 10, "open")] }];
    c.write_page(&page(&recs, &canon, &cp("a", 2))).unwrap();
    let recs2 = vec![rec(json!({"id": 1, "status": 1})), rec(json!({"id": "2", "status": 1}))];
    let canon2 = vec![CanonicalRows { table: "conversations", rows: vec![conversation_row("1", 10, "resolved")] }];
    c.write_page(&page(&recs2, &canon2, &cp("b", 4))).unwrap();
    assert_eq!(raw_count(&c, "raw_test_conversation"), 2, "an id sent as text is the same record");
    let status = c.read_raw("raw_test_conversation", "s1", &["id", "status", "never_seen"]).unwrap();
    let mut status: Vec<(i64, i64, bool)> = status
        .iter()
        .map(|r| match (&r[0], &r[1], &r[2]) {
            (SqlValue::Integer(i), SqlValue::Integer(s), n) => (*i, *s, *n == SqlValue::Null),
            other => panic!("{other:?}"),
        })
        .collect();
    status.sort();
    assert_eq!(status, vec![(1, 1, true), (2, 1, true)]);
    assert_eq!(c.counts("s1").unwrap().conversations, 1);
    let df = c.read_frame(&FrameRequest { table: "conversations".into(), columns: vec!["status".into()], ..Default::default() }).unwrap();
    assert_eq!(df.column("status").unwrap().str().unwrap().get(0), Some("resolved"));
    assert_eq!(c.checkpoint("s1", "Conversation").unwrap(), Some(cp("b", 4)));
}

#[test]
fn a_failing_page_leaves_neither_rows_nor_checkpoint() {
    let c = Cache::open_in_memory().unwrap();
    let recs = vec![rec(json!({"id": 1, "status": 0}))];
    c.write_page(&page(&recs, &[], &cp("first", 1))).unwrap();
    // The raw rows and the new column are fine, but a canonical row is malformed: the whole
    // page must roll back, including the column added for `brand_new`.
    let recs2 = vec![rec(json!({"id": 2, "status": 0, "brand_new": "x"}))];
    let bad = vec![CanonicalRows { table: "conversations", rows: vec![vec![SqlValue::Null]] }];
    assert!(matches!(c.write_page(&page(&recs2, &bad, &cp("second", 2))), Err(CacheError::InvalidRows { .. })));
    assert_eq!(raw_count(&c, "raw_test_conversation"), 1);
    assert_eq!(c.checkpoint("s1", "Conversation").unwrap(), Some(cp("first", 1)));
    // The next page still works (the forgotten column is added again).
    c.write_page(&page(&recs2, &[], &cp("second", 2))).unwrap();
    let v = c.read_raw("raw_test_conversation", "s1", &["id", "brand_new"]).unwrap();
    assert!(v.contains(&vec![SqlValue::Integer(2), SqlValue::Text("x".into())]));
    // A record with no id is refused, and nothing of its page is written.
    let recs3 = vec![rec(json!({"id": 3})), rec(json!({"status": 1}))];
    assert!(c.write_page(&page(&recs3, &[], &cp("third", 3))).is_err());
    assert_eq!(raw_count(&c, "raw_test_conversation"), 2);
}

#[test]
fn schema_drift_adds_columns_and_keeps_json_as_text() {
    let c = Cache::open_in_memory().unwrap();
    let recs = vec![rec(json!({"id": 1, "status": 0, "ok": true, "custom_attributes": {"labels": ["a"]}}))];
    c.write_page(&page(&recs, &[], &cp("a", 1))).unwrap();
    let recs2 = vec![rec(json!({"id": 2, "Priority": "high", "score": 1.5, "status": "1"}))];
    c.write_page(&page(&recs2, &[], &cp("b", 2))).unwrap();
    let cols: Vec<(String, String)> = c
        .read(|c| {
            let mut st = c.prepare("SELECT name, type FROM pragma_table_info('raw_test_conversation')")?;
            let v = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
        .unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
    // serde_json maps iterate in key order.
    assert_eq!(names, ["source", "id", "custom_attributes", "ok", "status", "priority", "score"]);
    assert_eq!(cols[6].1, "REAL");
    let rows = c.read_raw("raw_test_conversation", "s1", &["id", "ok", "custom_attributes", "priority", "status"]).unwrap();
    let one = rows.iter().find(|r| r[0] == SqlValue::Integer(1)).unwrap();
    assert_eq!(one[1], SqlValue::Integer(1));
    assert_eq!(one[2], SqlValue::Text(r#"{"labels":["a"]}"#.into()));
    assert_eq!(one[3], SqlValue::Null);
    let two = rows.iter().find(|r| r[0] == SqlValue::Integer(2)).unwrap();
    assert_eq!(two[3], SqlValue::Text("high".into()));
    assert_eq!(two[4], SqlValue::Integer(1), "a number sent as text lands as a number in an INTEGER column");
    let idx: i64 = c
        .read(|c| Ok(c.query_row("SELECT count(*) FROM sqlite_master WHERE type='index' AND name='raw_test_conversation_inbox_id'", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(idx, 0, "no index for a column that does not exist yet");
}

#[test]
fn read_frame_types_pushdown_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let c = Cache::open(&dir.path().join("c.sqlite")).unwrap();
    let day = 86_400_000i64;
    let rows: Vec<Vec<SqlValue>> = (0..10).map(|i| conversation_row(&i.to_string(), i * day, "open")).collect();
    c.upsert_canonical("s1", &[CanonicalRows { table: "conversations", rows }]).unwrap();
    c.upsert_canonical("s2", &[CanonicalRows { table: "conversations", rows: vec![conversation_row("x", 3 * day, "open")] }])
        .unwrap();
    let df = c
        .read_frame(&FrameRequest {
            table: "conversations".into(),
            columns: vec!["id".into(), "created_at".into(), "bot_handled".into(), "transfers".into(), "csat_score".into(), "resolved_at".into()],
            time_range: Some(TimeRange { column: "created_at".into(), from_ms: 2 * day, to_ms: 5 * day }),
            source: Some("s1".into()),
        })
        .unwrap();
    assert_eq!(df.height(), 3, "[2d, 5d) holds days 2, 3, 4 of source s1 only");
    assert_eq!(df.width(), 6);
    assert_eq!(df.column("id").unwrap().dtype(), &DataType::String);
    assert_eq!(df.column("created_at").unwrap().dtype(), &DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC)));
    assert_eq!(df.column("bot_handled").unwrap().dtype(), &DataType::Boolean);
    assert_eq!(df.column("transfers").unwrap().dtype(), &DataType::Int64);
    assert_eq!(df.column("csat_score").unwrap().dtype(), &DataType::Float64);
    assert_eq!(df.column("resolved_at").unwrap().null_count(), 3);
    let mut ids: Vec<String> = df.column("id").unwrap().str().unwrap().iter().flatten().map(String::from).collect();
    ids.sort();
    assert_eq!(ids, ["2", "3", "4"]);
    let all = c.read_frame(&FrameRequest { table: "conversations".into(), ..Default::default() }).unwrap();
    assert_eq!((all.height(), all.width()), (11, canonical::CONVERSATIONS.columns.len()));

    // The period is in the SQL and uses the index.
    let plan: String = c
        .read(|c| {
            let mut st = c.prepare(
                "EXPLAIN QUERY PLAN SELECT \"id\" FROM \"conversations\" WHERE source = ?1 AND \"created_at\" >= ?2 AND \"created_at\" < ?3",
            )?;
            let v: Vec<String> = st.query_map(rusqlite::params!["s1", 0, 1], |r| r.get(3))?.collect::<Result<_, _>>()?;
            Ok(v.join(" "))
        })
        .unwrap();
    assert!(plan.contains("conversations_created_at"), "{plan}");

    let err = c.read_frame(&FrameRequest { table: "conversations".into(), columns: vec!["nope".into()], ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("\"nope\"") && err.to_string().contains("conversations"), "{err}");
    assert_eq!(err.code(), ErrorCode::InvalidReport);
    let err = c.read_frame(&FrameRequest { table: "chats".into(), ..Default::default() }).unwrap_err();
    assert!(matches!(err, CacheError::UnknownTable(ref t) if t == "chats"));
}

#[test]
fn reads_while_a_write_transaction_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let c = std::sync::Arc::new(Cache::open(&dir.path().join("c.sqlite")).unwrap());
    c.upsert_canonical("s1", &[CanonicalRows { table: "conversations", rows: vec![conversation_row("1", 1, "open")] }]).unwrap();
    let c2 = c.clone();
    c.write(|tx| {
        raw::upsert_canonical(tx, "s1", &CanonicalRows { table: "conversations", rows: vec![conversation_row("2", 1, "open")] })?;
        // Another thread reads the committed state while this transaction is open.
        let n = std::thread::spawn(move || c2.counts("s1").unwrap().conversations).join().unwrap();
        assert_eq!(n, 1);
        Ok(())
    })
    .unwrap();
    assert_eq!(c.counts("s1").unwrap().conversations, 2);
}

#[test]
fn sync_runs_and_rejected_records() {
    let c = Cache::open_in_memory().unwrap();
    assert_eq!(c.last_sync("s1").unwrap(), None);
    c.record_sync_run("s1", &SyncRun { started_ms: 1, finished_ms: Some(2), records: 5, error: None }).unwrap();
    let failed = SyncRun { started_ms: 3, finished_ms: Some(4), records: 1, error: Some("boom".into()) };
    c.record_sync_run("s1", &failed).unwrap();
    assert_eq!(c.last_sync("s1").unwrap(), Some(failed));
    let recs = vec![rec(json!({"id": 1}))];
    let rejected = vec![Rejected { reason: "bad date".into(), raw: "{}".into() }];
    let mut p = page(&recs, &[], &Checkpoint { cursor: None, updated_at_ms: 7, records: 1 });
    p.rejected = &rejected;
    c.write_page(&p).unwrap();
    assert_eq!(c.counts("s1").unwrap().rejected, 1);
    assert_eq!(c.rejected("s1").unwrap(), vec![("Conversation".into(), "bad date".into(), "{}".into())]);
    // Read again (an overlap window, a resume): still one record set aside, not two.
    c.write_page(&p).unwrap();
    assert_eq!(c.counts("s1").unwrap().rejected, 1);
}

#[test]
fn raw_tables_are_listed_typed_and_read_with_pushdown() {
    let c = Cache::open_in_memory().unwrap();
    let recs = vec![
        rec(json!({"id": 1, "status": "open", "score": 1.5, "waited": 30})),
        rec(json!({"id": 2, "status": "resolved", "score": null, "waited": "45"})),
        rec(json!({"id": 3, "status": "resolved", "score": 4.0, "waited": 60})),
    ];
    c.write_page(&page(&recs, &[], &cp("a", 3))).unwrap();
    let tables = c.tables().unwrap();
    assert_eq!(tables[0].name, "conversations");
    assert_eq!(tables[0].rows, Some(0));
    let raw = tables.iter().find(|t| t.name == "raw_test_conversation").unwrap();
    assert_eq!(raw.rows, Some(3));
    assert_eq!(
        raw.columns,
        vec![
            ("source".to_string(), canonical::ColumnType::Text),
            ("id".to_string(), canonical::ColumnType::Int),
            ("score".to_string(), canonical::ColumnType::Float),
            ("status".to_string(), canonical::ColumnType::Text),
            ("waited".to_string(), canonical::ColumnType::Int),
        ]
    );
    let df = c
        .read_frame(&FrameRequest {
            table: "raw_test_conversation".into(),
            columns: vec!["status".into(), "waited".into()],
            time_range: Some(TimeRange { column: "id".into(), from_ms: 2, to_ms: 4 }),
            source: Some("s1".into()),
        })
        .unwrap();
    assert_eq!(df.height(), 2);
    assert_eq!(df.column("waited").unwrap().dtype(), &DataType::Int64);
    let waited = df.column("waited").unwrap().as_materialized_series().i64().unwrap().clone();
    assert_eq!((waited.get(0), waited.get(1)), (Some(45), Some(60)), "a number sent as text is read as a number");
    let err = c.read_frame(&FrameRequest { table: "raw_test_conversation".into(), columns: vec!["nope".into()], ..Default::default() });
    assert!(matches!(err, Err(CacheError::UnknownColumn { .. })));
    let err = c.read_frame(&FrameRequest { table: "raw_test_missing".into(), ..Default::default() });
    assert!(matches!(err, Err(CacheError::UnknownTable(_))));
}
