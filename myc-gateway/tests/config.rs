//! The configuration in the shapes Mycelium users write, and the documented error messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use myc_gateway::config::{Config, ConfigError, SecretInjection};
use myc_profile::{Permission, PermissionedRole, SecurityGroup};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, "gateway.toml", Path::new("."), &|name| {
        (name == "BILLING_TOKEN").then(|| "s3cr3t".to_owned())
    })
}

const DOCS: &str = r#"
[core]
tokenSecret = "unused here"

[api]
servicePort = 9090

[api.services]

[[my-service]]
id = "0b7a3c1e-0000-4000-8000-000000000001"
host = "localhost:3000"
protocol = "http"
discoverable = true
serviceType = "rest-api"
isContextApi = false
capabilities = ["search"]
description = "Upstream discovery metadata, accepted and skipped"
openapiPath = "/openapi.json"
healthStatus = { unknown = { checkedAt = "2024-01-01T00:00:00Z" } }

[[my-service.path]]
id = "route-1"
group = "public"
path = "/api/*"
methods = ["GET", "POST"]

[[my-service.path]]
group = { protectedByRoles = [{ slug = "admin" }, { slug = "super-admin" }] }
path = "/api/admin/*"
methods = ["ALL"]

[[billing]]
hosts = ["10.0.0.5:8080", "10.0.0.6:8080"]
protocol = "https"
healthCheckPath = "/health"
allowedSources = ["10.0.0.0/8"]

[[billing.secret]]
name = "billing-token"
authorizationHeader = { headerName = "Authorization", prefix = "Bearer", token = { env = "BILLING_TOKEN" } }

[[billing.secret]]
name = "query-token"
queryParameter = { name = "token", token = "literal" }

[[billing.path]]
path = "/invoices/*"
methods = ["READ", "POST"]
group = { protectedByRoles = [{ slug = "accountant", permission = "write" }] }
secretName = "billing-token"
"#;

