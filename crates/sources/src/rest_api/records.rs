//! Reading one record of a generic feed into a raw-table row, and the cursor values an
//! incremental sync compares and sends back. Shared by [`crate::rest_api`] and
//! [`crate::odata_feed`], which know nothing of the data they carry.
//!
//! A row keeps every field of the record as sent (nested objects and arrays as JSON text,
//! which is how the cache stores them) under its own name, plus `id`: the record's key. The
//! names the cache reserves are moved aside: a field `source` becomes `source_value`, a field
//! named `id` in any case that is not the key becomes `id_value`, and two fields that differ
//! only in case (SQLite column names ignore case) keep the first name and `<name>_2`. OData
//! annotations (`@odata.etag`, `Photo@odata.mediaReadLink`) are protocol, not data, and are
//! left out.

use std::cmp::Ordering;
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

/// `raw_<platform>_<name>` with the name in lower-case letters, digits and `_`.
pub fn raw_table(platform: &str, name: &str) -> String {
    let mut safe = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            safe.push(c);
        } else if !safe.ends_with('_') {
            safe.push('_');
        }
    }
    let safe = safe.trim_matches('_');
    format!("raw_{platform}_{}", if safe.is_empty() { "records" } else { safe })
}

/// An id as the raw table keeps it: whole numbers as numbers, text as text; anything else
/// (an object, an empty text, a boolean) is not an id.
pub fn id_value(v: &Value) -> Option<Value> {
    match v {
        Value::Number(n) if n.is_i64() => Some(v.clone()),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::String(s) if !s.trim().is_empty() => Some(v.clone()),
        _ => None,
    }
}

/// One part of a composite key as text (`|` and `\` escaped, so the join is unambiguous).
pub fn key_part(v: &Value) -> Option<String> {
    let t = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    Some(t.replace('\\', "\\\\").replace('|', "\\|"))
}

/// The row of a record whose key is `id`; `key_field` is the field the id was read from
/// when it is a single top-level field (it is then stored only as `id`).
pub fn row(record: &Map<String, Value>, id: Value, key_field: Option<&str>) -> Map<String, Value> {
    let mut out = Map::with_capacity(record.len() + 1);
    let mut seen: HashSet<String> = HashSet::from(["id".to_string(), "source".to_string()]);
    out.insert("id".into(), id);
    for (k, v) in record {
        if k.starts_with('@') || k.contains("@odata.") {
            continue;
        }
        if key_field == Some(k.as_str()) && k.eq_ignore_ascii_case("id") {
            continue;
        }
        let lower = k.to_lowercase();
        let mut name = match lower.as_str() {
            "id" => "id_value".to_string(),
            "source" => "source_value".to_string(),
            _ => k.clone(),
        };
        let mut n = 2;
        while seen.contains(&name.to_lowercase()) {
            name = format!("{k}_{n}");
            n += 1;
        }
        seen.insert(name.to_lowercase());
        out.insert(name, v.clone());
    }
    out
}

/// A cursor value: a time, a number, or text, compared as such.
#[derive(Debug, Clone, PartialEq)]
pub enum CursorValue {
    /// ms since the epoch; `seconds_only` when the platform sent no fraction.
    Time { ms: i64, seconds_only: bool },
    Number(f64),
    Text(String),
}

/// A time from the forms APIs use (RFC 3339, with or without offset or `T`, or a date).
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc().timestamp_millis())
}

/// ISO-8601 UTC, with milliseconds unless `seconds_only`.
pub fn iso(ms: i64, seconds_only: bool) -> String {
    let fmt = if seconds_only { "%Y-%m-%dT%H:%M:%SZ" } else { "%Y-%m-%dT%H:%M:%S%.3fZ" };
    DateTime::from_timestamp_millis(ms).map(|d| d.format(fmt).to_string()).unwrap_or_default()
}

impl CursorValue {
    /// Reads a field value (or a stored cursor text) as a cursor; null and objects are none.
    pub fn read(v: &Value) -> Option<CursorValue> {
        match v {
            Value::Number(n) => n.as_f64().map(CursorValue::Number),
            Value::String(s) => Some(CursorValue::parse(s)),
            _ => None,
        }
    }

