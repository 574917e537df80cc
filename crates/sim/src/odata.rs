//! OData v4 machinery shared by the Live Agent OData versions: query options (`$top`,
//! `$skip`, `$select`, `$orderby`, `$filter`), paging over pre-sorted indexes, the JSON
//! envelope, CSDL `$metadata` and OData error bodies. The world's records become entity sets
//! once, in [`world_sets`], answering every column any version has; a version (`v1_0`,
//! `v1_1`, `v2_0`) only declares which collections and columns it shows, so its service
//! document and `$metadata` list exactly those and a value never differs between versions.
//!
//! Paging is cheap on big tables: rows are kept in id order and in (updated_at, id) order;
//! a `$filter` whose top-level `and` terms bound `id` or `updated_at` becomes a binary
//! search on the matching index, and when nothing else is filtered `$skip` is a slice
//! offset. Other terms narrow the range by the key bounds they imply (an `or` by the hull of
//! its branches, an `and` by their overlap) and are then checked row by row, so a keyset page
//! — `updated_at ge 'S' and (updated_at gt 'T' or (updated_at eq 'T' and id gt N))` — starts
//! by binary search at the first row with `updated_at` ≥ T instead of scanning from the
//! start of the order. Other orders fall back to filter + sort.
//!
//! ## Assumptions
//!
//! Where the platform reference (`shared/reference/vendor-apis.md` §1) is silent or unsure,
//! the simulator chooses:
//! - v1.0 is the shape documented from 2025.13 on (with `assigned_at`, `ended_at`,
//!   `conversation_ids`, `last_sign_out_at`), not the older smaller column set; new columns
//!   go after the documented v1.1 ones in field lists and `$metadata`.
//! - `Conversation.assigned_at` = the first `assignee_changed` (the canonical
//!   `assigned_at`); `Conversation.ended_at` = the latest `conversation_resolved` of a
//!   conversation whose status is resolved (the canonical `resolved_at`, so it includes
//!   abandoned and bot-resolved conversations), null otherwise.
//! - `Label.conversation_ids` is a JSON array of conversation ids in ascending order, sent
//!   as a JSON-encoded string like the other JSON columns (`"[3,17]"`).
//! - v2.0 = the v1.0 shapes (the 1.1 changes "rolled back") plus `Conversation.priority` as
//!   Chatwoot's number (low 0, medium 1, high 2, urgent 3); the text stays in
//!   `custom_attributes.priority` in every version. The URL prefix is `/v2.0/odata/`.
//! - `Team` (v2.0): `id`, `name`, `description`, `allow_auto_assign`, `account_id`,
//!   `created_at`, `updated_at`, mirroring Chatwoot's `teams` table; the world's teams, with
//!   `description` "<name> agents", `allow_auto_assign` true, times = account setup.
//! - `AgentAvailabilityRecord` (v2.0): `id`, `user_id`, `availability` (User.availability's
//!   enum), `started_at`, `ended_at`, `account_id`, `created_at` (= `started_at`),
//!   `updated_at` (= `ended_at`, or `started_at` while running). One record per agent per
//!   day of the world on which the agent's shift runs, covering the shift (UTC), all
//!   `availability` 0 (online); time outside records is offline. Ids count from 1 in order of
//!   (started_at, user_id). A shift still running at the world's end has `ended_at` null.
//!   Records are the planned shifts: an agent finishing a conversation a little after the
//!   shift's end (the world allows it) does not extend the record.
//! - `User.last_sign_out_at` = the end of the agent's last ended shift; `current_sign_in_at`
//!   and `last_sign_in_at` (every version) = the start of the agent's last shift.

pub mod v1_0;
pub mod v1_1;
pub mod v2_0;
pub mod world_sets;

/// Every OData API version the simulator serves, by URL segment, over one world.
pub fn versions(world: std::sync::Arc<crate::world::World>) -> Vec<(&'static str, Service)> {
    let orders = world_sets::RecordOrders::new(&world);
    vec![
        ("v1.0", v1_0::service(world.clone(), &orders)),
        ("v1.1", v1_1::service(world.clone(), &orders)),
        ("v2.0", v2_0::service(world, &orders)),
    ]
}

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::faults::{drift_of, Drift, FaultSwitch, PageFault, DRIFT_EXTRA, DRIFT_OPTIONAL};

/// The largest `$top` the platform allows (release note 4.85).
pub const MAX_TOP: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Int,
    Float,
    Bool,
    Str,
    Time,
    /// JSON sent as a JSON-encoded string (platform release 4.77).
    Json,
}

