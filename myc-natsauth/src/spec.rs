//! The declarative site spec (TOML) and its generator: one reviewed file, regenerated
//! identically for every site (the same seeds give the same keys).
//!
//! ```toml
//! [operator]
//! name = "OP"
//! signing_keys = 1                 # accounts are signed with the first
//!
//! [[accounts]]
//! name = "HUB"
//! jetstream = { mem_storage = -1, disk_storage = -1, streams = 10, consumer = 50 }
//! exports = [{ name = "mycelium", subject = "mycelium.>", type = "service", response_type = "Singleton" }]
//!
//! [[accounts.users]]
//! name = "gateway"
//! pub_allow = ["_INBOX.>"]
//! sub_allow = ["mycelium.>"]
//! allow_responses = true
//!
//! [[accounts]]
//! name = "ORG"
//! imports = [{ name = "mycelium", account = "HUB", subject = "mycelium.>", type = "service" }]
//!
//! [[accounts.users]]
//! name = "forest"
//! pub_allow = ["mycelium.>"]
//! sub_allow = ["_INBOX.>"]
//! expires_in = "14d"
//! ```
//! A `SYS` account is always created; the spec names the others.
//!
//! Beyond that shape:
//!
//! ```toml
//! cluster_size = 3                 # replicas above this are lint errors (absent = 1)
//! planes = ["prod", "staging"]     # each one literal token
//!
//! [[accounts]]
//! name = "HARMONY"
//! jetstream = { mem_storage = -1, disk_storage = -1, streams = 10, consumer = 50 }
//! kv_buckets = [{ name = "agents", replicas = 3 }]   # declared for lint; apps create them
//! streams = [{ name = "EVENTS" }]
//!
//! [[accounts.users]]
//! name = "agent"
//! kv = [{ bucket = "agents", access = "all" }]       # read | write | watch | all presets
//! plane = "prod"                                     # replaces {{plane}} in subjects
//! pub_allow = ["{{plane}}.events.>"]
//! ```
//!
//! When an account has JetStream limits, the generated `nats-server.conf` enables JetStream
//! with its store in `OUT/jetstream`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::claims::{
    Account, Claims, Export, ExportType, Import, JetStreamLimits, Operator, ResponsePermission,
    ResponseType, User,
};
use crate::server_config::{Resolver, ServerConfig};
use crate::{Error, KeyKind, Nkey, Result, creds, jwt, permissions};

/// The system account's name in generated sites.
pub const SYSTEM_ACCOUNT: &str = "SYS";

fn spec_err(message: impl Into<String>) -> Error {
    Error::Spec(message.into())
}

/// A site spec.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The operator.
    pub operator: OperatorSpec,
    /// Accounts besides `SYS`.
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
    /// Servers in the cluster (for replica checks; absent = 1).
    #[serde(default)]
    pub cluster_size: Option<u32>,
    /// Deployment planes users may be placed on (each a single literal token).
    #[serde(default)]
    pub planes: Vec<String>,
}

/// The operator.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    /// Name.
    pub name: String,
    /// How many operator signing keys (accounts are signed with the first; 0 = identity key).
    #[serde(default)]
    pub signing_keys: u32,
    /// Server URLs for clients.
    #[serde(default)]
    pub service_urls: Vec<String>,
}

/// An account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// Name (unique; not `SYS`).
    pub name: String,
    /// JetStream limits (absent = JetStream off).
    #[serde(default)]
    pub jetstream: Option<JetStreamLimits>,
    /// Exports.
    #[serde(default)]
    pub exports: Vec<ExportSpec>,
    /// Imports (by account name).
    #[serde(default)]
    pub imports: Vec<ImportSpec>,
    /// KV buckets the account holds (for lint: JetStream limits, replicas, presets).
    #[serde(default)]
    pub kv_buckets: Vec<JetStreamAsset>,
    /// Streams the account holds (for lint: JetStream limits, replicas).
    #[serde(default)]
    pub streams: Vec<JetStreamAsset>,
    /// Users.
    #[serde(default)]
    pub users: Vec<UserSpec>,
}

/// A KV bucket or stream an account declares. `init` does not create it (applications do);
/// `lint` checks the account can hold it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JetStreamAsset {
    /// Bucket or stream name.
    pub name: String,
    /// Replicas (1 when absent); must not exceed the spec's `cluster_size`.
    #[serde(default)]
    pub replicas: Option<u32>,
}

