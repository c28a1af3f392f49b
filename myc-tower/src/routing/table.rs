//! The route table: routes, their methods, and the most specific match for a request.

use std::borrow::Cow;

use http::Method;

use super::path::normalize;
use super::pattern::{patterns_intersect, wildmatch};

/// Longest accepted route pattern.
pub const MAX_PATTERN_LEN: usize = 1024;

/// How request paths address services.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Addressing {
    /// Patterns match the whole request path (the documented behaviour).
    #[default]
    FullPath,
    /// Upstream's `/{service}/{rest}`: patterns match `rest`, the prefix is stripped once.
    ServicePrefix,
}

/// A method name [`MethodSet::parse`] does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown method {0:?}")]
pub struct UnknownMethod(pub String);

/// The methods a route accepts, in upstream's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodSet {
    methods: Vec<Method>,
    all: bool,
}

/// Methods upstream knows; anything else is refused even under `ALL` (405).
const KNOWN: [Method; 9] = [
    Method::GET,
    Method::HEAD,
    Method::PATCH,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::CONNECT,
    Method::OPTIONS,
    Method::TRACE,
];

impl MethodSet {
    /// Parses `GET HEAD PATCH POST PUT DELETE CONNECT OPTIONS TRACE ALL READ WRITE NONE`
    /// (upper case). `NONE` anywhere denies everything; `ALL` allows every known method but
    /// `CONNECT`, which must be listed explicitly.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, UnknownMethod> {
        let mut set = Self {
            methods: Vec::new(),
            all: false,
        };
        let mut none = false;
        for name in names {
            match name.as_ref() {
                "NONE" => none = true,
                "ALL" => set.all = true,
                "READ" => set.extend([Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE]),
                "WRITE" => set.extend([Method::POST, Method::PUT, Method::PATCH, Method::DELETE]),
                other => match KNOWN.iter().find(|m| m.as_str() == other) {
                    Some(m) => set.extend([m.clone()]),
                    None => return Err(UnknownMethod(other.to_owned())),
                },
            }
        }
        if none {
            set.methods.clear();
            set.all = false;
        }
        Ok(set)
    }

    fn extend(&mut self, methods: impl IntoIterator<Item = Method>) {
        for m in methods {
            if !self.methods.contains(&m) {
                self.methods.push(m);
            }
        }
    }

    /// Whether `method` is accepted.
    pub fn allows(&self, method: &Method) -> bool {
        self.methods.contains(method)
            || (self.all && *method != Method::CONNECT && KNOWN.contains(method))
    }

    fn overlaps(&self, other: &Self) -> bool {
        KNOWN.iter().any(|m| self.allows(m) && other.allows(m))
    }
}

/// One route as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    /// The service it belongs to.
    pub service: String,
    /// Wildmatch pattern.
    pub pattern: String,
    /// Accepted methods.
    pub methods: MethodSet,
    /// The caller's handle on the route (e.g. an index into its own tables).
    pub key: usize,
}

impl RouteSpec {
    /// A route.
    pub fn new(
        service: impl Into<String>,
        pattern: impl Into<String>,
        methods: MethodSet,
        key: usize,
    ) -> Self {
        Self {
            service: service.into(),
            pattern: pattern.into(),
            methods,
            key,
        }
    }

    fn literals(&self) -> usize {
        self.pattern
            .chars()
            .filter(|c| !matches!(c, '*' | '?'))
            .count()
    }

    fn wildcards(&self) -> usize {
        self.pattern.chars().filter(|c| *c == '*').count()
    }
}

/// Why a request or a table was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteError {
    /// The path could escape its route (dot segments, encoded separators) or is malformed (400).
    #[error("unsafe or malformed request path: {0}")]
    UnsafePath(&'static str),
    /// No route matches the path (404).
    #[error("no route for this path")]
    NotFound,
    /// A route matches the path but not the method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Two routes can match the same request with equal specificity (start-up error).
    #[error(
        "routes {0:?} and {1:?} are ambiguous: both can match the same request; make one more specific"
    )]
    Ambiguous(String, String),
    /// A pattern is empty, too long or not valid.
    #[error("invalid route pattern {0:?}: {1}")]
    Pattern(String, &'static str),
}

impl RouteError {
    /// A stable machine-readable code (myc-tower's `MYT…` family).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsafePath(_) => "MYT00420",
            Self::NotFound => "MYT00421",
            Self::MethodNotAllowed => "MYT00422",
            Self::Ambiguous(..) | Self::Pattern(..) => "MYT00500",
        }
    }

    /// The HTTP status: 400, 404, 405; 500 for the table's own errors.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::UnsafePath(_) => http::StatusCode::BAD_REQUEST,
            Self::NotFound => http::StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => http::StatusCode::METHOD_NOT_ALLOWED,
            Self::Ambiguous(..) | Self::Pattern(..) => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON response `{"message", "code"}`.
    pub fn into_response<B: From<String>>(self) -> http::Response<B> {
        crate::refused::json(self.status(), self.code(), &self.to_string())
    }
}