impl FieldType {
    fn edm(self) -> &'static str {
        match self {
            FieldType::Int => "Edm.Int64",
            FieldType::Float => "Edm.Double",
            FieldType::Bool => "Edm.Boolean",
            FieldType::Str | FieldType::Json => "Edm.String",
            FieldType::Time => "Edm.DateTimeOffset",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
}

pub const fn field(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(Cow<'a, str>),
    Time(i64),
}

impl<'a> Value<'a> {
    pub fn opt_int(v: Option<impl Into<i64>>) -> Value<'a> {
        v.map(|v| Value::Int(v.into())).unwrap_or(Value::Null)
    }
    pub fn opt_time(v: Option<i64>) -> Value<'a> {
        v.map(Value::Time).unwrap_or(Value::Null)
    }
    pub fn text(s: &'a str) -> Value<'a> {
        Value::Str(Cow::Borrowed(s))
    }
    pub fn owned(s: String) -> Value<'a> {
        Value::Str(Cow::Owned(s))
    }
}

/// One collection of one API version. Rows are numbered 0..len in ascending id order.
pub trait EntitySet: Send + Sync {
    fn name(&self) -> &'static str;
    fn fields(&self) -> &'static [Field];
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn id(&self, row: usize) -> i64;
    fn updated_at(&self, row: usize) -> i64;
    fn value(&self, row: usize, field: &str) -> Value<'_>;
}

/// An entity set with its (updated_at, id) order precomputed. The order is shared (`Arc`)
/// because the versions serve the same rows: on a large world it is a good part of the
/// serving memory.
pub struct IndexedSet {
    pub set: Box<dyn EntitySet>,
    by_updated: std::sync::Arc<Vec<u32>>,
}

/// The rows of `set` in (updated_at, id) order.
pub fn updated_order(set: &dyn EntitySet) -> Vec<u32> {
    let mut by_updated: Vec<u32> = (0..set.len() as u32).collect();
    by_updated.sort_by_key(|r| (set.updated_at(*r as usize), set.id(*r as usize)));
    by_updated
}

impl IndexedSet {
    pub fn new(set: Box<dyn EntitySet>) -> IndexedSet {
        let by_updated = std::sync::Arc::new(updated_order(set.as_ref()));
        IndexedSet::with_order(set, by_updated)
    }

    /// `by_updated` must be [`updated_order`] of rows equal to `set`'s.
    pub fn with_order(set: Box<dyn EntitySet>, by_updated: std::sync::Arc<Vec<u32>>) -> IndexedSet {
        debug_assert_eq!(by_updated.len(), set.len());
        debug_assert!(
            (1..set.len()).all(|r| set.id(r - 1) < set.id(r)),
            "rows must be in id order"
        );
        IndexedSet { set, by_updated }
    }

    fn field_index(&self, name: &str) -> Result<usize, ODataError> {
        self.set
            .fields()
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| {
                ODataError::bad_request(format!(
                    "Could not find a property named '{name}' on type '{}'.",
                    self.set.name()
                ))
            })
    }

    fn row_by_id(&self, id: i64) -> Option<usize> {
        let pos = partition(self.set.len(), |r| self.set.id(r) < id);
        (pos < self.set.len() && self.set.id(pos) == id).then_some(pos)
    }
}

/// First index in 0..n where `before` turns false (`before` must be monotone).
fn partition(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[derive(Debug, Clone, PartialEq)]
pub struct ODataError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ODataError {
    pub fn bad_request(message: impl Into<String>) -> ODataError {
        ODataError {
            status: 400,
            code: "BadRequest",
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> ODataError {
        ODataError {
            status: 404,
            code: "NotFound",
            message: message.into(),
        }
    }
    pub fn unauthorized(message: impl Into<String>) -> ODataError {
        ODataError {
            status: 401,
            code: "Unauthorized",
            message: message.into(),
        }
    }
    pub fn body(&self) -> String {
        serde_json::json!({"error": {"code": self.code, "message": self.message}}).to_string()
    }
}

// ---------------------------------------------------------------------------------------
// $filter

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Time(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: &'static str,
        op: Op,
        literal: Literal,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Quoted(String),
    Word(String),
}

fn tokenize(s: &str) -> Result<Vec<Token>, ODataError> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Token::Open);
            i += 1;
        } else if c == ')' {
            out.push(Token::Close);
            i += 1;
        } else if c == '\'' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(ODataError::bad_request(
                            "Unterminated string literal in $filter.",
                        ))
                    }
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        text.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        text.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::Quoted(text));
        } else {
            let start = i;
            while i < chars.len()
                && !chars[i].is_whitespace()
                && !matches!(chars[i], '(' | ')' | '\'')
            {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        }
    }
    Ok(out)
}

/// Parse an ISO-8601 date-time; without an offset it is UTC. Also accepts a plain date.
pub fn parse_datetime(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc()
                .timestamp_millis()
        })
}

pub fn format_datetime(ms: i64) -> String {
    crate::world::utc(ms)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

struct FilterParser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    fields: &'static [Field],
    set: &'a str,
}