/// A KV permission preset for a user (see [`crate::permissions`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvGrantSpec {
    /// The bucket.
    pub bucket: String,
    /// What the user may do.
    pub access: KvAccess,
}

/// KV access levels; each includes what it needs to bind to the bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KvAccess {
    /// Get keys ([`permissions::kv_read`]).
    Read,
    /// Read, put, update, delete ([`permissions::kv_read`] + [`permissions::kv_write`]).
    Write,
    /// Read and watch ([`permissions::kv_read`] + [`permissions::kv_watch`]).
    Watch,
    /// Read, write and watch.
    All,
}

impl KvGrantSpec {
    /// The grants of this preset.
    pub fn grants(&self) -> permissions::Grants {
        let b = self.bucket.as_str();
        let read = permissions::kv_read(b, permissions::INBOX);
        match self.access {
            KvAccess::Read => read,
            KvAccess::Write => read.and(permissions::kv_write(b)),
            KvAccess::Watch => read.and(permissions::kv_watch(b)),
            KvAccess::All => read
                .and(permissions::kv_write(b))
                .and(permissions::kv_watch(b)),
        }
    }
}

/// An export.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// Name.
    pub name: String,
    /// Subject.
    pub subject: String,
    /// `service` or `stream`.
    #[serde(rename = "type")]
    pub kind: ExportType,
    /// Service reply delivery.
    #[serde(default)]
    pub response_type: Option<ResponseType>,
    /// Private export (importers need an activation).
    #[serde(default)]
    pub token_req: bool,
}

/// An import.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// Name.
    pub name: String,
    /// The exporting account's name.
    pub account: String,
    /// The exported subject.
    pub subject: String,
    /// `service` or `stream`.
    #[serde(rename = "type")]
    pub kind: ExportType,
    /// Where it appears locally.
    #[serde(default)]
    pub local_subject: Option<String>,
}

/// A user.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// Name (unique in the account).
    pub name: String,
    /// Publish allow.
    #[serde(default)]
    pub pub_allow: Vec<String>,
    /// Publish deny.
    #[serde(default)]
    pub pub_deny: Vec<String>,
    /// Subscribe allow.
    #[serde(default)]
    pub sub_allow: Vec<String>,
    /// Subscribe deny.
    #[serde(default)]
    pub sub_deny: Vec<String>,
    /// May answer requests it received (one reply each).
    #[serde(default)]
    pub allow_responses: bool,
    /// Lifetime (`30s`, `15m`, `12h`, `14d`); absent = no expiry.
    #[serde(default)]
    pub expires_in: Option<String>,
    /// KV presets added to the allow lists.
    #[serde(default)]
    pub kv: Vec<KvGrantSpec>,
    /// Plane replacing `{{plane}}` in this user's subjects (one literal token).
    #[serde(default)]
    pub plane: Option<String>,
}

/// True when `plane` can prefix subjects: one literal token.
pub fn is_literal_token(plane: &str) -> bool {
    !plane.is_empty() && !plane.contains(['.', '*', '>', ' ', '\t', '{', '}'])
}

impl UserSpec {
    /// The user's publish and subscribe allow lists: the declared subjects plus the KV
    /// presets, with `{{plane}}` replaced.
    pub fn allow_lists(&self) -> Result<(Vec<String>, Vec<String>)> {
        let mut grants = permissions::Grants {
            publish: self.pub_allow.clone(),
            subscribe: self.sub_allow.clone(),
            responses: None,
        };
        for kv in &self.kv {
            grants = grants.and(kv.grants());
        }
        let place = |list: Vec<String>| -> Result<Vec<String>> {
            list.into_iter()
                .map(|s| match &self.plane {
                    Some(p) if is_literal_token(p) => Ok(s.replace("{{plane}}", p)),
                    Some(p) => Err(spec_err(format!(
                        "user {:?}: plane {p:?} must be one literal token",
                        self.name
                    ))),
                    None if s.contains("{{plane}}") => Err(spec_err(format!(
                        "user {:?}: {s:?} uses {{{{plane}}}} but the user has no plane",
                        self.name
                    ))),
                    None => Ok(s),
                })
                .collect()
        };
        Ok((place(grants.publish)?, place(grants.subscribe)?))
    }
}

