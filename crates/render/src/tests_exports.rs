//! Pivots as crosstabs with several row headers, dashboards in one workbook, every chart kind
//! as its native Excel chart, and the block above the table: written, then read back.

use crate::tests::*;
use crate::*;
use calamine::Data;
use polars::prelude::*;
use switchboard_model::canonical::ValueFormat;
use switchboard_model::spec::ChartKind;

/// Team, agent, day and two measures: a pivot on Day with two row headers.
fn by_team_agent_day() -> Fixture {
    let frame = DataFrame::new(
        5,
        vec![
            Column::new("Team".into(), ["Sales", "Sales", "Sales", "Support", "Support"]),
            Column::new("Agent".into(), ["Ana", "Ana", "Ben", "Cleo", "Cleo"]),
            naive_times("Day", vec![day_ms(2), day_ms(3), day_ms(2), day_ms(2), day_ms(3)]),
            Column::new("Conversations".into(), [5i64, 6, 7, 8, 9]),
            Column::new("Median FRT".into(), [60.0, 90.0, 30.0, 3600.0 * 25.0, 45.0]),
        ],
    )
    .unwrap();
    Fixture {
        frame,
        columns: vec![
            rc("Team", ValueFormat::Text),
            rc("Agent", ValueFormat::Text),
            rc("Day", ValueFormat::Date),
            rc("Conversations", ValueFormat::Integer),
            rc("Median FRT", ValueFormat::Duration),
        ],
        applied: vec!["Period: 2026-03-02 – 2026-03-03".into()],
    }
}

fn rows_of(path: &std::path::Path, sheet: &str) -> Vec<Vec<Data>> {
    read_range(path, sheet).rows().map(|r| r.to_vec()).collect()
}

#[test]
fn a_pivoted_report_is_a_crosstab_with_row_headers_in_their_own_columns() {
    let f = by_team_agent_day();
    let mut one = f.frame.clone();
    let _ = one.drop_in_place("Median FRT").unwrap();
    let one_cols = f.columns[..4].to_vec();
    let single = Fixture { frame: one, columns: one_cols, applied: vec![] };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pivot.xlsx");
    let opts = XlsxOptions { pivot: Some("day".into()), metadata: false, ..XlsxOptions::default() };
    write_xlsx_with_options(&ResultTable { title: "Agents", ..table(&single, 3) }, &path, &ExportMeta::default(), &opts).unwrap();
    let rows = rows_of(&path, "Agents");
    // One measure: the days themselves are the headings, typed as dates.
    assert_eq!(rows[0][0], Data::String("Team".into()));
    assert_eq!(rows[0][1], Data::String("Agent".into()));
    assert_eq!(date_serial(&rows[0][2]), excel_serial(2));
    assert_eq!(date_serial(&rows[0][3]), excel_serial(3));
    assert_eq!(rows.len(), 4, "Ana, Ben, Cleo");
    assert_eq!(rows[1][..4], [Data::String("Sales".into()), Data::String("Ana".into()), Data::Float(5.0), Data::Float(6.0)]);
    assert_eq!(rows[2][..4], [Data::String("Sales".into()), Data::String("Ben".into()), Data::Float(7.0), Data::Empty]);
    assert_eq!(rows[3][..4], [Data::String("Support".into()), Data::String("Cleo".into()), Data::Float(8.0), Data::Float(9.0)]);
    let sheet = zip_text(&path, "xl/worksheets/sheet1.xml").unwrap();
    assert!(sheet.contains("<autoFilter ref=\"A1:D4\"/>"), "{sheet}");
    assert!(!sheet.contains("<mergeCell"), "no merged cells");

    // Two measures: one column per day and measure, the durations still durations.
    let both = dir.path().join("both.xlsx");
    let opts = XlsxOptions { pivot: Some("Day".into()), ..XlsxOptions::default() };
    write_xlsx_with_options(&ResultTable { title: "Agents", ..table(&f, 3) }, &both, &ExportMeta::default(), &opts).unwrap();
    let rows = rows_of(&both, "Agents");
    let h = rows.iter().position(|r| r[0] == Data::String("Team".into())).unwrap();
    let headings: Vec<String> = rows[h].iter().map(|c| c.to_string()).collect();
    assert_eq!(
        headings,
        ["Team", "Agent", "2026-03-02 · Conversations", "2026-03-02 · Median FRT", "2026-03-03 · Conversations", "2026-03-03 · Median FRT"]
    );
    let cleo = &rows[h + 3];
    assert_eq!(cleo[2], Data::Float(8.0));
    match &cleo[3] {
        Data::DateTime(d) => {
            assert!(d.is_duration());
            assert!((d.as_f64() - 25.0 / 24.0).abs() < 1e-9, "25 hours as a fraction of a day: {}", d.as_f64());
        }
        other => panic!("a duration, got {other:?}"),
    }
    // A pivot column that is not among the groups (an already wide result) leaves the rows alone.
    let flat = dir.path().join("flat.xlsx");
    let opts = XlsxOptions { pivot: Some("Channel".into()), metadata: false, ..XlsxOptions::default() };
    write_xlsx_with_options(&table(&f, 3), &flat, &ExportMeta::default(), &opts).unwrap();
    assert_eq!(rows_of(&flat, "Conversations by day").len(), 6);
}