/// A matched route.
#[derive(Debug)]
pub struct Match<'a> {
    /// The route.
    pub route: &'a RouteSpec,
    /// The path to send upstream (raw, as received; prefix stripped once in
    /// [`Addressing::ServicePrefix`]).
    pub upstream_path: Cow<'a, str>,
}

/// Routes ready for matching, most specific first.
#[derive(Clone, Debug)]
pub struct RouteTable {
    addressing: Addressing,
    routes: Vec<RouteSpec>,
}

impl RouteTable {
    /// Checks every pattern and pair of routes; orders routes most specific first.
    pub fn build(addressing: Addressing, mut routes: Vec<RouteSpec>) -> Result<Self, RouteError> {
        for r in &routes {
            if r.pattern.is_empty() || r.pattern.len() > MAX_PATTERN_LEN {
                return Err(RouteError::Pattern(r.pattern.clone(), "empty or too long"));
            }
            if addressing == Addressing::FullPath && !r.pattern.starts_with(['/', '*']) {
                return Err(RouteError::Pattern(
                    r.pattern.clone(),
                    "must start with / or *",
                ));
            }
        }
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                let same_scope = addressing == Addressing::FullPath || a.service == b.service;
                if same_scope
                    && a.literals() == b.literals()
                    && a.wildcards() == b.wildcards()
                    && a.methods.overlaps(&b.methods)
                    && patterns_intersect(&a.pattern, &b.pattern)
                {
                    return Err(RouteError::Ambiguous(a.pattern.clone(), b.pattern.clone()));
                }
            }
        }
        routes.sort_by(|a, b| {
            b.literals()
                .cmp(&a.literals())
                .then(a.wildcards().cmp(&b.wildcards()))
        });
        Ok(Self { addressing, routes })
    }

    /// The route for `method` and the raw request `path` (no query).
    pub fn find<'a>(&'a self, method: &Method, path: &'a str) -> Result<Match<'a>, RouteError> {
        let decoded = normalize(path)?;
        let (service, subject, upstream_path): (Option<&str>, &str, Cow<'a, str>) =
            match self.addressing {
                Addressing::FullPath => (None, decoded.as_str(), Cow::Borrowed(path)),
                Addressing::ServicePrefix => {
                    let rest = &decoded[1..];
                    let (service, _) = rest.split_once('/').unwrap_or((rest, ""));
                    let subject = &decoded[1 + service.len()..];
                    // Strip the prefix once from the raw path (its first segment).
                    let raw_rest = &path[1..];
                    let raw_cut = raw_rest.find('/').map_or(raw_rest.len(), |i| i);
                    let upstream = &raw_rest[raw_cut..];
                    let upstream = if upstream.is_empty() { "/" } else { upstream };
                    (Some(service), subject, Cow::Borrowed(upstream))
                }
            };
        let mut path_matched = false;
        for route in &self.routes {
            if service.is_some_and(|s| s != route.service) {
                continue;
            }
            if wildmatch(&route.pattern, subject) {
                if route.methods.allows(method) {
                    return Ok(Match {
                        route,
                        upstream_path,
                    });
                }
                path_matched = true;
            }
        }
        Err(if path_matched {
            RouteError::MethodNotAllowed
        } else {
            RouteError::NotFound
        })
    }

    /// How request paths are matched.
    pub fn addressing(&self) -> Addressing {
        self.addressing
    }

    /// The routes, most specific first.
    pub fn routes(&self) -> &[RouteSpec] {
        &self.routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(names: &[&str]) -> MethodSet {
        MethodSet::parse(names).unwrap()
    }

    #[test]
    fn traversal_and_encoding_are_refused() {
        for bad in [
            "/a/../b",
            "/a/./b",
            "/a/..",
            "/..",
            "/a/%2e%2e/b",
            "/a/%2E%2e/b",
            "/a/.%2e/b",
            "/a%2fb",
            "/a%2Fb",
            "/a%5cb",
            "/a\\b",
            "/a%00",
            "/a%zz",
            "/a%2",
            "a/b",
            "/%c3%28",
        ] {
            assert!(
                matches!(normalize(bad), Err(RouteError::UnsafePath(_))),
                "{bad}"
            );
        }
        // What a Tomcat, Jetty or Spring upstream (path parameters) or a trimming or
        // Unicode-folding one would resolve to a dot segment.
        for bad in [
            "/public/..;/ledger/x",
            "/public/%2e%2e;jsessionid=1/ledger",
            "/public/.;/x",
            "/public/..%20/ledger/x",
            "/public/..%09/ledger/x",
            "/public/%20../ledger/x",
            "/public/..%0d/ledger/x",
            "/public/%ef%bc%8e%ef%bc%8e/ledger/x",
            "/public/\u{ff0e}\u{ff0e}/ledger/x",
            "/public/%e2%80%a4%e2%80%a4/ledger/x",
            "/public/%e2%80%a5/ledger/x",
            "/public/.%ef%bc%8e;x/ledger",
        ] {
            assert!(
                matches!(normalize(bad), Err(RouteError::UnsafePath("dot segment"))),
                "{bad}: {:?}",
                normalize(bad)
            );
        }
        for good in [
            "/a/..b;x/c",
            "/a/;../c",
            "/a/...",
            "/a/.x./",
            "/a/%ef%bc%8ex",
        ] {
            assert!(normalize(good).is_ok(), "{good}");
        }
        assert_eq!(normalize("/a/%61dmin/x%20y").unwrap(), "/a/admin/x y");
        assert_eq!(normalize("/a/..b/.c").unwrap(), "/a/..b/.c");
    }

    #[test]
    fn wildmatch_semantics() {
        assert!(wildmatch("/api/*", "/api/x/y"));
        assert!(wildmatch("/api/*", "/api/"));
        assert!(!wildmatch("/api/*", "/api"));
        assert!(wildmatch("/a?c", "/abc"));
        assert!(!wildmatch("/a?c", "/ac"));
        assert!(wildmatch("*", "/anything"));
        assert!(wildmatch("/a*b*c", "/aXXbYYc"));
        assert!(!wildmatch("/Admin*", "/admin"));
        // No catastrophic backtracking.
        let long = format!("/{}", "a".repeat(5000));
        assert!(!wildmatch("/*a*a*a*a*a*a*a*b", &long));
    }

    #[test]
    fn intersection() {
        assert!(patterns_intersect("/a/*", "/a/b"));
        assert!(patterns_intersect("/a*", "*b"));
        assert!(!patterns_intersect("/a/*", "/b/*"));
        assert!(!patterns_intersect("/x", "/y"));
        assert!(patterns_intersect("/?", "/z"));
        assert!(!patterns_intersect("/??", "/z"));
        assert!(patterns_intersect("*", "/anything/*"));
    }

    #[test]
    fn specificity_and_ambiguity() {
        let table = RouteTable::build(
            Addressing::FullPath,
            vec![
                RouteSpec::new("s", "/api/*", m(&["ALL"]), 0),
                RouteSpec::new("s", "/api/admin/*", m(&["ALL"]), 1),
            ],
        )
        .unwrap();
        assert_eq!(
            table.find(&Method::GET, "/api/admin/x").unwrap().route.key,
            1
        );
        assert_eq!(table.find(&Method::GET, "/api/x").unwrap().route.key, 0);
        assert_eq!(
            table
                .find(&Method::GET, "/api/%61dmin/x")
                .unwrap()
                .route
                .key,
            1
        );
        assert!(matches!(
            table.find(&Method::GET, "/other"),
            Err(RouteError::NotFound)
        ));

        let ambiguous = RouteTable::build(
            Addressing::FullPath,
            vec![
                RouteSpec::new("s", "/a*", m(&["GET"]), 0),
                RouteSpec::new("t", "*/a", m(&["READ"]), 1),
            ],
        );
        assert!(matches!(ambiguous, Err(RouteError::Ambiguous(..))));
        // Same patterns, disjoint methods: fine.
        RouteTable::build(
            Addressing::FullPath,
            vec![
                RouteSpec::new("s", "/a/*", m(&["READ"]), 0),
                RouteSpec::new("s", "/a/*", m(&["WRITE"]), 1),
            ],
        )
        .unwrap();
    }

    #[test]
    fn methods() {
        let all = m(&["ALL"]);
        assert!(all.allows(&Method::DELETE));
        assert!(!all.allows(&Method::CONNECT));
        assert!(!all.allows(&Method::from_bytes(b"PROPFIND").unwrap()));
        assert!(m(&["CONNECT"]).allows(&Method::CONNECT));
        assert!(!m(&["ALL", "NONE"]).allows(&Method::GET));
        assert!(m(&["READ"]).allows(&Method::HEAD));
        assert!(!m(&["READ"]).allows(&Method::POST));
        assert!(MethodSet::parse(&["get"]).is_err());
        let table = RouteTable::build(
            Addressing::FullPath,
            vec![RouteSpec::new("s", "/x", m(&["GET"]), 0)],
        )
        .unwrap();
        assert!(matches!(
            table.find(&Method::POST, "/x"),
            Err(RouteError::MethodNotAllowed)
        ));
    }

    #[test]
    fn service_prefix_strips_once() {
        let table = RouteTable::build(
            Addressing::ServicePrefix,
            vec![RouteSpec::new("svc", "/*", m(&["ALL"]), 0)],
        )
        .unwrap();
        let hit = table.find(&Method::GET, "/svc/svc-data/x").unwrap();
        assert_eq!(hit.upstream_path, "/svc-data/x");
        let hit = table.find(&Method::GET, "/svc/a/svc/b").unwrap();
        assert_eq!(hit.upstream_path, "/a/svc/b");
        assert!(table.find(&Method::GET, "/other/x").is_err());
    }
}