impl Spec {
    /// Parses TOML; unknown keys are errors (typos must not silently widen access).
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| spec_err(format!("spec: {e}")))
    }

    /// Reads a spec file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::keys::io_err(path, &e))?;
        Self::parse(&text)
    }
}

/// Parses `30s`, `15m`, `12h`, `14d`, `2w` into seconds.
pub fn parse_duration(text: &str) -> Result<i64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| spec_err(format!("bad duration {text:?}")))?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => {
            return Err(spec_err(format!(
                "bad duration unit in {text:?} (use s, m, h, d, w)"
            )));
        }
    };
    n.checked_mul(unit)
        .ok_or_else(|| spec_err(format!("duration {text:?} overflows")))
}

/// Where seeds come from: a directory (read if present, created 0700/0600 if not), or memory.
pub struct Seeds {
    dir: Option<PathBuf>,
    generated: Vec<(String, Zeroizing<String>)>,
}

impl Seeds {
    /// Seeds persisted under `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
            generated: Vec::new(),
        }
    }

    /// Fresh seeds kept in memory (print them once with [`Seeds::generated`]).
    pub fn ephemeral() -> Self {
        Self {
            dir: None,
            generated: Vec::new(),
        }
    }

    /// (label, seed) of every key this run created or loaded in memory mode.
    pub fn generated(&self) -> &[(String, Zeroizing<String>)] {
        &self.generated
    }

    fn key(&mut self, kind: KeyKind, label: &str) -> Result<Nkey> {
        let Some(dir) = &self.dir else {
            let key = Nkey::generate(kind)?;
            self.generated.push((label.to_owned(), key.seed()?));
            return Ok(key);
        };
        let path = dir.join(format!("{label}.nk"));
        if path.is_file() {
            return Nkey::from_seed_file(kind, &path);
        }
        if let Some(parent) = path.parent() {
            create_private_dir(parent)?;
        }
        let key = Nkey::generate(kind)?;
        key.write_seed_file(&path)?;
        Ok(key)
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| crate::keys::io_err(dir, &e))
}

/// A generated site.
#[derive(Debug)]
pub struct Site {
    /// The operator JWT.
    pub operator_jwt: String,
    /// The system account's public key.
    pub system_account: String,
    /// (name, public key, JWT) of every account, `SYS` first.
    pub accounts: Vec<(String, String, String)>,
    /// (account name, user name, creds text).
    pub users: Vec<(String, String, Zeroizing<String>)>,
    /// Whether any account has JetStream limits (the server config then enables JetStream).
    pub jetstream: bool,
}

/// Which resolver the server config uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolverKind {
    /// All accounts preloaded in the config.
    Memory,
    /// Accounts stored as files in `<out>/jwt`; only `SYS` preloaded.
    Full,
}

