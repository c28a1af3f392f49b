//! nats-server configuration for operator mode.
//!
//! ```
//! use myc_natsauth::server_config::{Resolver, ServerConfig};
//! let config = ServerConfig::new("eyJ...operator", "ASYS...")
//!     .resolver(Resolver::memory([("ASYS...".to_owned(), "eyJ...sys".to_owned())]))
//!     .max_control_line(8192);
//! let text = config.render();
//! assert!(text.contains("resolver: MEMORY"));
//! assert!(text.contains("system_account: \"ASYS...\""));
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;

/// Where the operator JWT comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperatorJwt {
    /// The JWT itself, inline.
    Inline(String),
    /// A file holding it.
    Path(PathBuf),
}

/// How the server finds account JWTs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolver {
    /// Accounts preloaded in the config; updates pushed over `$SYS` last until reload/restart.
    Memory {
        /// (account public key, account JWT).
        preload: Vec<(String, String)>,
    },
    /// The NATS resolver: JWTs stored in `dir`, updated over `$SYS`.
    Full {
        /// Storage directory.
        dir: PathBuf,
        /// Whether `$SYS.REQ.CLAIMS.DELETE` may delete.
        allow_delete: bool,
        /// Sync interval (e.g. `2m`).
        interval: String,
        /// Lookup timeout (e.g. `1.9s`).
        timeout: String,
        /// Usually only the system account.
        preload: Vec<(String, String)>,
    },
}

impl Resolver {
    /// A MEMORY resolver preloading `accounts`.
    pub fn memory(accounts: impl IntoIterator<Item = (String, String)>) -> Self {
        Self::Memory {
            preload: accounts.into_iter().collect(),
        }
    }

    /// A full NATS resolver in `dir`, preloading `system` (the system account's key and JWT).
    pub fn full(dir: impl Into<PathBuf>, system: (String, String)) -> Self {
        Self::Full {
            dir: dir.into(),
            allow_delete: false,
            interval: "2m".into(),
            timeout: "1.9s".into(),
            preload: vec![system],
        }
    }
}

/// A TLS block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tls {
    /// Certificate chain file.
    pub cert_file: PathBuf,
    /// Private key file.
    pub key_file: PathBuf,
    /// CA file for client verification.
    pub ca_file: Option<PathBuf>,
    /// Require client certificates.
    pub verify: bool,
}

/// JetStream settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JetStream {
    /// Storage directory.
    pub store_dir: PathBuf,
    /// Memory limit (e.g. `1G`).
    pub max_memory_store: Option<String>,
    /// Disk limit.
    pub max_file_store: Option<String>,
}

/// A leaf-node remote. Bind one to the **system account** so claim updates reach the leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafRemote {
    /// Hub URL (`nats-leaf://…`).
    pub url: String,
    /// Creds file of a user in the bound account.
    pub credentials: PathBuf,
    /// The local account bound to this remote.
    pub account: String,
}

/// An operator-mode server configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Server name.
    pub server_name: Option<String>,
    /// The operator JWT.
    pub operator: OperatorJwt,
    /// The system account's public key.
    pub system_account: String,
    /// The resolver.
    pub resolver: Resolver,
    /// TLS.
    pub tls: Option<Tls>,
    /// `max_payload` bytes.
    pub max_payload: Option<u64>,
    /// `max_control_line` bytes (default 4096; bounds the CONNECT line, hence user JWT size).
    pub max_control_line: Option<u64>,
    /// `max_pending` bytes.
    pub max_pending: Option<u64>,
    /// JetStream.
    pub jetstream: Option<JetStream>,
    /// Leaf-node listen address (`host:port`).
    pub leafnode_listen: Option<String>,
    /// Leaf-node remotes.
    pub leafnode_remotes: Vec<LeafRemote>,
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn path(p: &std::path::Path) -> String {
    quote(&p.display().to_string())
}

impl ServerConfig {
    /// A config trusting `operator_jwt` (inline) with `system_account`, MEMORY resolver, no
    /// accounts preloaded yet.
    pub fn new(operator_jwt: impl Into<String>, system_account: impl Into<String>) -> Self {
        Self {
            server_name: None,
            operator: OperatorJwt::Inline(operator_jwt.into()),
            system_account: system_account.into(),
            resolver: Resolver::Memory {
                preload: Vec::new(),
            },
            tls: None,
            max_payload: None,
            max_control_line: None,
            max_pending: None,
            jetstream: None,
            leafnode_listen: None,
            leafnode_remotes: Vec::new(),
        }
    }

