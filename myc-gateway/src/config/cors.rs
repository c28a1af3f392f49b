//! `[api] allowedOrigins`: which browser origins may call the gateway.

use super::KeyError;

/// Which browser origins may call the gateway (`[api] allowedOrigins`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cors {
    /// None: no CORS headers, preflights are routed like any request (the default).
    #[default]
    Off,
    /// `["*"]`: any origin, without credentials (cookies); bearer tokens still work.
    Any,
    /// Exact origins (`scheme://host[:port]`), credentials allowed.
    Origins(Vec<http::HeaderValue>),
}

impl Cors {
    /// `[api] allowedOrigins`.
    pub(super) fn resolve(list: Vec<String>) -> Result<Self, KeyError> {
        Self::parse(list)
            .map_err(|(i, message)| KeyError::new(format!("api.allowedOrigins[{i}]"), message))
    }

    fn parse(list: Vec<String>) -> Result<Self, (usize, String)> {
        if list.is_empty() {
            return Ok(Self::Off);
        }
        if list.iter().any(|o| o == "*") {
            return match list.len() {
                1 => Ok(Self::Any),
                _ => Err((
                    list.iter().position(|o| o == "*").unwrap_or(0),
                    "\"*\" stands alone (it allows every origin)".into(),
                )),
            };
        }
        let mut origins = Vec::new();
        for (i, origin) in list.iter().enumerate() {
            let uri: http::Uri = origin
                .parse()
                .map_err(|_| (i, format!("{origin:?} is not an origin")))?;
            let exact = matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.authority().is_some()
                && uri.path() == "/"
                && !origin.ends_with('/')
                && uri.query().is_none()
                && !origin.contains('*');
            if !exact {
                return Err((
                    i,
                    format!("{origin:?}: an origin is scheme://host[:port], nothing more"),
                ));
            }
            origins.push(
                http::HeaderValue::from_str(origin)
                    .map_err(|_| (i, format!("{origin:?} is not a header value")))?,
            );
        }
        Ok(Self::Origins(origins))
    }
}