impl Site {
    /// Generates every JWT and creds file of `spec` with keys from `seeds`.
    pub fn generate(spec: &Spec, seeds: &mut Seeds) -> Result<Self> {
        let mut names = std::collections::BTreeSet::new();
        for account in &spec.accounts {
            if account.name == SYSTEM_ACCOUNT || !names.insert(account.name.as_str()) {
                return Err(spec_err(format!(
                    "duplicate or reserved account name {:?}",
                    account.name
                )));
            }
        }
        let operator = seeds.key(KeyKind::Operator, "operator")?;
        let mut signing = Vec::new();
        for i in 1..=spec.operator.signing_keys {
            signing.push(seeds.key(KeyKind::Operator, &format!("operator-signing-{i}"))?);
        }
        let account_signer = signing.first().unwrap_or(&operator);
        let mut keys: BTreeMap<String, Nkey> = BTreeMap::new();
        keys.insert(
            SYSTEM_ACCOUNT.to_owned(),
            seeds.key(KeyKind::Account, &format!("accounts/{SYSTEM_ACCOUNT}"))?,
        );
        for account in &spec.accounts {
            keys.insert(
                account.name.clone(),
                seeds.key(KeyKind::Account, &format!("accounts/{}", account.name))?,
            );
        }
        let key_of = |name: &str| {
            keys.get(name)
                .ok_or_else(|| spec_err(format!("unknown account {name:?}")))
        };
        let system_account = key_of(SYSTEM_ACCOUNT)?.public_key();

        let mut op = Claims::new(
            operator.public_key(),
            spec.operator.name.clone(),
            Operator::default(),
        );
        op.nats.system_account = system_account.clone();
        op.nats.signing_keys = signing.iter().map(Nkey::public_key).collect();
        op.nats.operator_service_urls = spec.operator.service_urls.clone();
        let operator_jwt = op.encode(&operator)?;

        let sys = Claims::new(system_account.clone(), SYSTEM_ACCOUNT, Account::default())
            .encode(account_signer)?;
        let mut accounts = vec![(SYSTEM_ACCOUNT.to_owned(), system_account.clone(), sys)];
        // An operations user of the system account (claim pushes, monitoring): creds/SYS/sys.creds.
        let sys_user = seeds.key(KeyKind::User, &format!("users/{SYSTEM_ACCOUNT}/sys"))?;
        let sys_token = Claims::new(sys_user.public_key(), "sys", User::default())
            .encode(key_of(SYSTEM_ACCOUNT)?)?;
        let mut users = vec![(
            SYSTEM_ACCOUNT.to_owned(),
            "sys".to_owned(),
            creds::format(&sys_token, &sys_user.seed()?),
        )];
        let now = jwt::now();
        for spec_account in &spec.accounts {
            let key = key_of(&spec_account.name)?;
            // Users are signed with an account signing key, so the identity key can stay offline.
            let signing = seeds.key(
                KeyKind::Account,
                &format!("accounts/{}-signing-1", spec_account.name),
            )?;
            let mut claims = Claims::new(
                key.public_key(),
                spec_account.name.clone(),
                Account::default(),
            );
            claims.nats.signing_keys = vec![crate::claims::SigningKey::Plain(signing.public_key())];
            if let Some(js) = &spec_account.jetstream {
                claims.nats.limits.jetstream = js.clone();
            }
            for e in &spec_account.exports {
                let mut export = Export::new(e.name.clone(), e.subject.clone(), e.kind);
                export.response_type = e.response_type;
                export.token_req = e.token_req;
                claims.nats.exports.push(export);
            }
            for i in &spec_account.imports {
                let mut import = Import::new(
                    i.name.clone(),
                    key_of(&i.account)?.public_key(),
                    i.subject.clone(),
                    i.kind,
                );
                import.local_subject = i.local_subject.clone().unwrap_or_default();
                claims.nats.imports.push(import);
            }
            accounts.push((
                spec_account.name.clone(),
                key.public_key(),
                claims.encode(account_signer)?,
            ));

            for u in &spec_account.users {
                let user_key = seeds.key(
                    KeyKind::User,
                    &format!("users/{}/{}", spec_account.name, u.name),
                )?;
                let mut user = Claims::new(user_key.public_key(), u.name.clone(), User::default());
                let perms = &mut user.nats.limits.permissions;
                let (publish, subscribe) = u.allow_lists()?;
                perms.publish.allow = publish;
                perms.publish.deny = u.pub_deny.clone();
                perms.subscribe.allow = subscribe;
                perms.subscribe.deny = u.sub_deny.clone();
                if u.allow_responses {
                    perms.response = Some(ResponsePermission { max: 1, ttl: 0 });
                }
                if let Some(lifetime) = &u.expires_in {
                    user.exp = now + parse_duration(lifetime)?;
                }
                user.nats.issuer_account = key.public_key();
                let token = user.encode(&signing)?;
                users.push((
                    spec_account.name.clone(),
                    u.name.clone(),
                    creds::format(&token, &user_key.seed()?),
                ));
            }
        }
        Ok(Self {
            operator_jwt,
            system_account,
            accounts,
            users,
            jetstream: spec
                .accounts
                .iter()
                .any(|a| a.jetstream.as_ref().is_some_and(|js| js.is_enabled())),
        })
    }

