//! Unit tests of the parts integration tests cannot reach (operating-system errors that a
//! root test runner cannot provoke, names); the file cases are in `tests/files.rs`.

use std::io::{Error, ErrorKind};

use super::*;

#[test]
fn os_errors_say_what_to_do() {
    let d = read::io_detail(&Error::from(ErrorKind::PermissionDenied));
    assert!(d.contains("not allowed to read it"), "{d}");
    let d = read::io_detail(&Error::from(ErrorKind::NotFound));
    assert!(d.contains("moved, renamed or deleted"), "{d}");
}

#[test]
fn table_names_are_safe() {
    assert_eq!(safe_name("Calls Export (3)", "sheet"), "calls_export_3");
    assert_eq!(safe_name("Übersicht", "sheet"), "uebersicht");
    assert_eq!(safe_name("***", "sheet"), "sheet");
}

#[test]
fn column_types_text_is_read() {
    let e = parse_column_types("Created:datetime, \"Talk, total\":duration,Calls!Agent:text,Day:date(mdy)").unwrap();
    assert_eq!(e.len(), 4);
    assert_eq!(e[1].column, "Talk, total");
    assert_eq!(e[2].sheet.as_deref(), Some("Calls"));
    assert_eq!(e[3].spec.text(), "date(mdy)");
    assert!(parse_column_types("Created").is_err());
    assert!(parse_column_types("Created:money").unwrap_err().to_string().contains("not a column type"));
}

#[test]
fn the_form_matches_the_settings() {
    let f = form();
    let v = serde_json::to_value(FileConfig::new("x.csv")).unwrap();
    for field in &f.fields {
        assert!(v.get(&field.name).is_some(), "{} is not a setting", field.name);
    }
}

#[test]
fn counts_have_thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_204), "1,204");
    assert_eq!(thousands(12_345_678), "12,345,678");
}
