//! Validation rules: what nats-server would refuse, or accept and then behave surprisingly.
//!
//! Each check returns a [`Report`] of findings; [`Report::into_result`] turns errors into
//! [`Error::Invalid`]. The `myc-nats lint` command and the encoders' callers share these rules.

use crate::claims::{Account, Claims, Operator, User};
use crate::{Error, KeyKind, Result, is_public_key};

/// Default `max_control_line` of nats-server.
pub const DEFAULT_MAX_CONTROL_LINE: usize = 4096;
/// Bytes of the CONNECT line besides the JWT: the nonce signature (86) and the other fields a
/// client sends (name, lang, version, flags). Measured: 3.7 KB JWTs connect and 4.5 KB fail at
/// the default 4096.
pub const CONNECT_OVERHEAD: usize = 400;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Works, but probably not as intended.
    Warning,
    /// The server would refuse it, or nobody could use it.
    Error,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// Stable identifier (e.g. `account.no-connections`).
    pub code: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Findings of one check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Findings, in the order found.
    pub findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn error(&mut self, code: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Error,
            code,
            message: message.into(),
        });
    }

    pub(crate) fn warning(&mut self, code: &'static str, message: impl Into<String>) {
        self.findings.push(Finding {
            severity: Severity::Warning,
            code,
            message: message.into(),
        });
    }

    /// True when there is no error (warnings allowed).
    pub fn is_ok(&self) -> bool {
        self.findings.iter().all(|f| f.severity != Severity::Error)
    }

    /// `Err` with the error findings ([`Error::Invalid`]), or `Ok`.
    pub fn into_result(self) -> Result<()> {
        let errors: Vec<Finding> = self
            .findings
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(errors))
        }
    }
}

/// True for a valid NATS subject or wildcard pattern (`>` only last, no empty tokens or spaces).
pub fn is_subject(subject: &str) -> bool {
    if subject.is_empty() || subject.chars().any(|c| c.is_whitespace()) {
        return false;
    }
    let tokens: Vec<&str> = subject.split('.').collect();
    tokens.iter().enumerate().all(|(i, t)| {
        !t.is_empty()
            && (*t != ">" || i == tokens.len() - 1)
            && (!t.contains(['*', '>']) || t.len() == 1 || t.starts_with("{{"))
    })
}

/// True for a subscribe permission entry: a subject, optionally followed by one queue name.
fn is_sub_entry(entry: &str) -> bool {
    match entry.split_once(' ') {
        Some((subject, queue)) => is_subject(subject) && !queue.is_empty() && !queue.contains(' '),
        None => is_subject(entry),
    }
}

/// The longest user JWT that fits a CONNECT line of `max_control_line` bytes.
pub fn connect_budget(max_control_line: usize) -> usize {
    max_control_line.saturating_sub(CONNECT_OVERHEAD)
}

/// Checks an operator.
pub fn operator(claims: &Claims<Operator>) -> Report {
    let mut r = Report::default();
    if !claims.iss.is_empty() && claims.iss != claims.sub {
        r.error(
            "operator.not-self-signed",
            "an operator JWT must be signed by its own identity key",
        );
    }
    for key in &claims.nats.signing_keys {
        if !is_public_key(KeyKind::Operator, key) {
            r.error(
                "operator.signing-key",
                format!("{key} is not an operator public key"),
            );
        }
    }
    if !claims.nats.system_account.is_empty()
        && !is_public_key(KeyKind::Account, &claims.nats.system_account)
    {
        r.error(
            "operator.system-account",
            "system_account is not an account public key",
        );
    }
    if claims.nats.system_account.is_empty() {
        r.warning(
            "operator.no-system-account",
            "no system account: claim updates and monitoring over $SYS are unavailable",
        );
    }
    r
}