    /// The server config for a site written to `out` (absolute): the full resolver keeps
    /// `out/jwt`, JetStream (enabled when an account has limits) stores in `out/jetstream`.
    pub fn server_config(&self, resolver: ResolverKind, out: &Path) -> ServerConfig {
        let jwt_dir = out.join("jwt");
        let preload = |all: bool| {
            self.accounts
                .iter()
                .filter(|(name, ..)| all || name == SYSTEM_ACCOUNT)
                .map(|(_, key, token)| (key.clone(), token.clone()))
                .collect::<Vec<_>>()
        };
        let resolver = match resolver {
            ResolverKind::Memory => Resolver::memory(preload(true)),
            ResolverKind::Full => {
                let mut full =
                    Resolver::full(&jwt_dir, (self.system_account.clone(), String::new()));
                if let Resolver::Full { preload: p, .. } = &mut full {
                    *p = preload(false);
                }
                full
            }
        };
        let config = ServerConfig::new(self.operator_jwt.clone(), self.system_account.clone())
            .resolver(resolver);
        if self.jetstream {
            config.jetstream(out.join("jetstream"))
        } else {
            config
        }
    }

    /// Writes `operator.jwt`, `accounts/<NAME>.jwt`, `nats-server.conf` (and, for the full
    /// resolver, `jwt/<key>.jwt`) and `creds/<ACCOUNT>/<USER>.creds` (0600) under `out`.
    pub fn write(&self, out: &Path, resolver: ResolverKind) -> Result<()> {
        let write = |path: PathBuf, text: &str| -> Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| crate::keys::io_err(parent, &e))?;
            }
            std::fs::write(&path, text).map_err(|e| crate::keys::io_err(&path, &e))
        };
        write(out.join("operator.jwt"), &self.operator_jwt)?;
        let jwt_dir = out.join("jwt");
        for (name, key, token) in &self.accounts {
            write(out.join("accounts").join(format!("{name}.jwt")), token)?;
            if resolver == ResolverKind::Full {
                write(jwt_dir.join(format!("{key}.jwt")), token)?;
            }
        }
        let absolute = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
        write(
            out.join("nats-server.conf"),
            &self.server_config(resolver, &absolute).render(),
        )?;
        for (account, user, text) in &self.users {
            let dir = out.join("creds").join(account);
            create_private_dir(&dir)?;
            crate::keys::write_private(&dir.join(format!("{user}.creds")), text.as_bytes(), true)?;
        }
        Ok(())
    }
}