    pub fn parse(s: &str) -> CursorValue {
        let t = s.trim();
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() {
                return CursorValue::Number(f);
            }
        }
        match parse_time_ms(t) {
            Some(ms) => CursorValue::Time { ms, seconds_only: !t.contains('.') },
            None => CursorValue::Text(t.to_string()),
        }
    }

    /// The text stored in the checkpoint (and read back by [`CursorValue::parse`]).
    pub fn text(&self) -> String {
        match self {
            CursorValue::Time { ms, seconds_only } => iso(*ms, *seconds_only),
            CursorValue::Number(f) if f.fract() == 0.0 && f.abs() < 9e15 => format!("{}", *f as i64),
            CursorValue::Number(f) => f.to_string(),
            CursorValue::Text(s) => s.clone(),
        }
    }

    /// The value moved back by the overlap window: times by the window, epoch numbers by
    /// the window in their unit (ms above 10¹¹, seconds otherwise); text is kept as is.
    pub fn minus(&self, overlap: std::time::Duration) -> CursorValue {
        match self {
            CursorValue::Time { ms, seconds_only } => CursorValue::Time { ms: ms - overlap.as_millis() as i64, seconds_only: *seconds_only },
            CursorValue::Number(f) if *f > 1e11 => CursorValue::Number(f - overlap.as_millis() as f64),
            CursorValue::Number(f) if *f > 1e8 => CursorValue::Number(f - overlap.as_secs() as f64),
            other => other.clone(),
        }
    }

    pub fn cmp(&self, other: &CursorValue) -> Ordering {
        match (self, other) {
            (CursorValue::Time { ms: a, .. }, CursorValue::Time { ms: b, .. }) => a.cmp(b),
            (CursorValue::Number(a), CursorValue::Number(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (a, b) => a.text().cmp(&b.text()),
        }
    }

    /// The larger of two optional cursors.
    pub fn max(a: Option<CursorValue>, b: Option<CursorValue>) -> Option<CursorValue> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.cmp(&a) == Ordering::Greater { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn rows_keep_every_field_and_move_reserved_names_aside() {
        let rec = json!({"ID": 5, "source": "web", "Name": "a", "name": "b", "@odata.etag": "W/1", "Pic@odata.mediaReadLink": "x", "tags": [1]});
        let r = row(rec.as_object().unwrap(), json!(5), Some("ID"));
        assert_eq!(Value::Object(r), json!({"id": 5, "source_value": "web", "Name": "a", "name_2": "b", "tags": [1]}));
        let r = row(json!({"Id": "x", "Code": 1}).as_object().unwrap(), json!("1"), Some("Code"));
        assert_eq!(Value::Object(r), json!({"id": "1", "id_value": "x", "Code": 1}));
        assert_eq!(raw_table("odata_feed", "Order_Details (EU)"), "raw_odata_feed_order_details_eu");
        assert_eq!(raw_table("rest_api", "/api/v2/tickets.json"), "raw_rest_api_api_v2_tickets_json");
        assert_eq!(key_part(&json!("a|b")).unwrap(), "a\\|b");
        assert_eq!(id_value(&json!(1.5)), Some(json!("1.5")));
        assert_eq!(id_value(&json!("")), None);
    }

    #[test]
    fn cursors_compare_and_move_back_by_their_kind() {
        let t = CursorValue::parse("2026-03-02T09:00:00Z");
        assert_eq!(t.minus(Duration::from_secs(300)).text(), "2026-03-02T08:55:00Z");
        assert_eq!(CursorValue::parse("2026-03-02T09:00:00.250+01:00").text(), "2026-03-02T08:00:00.250Z");
        assert_eq!(CursorValue::Number(1_772_442_000.0).minus(Duration::from_secs(300)).text(), "1772441700");
        assert_eq!(CursorValue::Number(1_772_442_000_000.0).minus(Duration::from_secs(1)).text(), "1772441999000");
        assert_eq!(CursorValue::Number(42.0).minus(Duration::from_secs(300)).text(), "42", "a version number is not a time");
        let m = CursorValue::max(Some(CursorValue::parse("2026-01-02")), Some(CursorValue::parse("2026-01-01T23:00:00Z")));
        assert_eq!(m.unwrap().text(), "2026-01-02T00:00:00Z");
    }
}
