//! What a callback is: its engine, its limits and the filters that decide which responses it
//! sees.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use http::Method;

/// How a filter's values combine (upstream's `oneof`, `allof`, `noneof`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Statement {
    /// At least one value matches.
    OneOf,
    /// Every value matches (for methods and status codes: the response's value is listed,
    /// as upstream reads it; for headers: every pair is present).
    AllOf,
    /// No value matches.
    NoneOf,
}

/// One filter: each statement with its values; every statement given must hold.
pub type Filter<T> = BTreeMap<Statement, T>;

/// Which responses run a callback; a filter left out lets every response through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// `triggeringMethods`.
    pub methods: Option<Filter<Vec<Method>>>,
    /// `triggeringStatusCodes`.
    pub status_codes: Option<Filter<Vec<u16>>>,
    /// `triggeringHeaders`: header name (case-insensitive) → exact value.
    pub headers: Option<Filter<BTreeMap<String, String>>>,
}

/// Which filter kept a response from a callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blocked {
    /// `triggeringMethods`.
    Method,
    /// `triggeringStatusCodes`.
    StatusCode,
    /// `triggeringHeaders`.
    Header,
}

impl Filters {
    /// `Ok` when the response passes every filter given.
    pub fn check(
        &self,
        method: &Method,
        status: u16,
        headers: &http::HeaderMap,
    ) -> Result<(), Blocked> {
        if let Some(filter) = &self.methods
            && !holds(filter, |listed| listed.contains(method))
        {
            return Err(Blocked::Method);
        }
        if let Some(filter) = &self.status_codes
            && !holds(filter, |listed| listed.contains(&status))
        {
            return Err(Blocked::StatusCode);
        }
        if let Some(filter) = &self.headers
            && !holds(filter, |pairs| {
                pairs.iter().all(|(name, value)| {
                    headers
                        .get_all(name.as_str())
                        .iter()
                        .any(|v| v.as_bytes() == value.as_bytes())
                })
            })
        {
            return Err(Blocked::Header);
        }
        Ok(())
    }
}

/// Whether `filter` holds, `matches` telling whether one statement's values match.
fn holds<T>(filter: &Filter<T>, matches: impl Fn(&T) -> bool) -> bool {
    filter.iter().all(|(statement, values)| match statement {
        Statement::OneOf | Statement::AllOf => matches(values),
        Statement::NoneOf => !matches(values),
    })
}

/// What runs the callback.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Engine {
    /// An inline Rhai script; the context's fields are its variables.
    Rhai {
        /// The source.
        script: String,
    },
    /// The context as a JSON body sent to `url`.
    Http {
        /// `http://` or `https://`.
        url: String,
        /// POST, PUT, PATCH or DELETE.
        method: Method,
    },
    /// `interpreter script context-json` as a child process (Python, Node.js).
    Process {
        /// The interpreter (`python3`, `node`).
        interpreter: PathBuf,
        /// The script it runs.
        script: PathBuf,
    },
}

/// A named callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    /// Routes name it.
    pub name: String,
    /// What runs it.
    pub engine: Engine,
    /// Longest run of one attempt (upstream default 5 s). Enforced in every mode: a script
    /// past it is stopped, a child process killed.
    pub timeout: Duration,
    /// Attempts after a failed one (upstream default 3).
    pub retries: u32,
    /// Pause between attempts (upstream default 1 s).
    pub retry_interval: Duration,
    /// Which responses run it.
    pub filters: Filters,
}

impl Callback {
    /// A callback with upstream's defaults (5 s timeout, 3 retries 1 s apart, no filter).
    pub fn new(name: impl Into<String>, engine: Engine) -> Self {
        Self {
            name: name.into(),
            engine,
            timeout: Duration::from_millis(5_000),
            retries: 3,
            retry_interval: Duration::from_millis(1_000),
            filters: Filters::default(),
        }
    }
}

/// How a route's callbacks run (`[api] callbackExecutionMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Queued and run in the background; the response never waits (the default).
    #[default]
    FireAndForget,
    /// All at once; the response waits for every one.
    Parallel,
    /// One after the other in the route's order; the response waits.
    Sequential,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap_or(http::header::ACCEPT),
                    http::HeaderValue::from_str(v).unwrap_or(http::HeaderValue::from_static("")),
                )
            })
            .collect()
    }

    #[test]
    fn every_statement_given_must_hold() {
        let filters = Filters {
            status_codes: Some(Filter::from([
                (Statement::OneOf, vec![500, 502]),
                (Statement::NoneOf, vec![502]),
            ])),
            ..Filters::default()
        };
        let none = headers(&[]);
        assert_eq!(filters.check(&Method::GET, 500, &none), Ok(()));
        assert_eq!(
            filters.check(&Method::GET, 502, &none),
            Err(Blocked::StatusCode)
        );
        assert_eq!(
            filters.check(&Method::GET, 200, &none),
            Err(Blocked::StatusCode)
        );
    }

    #[test]
    fn header_pairs_match_whole_names_any_case_and_exact_values() {
        let filters = Filters {
            headers: Some(Filter::from([
                (
                    Statement::AllOf,
                    BTreeMap::from([
                        ("x-error-code".to_owned(), "PAYMENT_FAILED".to_owned()),
                        ("content-type".to_owned(), "application/json".to_owned()),
                    ]),
                ),
                (
                    Statement::NoneOf,
                    BTreeMap::from([("x-debug".to_owned(), "1".to_owned())]),
                ),
            ])),
            ..Filters::default()
        };
        let both = [
            ("X-Error-Code", "PAYMENT_FAILED"),
            ("Content-Type", "application/json"),
        ];
        assert_eq!(filters.check(&Method::GET, 200, &headers(&both)), Ok(()));
        let lower = [
            ("x-error-code", "payment_failed"),
            ("content-type", "application/json"),
        ];
        assert_eq!(
            filters.check(&Method::GET, 200, &headers(&lower)),
            Err(Blocked::Header)
        );
        let debug = [both[0], both[1], ("x-debug", "1")];
        assert_eq!(
            filters.check(&Method::GET, 200, &headers(&debug)),
            Err(Blocked::Header)
        );
        let methods = Filters {
            methods: Some(Filter::from([(Statement::NoneOf, vec![Method::OPTIONS])])),
            ..Filters::default()
        };
        assert_eq!(
            methods.check(&Method::OPTIONS, 200, &headers(&[])),
            Err(Blocked::Method)
        );
        assert_eq!(methods.check(&Method::POST, 200, &headers(&[])), Ok(()));
    }
}