/// Lints a spec: spec-level rules first (names, the system account, imports without exports,
/// KV permissions without JetStream or without the subjects they need), then every
/// [`crate::validate`] rule on the claims it would generate.
pub fn lint(spec: &Spec) -> crate::validate::Report {
    use crate::validate::{self, Report};
    let mut r = Report::default();
    let mut names = std::collections::BTreeSet::new();
    for account in &spec.accounts {
        if account.name == SYSTEM_ACCOUNT {
            r.error(
                "spec.system-account",
                "users, JetStream and application subjects do not belong on the system account: move them to an account of their own",
            );
        } else if !names.insert(account.name.as_str()) {
            r.error(
                "spec.duplicate-account",
                format!("account {:?} is declared twice", account.name),
            );
        }
        let mut users = std::collections::BTreeSet::new();
        for user in &account.users {
            if !users.insert(user.name.as_str()) {
                r.error(
                    "spec.duplicate-user",
                    format!(
                        "user {:?} is declared twice in {:?}",
                        user.name, account.name
                    ),
                );
            }
            let publish = match user.allow_lists() {
                Ok((publish, _)) => publish,
                Err(e) => {
                    r.error(
                        "spec.plane",
                        format!("{e}: set `plane` to one literal token such as \"prod\""),
                    );
                    continue;
                }
            };
            for kv in &user.kv {
                if !account.kv_buckets.iter().any(|b| b.name == kv.bucket) {
                    r.warning(
                        "spec.kv-undeclared-bucket",
                        format!(
                            "{}/{} has a KV preset on bucket {:?}, which {} does not declare in kv_buckets",
                            account.name, user.name, kv.bucket, account.name
                        ),
                    );
                }
            }
            let kv_buckets: std::collections::BTreeSet<&str> = publish
                .iter()
                .filter_map(|s| {
                    s.strip_prefix("$KV.")
                        .and_then(|rest| rest.split('.').next())
                })
                .collect();
            for bucket in kv_buckets {
                if account.jetstream.as_ref().is_none_or(|js| !js.is_enabled()) {
                    r.error(
                        "spec.kv-without-jetstream",
                        format!(
                            "{}/{} uses KV bucket {bucket:?} but {} has no JetStream limits",
                            account.name, user.name, account.name
                        ),
                    );
                }
                let info = format!("$JS.API.STREAM.INFO.KV_{bucket}");
                if !publish.iter().any(|s| *s == info || s == "$JS.API.>") {
                    r.error(
                        "spec.kv-missing-subjects",
                        format!("{}/{} writes KV bucket {bucket:?} without {info}: use the kv_read/kv_write/kv_watch presets", account.name, user.name),
                    );
                }
            }
            if let Some(lifetime) = &user.expires_in
                && let Err(e) = parse_duration(lifetime)
            {
                r.error("spec.duration", e.to_string());
            }
        }
        let has_jetstream = account.jetstream.as_ref().is_some_and(|js| js.is_enabled());
        let cluster = spec.cluster_size.unwrap_or(1);
        for (what, assets) in [
            ("KV bucket", &account.kv_buckets),
            ("stream", &account.streams),
        ] {
            for asset in assets {
                if !has_jetstream {
                    r.error(
                        "spec.kv-without-jetstream",
                        format!(
                            "{} holds {what} {:?} but has no JetStream limits: add `jetstream = {{ ... }}` to the account",
                            account.name, asset.name
                        ),
                    );
                }
                let replicas = asset.replicas.unwrap_or(1);
                if replicas == 0 || replicas > cluster {
                    r.error(
                        "spec.replicas",
                        format!(
                            "{}'s {what} {:?} wants {replicas} replicas but the cluster has {cluster} server(s): lower replicas or set cluster_size",
                            account.name, asset.name
                        ),
                    );
                }
            }
        }
        for import in &account.imports {
            let exporter = spec.accounts.iter().find(|a| a.name == import.account);
            let matched = exporter.is_some_and(|e| {
                e.exports
                    .iter()
                    .any(|x| x.kind == import.kind && x.subject == import.subject)
            });
            if !matched {
                r.error(
                    "spec.import-without-export",
                    format!(
                        "{} imports {} {:?} from {:?}, which exports no such {}",
                        account.name,
                        kind_name(import.kind),
                        import.subject,
                        import.account,
                        kind_name(import.kind)
                    ),
                );
            }
        }
    }
    for plane in &spec.planes {
        if !is_literal_token(plane) {
            r.error(
                "spec.wildcard-plane",
                format!("plane {plane:?} is not one literal token: wildcards or dots would let one plane reach another's subjects"),
            );
        }
    }
    if !r.is_ok() {
        return r;
    }
    match Site::generate(spec, &mut Seeds::ephemeral()) {
        Ok(site) => {
            let mut findings = Vec::new();
            if let Ok(op) = Claims::<Operator>::decode(&site.operator_jwt) {
                findings.extend(validate::operator(&op).findings);
            }
            for (_, _, token) in &site.accounts {
                if let Ok(account) = Claims::<Account>::decode(token) {
                    findings
                        .extend(validate::account(&account, Some(&site.system_account)).findings);
                }
            }
            for (account, user, text) in &site.users {
                if let Ok(creds) = creds::Creds::parse(text)
                    && let Ok(claims) = creds.claims()
                {
                    for mut f in validate::user(
                        &claims,
                        Some(&creds.jwt),
                        validate::DEFAULT_MAX_CONTROL_LINE,
                    )
                    .findings
                    {
                        f.message = format!("{account}/{user}: {}", f.message);
                        findings.push(f);
                    }
                }
            }
            r.findings.extend(findings);
        }
        Err(e) => r.error("spec.generate", e.to_string()),
    }
    r
}

fn kind_name(kind: ExportType) -> &'static str {
    match kind {
        ExportType::Stream => "stream",
        ExportType::Service => "service",
    }
}

/// What `myc-nats creds` issues: one service user of a generated account.
#[derive(Clone, Debug, Default)]
pub struct CredsRequest {
    /// Account name.
    pub account: String,
    /// Service (user) name.
    pub name: String,
    /// Publish allow (`{{plane}}` is replaced by `plane`).
    pub publish: Vec<String>,
    /// Subscribe allow (`{{plane}}` is replaced by `plane`).
    pub subscribe: Vec<String>,
    /// Allow one reply per received request.
    pub allow_responses: bool,
    /// Lifetime (e.g. `14d`).
    pub expires: Option<String>,
    /// Deployment plane replacing `{{plane}}` (a single literal token).
    pub plane: Option<String>,
    /// Keep the user's seed in this directory (`<name>.nk`) and reuse it next time.
    pub persist_user_nkeys: Option<PathBuf>,
}