#[test]
fn the_block_lists_parameters_and_can_be_left_out() {
    let f = by_day_and_channel();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.xlsx");
    let meta = ExportMeta {
        synced_at: Some(chrono::DateTime::from_timestamp(1_772_524_800, 0).unwrap()), // 2026-03-03 08:00 UTC
        parameters: vec![("period".into(), "last_week".into()), ("inbox".into(), "Web".into())],
    };
    write_xlsx(&table(&f, 2), &path, &meta).unwrap();
    let rows = rows_of(&path, "Conversations by day");
    let col_a: Vec<String> = rows.iter().take(7).map(|r| r[0].to_string()).collect();
    assert_eq!(
        col_a,
        [
            "Conversations by day",
            "Period: Last 7 days (2026-03-02 – 2026-03-08)",
            "'-Channel is web".trim_start_matches('\''),
            "Times in Europe/Berlin",
            "Parameters: period = last_week; inbox = Web",
            "Data synced 2026-03-03 09:00 (Europe/Berlin)",
            "",
        ]
    );
    assert_eq!(rows[7][0], Data::String("Day".into()), "header below the block");
    let sheet = zip_text(&path, "xl/worksheets/sheet1.xml").unwrap();
    assert!(sheet.contains("<pane ySplit=\"8\" topLeftCell=\"A9\""), "frozen under the header: {sheet}");
    assert!(sheet.contains("<autoFilter ref=\"A8:E14\"/>"), "the filter covers the table only: {sheet}");

    let bare = dir.path().join("bare.xlsx");
    write_xlsx_with_options(&table(&f, 2), &bare, &meta, &XlsxOptions { metadata: false, ..XlsxOptions::default() }).unwrap();
    let rows = rows_of(&bare, "Conversations by day");
    assert_eq!(rows[0][0], Data::String("Day".into()));
    assert_eq!(rows.len(), 7);
    let sheet = zip_text(&bare, "xl/worksheets/sheet1.xml").unwrap();
    assert!(sheet.contains("<pane ySplit=\"1\" topLeftCell=\"A2\""), "{sheet}");
    assert!(sheet.contains("<autoFilter ref=\"A1:E7\"/>"), "{sheet}");
}

#[test]
fn every_chart_kind_becomes_its_excel_chart() {
    let f = by_day_and_channel();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (ChartKind::Bar, Some("<c:barChart>")),
        (ChartKind::Histogram, Some("<c:barChart>")),
        (ChartKind::StackedBar, Some("<c:grouping val=\"stacked\"/>")),
        (ChartKind::Line, Some("<c:lineChart>")),
        (ChartKind::Area, Some("<c:areaChart>")),
        (ChartKind::Pie, Some("<c:pieChart>")),
        (ChartKind::Donut, Some("<c:doughnutChart>")),
        (ChartKind::Scatter, Some("<c:scatterChart>")),
        (ChartKind::Table, None),
        (ChartKind::PivotTable, None),
        (ChartKind::Kpi, None),
        (ChartKind::Heatmap, None),
    ];
    for (kind, tag) in cases {
        let path = dir.path().join(format!("{kind:?}.xlsx"));
        write_xlsx_with_chart(&table(&f, 2), &chart(kind), &path, &ExportMeta::default()).unwrap();
        match (zip_text(&path, "xl/charts/chart1.xml"), tag) {
            (Some(xml), Some(tag)) => {
                assert!(xml.contains(tag), "{kind:?}: {xml}");
                let series = if matches!(kind, ChartKind::Pie | ChartKind::Donut) { 1 } else { 3 };
                assert_eq!(xml.matches("<c:ser>").count(), series, "{kind:?}");
                assert!(xml.contains("'Chart data'!$B$2:$B$4"), "{kind:?} reads the cells: {xml}");
            }
            (None, None) => {}
            (xml, _) => panic!("{kind:?}: chart part {:?}", xml.map(|x| x.len())),
        }
    }
}

#[test]
fn a_dashboard_is_one_workbook_with_one_sheet_per_report() {
    let f = by_day_and_channel();
    let team = by_team_agent_day();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard.xlsx");
    let long = "Agents: first response [median] / by day?";
    let sheets = [
        DashboardSheet {
            name: "Conversations by day",
            table: table(&f, 2),
            options: XlsxOptions { chart: Some(chart(ChartKind::Line)), ..XlsxOptions::default() },
            meta: ExportMeta::default(),
        },
        DashboardSheet {
            name: long,
            table: ResultTable { title: long, ..table(&team, 3) },
            options: XlsxOptions { pivot: Some("Day".into()), ..XlsxOptions::default() },
            meta: ExportMeta::default(),
        },
        // Same name, other case: Excel would refuse a second sheet of that name.
        DashboardSheet {
            name: "CONVERSATIONS BY DAY",
            table: table(&f, 2),
            options: XlsxOptions { sheet_rows: 9, ..XlsxOptions::default() },
            meta: ExportMeta::default(),
        },
    ];
    write_dashboard_xlsx(&path, &sheets).unwrap();
    let names = sheet_names(&path);
    assert_eq!(
        names,
        [
            "Conversations by day",
            "Conversations by day chart data",
            "Agents  first response  median",
            "CONVERSATIONS BY DAY (2)",
            "CONVERSATIONS BY DAY (2) (2)",
            "CONVERSATIONS BY DAY (2) (3)",
        ]
    );
    assert!(names.iter().all(|n| n.chars().count() <= 31));
    let line = zip_text(&path, "xl/charts/chart1.xml").unwrap();
    assert!(line.contains("'Conversations by day chart data'!$B$2:$B$4"), "{line}");
    let agents = rows_of(&path, &names[2]);
    assert_eq!(agents[0][0], Data::String(long.into()), "the block keeps the full title");
    // The third report is split over sheets of nine rows (two table rows each), saying so.
    let split = rows_of(&path, &names[3]);
    assert!(split.iter().any(|r| r[0].to_string().contains("continue on sheet 'CONVERSATIONS BY DAY (2) (2)'")));
}
