//! How the secret of a generic connection travels (none, `Authorization: Bearer`, a named
//! header with an optional scheme, or a named query parameter), and every form in which it
//! could leak into a message, so that errors are scrubbed of all of them.
//!
//! A query-parameter secret is the risky one: its name is the person's choice, so
//! [`crate::http::redact_url`] (which knows `apikey`, `token`, …) may not recognise it. The
//! value is therefore scrubbed from every error by value — raw, percent-encoded and
//! form-encoded, since a URL in an error carries the encoded form — and never written to the
//! cache (next links are not stored).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::connector::Secrets;
use crate::http::RequestSpec;
use crate::SourceError;

/// What query values may contain literally; everything else is percent-encoded.
pub const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b':').remove(b',');

pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// The secret's field name in every generic form.
pub const TOKEN_FIELD: &str = "token";

#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Header { name: String, value: String },
    Query { param: String, value: String },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Header { name, .. } => write!(f, "Auth::Header({name}: ***)"),
            Auth::Query { param, .. } => write!(f, "Auth::Query({param}=***)"),
        }
    }
}

fn non_empty<'a>(v: &'a str, default: &'a str) -> &'a str {
    let t = v.trim();
    if t.is_empty() {
        default
    } else {
        t
    }
}

impl Auth {
    /// Reads the auth settings: `mode` is `none`, `bearer`, `header` or `query`; `header` and
    /// `scheme` name the header and the word before the token (`Token`, `Bearer`, empty for the
    /// token alone); `param` names the query parameter.
    pub fn from_settings(mode: &str, header: &str, scheme: &str, param: &str, secrets: &Secrets) -> Result<Auth, SourceError> {
        let mode = non_empty(mode, "bearer").to_ascii_lowercase();
        if mode == "none" {
            return Ok(Auth::None);
        }
        let token = secrets.require(TOKEN_FIELD, "Token")?.to_string();
        match mode.as_str() {
            "bearer" => Ok(Auth::Header { name: "Authorization".into(), value: format!("Bearer {token}") }),
            "header" => {
                let name = non_empty(header, "Authorization").to_string();
                if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                    return Err(SourceError::InvalidSetting { field: "Header name".into(), detail: format!("{name:?} is not a header name (letters, digits and - only)") });
                }
                let scheme = scheme.trim();
                let value = if scheme.is_empty() { token } else { format!("{scheme} {token}") };
                Ok(Auth::Header { name, value })
            }
            "query" => {
                let param = non_empty(param, "api_key").to_string();
                Ok(Auth::Query { param, value: token })
            }
            other => Err(SourceError::InvalidSetting {
                field: "Authentication".into(),
                detail: format!("{other:?} is not one of none, bearer, header, query"),
            }),
        }
    }

    /// `url` with the query-parameter secret added, unless the URL already carries it (a
    /// server's next link may echo it back).
    pub fn url(&self, url: &str) -> String {
        match self {
            Auth::Query { param, value } => {
                let has = url::Url::parse(url).ok().is_some_and(|u| u.query_pairs().any(|(k, _)| k == param.as_str()));
                if has {
                    return url.to_string();
                }
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}{}={}", enc(param), enc(value))
            }
            _ => url.to_string(),
        }
    }

    /// A GET of `url` with the secret where it belongs.
    pub fn get(&self, url: &str) -> RequestSpec {
        let spec = RequestSpec::get(&self.url(url));
        match self {
            Auth::Header { name, value } => spec.header(name, value),
            _ => spec,
        }
    }

    /// Every text form of the secret that could appear in a message (the header value
    /// includes its scheme, so the bare token is listed too).
    pub fn secret_forms(&self, secrets: &Secrets) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for v in secrets.values() {
            out.push(v.to_string());
            out.push(enc(v));
            out.push(url::form_urlencoded::byte_serialize(v.as_bytes()).collect());
            out.push(percent_encoding::utf8_percent_encode(v, NON_ALPHANUMERIC).to_string());
        }
        if let Auth::Header { value, .. } = self {
            out.push(value.clone());
        }
        out.sort_by_key(|s| std::cmp::Reverse(s.len()));
        out.dedup();
        out.retain(|s| !s.is_empty());
        out
    }
}

/// The error with every form of the secret replaced.
pub fn scrub(mut e: SourceError, forms: &[String]) -> SourceError {
    for f in forms {
        e = e.scrub(f);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_puts_the_secret_in_its_place() {
        let s = Secrets::new().with("token", "a b+c/d");
        let q = Auth::from_settings("query", "", "", "key", &s).unwrap();
        assert_eq!(q.url("http://h/x"), "http://h/x?key=a%20b%2Bc%2Fd");
        assert_eq!(q.url("http://h/x?page=2&key=zz"), "http://h/x?page=2&key=zz", "an echoed key is kept");
        let h = Auth::from_settings("header", "X-Api-Key", "", "", &s).unwrap();
        assert_eq!(h.get("http://h/x").headers, vec![("X-Api-Key".to_string(), "a b+c/d".to_string())]);
        let t = Auth::from_settings("header", "", "Token", "", &s).unwrap();
        assert_eq!(t.get("http://h/x").headers, vec![("Authorization".to_string(), "Token a b+c/d".to_string())]);
        assert_eq!(Auth::from_settings("", "", "", "", &s).unwrap().get("http://h").headers[0].1, "Bearer a b+c/d");
        assert_eq!(Auth::from_settings("none", "", "", "", &Secrets::new()).unwrap(), Auth::None);
        assert!(matches!(Auth::from_settings("query", "", "", "k", &Secrets::new()), Err(SourceError::MissingSetting { .. })));
        let forms = q.secret_forms(&s);
        assert!(forms.contains(&"a%20b%2Bc%2Fd".to_string()) && forms.contains(&"a+b%2Bc%2Fd".to_string()));
        let e = scrub(SourceError::Unreachable { url: "http://h/x?key=a%20b%2Bc%2Fd".into(), detail: "a b+c/d".into() }, &forms);
        assert!(!e.to_string().contains("b%2Bc") && !e.to_string().contains("b+c"), "{e}");
        assert!(!format!("{q:?}").contains("b+c"));
    }
}