/// Issues creds for one service, signed by the account's signing key from `seeds`
/// (`accounts/<NAME>-signing-1.nk`, as `init` creates it). Returns the creds text.
pub fn issue_creds(seeds: &Path, request: &CredsRequest) -> Result<Zeroizing<String>> {
    if let Some(plane) = &request.plane
        && (plane.is_empty() || plane.contains(['.', '*', '>', ' ']))
    {
        return Err(spec_err(format!(
            "plane {plane:?} must be one literal token"
        )));
    }
    let account = Nkey::from_seed_file(
        KeyKind::Account,
        &seeds
            .join("accounts")
            .join(format!("{}.nk", request.account)),
    )?;
    let signing = Nkey::from_seed_file(
        KeyKind::Account,
        &seeds
            .join("accounts")
            .join(format!("{}-signing-1.nk", request.account)),
    )?;
    let user = match &request.persist_user_nkeys {
        Some(dir) => Seeds::in_dir(dir).key(KeyKind::User, &request.name)?,
        None => Nkey::generate(KeyKind::User)?,
    };
    let subst = |subjects: &[String]| -> Vec<String> {
        subjects
            .iter()
            .map(|s| match &request.plane {
                Some(p) => s.replace("{{plane}}", p),
                None => s.clone(),
            })
            .collect()
    };
    let mut claims = Claims::new(user.public_key(), request.name.clone(), User::default());
    claims.nats.issuer_account = account.public_key();
    claims.nats.limits.permissions.publish.allow = subst(&request.publish);
    claims.nats.limits.permissions.subscribe.allow = subst(&request.subscribe);
    if request.allow_responses {
        claims.nats.limits.permissions.response = Some(ResponsePermission { max: 1, ttl: 0 });
    }
    if let Some(lifetime) = &request.expires {
        claims.exp = jwt::now() + parse_duration(lifetime)?;
    }
    for s in claims
        .nats
        .limits
        .permissions
        .publish
        .allow
        .iter()
        .chain(&claims.nats.limits.permissions.subscribe.allow)
    {
        if s.contains("{{plane}}") {
            return Err(spec_err(format!(
                "{s:?} uses {{{{plane}}}} but no --plane was given"
            )));
        }
    }
    let token = claims.encode(&signing)?;
    crate::validate::user(
        &claims,
        Some(&token),
        crate::validate::DEFAULT_MAX_CONTROL_LINE,
    )
    .into_result()?;
    Ok(creds::format(&token, &user.seed()?))
}