impl FilterParser<'_> {
    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.pos) {
            Some(Token::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Expr, ODataError> {
        let mut left = self.and()?;
        while self.peek_word().as_deref() == Some("or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ODataError> {
        let mut left = self.unary()?;
        while self.peek_word().as_deref() == Some("and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ODataError> {
        if self.peek_word().as_deref() == Some("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.tokens.get(self.pos) == Some(&Token::Open) {
            self.pos += 1;
            let e = self.or()?;
            if self.tokens.get(self.pos) != Some(&Token::Close) {
                return Err(ODataError::bad_request("Missing ')' in $filter."));
            }
            self.pos += 1;
            return Ok(e);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ODataError> {
        let name = match self.tokens.get(self.pos) {
            Some(Token::Word(w)) => w.clone(),
            other => {
                return Err(ODataError::bad_request(format!(
                    "Expected a property name in $filter, found {other:?}."
                )))
            }
        };
        let field = self.fields.iter().find(|f| f.name == name).ok_or_else(|| {
            ODataError::bad_request(format!(
                "Could not find a property named '{name}' on type '{}'.",
                self.set
            ))
        })?;
        self.pos += 1;
        let op = match self.peek_word().as_deref() {
            Some("eq") => Op::Eq,
            Some("ne") => Op::Ne,
            Some("gt") => Op::Gt,
            Some("ge") => Op::Ge,
            Some("lt") => Op::Lt,
            Some("le") => Op::Le,
            _ => {
                return Err(ODataError::bad_request(format!(
                    "Expected eq, ne, gt, ge, lt or le after '{name}' in $filter."
                )))
            }
        };
        self.pos += 1;
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        let bad = |what: &str| {
            ODataError::bad_request(format!(
                "The value {what} cannot be compared with '{name}' ({:?}).",
                field.ty
            ))
        };
        let literal = match token {
            Some(Token::Word(w)) if w == "null" => Literal::Null,
            Some(Token::Quoted(s)) => match field.ty {
                FieldType::Str | FieldType::Json => Literal::Str(s),
                FieldType::Time => {
                    Literal::Time(parse_datetime(&s).ok_or_else(|| bad(&format!("'{s}'")))?)
                }
                _ => return Err(bad(&format!("'{s}'"))),
            },
            Some(Token::Word(w)) => match field.ty {
                FieldType::Int => Literal::Int(w.parse().map_err(|_| bad(&w))?),
                FieldType::Float => Literal::Float(w.parse().map_err(|_| bad(&w))?),
                FieldType::Bool => match w.as_str() {
                    "true" => Literal::Bool(true),
                    "false" => Literal::Bool(false),
                    _ => return Err(bad(&w)),
                },
                FieldType::Time => Literal::Time(parse_datetime(&w).ok_or_else(|| bad(&w))?),
                FieldType::Str | FieldType::Json => return Err(bad(&w)),
            },
            _ => {
                return Err(ODataError::bad_request(format!(
                    "Missing value after '{name}' in $filter."
                )))
            }
        };
        Ok(Expr::Compare {
            field: field.name,
            op,
            literal,
        })
    }
}

pub fn parse_filter(text: &str, set: &dyn EntitySet) -> Result<Expr, ODataError> {
    let mut p = FilterParser {
        tokens: tokenize(text)?,
        pos: 0,
        fields: set.fields(),
        set: set.name(),
    };
    let e = p.or()?;
    if p.pos != p.tokens.len() {
        return Err(ODataError::bad_request(format!(
            "Unexpected {:?} in $filter.",
            p.tokens[p.pos]
        )));
    }
    Ok(e)
}

fn compare(value: &Value, op: Op, literal: &Literal) -> bool {
    let ord: Option<Ordering> = match (value, literal) {
        (Value::Null, Literal::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Literal::Null) => None,
        (Value::Int(a), Literal::Int(b)) => Some(a.cmp(b)),
        (Value::Int(a), Literal::Float(b)) => (*a as f64).partial_cmp(b),
        (Value::Float(a), Literal::Float(b)) => a.partial_cmp(b),
        (Value::Float(a), Literal::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Value::Str(a), Literal::Str(b)) => Some(a.as_ref().cmp(b.as_str())),
        (Value::Time(a), Literal::Time(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match (op, ord) {
        (Op::Ne, None) => true,
        (_, None) => false,
        (Op::Eq, Some(o)) => o == Ordering::Equal,
        (Op::Ne, Some(o)) => o != Ordering::Equal,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
    }
}

fn eval(e: &Expr, set: &dyn EntitySet, row: usize) -> bool {
    match e {
        Expr::And(a, b) => eval(a, set, row) && eval(b, set, row),
        Expr::Or(a, b) => eval(a, set, row) || eval(b, set, row),
        Expr::Not(a) => !eval(a, set, row),
        Expr::Compare { field, op, literal } => compare(&set.value(row, field), *op, literal),
    }
}

fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::And(a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        other => out.push(other),
    }
}

/// Where a page starts in the collection, for faults placed "from the Nth record"
/// (`malformed:Message@2000`): its `$skip` plus the records its `$filter` passed over before
/// its first row, in the request's own order. So a fault fires at the same place whether a
/// client pages by `$skip` or by keyset filters (`updated_at gt …`). Computed only when a
/// page fault targets this collection, since it reads the whole order.
fn page_position(set: &IndexedSet, q: &Query, first: Option<usize>, faults: &FaultSwitch, name: &str) -> usize {
    let targeted = faults.plan().rules.iter().any(|r| {
        matches!(r,
            crate::faults::Fault::Malformed { collection, .. }
            | crate::faults::Fault::Unauthorized { collection, .. }
            | crate::faults::Fault::Cut { collection, .. } if collection == name)
    });
    match (first, &q.filter) {
        (Some(first), Some(_)) if targeted => {
            let all = page(set, &Query { top: usize::MAX, skip: 0, filter: None, ..q.clone() });
            all.iter().position(|r| *r == first).unwrap_or(q.skip)
        }
        _ => q.skip,
    }
}

// ---------------------------------------------------------------------------------------
// Query options and paging

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub top: usize,
    pub skip: usize,
    pub select: Option<Vec<&'static str>>,
    pub orderby: Vec<(&'static str, bool)>,
    pub filter: Option<Expr>,
}

/// Decode `a=b&c=d` (percent-encoding and `+` for space); `%24top` and `$top` are the same.
pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned()
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn option<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn parse_select(text: &str, set: &IndexedSet) -> Result<Vec<&'static str>, ODataError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| set.field_index(name).map(|i| set.set.fields()[i].name))
        .collect()
}

/// Parse the query options of a collection request; `$top` and `$skip` are required.
pub fn parse_query(pairs: &[(String, String)], set: &IndexedSet) -> Result<Query, ODataError> {
    let number = |name: &str| -> Result<usize, ODataError> {
        let v = option(pairs, name).ok_or_else(|| {
            ODataError::bad_request(format!(
                "The query option {name} is required: every request must send $top (at most {MAX_TOP}) and $skip."
            ))
        })?;
        v.trim().parse::<usize>().map_err(|_| {
            ODataError::bad_request(format!("{name} must be a whole number, not '{v}'."))
        })
    };
    let top = number("$top")?;
    let skip = number("$skip")?;
    if top > MAX_TOP {
        return Err(ODataError::bad_request(format!(
            "$top may be at most {MAX_TOP}; page with $skip for more."
        )));
    }
    let select = option(pairs, "$select")
        .map(|s| parse_select(s, set))
        .transpose()?;
    let mut orderby = Vec::new();
    if let Some(text) = option(pairs, "$orderby") {
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or_default();
            let f = set.set.fields()[set.field_index(name)?].name;
            let desc = match words.next().map(|w| w.to_ascii_lowercase()).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(ODataError::bad_request(format!(
                        "Unknown sort direction '{other}' in $orderby."
                    )))
                }
            };
            orderby.push((f, desc));
        }
    }
    let filter = option(pairs, "$filter")
        .filter(|f| !f.trim().is_empty())
        .map(|f| parse_filter(f, set.set.as_ref()))
        .transpose()?;
    Ok(Query {
        top,
        skip,
        select,
        orderby,
        filter,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Updated,
}

/// The rows of one page, in order.
pub fn page(set: &IndexedSet, q: &Query) -> Vec<usize> {
    let s = set.set.as_ref();
    // Which pre-sorted index serves this order (a trailing `id` in the same direction is
    // the index's own tie-break).
    let order = match q.orderby.as_slice() {
        [] => Some((Key::Id, false)),
        [("id", d)] => Some((Key::Id, *d)),
        [("updated_at", d)] => Some((Key::Updated, *d)),
        [("updated_at", d), ("id", e)] if d == e => Some((Key::Updated, *d)),
        _ => None,
    };
    let Some((key, desc)) = order else {
        let mut rows: Vec<usize> = (0..s.len())
            .filter(|r| q.filter.as_ref().is_none_or(|f| eval(f, s, *r)))
            .collect();
        rows.sort_by(|a, b| {
            for (name, desc) in &q.orderby {
                let o = order_values(&s.value(*a, name), &s.value(*b, name));
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.cmp(b)
        });
        return rows.into_iter().skip(q.skip).take(q.top).collect();
    };
    let row_at = |pos: usize| -> usize {
        match key {
            Key::Id => pos,
            Key::Updated => set.by_updated[pos] as usize,
        }
    };
    let key_at = |pos: usize| -> i64 {
        match key {
            Key::Id => s.id(pos),
            Key::Updated => s.updated_at(set.by_updated[pos] as usize),
        }
    };
    let key_name = if key == Key::Id { "id" } else { "updated_at" };
    // The key a comparison bounds, if it compares the index's key with a literal of its type.
    let key_bound = |e: &Expr| -> Option<(Op, i64)> {
        match e {
            Expr::Compare { field, op, literal: Literal::Int(v) } if *field == key_name && key == Key::Id => Some((*op, *v)),
            Expr::Compare { field, op, literal: Literal::Time(v) } if *field == key_name && key == Key::Updated => {
                Some((*op, *v))
            }
            _ => None,
        }
    };
    // The positions a bound allows, as a range of the index.
    let range_of = |(op, v): (Op, i64)| -> Option<(usize, usize)> {
        let n = s.len();
        match op {
            Op::Ge => Some((partition(n, |p| key_at(p) < v), n)),
            Op::Gt => Some((partition(n, |p| key_at(p) <= v), n)),
            Op::Le => Some((0, partition(n, |p| key_at(p) <= v))),
            Op::Lt => Some((0, partition(n, |p| key_at(p) < v))),
            Op::Eq => Some((partition(n, |p| key_at(p) < v), partition(n, |p| key_at(p) <= v))),
            Op::Ne => None,
        }
    };
    let (mut lo, mut hi) = (0usize, s.len());
    let mut residual = Vec::new();
    if let Some(f) = q.filter.clone() {
        let mut terms = Vec::new();
        conjuncts(f, &mut terms);
        for term in terms {
            match key_bound(&term).and_then(range_of) {
                // A plain bound on the key is exactly a range: no check left to do.
                Some((l, h)) => {
                    lo = lo.max(l);
                    hi = hi.min(h);
                }
                None => {
                    // Any other term still narrows the range by the key bounds it implies
                    // (an `or` allows the hull of its branches, an `and` their overlap),
                    // and is checked on every row of that range. This is what keeps
                    // keyset pages — `(updated_at gt T or (updated_at eq T and id gt N))` —
                    // a binary search instead of a scan from the start of the order.
                    if let Some((l, h)) = implied_range(&term, &key_bound, &range_of) {
                        lo = lo.max(l);
                        hi = hi.min(h);
                    }
                    residual.push(term);
                }
            }
        }
    }
    if lo >= hi {
        return Vec::new();
    }
    let positions: Box<dyn Iterator<Item = usize>> = if desc {
        Box::new((lo..hi).rev())
    } else {
        Box::new(lo..hi)
    };
    if residual.is_empty() {
        return positions.skip(q.skip).take(q.top).map(row_at).collect();
    }
    positions
        .map(row_at)
        .filter(|r| residual.iter().all(|t| eval(t, s, *r)))
        .skip(q.skip)
        .take(q.top)
        .collect()
}

/// The range of an index that every row matching `e` lies in, from the key bounds `e`
/// implies; None when it implies none (any row may match).
fn implied_range(
    e: &Expr,
    key_bound: &dyn Fn(&Expr) -> Option<(Op, i64)>,
    range_of: &dyn Fn((Op, i64)) -> Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    match e {
        Expr::Compare { .. } => key_bound(e).and_then(range_of),
        Expr::And(a, b) => match (implied_range(a, key_bound, range_of), implied_range(b, key_bound, range_of)) {
            (Some((l1, h1)), Some((l2, h2))) => Some((l1.max(l2), h1.min(h2))),
            (Some(r), None) | (None, Some(r)) => Some(r),
            (None, None) => None,
        },
        Expr::Or(a, b) => {
            let (l1, h1) = implied_range(a, key_bound, range_of)?;
            let (l2, h2) = implied_range(b, key_bound, range_of)?;
            // An empty branch allows nothing: the other branch alone bounds the `or`.
            if l1 >= h1 {
                Some((l2, h2))
            } else if l2 >= h2 {
                Some((l1, h1))
            } else {
                Some((l1.min(l2), h1.max(h2)))
            }
        }
        Expr::Not(_) => None,
    }
}

fn order_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        // Nulls sort first, as in most OData services.
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

// ---------------------------------------------------------------------------------------
// Serialisation

fn write_value(out: &mut String, v: &Value) {
    use std::fmt::Write;
    match v {
        Value::Null => out.push_str("null"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) if f.is_finite() => out.push_str(&serde_json::Value::from(*f).to_string()),
        Value::Float(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Str(s) => out.push_str(&serde_json::Value::from(s.as_ref()).to_string()),
        Value::Time(ms) => {
            out.push('"');
            out.push_str(&format_datetime(*ms));
            out.push('"');
        }
    }
}

/// Write one record's properties; `drift` (the `drift:` fault) bends its shape.
fn write_properties(
    out: &mut String,
    set: &dyn EntitySet,
    row: usize,
    select: &Option<Vec<&'static str>>,
    first: bool,
    drift: Option<Drift>,
) {
    let names: Vec<&str> = match select {
        Some(s) => s.clone(),
        None => set.fields().iter().map(|f| f.name).collect(),
    };
    let optional = |name: &str| DRIFT_OPTIONAL.contains(&name);
    let mut first = first;
    let mut comma = |out: &mut String| {
        if !first {
            out.push(',');
        }
        first = false;
    };
    for name in names {
        if drift == Some(Drift::Missing) && optional(name) {
            continue;
        }
        comma(out);
        write_value(out, &Value::text(name));
        out.push(':');
        let value = set.value(row, name);
        match (drift, &value) {
            (Some(Drift::Null), _) if optional(name) => out.push_str("null"),
            (Some(Drift::NumberAsString), Value::Int(_) | Value::Float(_)) if name != "id" => {
                let mut number = String::new();
                write_value(&mut number, &value);
                write_value(out, &Value::owned(number));
            }
            _ => write_value(out, &value),
        }
    }
    if drift.is_some() {
        for (name, json) in DRIFT_EXTRA {
            comma(out);
            write_value(out, &Value::text(name));
            out.push(':');
            out.push_str(json);
        }
    }
}

/// A reply independent of the HTTP library.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn json(body: String) -> Reply {
        Reply {
            status: 200,
            content_type: JSON,
            body,
            retry_after: None,
        }
    }
    pub fn error(e: &ODataError) -> Reply {
        Reply {
            status: e.status,
            content_type: JSON,
            body: e.body(),
            retry_after: None,
        }
    }
}

pub const JSON: &str = "application/json; odata.metadata=minimal; charset=utf-8";

/// What a request under `/<version>/odata/` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    ServiceDocument,
    Metadata,
    Collection(String),
    Entity(String, i64),
}

impl Target {
    pub fn parse(rest: &str) -> Result<Target, ODataError> {
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() {
            return Ok(Target::ServiceDocument);
        }
        if rest == "$metadata" {
            return Ok(Target::Metadata);
        }
        if let Some((name, key)) = rest.strip_suffix(')').and_then(|r| r.split_once('(')) {
            let id = key.trim().parse::<i64>().map_err(|_| {
                ODataError::bad_request(format!("The key '{key}' is not a number."))
            })?;
            return Ok(Target::Entity(name.to_string(), id));
        }
        if rest.contains('/') || rest.contains('(') {
            return Err(ODataError::not_found(format!(
                "There is no resource '{rest}'."
            )));
        }
        Ok(Target::Collection(rest.to_string()))
    }

    /// Faults apply to data requests only.
    pub fn is_faultable(&self) -> bool {
        matches!(self, Target::Collection(_) | Target::Entity(..))
    }
}

/// The entity sets of one OData API version.
pub struct Service {
    pub namespace: &'static str,
    pub sets: Vec<IndexedSet>,
}

impl Service {
    fn set(&self, name: &str) -> Result<&IndexedSet, ODataError> {
        self.sets
            .iter()
            .find(|s| s.set.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.sets.iter().map(|s| s.set.name()).collect();
                ODataError::not_found(format!(
                    "There is no collection '{name}'. Collections: {}.",
                    names.join(", ")
                ))
            })
    }

    /// Answer a GET for `target`; `base` is the service root URL ending in `/`.
    pub fn answer(
        &self,
        target: &Target,
        pairs: &[(String, String)],
        base: &str,
        faults: &FaultSwitch,
    ) -> Reply {
        match self.answer_inner(target, pairs, base, faults) {
            Ok(r) => r,
            Err(e) => Reply::error(&e),
        }
    }

    fn answer_inner(
        &self,
        target: &Target,
        pairs: &[(String, String)],
        base: &str,
        faults: &FaultSwitch,
    ) -> Result<Reply, ODataError> {
        match target {
            Target::ServiceDocument => {
                let value: Vec<serde_json::Value> = self
                    .sets
                    .iter()
                    .map(|s| serde_json::json!({"name": s.set.name(), "kind": "EntitySet", "url": s.set.name()}))
                    .collect();
                Ok(Reply::json(serde_json::json!({"@odata.context": format!("{base}$metadata"), "value": value}).to_string()))
            }
            Target::Metadata => Ok(Reply {
                status: 200,
                content_type: "application/xml",
                body: self.csdl(),
                retry_after: None,
            }),
            Target::Entity(name, id) => {
                let set = self.set(name)?;
                let select = option(pairs, "$select")
                    .map(|s| parse_select(s, set))
                    .transpose()?;
                let row = set.row_by_id(*id).ok_or_else(|| {
                    ODataError::not_found(format!("There is no {name} with id {id}."))
                })?;
                let mut out = String::from("{");
                write_value(&mut out, &Value::text("@odata.context"));
                out.push(':');
                write_value(
                    &mut out,
                    &Value::owned(format!("{base}$metadata#{name}/$entity")),
                );
                let drift = faults
                    .drifts(name)
                    .then(|| drift_of(set.set.id(row)));
                write_properties(&mut out, set.set.as_ref(), row, &select, false, drift);
                out.push('}');
                Ok(Reply::json(out))
            }
            Target::Collection(name) => {
                let set = self.set(name)?;
                let q = parse_query(pairs, set)?;
                let rows = page(set, &q);
                let fault = faults.page_fault(name, page_position(set, &q, rows.first().copied(), faults, name) as u64);
                if fault == Some(PageFault::Unauthorized) {
                    return Err(ODataError::unauthorized(
                        "The access token is no longer valid (it was revoked or its user lost the administrator role). Ask an administrator for a new token.",
                    ));
                }
                let drifts = faults.drifts(name);
                let mut out = String::with_capacity(64 + rows.len() * 300);
                out.push('{');
                write_value(&mut out, &Value::text("@odata.context"));
                out.push(':');
                write_value(&mut out, &Value::owned(format!("{base}$metadata#{name}")));
                out.push_str(",\"value\":[");
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('{');
                    let drift = drifts.then(|| drift_of(set.set.id(*row)));
                    write_properties(&mut out, set.set.as_ref(), *row, &q.select, true, drift);
                    out.push('}');
                }
                out.push_str("]}");
                if fault == Some(PageFault::Malformed) {
                    let mut cut = out.len() / 2;
                    while !out.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    out.truncate(cut);
                }
                Ok(Reply::json(out))
            }
        }
    }

    /// CSDL (EDMX 4.0) describing every entity set.
    pub fn csdl(&self) -> String {
        let mut x = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n<edmx:DataServices>\n",
        );
        x.push_str(&format!(
            "<Schema Namespace=\"{}\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n",
            self.namespace
        ));
        for s in &self.sets {
            x.push_str(&format!(
                "<EntityType Name=\"{}\">\n<Key><PropertyRef Name=\"id\"/></Key>\n",
                s.set.name()
            ));
            for f in s.set.fields() {
                let nullable = if f.name == "id" {
                    " Nullable=\"false\""
                } else {
                    ""
                };
                x.push_str(&format!(
                    "<Property Name=\"{}\" Type=\"{}\"{nullable}/>\n",
                    f.name,
                    f.ty.edm()
                ));
            }
            x.push_str("</EntityType>\n");
        }
        x.push_str("<EntityContainer Name=\"Container\">\n");
        for s in &self.sets {
            x.push_str(&format!(
                "<EntitySet Name=\"{0}\" EntityType=\"{1}.{0}\"/>\n",
                s.set.name(),
                self.namespace
            ));
        }
        x.push_str("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n");
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten rows: id 10..19, updated_at descending with ties, a nullable number.
    struct Numbers;
    const FIELDS: &[Field] = &[
        field("id", FieldType::Int),
        field("updated_at", FieldType::Time),
        field("score", FieldType::Float),
        field("name", FieldType::Str),
    ];
    impl EntitySet for Numbers {
        fn name(&self) -> &'static str {
            "Numbers"
        }
        fn fields(&self) -> &'static [Field] {
            FIELDS
        }
        fn len(&self) -> usize {
            10
        }
        fn id(&self, row: usize) -> i64 {
            10 + row as i64
        }
        fn updated_at(&self, row: usize) -> i64 {
            1_000 * (10 - row as i64 / 2)
        }
        fn value(&self, row: usize, f: &str) -> Value<'_> {
            match f {
                "id" => Value::Int(self.id(row)),
                "updated_at" => Value::Time(self.updated_at(row)),
                "score" => {
                    if row.is_multiple_of(3) {
                        Value::Null
                    } else {
                        Value::Float(row as f64 / 2.0)
                    }
                }
                "name" => Value::owned(format!("n{}", row % 4)),
                _ => Value::Null,
            }
        }
    }

    fn ids(q: &str) -> Result<Vec<i64>, ODataError> {
        let set = IndexedSet::new(Box::new(Numbers));
        let q = parse_query(&query_pairs(q), &set)?;
        Ok(page(&set, &q).into_iter().map(|r| 10 + r as i64).collect())
    }

    #[test]
    fn filters_and_orders() {
        assert_eq!(ids("$top=3&$skip=2").unwrap(), vec![12, 13, 14]);
        assert_eq!(
            ids("$top=100&$skip=0&$filter=id gt 15 and id le 17").unwrap(),
            vec![16, 17]
        );
        assert_eq!(
            ids("$top=2&$skip=1&$orderby=id desc").unwrap(),
            vec![18, 17]
        );
        // updated_at: rows 8,9 have the oldest time (6000); ties broken by id.
        assert_eq!(
            ids("$top=4&$skip=0&$orderby=updated_at asc,id asc").unwrap(),
            vec![18, 19, 16, 17]
        );
        assert_eq!(
            ids("$top=10&$skip=1&$orderby=updated_at&$filter=updated_at ge '1970-01-01T00:00:08'")
                .unwrap(),
            vec![15, 12, 13, 10, 11]
        );
        assert_eq!(
            ids("$top=10&$skip=0&$filter=updated_at eq 1970-01-01T00:00:09.000Z").unwrap(),
            vec![12, 13]
        );
        // Residual conditions, or, parentheses, null.
        assert_eq!(
            ids("$top=10&$skip=0&$filter=(score eq null or name eq 'n1') and id lt 18").unwrap(),
            vec![10, 11, 13, 15, 16]
        );
        assert_eq!(
            ids("$top=10&$skip=0&$filter=score ge 2.5 and not (id eq 17)").unwrap(),
            vec![15, 18]
        );
        assert_eq!(
            ids("$top=3&$skip=0&$orderby=name desc,id desc").unwrap(),
            vec![17, 13, 16]
        );
        assert_eq!(
            ids("%24top=1&%24skip=0&%24filter=id%20eq%2011").unwrap(),
            vec![11]
        );
        assert_eq!(
            ids("$top=5&$skip=0&$filter=id gt 30").unwrap(),
            Vec::<i64>::new()
        );
    }

    /// Keyset pages (`(updated_at gt T or (updated_at eq T and id gt N))`, alone or after a
    /// lower bound) give the same rows as a plain scan would, from the middle of a tie too.
    #[test]
    fn keyset_filters_start_by_binary_search() {
        let set = IndexedSet::new(Box::new(Numbers));
        let order = "$orderby=updated_at asc,id asc";
        // Order by (updated_at, id): 18 19 16 17 14 15 12 13 10 11 (times 6000 6000 7000 …).
        let all = ids(&format!("$top=10&$skip=0&{order}")).unwrap();
        assert_eq!(all, vec![18, 19, 16, 17, 14, 15, 12, 13, 10, 11]);
        let t = |ms: i64| format_datetime(ms);
        for (i, &after) in all.iter().enumerate() {
            let at = set.set.updated_at((after - 10) as usize);
            let keyset = format!("(updated_at gt '{0}' or (updated_at eq '{0}' and id gt {after}))", t(at));
            let want: Vec<i64> = all[i + 1..].iter().copied().take(3).collect();
            assert_eq!(ids(&format!("$top=3&$skip=0&{order}&$filter={keyset}")).unwrap(), want, "after {after}");
            let with_since = format!("updated_at ge '{}' and {keyset}", t(7_000));
            let want: Vec<i64> =
                all[i + 1..].iter().copied().filter(|id| set.set.updated_at((*id - 10) as usize) >= 7_000).take(3).collect();
            assert_eq!(ids(&format!("$top=3&$skip=0&{order}&$filter={with_since}")).unwrap(), want, "since, after {after}");
        }
        // Descending order and an `or` with an empty branch still bound correctly.
        assert_eq!(
            ids("$top=10&$skip=0&$orderby=updated_at desc,id desc&$filter=(updated_at lt '1970-01-01T00:00:07' or id eq 99)").unwrap(),
            vec![19, 18]
        );
        assert_eq!(
            ids("$top=10&$skip=0&$filter=(id gt 17 or (id eq 16 and score eq null) or (id eq 15 and score eq null)) and not (id eq 19)").unwrap(),
            vec![16, 18]
        );
    }

    #[test]
    fn rejects_bad_queries() {
        for (q, needle) in [
            ("$skip=0", "option $top is required"),
            ("$top=1", "option $skip is required"),
            ("$top=10001&$skip=0", "at most 10000"),
            ("$top=1&$skip=0&$filter=nope eq 1", "'nope'"),
            ("$top=1&$skip=0&$filter=id eq 'x'", "cannot be compared"),
            ("$top=1&$skip=0&$filter=(id eq 1", "Missing ')'"),
            (
                "$top=1&$skip=0&$filter=updated_at gt 'soon'",
                "cannot be compared",
            ),
            ("$top=1&$skip=0&$orderby=id sideways", "sort direction"),
            ("$top=1&$skip=0&$select=id,secret", "'secret'"),
        ] {
            let e = ids(q).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.message.contains(needle), "{q}: {}", e.message);
        }
    }

    #[test]
    fn dates_parse_in_every_documented_form() {
        let t = 1_767_323_045_000; // 2026-01-02T03:04:05Z
        assert_eq!(parse_datetime("2026-01-02T03:04:05.000Z"), Some(t));
        assert_eq!(parse_datetime("2026-01-02T03:04:05"), Some(t));
        assert_eq!(parse_datetime("2026-01-02 03:04:05"), Some(t));
        assert_eq!(parse_datetime("2026-01-02T04:04:05+01:00"), Some(t));
        assert_eq!(
            parse_datetime("2026-01-02"),
            Some(t - 3 * 3_600_000 - 4 * 60_000 - 5_000)
        );
        assert_eq!(format_datetime(t + 553), "2026-01-02T03:04:05.553Z");
    }
}
