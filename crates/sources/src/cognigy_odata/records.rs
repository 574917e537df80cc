//! Reading one OData record: tolerant normalisation for the raw table, and the canonical
//! rows a record implies on its own (messages, agents, inboxes, labels).

use chrono::{DateTime, NaiveDateTime};
use serde_json::{Map, Number, Value};
use switchboard_cache::SqlValue;

use super::Collection;

/// Milliseconds since the epoch from the date formats the platform has used:
/// `2026-01-19T13:31:18.553Z`, offsets, `2021-12-11 12:41:26.745` and `2026-01-02T03:04:05`
/// (both UTC).
pub fn parse_time_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(ms) = parse_stored(s) {
        return Some(ms);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    None
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count from 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The stored format exactly (`2026-01-19T13:31:18.553Z`, a real date and time), read
/// without chrono: nearly every date the platform sends is in it, and this is the hot path
/// of normalising a page. Anything else is None (and goes the general way).
fn parse_stored(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'.' || b[23] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, sec, ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > month_days || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + sec) * 1_000 + ms)
}

/// The one format dates are stored in (and sent back in filters).
pub fn iso_ms(ms: i64) -> String {
    let (days, in_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default();
    }
    let (h, mi, s, milli) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1_000 % 60, in_day % 1_000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// True when `s` is already in the stored format, so normalising leaves it as it is.
fn is_stored_format(s: &str) -> bool {
    parse_stored(s).is_some()
}

const INT_FIELDS: &[&str] = &[
    "id", "account_id", "inbox_id", "conversation_id", "sender_id", "message_type", "content_type", "status",
    "assignee_id", "team_id", "contact_id", "display_id", "user_id", "availability", "channel_id",
    "contact_inbox_id", "sign_in_count",
];
const FLOAT_FIELDS: &[&str] = &["value"];
const BOOL_FIELDS: &[&str] = &["private", "show_on_sidebar"];

fn is_time_field(k: &str) -> bool {
    k.ends_with("_at") || k.ends_with("_time") || k == "snoozed_until"
}

/// Normalises a record for storage, or says why it cannot be read. Numbers sent as strings
/// become numbers, booleans sent as text or 0/1 become booleans, dates get one format;
/// unknown fields are kept as they are. An optional field that does not parse is kept as
/// sent (it reads as null in the canonical tables); a required one rejects the record.
/// User fields that are credentials (password hashes, reset and confirmation tokens, session
/// tokens) or sign-in addresses. The OData feed sends them; the cache never keeps them, because
/// a cache file may be shared and must hold no secret.
pub const USER_SECRET_FIELDS: &[&str] = &[
    "encrypted_password",
    "reset_password_token",
    "confirmation_token",
    "tokens",
    "pubsub_token",
    "current_sign_in_ip",
    "last_sign_in_ip",
];

pub fn normalize(collection: Collection, raw: &Value) -> Result<Map<String, Value>, String> {
    normalize_owned(collection, raw.clone()).map_err(|(reason, _)| reason)
}

/// [`normalize`] taking the record by value, so that its fields are moved, not copied: only
/// the values that change are replaced. When the record cannot be read it comes back as it
/// was received, with the reason.
pub fn normalize_owned(collection: Collection, raw: Value) -> Result<Map<String, Value>, (String, Value)> {
    let mut obj = match raw {
        Value::Object(m) => m,
        other => return Err(("the record is not a JSON object".into(), other)),
    };
    // What was replaced or removed, to give the record back unchanged if it is rejected.
    let mut undo: Vec<(String, Value)> = Vec::new();
    match normalize_in_place(collection, &mut obj, &mut undo) {
        Ok(()) => Ok(obj),
        Err(reason) => {
            for (k, v) in undo {
                obj.insert(k, v);
            }
            Err((reason, Value::Object(obj)))
        }
    }
}

/// The value a field is stored as, when it differs from the one received.
fn convert(k: &str, v: &Value) -> Result<Option<Value>, String> {
    Ok(Some(match v {
        Value::String(s) if INT_FIELDS.contains(&k) => {
            let t = s.trim();
            if t.is_empty() {
                Value::Null
            } else if let Ok(i) = t.parse::<i64>() {
                Value::from(i)
            } else {
                return Err(format!("{k} is not a whole number: {s:?}"));
            }
        }
        Value::Number(n) if INT_FIELDS.contains(&k) && !n.is_i64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
            _ => return Err(format!("{k} is not a whole number: {n}")),
        },
        Value::String(s) if FLOAT_FIELDS.contains(&k) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Value::Number(Number::from_f64(f).unwrap()),
            _ if s.trim().is_empty() => Value::Null,
            _ => return Err(format!("{k} is not a number: {s:?}")),
        },
        Value::String(s) if BOOL_FIELDS.contains(&k) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            "" => Value::Null,
            _ => return Err(format!("{k} is not true or false: {s:?}")),
        },
        Value::Number(n) if BOOL_FIELDS.contains(&k) => Value::Bool(n.as_f64() != Some(0.0)),
        Value::String(s) if is_time_field(k) => {
            if is_stored_format(s) {
                return Ok(None);
            }
            match parse_time_ms(s) {
                Some(ms) => Value::String(iso_ms(ms)),
                None if s.trim().is_empty() => Value::Null,
                None => return Ok(None),
            }
        }
        _ => return Ok(None),
    }))
}

