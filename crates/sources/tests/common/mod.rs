//! Reading cached values in the connector tests: a wrong type is a failed test, never a
//! silent None.

#![allow(dead_code)]

use switchboard_cache::SqlValue;

pub fn text(v: &SqlValue) -> Option<String> {
    match v {
        SqlValue::Text(t) => Some(t.clone()),
        SqlValue::Null => None,
        other => panic!("not text: {other:?}"),
    }
}

pub fn int(v: &SqlValue) -> Option<i64> {
    match v {
        SqlValue::Integer(i) => Some(*i),
        SqlValue::Null => None,
        other => panic!("not an integer: {other:?}"),
    }
}

pub fn real(v: &SqlValue) -> Option<f64> {
    match v {
        SqlValue::Real(f) => Some(*f),
        SqlValue::Integer(i) => Some(*i as f64),
        SqlValue::Null => None,
        other => panic!("not a number: {other:?}"),
    }
}

/// A time cut to the whole second (platforms that send seconds).
pub fn whole_seconds(ms: Option<i64>) -> Option<i64> {
    ms.map(|m| m.div_euclid(1000) * 1000)
}