/// Revokes `user` (a `U…` key, or `*`) in the generated account `account` under `out`,
/// for JWTs issued at or before `at`; re-signs the account with the operator key that signed it
/// (found in `seeds`) and rewrites `accounts/<NAME>.jwt`, `jwt/<key>.jwt` if present, and the
/// MEMORY preload in `nats-server.conf` (so a restart does not bring the user back).
pub fn revoke(seeds: &Path, out: &Path, account: &str, user: &str, at: i64) -> Result<String> {
    if user != "*" && !crate::is_public_key(KeyKind::User, user) {
        return Err(spec_err(format!("{user:?} is not a user public key or *")));
    }
    let path = out.join("accounts").join(format!("{account}.jwt"));
    let old = std::fs::read_to_string(&path).map_err(|e| crate::keys::io_err(&path, &e))?;
    let mut claims = Claims::<Account>::decode(old.trim())?;
    let mut signer = None;
    let entries = std::fs::read_dir(seeds).map_err(|e| crate::keys::io_err(seeds, &e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("operator") && name.ends_with(".nk") {
            let key = Nkey::from_seed_file(KeyKind::Operator, &entry.path())?;
            if key.public_key() == claims.iss {
                signer = Some(key);
            }
        }
    }
    let signer = signer.ok_or_else(|| {
        spec_err(format!(
            "no seed in {} for the account's signer {}",
            seeds.display(),
            claims.iss
        ))
    })?;
    claims.nats.revoke(user, at);
    let token = claims.encode(&signer)?;
    std::fs::write(&path, &token).map_err(|e| crate::keys::io_err(&path, &e))?;
    let stored = out.join("jwt").join(format!("{}.jwt", claims.sub));
    if stored.is_file() {
        std::fs::write(&stored, &token).map_err(|e| crate::keys::io_err(&stored, &e))?;
    }
    let conf = out.join("nats-server.conf");
    if let Ok(text) = std::fs::read_to_string(&conf) {
        std::fs::write(&conf, text.replace(old.trim(), &token))
            .map_err(|e| crate::keys::io_err(&conf, &e))?;
    }
    Ok(token)
}

/// Claim differences between two generated sites (`operator.jwt`, `accounts/*.jwt`,
/// `creds/*/*.creds`), ignoring `iat` and `jti` (and users' `exp`, which is relative to the
/// generation time). Each entry is `"<file>: <what>"`; empty means no drift.
pub fn diff_sites(a: &Path, b: &Path) -> Result<Vec<String>> {
    fn files(root: &Path) -> Result<std::collections::BTreeSet<PathBuf>> {
        let mut out = std::collections::BTreeSet::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(root) {
                    let s = rel.to_string_lossy();
                    if s == "operator.jwt"
                        || (s.starts_with("accounts/") && s.ends_with(".jwt"))
                        || s.ends_with(".creds")
                    {
                        out.insert(rel.to_path_buf());
                    }
                }
            }
        }
        Ok(out)
    }
    fn claims_of(path: &Path) -> Result<serde_json::Value> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::keys::io_err(path, &e))?;
        let token = match creds::Creds::parse(&text) {
            Ok(c) => c.jwt,
            Err(_) => text.trim().to_owned(),
        };
        let payload = token
            .split('.')
            .nth(1)
            .ok_or_else(|| Error::Malformed("no payload".into()))?;
        use base64::Engine as _;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Error::Malformed("payload is not base64url".into()))?;
        let mut value: serde_json::Value =
            serde_json::from_slice(&json).map_err(|e| Error::Malformed(e.to_string()))?;
        if let Some(obj) = value.as_object_mut() {
            obj.remove("iat");
            obj.remove("jti");
            if path.extension().is_some_and(|e| e == "creds") {
                obj.remove("exp");
            }
        }
        Ok(value)
    }
    fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(
                        &p,
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                        out,
                    );
                }
            }
            _ if a != b => out.push(format!("{path}: {a} -> {b}")),
            _ => {}
        }
    }
    let (fa, fb) = (files(a)?, files(b)?);
    let mut out = Vec::new();
    for f in fa.union(&fb) {
        let name = f.display();
        match (fa.contains(f), fb.contains(f)) {
            (true, false) => out.push(format!("{name}: only in {}", a.display())),
            (false, true) => out.push(format!("{name}: only in {}", b.display())),
            _ => {
                let mut changes = Vec::new();
                walk(
                    "",
                    &claims_of(&a.join(f))?,
                    &claims_of(&b.join(f))?,
                    &mut changes,
                );
                out.extend(changes.into_iter().map(|c| format!("{name}: {c}")));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d").unwrap(), 14 * 86_400);
        assert_eq!(parse_duration("5s").unwrap(), 5);
        assert!(
            parse_duration("5y").is_err()
                && parse_duration("d").is_err()
                && parse_duration("").is_err()
        );
    }

    #[test]
    fn unknown_keys_and_names_are_errors() {
        assert!(Spec::parse("[operator]\nname = \"OP\"\nsigning_key = 1\n").is_err());
        let dup =
            "[operator]\nname = \"OP\"\n[[accounts]]\nname = \"A\"\n[[accounts]]\nname = \"A\"\n";
        assert!(Site::generate(&Spec::parse(dup).unwrap(), &mut Seeds::ephemeral()).is_err());
        let sys = "[operator]\nname = \"OP\"\n[[accounts]]\nname = \"SYS\"\n";
        assert!(Site::generate(&Spec::parse(sys).unwrap(), &mut Seeds::ephemeral()).is_err());
        let missing = "[operator]\nname = \"OP\"\n[[accounts]]\nname = \"A\"\nimports = [{ name = \"x\", account = \"NOPE\", subject = \"x\", type = \"service\" }]\n";
        assert!(Site::generate(&Spec::parse(missing).unwrap(), &mut Seeds::ephemeral()).is_err());
    }
}