fn normalize_in_place(collection: Collection, out: &mut Map<String, Value>, undo: &mut Vec<(String, Value)>) -> Result<(), String> {
    if collection == Collection::User {
        for f in USER_SECRET_FIELDS {
            if let Some(v) = out.remove(*f) {
                undo.push((f.to_string(), v));
            }
        }
    }
    for (k, v) in out.iter_mut() {
        if let Some(new) = convert(k, v)? {
            undo.push((k.clone(), std::mem::replace(v, new)));
        }
    }
    let need = |field: &str, ok: bool| if ok { Ok(()) } else { Err(format!("{field} is missing or unreadable")) };
    need("id", out.get("id").is_some_and(Value::is_i64))?;
    let time_ok = |f: &str| out.get(f).and_then(Value::as_str).and_then(parse_time_ms).is_some();
    match collection {
        Collection::Conversation => need("created_at", time_ok("created_at"))?,
        Collection::Message => {
            need("conversation_id", out.get("conversation_id").is_some_and(Value::is_i64))?;
            need("created_at", time_ok("created_at"))?;
        }
        Collection::ReportingEvent => need("name", out.get("name").is_some_and(Value::is_string))?,
        _ => {}
    }
    Ok(())
}

pub fn get_i64(m: &Map<String, Value>, k: &str) -> Option<i64> {
    m.get(k).and_then(Value::as_i64)
}
pub fn get_str<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}
pub fn get_time(m: &Map<String, Value>, k: &str) -> Option<i64> {
    get_str(m, k).and_then(parse_time_ms)
}

/// A JSON column sent as a JSON-encoded string (v1.1 since 4.77) or as an object.
pub fn json_column(v: Option<&Value>) -> Option<Value> {
    match v? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn text(v: Option<impl Into<String>>) -> SqlValue {
    v.map(|s| SqlValue::Text(s.into())).unwrap_or(SqlValue::Null)
}
fn int(v: Option<i64>) -> SqlValue {
    v.map(SqlValue::Integer).unwrap_or(SqlValue::Null)
}
fn id_text(v: Option<i64>) -> SqlValue {
    text(v.map(|i| i.to_string()))
}

pub fn channel_name(channel_type: &str) -> String {
    let t = channel_type.trim();
    let bare = t.trim_start_matches("Channel").trim_start_matches(':').trim_start_matches(':');
    match bare.to_ascii_lowercase().as_str() {
        "webwidget" | "webchat" | "web_widget" | "web_chat" => "web_chat".into(),
        "whatsapp" => "whatsapp".into(),
        "email" => "email".into(),
        "api" => "api".into(),
        "" => t.to_ascii_lowercase(),
        other => other.to_string(),
    }
}

pub fn content_type_name(n: i64) -> String {
    match n {
        0 => "text",
        1 => "input_text",
        2 => "input_textarea",
        3 => "input_email",
        4 => "input_select",
        5 => "cards",
        6 => "form",
        7 => "article",
        8 => "incoming_email",
        9 => "input_csat",
        2016 => "typescognigy",
        2017 => "request_file_upload",
        other => return other.to_string(),
    }
    .to_string()
}

pub fn sender_kind(message_type: Option<i64>, sender_type: Option<&str>) -> &'static str {
    if message_type == Some(2) {
        return "system";
    }
    match sender_type {
        Some("Contact") => "contact",
        Some("User") => "agent",
        Some("AgentBot") => "bot",
        _ => match message_type {
            Some(0) => "contact",
            Some(1) => "agent",
            Some(3) => "bot",
            _ => "system",
        },
    }
}