#[test]
fn the_documented_shapes_parse() {
    let config = parse(DOCS).unwrap();
    assert_eq!(config.listen_port, 9090);
    assert_eq!(config.services.len(), 2);
    let billing = config
        .services
        .iter()
        .find(|s| s.name == "billing")
        .unwrap();
    assert_eq!(billing.hosts.len(), 2);
    assert_eq!(billing.health_check_path.as_deref(), Some("/health"));
    match &billing.secrets["billing-token"] {
        SecretInjection::Header {
            header,
            prefix,
            token,
        } => {
            assert_eq!(
                (header.as_str(), prefix.as_str(), token.as_str()),
                ("authorization", "Bearer", "s3cr3t")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{:?}", billing.secrets).contains("s3cr3t"));
    assert_eq!(
        billing.routes[0].group,
        SecurityGroup::ProtectedByRoles(vec![PermissionedRole::new(
            "accountant",
            Permission::Write
        )])
    );
    // `[core.webhook]` is read; the rest of `[core]` is reported unused.
    assert!(
        config.warnings.iter().any(|w| w.starts_with("core.")),
        "{:?}",
        config.warnings
    );

    // The admin route is more specific than /api/*.
    let hit = config
        .table
        .find(&http::Method::DELETE, "/api/admin/users")
        .unwrap();
    let service = &config.services[hit.route.key >> 16];
    let route = &service.routes[hit.route.key & 0xffff];
    assert!(matches!(route.group, SecurityGroup::ProtectedByRoles(_)));
    assert!(config.table.find(&http::Method::DELETE, "/api/x").is_err());
}

#[test]
fn the_qualified_form_and_file_values_work() {
    let dir = std::env::temp_dir().join(format!("myc-gateway-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("token.txt"), "from-file\n").unwrap();
    let text = r#"
[api]
[[api.services.svc]]
host = "127.0.0.1:9000"
[[api.services.svc.secret]]
name = "t"
queryParameter = { name = "key", token = { file = "token.txt" } }
[[api.services.svc.path]]
path = "/svc/*"
methods = ["GET"]
securityGroup = "authenticated"
secretName = "t"
"#;
    let path = dir.join("gateway.toml");
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    match &config.services[0].secrets["t"] {
        SecretInjection::Query { name, token } => {
            assert_eq!((name.as_str(), token.as_str()), ("key", "from-file"))
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn error_of(text: &str) -> ConfigError {
    match parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

fn service(routes: &str) -> String {
    format!("[api.services]\n[[svc]]\nhost = \"h:1\"\nallowedSources = []\n{routes}")
}

#[test]
fn errors_name_the_file_the_key_and_the_problem() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            service("[[svc.path]]\npath = \"/a/*\"\nmethods = [\"GET\"]\ngroup = \"public\"\n[[svc.path]]\npath = \"/a/*\"\nmethods = [\"READ\"]\ngroup = \"protected\"\n"),
            "api.services.svc.path[0]",
            "overlaps api.services.svc.path",
        ),
        (
            service("[[svc.path]]\npath = \"/a\"\nmethods = [\"GET\"]\ngroup = \"public\"\nsecretName = \"nope\"\n"),
            "api.services.svc.path[0].secretName",
            "secret \"nope\" is not defined",
        ),
        (
            service("[[svc.path]]\npath = \"/a\"\nmethods = [\"GET\"]\ngroup = \"public\"\nidentitySource = { telegram = {} }\n"),
            "api.services.svc.path[0].identitySource",
            "needs allowedSources",
        ),
        (
            service("[[svc.path]]\npath = \"/a\"\nmethods = [\"GET\"]\ngroup = \"publik\"\n"),
            "api.services.svc.path[0].group",
            "unknown variant",
        ),
        (
            service("[[svc.path]]\npath = \"/a\"\nmethods = [\"GET\"]\ngrup = \"public\"\n"),
            "api.services.svc.path[0].grup",
            "unknown field `grup`",
        ),
        (
            service("[[svc.path]]\npath = \"/a\"\nmethods = [\"FETCH\"]\ngroup = \"public\"\n"),
            "api.services.svc.path[0].methods",
            "unknown method",
        ),
        (
            "[api.services]\n[[svc]]\nhost = \"no-port\"\n".into(),
            "api.services.svc.hosts[0]",
            "must be host:port",
        ),
        (
            "[api.services]\n[[svc]]\nhost = \"h:1\"\n[[svc.secret]]\nname = \"t\"\nqueryParameter = { name = \"k\", token = { env = \"MISSING\" } }\n".into(),
            "api.services.svc.secret[0].queryParameter.token",
            "MISSING is not set",
        ),
        (
            "[api.services]\n[[svc]]\nhost = \"h:1\"\n[[svc.secret]]\nname = \"t\"\nqueryParameter = { name = \"k\", token = { vault = { path = \"p\", key = \"k\" } } }\n".into(),
            "api.services.svc.secret[0].queryParameter.token",
            "Vault references are not supported",
        ),
        ("[gateway]\naddressing = \"magic\"\n[api]\n".into(), "gateway.addressing", "neither"),
        (
            "[gateway.ops]\nallowed_sources = [\"ops.internal\"]\n[api]\n".into(),
            "gateway.ops.allowed_sources[0]",
            "not an IP address or CIDR",
        ),
        (
            "[api.logging]\ntarget = \"syslog\"\n".into(),
            "api.logging.target",
            "expected",
        ),
        (
            "[api.logging]\nlevel = \"info,=[\"\n".into(),
            "api.logging.level",
            "",
        ),
        (
            "[api]\nallowedOrigins = [\"http://a.test\", \"*\"]\n".into(),
            "api.allowedOrigins[1]",
            "stands alone",
        ),
        (
            "[api]\nallowedOrigins = [\"https://a.test/app\"]\n".into(),
            "api.allowedOrigins[0]",
            "nothing more",
        ),
        (
            "[api]\ntls = \"off\"\n".into(),
            "api.tls",
            "expected \"disabled\"",
        ),
        (
            "[api]\nserviceWorkers = 0\n".into(),
            "api.serviceWorkers",
            "at least 1",
        ),
        (
            "[gateway.ops]\ntoken = \"short\"\n[api]\n".into(),
            "gateway.ops.token",
            "at least 16 characters",
        ),
        (
            "[[gateway.auth.providers]]\nissuer = \"i\"\njwks_url = \"http://127.0.0.1/j\"\naudiences = [\"a\"]\nalgorithms = [\"RS256\"]\nemail_domains = [\"b\u{fc}cher.example\"]\n[api]\n".into(),
            "gateway.auth.providers[0].email_domains[0]",
            "not an ASCII host name",
        ),
        ("[other]\n".into(), "api", "missing [api] section"),
        ("[api\n".into(), "(syntax)", ""),
    ];
    for (text, key, message) in cases {
        let e = error_of(&text);
        assert_eq!(e.file, "gateway.toml");
        assert_eq!(e.key, key, "{e}");
        assert!(e.message.contains(message), "{e}");
        assert!(e.to_string().starts_with("gateway.toml: "), "{e}");
    }
}

/// `[nats.renewing]`: the node token never goes over plain HTTP to another machine unless the
/// configuration says so explicitly.
#[test]
fn a_renewing_issuer_is_reached_over_https_or_loopback() {
    let renewing = |url: &str, extra: &str| {
        format!(
            "[nats]\nservers = [\"nats://127.0.0.1:4222\"]\n[nats.renewing]\nissuer_url = \"{url}\"\n\
             node_id = \"n\"\nnode_token = \"t\"\nstate_dir = \"s\"\n{extra}[api.services]\n"
        )
    };
    for url in [
        "https://issuer.internal/v1/nats/credentials",
        "http://127.0.0.1:8080/v1/nats/credentials",
        "http://localhost:8080/v1/nats/credentials",
    ] {
        let config = parse(&renewing(url, "")).unwrap();
        let settings = config.nats.unwrap().renewing.unwrap();
        assert_eq!(settings.issuer_url, url);
    }
    parse(&renewing(
        "http://issuer.internal/v1",
        "accept_insecure_http = true\n",
    ))
    .unwrap();
    for (url, message) in [
        ("http://issuer.internal/v1", "use https://"),
        ("ftp://issuer.internal/v1", "not an http:// or https:// URL"),
        ("https://user:pw@issuer.internal/v1", "host[:port] only"),
    ] {
        let e = error_of(&renewing(url, ""));
        assert_eq!(e.key, "nats.renewing.issuer_url", "{e}");
        assert!(e.message.contains(message), "{e}");
    }
}

/// `[gateway.ops]` defaults to loopback, no token, no readiness details; providers' e-mail
/// policy keys load.
#[test]
fn ops_and_provider_email_settings() {
    let config = parse("[api]\n").unwrap();
    assert_eq!(config.ops.allowed_sources.len(), 2);
    assert!(config.ops.allowed_sources[0].contains("127.0.0.1".parse().unwrap()));
    assert!(config.ops.allowed_sources[1].contains("::1".parse().unwrap()));
    assert!(config.ops.token.is_none() && !config.ops.ready_details);
    let config = parse(
        "[gateway.ops]\nallowed_sources = []\ntoken = { env = \"BILLING_TOKEN\" }\nready_details = true\n\
         [[gateway.auth.providers]]\nissuer = \"i\"\njwks_url = \"http://127.0.0.1/j\"\naudiences = [\"a\"]\n\
         algorithms = [\"RS256\"]\nemail_domains = [\"example.com\"]\naccept_unverified_email = true\n[api]\n",
    )
    .unwrap_err();
    // The ops token is too short (6 characters): the rule holds for env values too.
    assert_eq!(config.key, "gateway.ops.token");
    let config = parse(
        "[[gateway.auth.providers]]\nissuer = \"i\"\njwks_url = \"http://127.0.0.1/j\"\naudiences = [\"a\"]\n\
         algorithms = [\"RS256\"]\nemail_domains = [\"example.com\"]\naccept_unverified_email = true\n[api]\n",
    )
    .unwrap();
    let email = &config.auth.providers[0].email;
    assert!(email.accept_unverified);
    assert_eq!(email.domains, vec!["example.com".to_owned()]);
    assert!(
        format!(
            "{:?}",
            parse("[gateway.ops]\ntoken = \"0123456789abcdef-secret\"\n[api]\n")
                .unwrap()
                .ops
        )
        .contains("<redacted>")
    );
}

/// The secret form of upstream's docs: `authorizationHeader = { name = …, prefix = "Bearer " }`
/// injects the same `Bearer <token>` as `headerName` with `prefix = "Bearer"`.
#[test]
fn the_docs_authorization_header_form_loads() {
    let config = parse(
        "[api.services]\n[[backend]]\nhost = \"h:1\"\nprotocol = \"https\"\n[[backend.secret]]\nname = \"t\"\n\
         authorizationHeader = { name = \"X-Api-Key\", prefix = \"Bearer \", token = { env = \"BILLING_TOKEN\" } }\n",
    )
    .unwrap();
    match &config.services[0].secrets["t"] {
        SecretInjection::Header { header, prefix, .. } => {
            assert_eq!((header.as_str(), prefix.as_str()), ("x-api-key", "Bearer"));
        }
        other => panic!("{other:?}"),
    }
}

/// `[core.webhook]` is read with upstream's keys; the rest of `[core]` is reported unused; bad
/// values name their key.
#[test]
fn core_webhook_settings() {
    let config = parse(
        "[core.webhook]\nacceptInvalidCertificates = true\nconsumeIntervalInSecs = 30\nconsumeBatchSize = 5\nmaxAttempts = 7\n[core.accountLifeCycle]\ndomainName = \"x\"\n[api.services]\n",
    )
    .unwrap();
    assert_eq!(
        config.webhook,
        myc_gateway::config::WebhookSettings {
            accept_invalid_certificates: true,
            consume_interval_secs: 30,
            consume_batch_size: 5,
            max_attempts: 7,
        }
    );
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("core.accountLifeCycle"))
    );
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("acceptInvalidCertificates"))
    );
    let defaults = parse("[api.services]\n").unwrap().webhook;
    assert_eq!(defaults, myc_gateway::config::WebhookSettings::default());
    for (text, key) in [
        (
            "[core.webhook]\nmaxAttempts = 0\n[api.services]\n",
            "core.webhook.maxAttempts",
        ),
        (
            "[core.webhook]\nconsumeBatchSize = 5000\n[api.services]\n",
            "core.webhook.consumeBatchSize",
        ),
        (
            "[core.webhook]\nconsumeIntervalInSecs = 0\n[api.services]\n",
            "core.webhook.consumeIntervalInSecs",
        ),
        (
            "[core.webhook]\nretries = 3\n[api.services]\n",
            "core.webhook",
        ),
    ] {
        let error = error_of(text).to_string();
        assert!(error.contains(key), "{text}: {error}");
    }
}

/// `signing_keys` derive Ed25519 keys from the master key: without one, or with bad or
/// repeated ids, the configuration is refused at the key.
#[test]
fn signing_keys_need_the_master_key_and_good_ids() {
    let internal = |kids: &str, master: bool| {
        let secrets = if master {
            "[gateway.secrets]\nmaster_key = \"2f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080\"\n"
        } else {
            ""
        };
        format!(
            "{secrets}[gateway.auth.internal]\nissuer = \"m\"\naudiences = [\"m\"]\nsigning_keys = [{kids}]\n[api.services]\n"
        )
    };
    let config = parse(&internal("\"ed-2\", \"ed-1\"", true)).unwrap();
    let jwks = config.auth.signer.as_ref().unwrap().jwks();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["ed-2", "ed-1"]);
    assert!(!format!("{:?}", config.auth).contains(MASTER_HEX_PREFIX));
    for (text, key) in [
        (
            internal("\"ed-1\"", false),
            "gateway.auth.internal.signing_keys",
        ),
        (
            internal("\"ed 1\"", true),
            "gateway.auth.internal.signing_keys[0]",
        ),
        (
            internal("\"ed-1\", \"ed-1\"", true),
            "gateway.auth.internal.signing_keys[1]",
        ),
        (internal("", true), "gateway.auth.internal"),
    ] {
        let error = error_of(&text).to_string();
        assert!(error.contains(key), "{text}: {error}");
    }
}

const MASTER_HEX_PREFIX: &str = "2f0c6a3c";

/// Upstream's discovery keys are kept; a discoverable service without a description or an
/// OpenAPI path is reported (and not listed).
#[test]
fn discovery_keys() {
    let config = parse(
        "[api.services]\n[[data]]\nhost = \"d:1\"\ndiscoverable = true\ndescription = \"Customer data\"\nopenapiPath = \"/api/openapi.json\"\ncapabilities = [\"search\"]\nserviceType = \"rest-api\"\n[[bare]]\nhost = \"b:1\"\ndiscoverable = true\n",
    )
    .unwrap();
    let data = config.services.iter().find(|s| s.name == "data").unwrap();
    assert_eq!(
        data.discovery,
        myc_gateway::config::Discovery {
            discoverable: true,
            description: Some("Customer data".into()),
            openapi_path: Some("/api/openapi.json".into()),
            capabilities: vec!["search".into()],
            service_type: Some("rest-api".into()),
            is_context_api: false,
        }
    );
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("api.services.bare") && w.contains("openapiPath")),
        "{:?}",
        config.warnings
    );
    let catalog = myc_gateway::catalog::catalog(&config);
    assert!(
        catalog
            .services
            .iter()
            .any(|s| s.name == "data" && s.discoverable)
    );
}