/// Checks an account; `system_account` is the operator's system account key, if known.
pub fn account(claims: &Claims<Account>, system_account: Option<&str>) -> Report {
    let mut r = Report::default();
    let a = &claims.nats;
    let is_system = system_account == Some(claims.sub.as_str());
    if a.limits.conn == 0 {
        r.error(
            "account.no-connections",
            "limits.conn is 0 (or missing): no user can connect; use -1 for unlimited",
        );
    }
    if is_system && a.limits.jetstream_enabled() {
        r.error(
            "account.system-jetstream",
            "the system account cannot have JetStream (nats-server fails to start)",
        );
    }
    if a.limits.jetstream.is_enabled() && !a.limits.tiered_limits.is_empty() {
        r.error(
            "account.jetstream-flat-and-tiered",
            "flat JetStream limits and tiered_limits are mutually exclusive",
        );
    }
    if a.limits.tiered_limits.contains_key("") {
        r.error(
            "account.jetstream-empty-tier",
            "the \"\" JetStream tier is not allowed; use R1, R3, …",
        );
    }
    for export in &a.exports {
        if !is_subject(&export.subject) {
            r.error(
                "account.export-subject",
                format!(
                    "export {:?} has an invalid subject {:?}",
                    export.name, export.subject
                ),
            );
        }
        if export.subject.contains(['*', '>']) && !a.limits.wildcards {
            r.error(
                "account.export-wildcard",
                format!(
                    "export {:?} uses wildcards but limits.wildcards is false",
                    export.name
                ),
            );
        }
        if export.response_type.is_some() && export.export_type == crate::claims::ExportType::Stream
        {
            r.error(
                "account.stream-response-type",
                format!(
                    "stream export {:?} cannot have a response type",
                    export.name
                ),
            );
        }
    }
    for import in &a.imports {
        if !is_public_key(KeyKind::Account, &import.account) {
            r.error(
                "account.import-account",
                format!(
                    "import {:?} names {:?}, not an account key",
                    import.name, import.account
                ),
            );
        }
        if !is_subject(&import.subject)
            || (!import.local_subject.is_empty() && !is_subject(&import.local_subject))
        {
            r.error(
                "account.import-subject",
                format!("import {:?} has an invalid subject", import.name),
            );
        }
        if import.account == claims.sub {
            r.error(
                "account.self-import",
                format!("import {:?} imports from the account itself", import.name),
            );
        }
    }
    for key in &a.signing_keys {
        if !is_public_key(KeyKind::Account, key.key()) {
            r.error(
                "account.signing-key",
                format!("{} is not an account public key", key.key()),
            );
        }
    }
    for user in a.revocations.keys() {
        if user != "*" && !is_public_key(KeyKind::User, user) {
            r.error(
                "account.revocation",
                format!("revocation key {user} is not a user key or *"),
            );
        }
    }
    if !a.authorization.auth_users.is_empty() {
        r.warning(
            "account.callout-server-version",
            "auth callout needs nats-server 2.10+; 2.9 ignores the authorization block and admits the sentinel \
             user: set the operator's assert_server_version to 2.10.0 or later",
        );
        if a.authorization.allowed_accounts.is_empty() {
            r.error(
                "account.callout-no-accounts",
                "authorization.allowed_accounts is empty: the callout can admit nobody",
            );
        }
    }
    if is_system && (!a.exports.is_empty() || !a.imports.is_empty()) {
        r.warning(
            "account.system-traffic",
            "keep application imports and exports off the system account",
        );
    }
    r
}

/// Checks a user; `token` is the encoded JWT (for the CONNECT budget) and `max_control_line`
/// the server's setting (default 4096).
pub fn user(claims: &Claims<User>, token: Option<&str>, max_control_line: usize) -> Report {
    let mut r = Report::default();
    let u = &claims.nats.limits;
    for (what, list) in [
        ("pub.allow", &u.permissions.publish.allow),
        ("pub.deny", &u.permissions.publish.deny),
    ] {
        for s in list {
            if !is_subject(s) {
                r.error(
                    "user.subject",
                    format!("{what} has an invalid subject {s:?}"),
                );
            }
        }
    }
    for (what, list) in [
        ("sub.allow", &u.permissions.subscribe.allow),
        ("sub.deny", &u.permissions.subscribe.deny),
    ] {
        for s in list {
            if !is_sub_entry(s) {
                r.error("user.subject", format!("{what} has an invalid entry {s:?}"));
            }
        }
    }
    let scoped = u.is_empty() && !claims.nats.issuer_account.is_empty();
    if !scoped {
        if u.subs == 0 {
            r.warning(
                "user.no-subscriptions",
                "subs is 0: every SUB fails; use -1 for unlimited",
            );
        }
        if u.payload == 0 {
            r.warning(
                "user.no-payload",
                "payload is 0: any non-empty publish disconnects; use -1 for unlimited",
            );
        }
    }
    if !claims.nats.issuer_account.is_empty()
        && !is_public_key(KeyKind::Account, &claims.nats.issuer_account)
    {
        r.error(
            "user.issuer-account",
            "issuer_account is not an account public key",
        );
    }
    for cidr in &u.src {
        if cidr.parse::<std::net::IpAddr>().is_err()
            && !cidr.split_once('/').is_some_and(|(ip, bits)| {
                ip.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok()
            })
        {
            r.error("user.src", format!("{cidr:?} is not an IP or CIDR"));
        }
    }
    for t in &u.allowed_connection_types {
        if ![
            "STANDARD",
            "WEBSOCKET",
            "LEAFNODE",
            "LEAFNODE_WS",
            "MQTT",
            "MQTT_WS",
            "IN_PROCESS",
        ]
        .contains(&t.as_str())
        {
            r.error(
                "user.connection-type",
                format!("unknown connection type {t:?}"),
            );
        }
    }
    if let Some(token) = token {
        let budget = connect_budget(max_control_line);
        if token.len() > budget {
            r.error(
                "user.connect-line",
                format!(
                    "user JWT is {} bytes; with max_control_line {max_control_line} the CONNECT line fits about {budget}: \
                     trim permissions (use wildcards) or raise max_control_line",
                    token.len()
                ),
            );
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        for ok in [
            "a",
            "a.b",
            "a.*",
            "a.>",
            "*",
            ">",
            "$JS.API.STREAM.INFO.KV_B",
            "svc.{{name()}}.>",
        ] {
            assert!(is_subject(ok), "{ok}");
        }
        for bad in ["", "a..b", ".a", "a.", "a.>.b", "a b", "a.b*", "a.>x"] {
            assert!(!is_subject(bad), "{bad}");
        }
        assert!(is_sub_entry("jobs.* workers"));
        assert!(!is_sub_entry("jobs.* two queues"));
    }
}