    /// Sets the resolver.
    pub fn resolver(mut self, resolver: Resolver) -> Self {
        self.resolver = resolver;
        self
    }

    /// Sets `max_control_line`.
    pub fn max_control_line(mut self, bytes: u64) -> Self {
        self.max_control_line = Some(bytes);
        self
    }

    /// Enables JetStream storing in `dir`.
    pub fn jetstream(mut self, dir: impl Into<PathBuf>) -> Self {
        self.jetstream = Some(JetStream {
            store_dir: dir.into(),
            max_memory_store: None,
            max_file_store: None,
        });
        self
    }

    /// The config text `nats-server -c` reads. Listen address and port are left to the
    /// command line (`-a`, `-p`).
    pub fn render(&self) -> String {
        let mut out = String::from("# Generated by myc-natsauth. Operator mode.\n");
        if let Some(name) = &self.server_name {
            let _ = writeln!(out, "server_name: {}", quote(name));
        }
        match &self.operator {
            OperatorJwt::Inline(jwt) => {
                let _ = writeln!(out, "operator: {}", quote(jwt));
            }
            OperatorJwt::Path(p) => {
                let _ = writeln!(out, "operator: {}", path(p));
            }
        }
        let _ = writeln!(out, "system_account: {}", quote(&self.system_account));
        for (key, value) in [
            ("max_payload", self.max_payload),
            ("max_control_line", self.max_control_line),
            ("max_pending", self.max_pending),
        ] {
            if let Some(v) = value {
                let _ = writeln!(out, "{key}: {v}");
            }
        }
        let preload = match &self.resolver {
            Resolver::Memory { preload } => {
                out.push_str("resolver: MEMORY\n");
                preload
            }
            Resolver::Full {
                dir,
                allow_delete,
                interval,
                timeout,
                preload,
            } => {
                let _ = writeln!(
                    out,
                    "resolver: {{\n  type: full\n  dir: {}\n  allow_delete: {allow_delete}\n  interval: {}\n  timeout: {}\n}}",
                    path(dir),
                    quote(interval),
                    quote(timeout)
                );
                preload
            }
        };
        if !preload.is_empty() {
            out.push_str("resolver_preload: {\n");
            for (account, jwt) in preload {
                let _ = writeln!(out, "  {account}: {}", quote(jwt));
            }
            out.push_str("}\n");
        }
        if let Some(tls) = &self.tls {
            let _ = writeln!(
                out,
                "tls: {{\n  cert_file: {}\n  key_file: {}",
                path(&tls.cert_file),
                path(&tls.key_file)
            );
            if let Some(ca) = &tls.ca_file {
                let _ = writeln!(out, "  ca_file: {}", path(ca));
            }
            let _ = writeln!(out, "  verify: {}\n}}", tls.verify);
        }
        if let Some(js) = &self.jetstream {
            let _ = writeln!(out, "jetstream: {{\n  store_dir: {}", path(&js.store_dir));
            if let Some(m) = &js.max_memory_store {
                let _ = writeln!(out, "  max_memory_store: {m}");
            }
            if let Some(f) = &js.max_file_store {
                let _ = writeln!(out, "  max_file_store: {f}");
            }
            out.push_str("}\n");
        }
        if self.leafnode_listen.is_some() || !self.leafnode_remotes.is_empty() {
            out.push_str("leafnodes: {\n");
            if let Some(listen) = &self.leafnode_listen {
                let _ = writeln!(out, "  listen: {}", quote(listen));
            }
            if !self.leafnode_remotes.is_empty() {
                out.push_str("  remotes: [\n");
                for r in &self.leafnode_remotes {
                    let _ = writeln!(
                        out,
                        "    {{ url: {}, credentials: {}, account: {} }}",
                        quote(&r.url),
                        path(&r.credentials),
                        quote(&r.account)
                    );
                }
                out.push_str("  ]\n");
            }
            out.push_str("}\n");
        }
        out
    }
}
