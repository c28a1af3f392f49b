//! The gateway's own credentials from a NATS credential issuer (`[nats.renewing]`): a
//! [`CredentialSource`] that posts the issue request over the gateway's HTTP/1.1 client, plain
//! or TLS. An `https://` issuer is verified against the system's roots plus
//! `[gateway.tls] extra_roots`, as HTTPS upstreams are; the node token only ever travels in
//! the request body.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use myc_gateway::nats::renewing::IssuerClient;
//! use myc_natsauth::client::{CredentialSource, NodeIdentity};
//!
//! let identity = NodeIdentity::new("gateway-1", "node-token");
//! let issuer = IssuerClient::new("https://issuer.internal/v1/nats/credentials", identity, &[])?;
//! let issued = issuer.fetch("UABC…").await?;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::Request;
use http_body_util::{BodyExt as _, Limited};
use myc_natsauth::client::{
    CredentialSource, MAX_ISSUER_ANSWER, NodeIdentity, SourceError, http_answer,
};
use myc_natsauth::wire::IssueResponse;

use crate::proxy::client::Connector;
use crate::proxy::{Host, Wire};

/// How long one issue request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where an issuer is: parsed from `issuer_url` once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUrl {
    /// `host:port` (the scheme's default port when the URL names none).
    pub authority: String,
    /// Spoken to over TLS.
    pub https: bool,
    /// The endpoint's path and query.
    pub path: String,
}

impl IssuerUrl {
    /// Parses an `http://` or `https://` URL without user info.
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: http::Uri = url.parse().map_err(|_| format!("{url:?} is not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(format!("{url:?} is not an http:// or https:// URL")),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| format!("{url:?} names no host"))?;
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return Err(format!("{url:?}: give host[:port] only"));
        }
        let authority = match authority.port_u16() {
            Some(_) => authority.as_str().to_owned(),
            None => format!("{}:{}", authority.host(), if https { 443 } else { 80 }),
        };
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Ok(Self {
            authority,
            https,
            path,
        })
    }
}

impl IssuerUrl {
    /// The host is `localhost` or a loopback address.
    pub fn is_loopback(&self) -> bool {
        let host = self
            .authority
            .rsplit_once(':')
            .map_or(self.authority.as_str(), |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// A credential issuer reached over the gateway's own HTTP/1.1 client.
#[derive(Debug)]
pub struct IssuerClient {
    connector: Connector,
    host: Arc<Host>,
    path: String,
    identity: NodeIdentity,
}

impl IssuerClient {
    /// The issuer at `url` (`http://` or `https://`), presenting `identity`; an HTTPS issuer's
    /// certificate must chain to the system's roots or one of `tls_roots` (PEM bundles).
    pub fn new(url: &str, identity: NodeIdentity, tls_roots: &[Vec<u8>]) -> Result<Self, String> {
        let url = IssuerUrl::parse(url)?;
        let tls = if url.https {
            let roots: Vec<&[u8]> = tls_roots.iter().map(Vec::as_slice).collect();
            Some(myc_tower::tls::client_config(&roots).map_err(|e| e.to_string())?)
        } else {
            None
        };
        Ok(Self {
            connector: Connector::new(tls),
            host: Arc::new(Host::new(
                &url.authority,
                if url.https { Wire::Tls } else { Wire::Http1 },
            )?),
            path: url.path,
            identity,
        })
    }
}

fn unavailable(e: impl std::fmt::Display) -> SourceError {
    SourceError::Unavailable(e.to_string())
}

impl CredentialSource for IssuerClient {
    async fn fetch(&self, public_key: &str) -> Result<IssueResponse, SourceError> {
        let body = self.identity.request_body(public_key);
        let request = Request::post(self.path.as_str())
            .header(http::header::HOST, self.host.host_header.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "myc-gateway")
            .body(Body::from(body.to_vec()))
            .map_err(unavailable)?;
        let exchange = async {
            let response = self
                .connector
                .send(&self.host, request)
                .await
                .map_err(|(e, _)| unavailable(e))?;
            let status = response.status().as_u16();
            let answer = Limited::new(response.into_body(), MAX_ISSUER_ANSWER)
                .collect()
                .await
                .map_err(|e| unavailable(format!("reading the answer: {e}")))?
                .to_bytes();
            http_answer(status, &answer)
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| unavailable("no answer within 10 s"))?
    }
}

#[cfg(test)]
mod tests {
    use super::{IssuerClient, IssuerUrl};
    use myc_natsauth::client::{CredentialSource, NodeIdentity, SourceError};

    /// An issuer on 127.0.0.1 answering every request with `status` and `body`.
    async fn issuer(status: u16, body: String) -> String {
        let status = http::StatusCode::from_u16(status).unwrap();
        let app = axum::Router::new().route(
            "/v1/nats/credentials",
            axum::routing::post(move || async move { (status, body) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(axum::serve(listener, app).into_future());
        format!("http://{addr}/v1/nats/credentials")
    }

    #[tokio::test]
    async fn refusals_and_oversize_answers() {
        let key = "UABC";
        let url = issuer(401, r#"{"error":"unknown node"}"#.into()).await;
        let client = IssuerClient::new(&url, NodeIdentity::new("n", "t"), &[]).unwrap();
        assert_eq!(
            client.fetch(key).await.err(),
            Some(SourceError::Refused("unknown node".into()))
        );
        let url = issuer(200, "x".repeat(4 * myc_natsauth::client::MAX_ISSUER_ANSWER)).await;
        let client = IssuerClient::new(&url, NodeIdentity::new("n", "t"), &[]).unwrap();
        match client.fetch(key).await {
            Err(SourceError::Unavailable(m)) => assert!(m.contains("reading the answer"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Nobody listening: unavailable, not a panic or a hang.
        let client = IssuerClient::new(
            "http://127.0.0.1:9/v1/nats/credentials",
            NodeIdentity::new("n", "t"),
            &[],
        )
        .unwrap();
        assert!(matches!(
            client.fetch(key).await,
            Err(SourceError::Unavailable(_))
        ));
    }

    #[test]
    fn issuer_urls() {
        let url = IssuerUrl::parse("https://issuer.internal/v1/nats/credentials").unwrap();
        assert_eq!(
            url,
            IssuerUrl {
                authority: "issuer.internal:443".into(),
                https: true,
                path: "/v1/nats/credentials".into(),
            }
        );
        let url = IssuerUrl::parse("http://127.0.0.1:8080/v1/nats/credentials?x=1").unwrap();
        assert_eq!(url.authority, "127.0.0.1:8080");
        assert!(!url.https);
        assert_eq!(url.path, "/v1/nats/credentials?x=1");
        assert!(url.is_loopback());
        assert_eq!(IssuerUrl::parse("http://h").unwrap().path, "/");
        assert!(IssuerUrl::parse("http://[::1]:80/").unwrap().is_loopback());
        assert!(IssuerUrl::parse("http://localhost/").unwrap().is_loopback());
        assert!(!IssuerUrl::parse("http://10.0.0.1/").unwrap().is_loopback());
        for bad in [
            "ftp://h/x",
            "issuer.internal/v1",
            "https://user:pw@h/x",
            "https:///x",
            "not a url",
        ] {
            assert!(IssuerUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
