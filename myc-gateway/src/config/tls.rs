//! TLS: the certificate the gateway serves (`[api.tls.define]` or `[gateway.tls] cert/key`)
//! and the extra roots it trusts towards upstreams and identity providers.

use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{KeyError, ValueSource};

/// `[gateway.tls]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    /// PEM files (relative to the config file) whose certificates are trusted besides the
    /// system's roots: a private CA of HTTPS upstreams or identity providers.
    #[serde(default)]
    extra_roots: Vec<String>,
    /// The gateway's own certificate chain (PEM), to serve HTTPS.
    #[serde(default)]
    cert: Option<ValueSource>,
    /// Its private key (PEM).
    #[serde(default)]
    key: Option<ValueSource>,
}

/// `[api] tls`: upstream's shape.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawApiTls {
    /// `tls = "disabled"`.
    Word(String),
    /// `[api.tls.define]`.
    Define { define: RawTlsDefine },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawTlsDefine {
    tls_cert: ValueSource,
    tls_key: ValueSource,
}

/// Where the certificate the gateway serves HTTPS with comes from (`[api.tls.define]
/// tlsCert / tlsKey`, or `[gateway.tls] cert / key`): value sources read again on every
/// reload, so a `{ file = … }` source picks up a renewed certificate.
#[derive(Clone, Debug)]
pub struct ServerTls {
    /// The certificate chain (PEM).
    pub cert: ValueSource,
    /// The private key (PEM).
    pub key: ValueSource,
    /// The config file's folder (relative file sources).
    pub base: std::path::PathBuf,
}

impl ServerTls {
    /// Reads the chain and the key (the process environment for `env` sources).
    pub fn load(&self) -> Result<(Zeroizing<String>, Zeroizing<String>), String> {
        let env = |name: &str| std::env::var(name).ok();
        let cert = self
            .cert
            .resolve(&self.base, &env)
            .map_err(|e| format!("certificate: {e}"))?;
        let key = self
            .key
            .resolve(&self.base, &env)
            .map_err(|e| format!("key: {e}"))?;
        Ok((cert, key))
    }

    /// The files its sources read (watched for changes).
    pub fn files(&self) -> Vec<std::path::PathBuf> {
        [&self.cert, &self.key]
            .into_iter()
            .filter_map(|source| match source {
                ValueSource::File { file } => Some(self.base.join(file)),
                _ => None,
            })
            .collect()
    }
}

/// The served certificate, if any; it must load now (a broken one fails at start-up).
pub(super) fn server_tls(
    api_tls: Option<RawApiTls>,
    raw: &RawTls,
    base: &Path,
) -> Result<Option<ServerTls>, KeyError> {
    let server_tls = match (api_tls, &raw.cert, &raw.key) {
        (Some(RawApiTls::Word(word)), None, None) if word == "disabled" => None,
        (Some(RawApiTls::Word(word)), _, _) if word != "disabled" => {
            return Err(KeyError::new(
                "api.tls",
                format!("{word:?}: expected \"disabled\" or [api.tls.define]"),
            ));
        }
        (Some(RawApiTls::Define { define }), None, None) => Some(ServerTls {
            cert: define.tls_cert,
            key: define.tls_key,
            base: base.to_owned(),
        }),
        (None, Some(cert), Some(key)) => Some(ServerTls {
            cert: cert.clone(),
            key: key.clone(),
            base: base.to_owned(),
        }),
        (None, None, None) => None,
        (None, _, _) => {
            return Err(KeyError::new("gateway.tls", "cert and key go together"));
        }
        (Some(_), _, _) => {
            return Err(KeyError::new(
                "gateway.tls",
                "set the certificate in [api.tls.define] or [gateway.tls], not both",
            ));
        }
    };
    if let Some(tls) = &server_tls {
        crate::server::tls::Acceptor::new(Box::new({
            let tls = tls.clone();
            move || tls.load()
        }))
        .map_err(|e| KeyError::new("api.tls", e.to_string()))?;
    }
    Ok(server_tls)
}

/// The PEM files of `[gateway.tls] extra_roots`, read.
pub(super) fn extra_roots(raw: &RawTls, base: &Path) -> Result<Vec<Vec<u8>>, KeyError> {
    let mut tls_roots = Vec::new();
    for (i, file) in raw.extra_roots.iter().enumerate() {
        let path = base.join(file);
        let pem = std::fs::read(&path).map_err(|e| {
            KeyError::new(
                format!("gateway.tls.extra_roots[{i}]"),
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
            return Err(KeyError::new(
                format!("gateway.tls.extra_roots[{i}]"),
                format!("{} holds no PEM certificate", path.display()),
            ));
        }
        tls_roots.push(pem);
    }
    Ok(tls_roots)
}