/// The canonical row (values after `source`) a record implies by itself, if any.
pub fn canonical_row(collection: Collection, r: &Map<String, Value>) -> Option<Vec<SqlValue>> {
    let id = id_text(get_i64(r, "id"));
    Some(match collection {
        Collection::Message => {
            let message_type = get_i64(r, "message_type");
            let sender_type = get_str(r, "sender_type");
            let kind = sender_kind(message_type, sender_type);
            let content = get_str(r, "content");
            vec![
                id,
                id_text(get_i64(r, "conversation_id")),
                int(get_time(r, "created_at")),
                text(Some(kind)),
                if sender_type == Some("User") { id_text(get_i64(r, "sender_id")) } else { SqlValue::Null },
                SqlValue::Integer(r.get("private").and_then(Value::as_bool).unwrap_or(false) as i64),
                text(get_i64(r, "content_type").map(content_type_name)),
                text(content),
                SqlValue::Integer(content.map(|c| c.chars().count() as i64).unwrap_or(0)),
            ]
        }
        Collection::User => {
            let attrs = json_column(r.get("custom_attributes"));
            let role = attrs.as_ref().and_then(|a| a.get("role")).and_then(Value::as_str).map(String::from);
            let team_ids: Vec<String> = attrs
                .as_ref()
                .and_then(|a| a.get("team_ids"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|t| t.as_i64().map(|i| i.to_string()).or(t.as_str().map(String::from))).collect())
                .unwrap_or_default();
            let name = get_str(r, "name").or(get_str(r, "display_name"));
            vec![id, text(name), text(get_str(r, "email")), text(role), text(Some(Value::from(team_ids).to_string()))]
        }
        Collection::Inbox => vec![
            id,
            text(get_str(r, "name")),
            text(get_str(r, "channel_type").map(channel_name)),
            text(get_str(r, "timezone")),
        ],
        Collection::Label => vec![id, text(get_str(r, "title"))],
        Collection::Conversation | Collection::ReportingEvent => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_in_every_format_the_platform_used() {
        let want = 1_768_829_478_553; // 2026-01-19T13:31:18.553Z
        for s in ["2026-01-19T13:31:18.553Z", "2026-01-19 13:31:18.553", "2026-01-19T13:31:18.553", "2026-01-19T14:31:18.553+01:00"] {
            assert_eq!(parse_time_ms(s), Some(want), "{s}");
        }
        assert_eq!(parse_time_ms("2026-01-02T03:04:05"), Some(1_767_323_045_000));
        assert_eq!(iso_ms(want), "2026-01-19T13:31:18.553Z");
        assert_eq!(parse_time_ms("yesterday"), None);
    }

    /// The hand-written fast paths agree with chrono on every kind of day.
    #[test]
    fn fast_date_paths_agree_with_chrono() {
        let chrono_iso = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut ms = -86_400_000 * 800; // 1967
        while ms < 4_200_000_000_000 {
            let s = iso_ms(ms);
            assert_eq!(s, chrono_iso(ms));
            assert_eq!(parse_stored(&s), Some(ms), "{s}");
            assert_eq!(DateTime::parse_from_rfc3339(&s).unwrap().timestamp_millis(), ms);
            ms += 86_399_999 + 3_600_000 * 7 + 31; // walks days, hours and milliseconds
        }
        for bad in ["2026-02-29T00:00:00.000Z", "2024-13-01T00:00:00.000Z", "2024-01-01T24:00:00.000Z", "2024-01-01T00:00:60.000Z", "2024-01-01T00:00:00.00xZ"] {
            assert_eq!(parse_stored(bad), None, "{bad}");
        }
        assert_eq!(parse_stored("2024-02-29T23:59:59.999Z"), Some(1_709_251_199_999));
        assert_eq!(iso_ms(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
    }

    #[test]
    fn a_rejected_record_comes_back_as_received() {
        let raw = json!({"id": "x", "created_at": "2026-01-19 13:31:18.553", "encrypted_password": "p", "display_id": "4"});
        let (reason, back) = normalize_owned(Collection::User, raw.clone()).unwrap_err();
        assert_eq!(reason, "id is not a whole number: \"x\"");
        assert_eq!(back, raw);
        assert_eq!(back.to_string(), raw.to_string());
        let raw = json!({"id": 3, "display_id": "4", "updated_at": "2026-01-19 13:31:18.553"});
        let (reason, back) = normalize_owned(Collection::Message, raw.clone()).unwrap_err();
        assert_eq!(reason, "conversation_id is missing or unreadable");
        assert_eq!(back, raw);
    }

    #[test]
    fn normalize_tolerates_strings_and_rejects_unreadable_records() {
        let r = normalize(
            Collection::Message,
            &json!({"id": "7", "conversation_id": 3.0, "private": "false", "created_at": "2026-01-19 13:31:18.553",
                    "content_attributes": {"a": 1}, "brand_new": [1, 2], "updated_at": "soon"}),
        )
        .unwrap();
        assert_eq!(r["id"], json!(7));
        assert_eq!(r["conversation_id"], json!(3));
        assert_eq!(r["private"], json!(false));
        assert_eq!(r["created_at"], json!("2026-01-19T13:31:18.553Z"));
        assert_eq!(r["brand_new"], json!([1, 2]));
        assert_eq!(r["updated_at"], json!("soon"), "an optional unreadable date is kept as sent");
        assert_eq!(normalize(Collection::Message, &json!({"id": 1, "created_at": "2026-01-01T00:00:00Z"})).unwrap_err(), "conversation_id is missing or unreadable");
        assert_eq!(normalize(Collection::Inbox, &json!({"id": "x1"})).unwrap_err(), "id is not a whole number: \"x1\"");
        assert_eq!(normalize(Collection::Label, &json!([1])).unwrap_err(), "the record is not a JSON object");
        assert_eq!(normalize(Collection::ReportingEvent, &json!({"id": 1, "value": "12.5", "name": "first_response"})).unwrap()["value"], json!(12.5));
    }

    #[test]
    fn per_record_canonical_rows() {
        let m = normalize(
            Collection::Message,
            &json!({"id": 9, "conversation_id": 4, "message_type": 1, "sender_type": "User", "sender_id": 12,
                    "private": true, "content_type": 9, "content": "héllo", "created_at": "2026-01-19T13:31:18.553Z"}),
        )
        .unwrap();
        let row = canonical_row(Collection::Message, &m).unwrap();
        use SqlValue::*;
        assert_eq!(
            row,
            vec![Text("9".into()), Text("4".into()), Integer(1_768_829_478_553), Text("agent".into()), Text("12".into()), Integer(1), Text("input_csat".into()), Text("héllo".into()), Integer(5)]
        );
        let u = normalize(Collection::User, &json!({"id": 3, "name": "Ana", "email": "a@x", "custom_attributes": "{\"team_ids\":[1,2],\"role\":\"agent\"}"})).unwrap();
        assert_eq!(
            canonical_row(Collection::User, &u).unwrap(),
            vec![Text("3".into()), Text("Ana".into()), Text("a@x".into()), Text("agent".into()), Text(r#"["1","2"]"#.into())]
        );
        assert_eq!(channel_name("Channel::WebWidget"), "web_chat");
        assert_eq!(channel_name("Channel::Whatsapp"), "whatsapp");
        assert_eq!(channel_name("Channel::Api"), "api");
        assert_eq!(sender_kind(Some(1), Some("AgentBot")), "bot");
        assert_eq!(sender_kind(Some(2), None), "system");
    }
}
