//! The magic-link login through the binary with a real SMTP server on loopback (Python's
//! `aiosmtpd`, writing a Maildir): request → message delivered → the display page (a `GET`
//! spends nothing) → its button shows the code once → verify → the JWT passes a protected
//! route. Replays, wrong codes, unknown addresses, the rate limit; and the SMTP server down
//! at request time: the message arrives once it is back, exactly once, across a gateway
//! restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

const MASTER: &str = "5f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080";
const JWT_SECRET: &str = "login-test-jwt-secret-of-at-least-32-bytes";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `aiosmtpd` on `port`, delivering into the Maildir `dir`.
fn smtp_server(port: u16, dir: &Path) -> common::Kill {
    let child = std::process::Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("aiosmtpd (scripts/setup installs it)");
    let mut child = common::Kill(child);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("aiosmtpd exited ({status}): is it installed? (scripts/setup installs it)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("aiosmtpd did not listen on {port}");
}

/// The delivered messages' raw text.
fn messages(maildir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

/// Quoted-printable soft breaks and escapes undone (enough for the link).
fn unquote(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::new();
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '=' {
            let hex: String = chars.by_ref().take(2).collect();
            match u8::from_str_radix(&hex, 16) {
                Ok(b) => out.push(char::from(b)),
                Err(_) => {
                    out.push('=');
                    out.push_str(&hex);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The display link in `message`.
fn link_in(message: &str) -> String {
    let text = unquote(message);
    let start = text.find("http://").expect("a link");
    text[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..300 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

struct Site {
    dir: PathBuf,
    maildir: PathBuf,
    smtp_port: u16,
    listen: String,
}

impl Site {
    fn new() -> Self {
        let dir = common::temp_dir("myc-gw-login");
        let maildir = dir.join("maildir");
        let smtp_port = free_port();
        let listen = format!("127.0.0.1:{}", free_port());
        Self {
            dir,
            maildir,
            smtp_port,
            listen,
        }
    }

    /// A site in front of an upstream answering "secret data" on `/private/*`, with an
    /// account for `email`.
    async fn with_account(email: &str) -> Self {
        let upstream =
            myc_testkit::http::serve(axum::Router::new().fallback(|| async { "secret data" }))
                .await
                .to_string();
        let site = Self::new();
        site.write_config(&upstream);
        common::admin(
            &site.dir,
            &site.env(),
            &["accounts", "create", "--email", email],
        );
        site
    }

    fn write_config(&self, upstream: &str) {
        std::fs::write(
            self.dir.join("gateway.toml"),
            format!(
                r#"
[gateway.secrets]
master_key = "{MASTER}"

[auth]
internal = "enabled"
jwtSecret = {{ env = "MYC_JWT_SECRET" }}
jwtExpiresIn = 3600
tmpExpiresIn = 600

[smtp]
host = "127.0.0.1:{port}"
tls = "none"

[core.accountLifeCycle]
domainName = "Acme"
domainUrl = "http://{listen}"
noreplyName = "Acme No-Reply"
noreplyEmail = "noreply@acme.example"
supportEmail = "support@acme.example"
locale = "en-US"
tokenSecret = "accepted, not used"

[queue]
emailQueueName = "email-queue"
consumeIntervalInSecs = 1

[api.services]
[[app]]
host = "{upstream}"
[[app.path]]
group = "protected"
path = "/private/*"
methods = ["GET"]
"#,
                port = self.smtp_port,
                listen = self.listen,
            ),
        )
        .unwrap();
    }

    fn env(&self) -> [(&'static str, &'static str); 1] {
        [("MYC_JWT_SECRET", JWT_SECRET)]
    }

    fn serve(&self) -> (common::Kill, String) {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
            .args(["serve", "--listen", &self.listen, "--config"])
            .arg(self.dir.join("gateway.toml"))
            .envs(self.env())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut process = common::Kill(child);
        let base = common::listening(&mut process);
        (process, base)
    }
}

/// Sends `request` with the JSON `body`; status and answer.
async fn send(request: reqwest::RequestBuilder, body: Value) -> (u16, Value) {
    let response = request.json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(url: &str, body: Value) -> (u16, Value) {
    send(reqwest::Client::new().post(url), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_with_the_link_in_their_mail() {
    let site = Site::with_account("ada@example.com").await;
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    let (_gateway, base) = site.serve();
    let magic = format!("{base}/_adm/beginners/users/magic-link");

    // An address without an account gets the same answer (and a link: signing up).
    assert_eq!(
        post(
            &format!("{magic}/request"),
            json!({"email": "nobody@example.com"})
        )
        .await,
        (200, json!({"sent": true}))
    );
    assert_eq!(
        post(
            &format!("{magic}/request"),
            json!({"email": "Ada@Example.com"})
        )
        .await,
        (200, json!({"sent": true}))
    );
    wait_for("the messages", || messages(&site.maildir).len() == 2).await;
    let all = messages(&site.maildir);
    let message = all
        .iter()
        .find(|m| m.contains("To: ada@example.com"))
        .unwrap();
    assert!(
        message.contains("Subject: Your sign-in link for Acme"),
        "{message}"
    );
    let link = link_in(message);
    assert!(link.starts_with(&format!("{magic}/display?")), "{link}");

    // A previewer's GET shows a button and spends nothing.
    for _ in 0..2 {
        let page = reqwest::get(&link).await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        assert!(
            html.contains("id=\"reveal\"") && !html.contains("id=\"code\""),
            "{html}"
        );
    }
    // The button: the code, once.
    let query = link.split_once('?').unwrap().1.to_owned();
    let press = || {
        reqwest::Client::new()
            .post(format!("{magic}/display"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query.clone())
            .send()
    };
    let shown = press().await.unwrap().text().await.unwrap();
    let code = shown
        .split("<p id=\"code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 6);
    assert_eq!(press().await.unwrap().status(), 410);

    // A wrong code, the right one, a replay.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(
        post(
            &format!("{magic}/verify"),
            json!({"email": "ada@example.com", "code": wrong})
        )
        .await
        .0,
        401
    );
    let (status, login) = post(
        &format!("{magic}/verify"),
        json!({"email": "ada@example.com", "code": code}),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["totpRequired"], false);
    assert_eq!(login["duration"], 3600);
    // Upstream's user, flattened in: ada owns an account (created above).
    assert_eq!(login["email"], "ada@example.com");
    assert_eq!(login["username"], "ada");
    assert!(
        login["id"].as_str().is_some_and(|id| id.len() == 36),
        "{login}"
    );
    assert_eq!(login["isActive"], true);
    assert_eq!(login["isPrincipal"], true);
    assert!(
        login["created"].as_str().is_some_and(|c| c.contains('T')),
        "{login}"
    );
    assert_eq!(login["mfa"], json!({"totp": "disabled"}));
    assert!(login.get("provider").is_none(), "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    assert_eq!(
        post(
            &format!("{magic}/verify"),
            json!({"email": "ada@example.com", "code": code})
        )
        .await
        .0,
        401,
        "a code works once"
    );
    let private = reqwest::Client::new()
        .get(format!("{base}/private/x"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), 200);
    assert_eq!(private.text().await.unwrap(), "secret data");

    // Per address: five requests a window, then 429 (known or not alike).
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            post(
                &format!("{magic}/request"),
                json!({"email": "eve@example.com"}),
            )
            .await
            .0,
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429]);
    // Login endpoints are counted like routes, under their mount path (bounded labels).
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let label = "route=\"/_adm/beginners/users/magic-link/\"";
    for status in ["200", "401", "410", "429"] {
        let series = format!("myc_gateway_requests_total{{{label},status=\"{status}\"}} ");
        assert!(metrics.contains(&series), "{series} in\n{metrics}");
    }
    std::fs::remove_dir_all(&site.dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_waits_for_the_smtp_server_and_arrives_once_across_a_restart() {
    let site = Site::new();
    site.write_config("127.0.0.1:9");
    common::admin(
        &site.dir,
        &site.env(),
        &["accounts", "create", "--email", "bo@example.com"],
    );
    let (gateway, base) = site.serve();
    let magic = format!("{base}/_adm/beginners/users/magic-link");
    // No SMTP server yet: the answer is the same.
    assert_eq!(
        post(
            &format!("{magic}/request"),
            json!({"email": "bo@example.com"})
        )
        .await,
        (200, json!({"sent": true}))
    );
    // Let the sender fail at least once, then stop the gateway.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    drop(gateway);
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    assert!(messages(&site.maildir).is_empty());
    let (_gateway, _base) = site.serve();
    wait_for("the message after the restart", || {
        messages(&site.maildir).len() == 1
    })
    .await;
    // Polls keep running: it is never sent twice.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(messages(&site.maildir).len(), 1);
    assert!(link_in(&messages(&site.maildir)[0]).contains("token="));
    std::fs::remove_dir_all(&site.dir).unwrap();
}

/// Headless Chromium driven over the DevTools protocol (one page).
struct Browser {
    _process: common::Kill,
    profile: PathBuf,
    page: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Browser {
    /// Chromium with a page open at `url`.
    async fn open(url: &str) -> Self {
        use std::io::BufRead;
        let profile = std::env::temp_dir().join(format!("myc-cdp-{}", uuid::Uuid::new_v4()));
        let mut child = std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("chromium runs (scripts/setup installs it)");
        let stderr = child.stderr.take().unwrap();
        let process = common::Kill(child);
        let endpoint = tokio::task::spawn_blocking(move || {
            let mut lines = std::io::BufReader::new(stderr).lines();
            while let Some(Ok(line)) = lines.next() {
                if let Some(ws) = line.strip_prefix("DevTools listening on ") {
                    let ws = ws.trim().to_owned();
                    // Keep draining stderr so Chromium never blocks writing to it.
                    std::thread::spawn(move || lines.for_each(drop));
                    return ws;
                }
            }
            panic!("chromium printed no DevTools address");
        })
        .await
        .unwrap();
        let http = endpoint
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let target: Value = reqwest::Client::new()
            .put(format!("http://{http}/json/new?about:blank"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ws = target["webSocketDebuggerUrl"].as_str().unwrap();
        let (page, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
        let mut browser = Self {
            _process: process,
            profile,
            page,
            next_id: 1,
        };
        browser.call("Page.navigate", json!({ "url": url })).await;
        browser
    }

    /// The value of `expression` in the page.
    async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        result["result"]["value"].clone()
    }

    /// The result of DevTools `method`.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        use futures::{SinkExt, StreamExt};
        let id = self.next_id;
        self.next_id += 1;
        let call = json!({"id": id, "method": method, "params": params});
        self.page
            .send(tokio_tungstenite::tungstenite::Message::text(
                call.to_string(),
            ))
            .await
            .unwrap();
        while let Some(message) = self.page.next().await {
            let Ok(tokio_tungstenite::tungstenite::Message::Text(text)) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(&text).unwrap();
            if reply["id"] == id {
                return reply["result"].clone();
            }
        }
        panic!("the page closed");
    }

    /// Waits until `expression` is truthy in the page; its value.
    async fn until(&mut self, expression: &str) -> Value {
        for _ in 0..200 {
            let value = self.eval(expression).await;
            if !(value.is_null() || value == json!(false) || value == json!("")) {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never true in the page: {expression}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_opens_the_link_and_presses_the_button() {
    let site = Site::new();
    site.write_config("127.0.0.1:9");
    common::admin(
        &site.dir,
        &site.env(),
        &["accounts", "create", "--email", "cy@example.com"],
    );
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    let (_gateway, base) = site.serve();
    let magic = format!("{base}/_adm/beginners/users/magic-link");
    post(
        &format!("{magic}/request"),
        json!({"email": "cy@example.com"}),
    )
    .await;
    wait_for("the message", || messages(&site.maildir).len() == 1).await;
    let link = link_in(&messages(&site.maildir)[0]);
    let mut browser = Browser::open(&link).await;
    // Loaded: a button, no code.
    browser.until("!!document.getElementById('reveal')").await;
    assert_eq!(
        browser.eval("!!document.getElementById('code')").await,
        json!(false)
    );
    browser
        .eval("document.getElementById('reveal').click(); true")
        .await;
    let code = browser
        .until("document.getElementById('code') && document.getElementById('code').textContent")
        .await;
    let code = code.as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    let (status, login) = post(
        &format!("{magic}/verify"),
        json!({"email": "cy@example.com", "code": code}),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    drop(browser);
    std::fs::remove_dir_all(&site.dir).unwrap();
}

/// A JSON-RPC call with `token`; the whole answer.
async fn rpc(base: &str, token: &str, method: &str, params: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/_adm/rpc"))
        .bearer_auth(token)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Logs `email` in through its mailbox: request, the link's button, verify; the JWT.
async fn log_in(site: &Site, base: &str, email: &str) -> String {
    let magic = format!("{base}/_adm/beginners/users/magic-link");
    let before = messages(&site.maildir)
        .iter()
        .filter(|m| m.contains(&format!("To: {email}")) && m.contains("Subject: Your sign-in link"))
        .count();
    post(&format!("{magic}/request"), json!({ "email": email })).await;
    let mut link = String::new();
    wait_for("the sign-in message", || {
        let mine: Vec<String> = messages(&site.maildir)
            .into_iter()
            .filter(|m| {
                m.contains(&format!("To: {email}")) && m.contains("Subject: Your sign-in link")
            })
            .collect();
        if mine.len() > before {
            link = link_in(mine.iter().find(|m| !m.is_empty()).unwrap());
            // The newest: the one whose token is not spent yet is found below by trying.
            true
        } else {
            false
        }
    })
    .await;
    let query = link.split_once('?').unwrap().1.to_owned();
    let shown = reqwest::Client::new()
        .post(format!("{magic}/display"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = shown
        .split("<p id=\"code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no code in {shown}"))
        .to_owned();
    let (status, login) = post(
        &format!("{magic}/verify"),
        json!({ "email": email, "code": code }),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    login["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_arrives_and_only_the_invited_person_accepts_it() {
    let site = Site::new();
    site.write_config("127.0.0.1:9");
    let env = site.env();
    let admin = |args: &[&str]| common::admin(&site.dir, &env, args);
    admin(&[
        "accounts",
        "create-seed-account",
        "--email",
        "root@example.com",
    ]);
    admin(&["accounts", "create", "--email", "eve@example.com"]);
    let tenant = admin(&[
        "tenants",
        "create",
        "--name",
        "Initech",
        "--owner",
        "root@example.com",
    ]);
    let role = admin(&[
        "guest-roles",
        "create",
        "--slug",
        "viewer",
        "--permission",
        "read",
    ]);
    let role = role.split_whitespace().nth(2).unwrap().to_owned();
    let root = admin(&["tokens", "mint", "--email", "root@example.com"]);
    let eve = admin(&["tokens", "mint", "--email", "eve@example.com"]);
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    let (_gateway, base) = site.serve();
    let account = rpc(
        &base,
        &root,
        "subscriptionsManager.accounts.createSubscriptionAccount",
        json!({"tenantId": tenant, "name": "Ops"}),
    )
    .await;
    let account = account["result"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{account}"))
        .to_owned();
    let invited = rpc(
        &base,
        &root,
        "subscriptionsManager.guests.guestUserToSubscriptionAccount",
        json!({"tenantId": tenant, "accountId": account, "email": "gus@example.com", "roleId": role}),
    )
    .await;
    assert_eq!(invited["result"]["created"], true, "{invited}");
    wait_for("the invitation", || {
        messages(&site.maildir)
            .iter()
            .any(|m| m.contains("To: gus@example.com"))
    })
    .await;
    let invitation = unquote(
        messages(&site.maildir)
            .iter()
            .find(|m| m.contains("To: gus@example.com"))
            .unwrap(),
    );
    assert!(
        invitation.contains("Subject: Invitation to Initech on Acme"),
        "{invitation}"
    );
    assert!(
        invitation.contains("the account Ops of Initech"),
        "{invitation}"
    );
    let accept = invitation
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.ends_with("/accept"))
        .unwrap()
        .to_owned();
    let press = |token: String| {
        let request = reqwest::Client::new().post(&accept).bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Someone else's login cannot accept it; nor can nobody's.
    assert!(press(eve.clone()).await >= 400);
    assert_eq!(
        reqwest::Client::new()
            .post(&accept)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Gus signs up with a link, creates his account, accepts: his profile gains the licence.
    let gus = log_in(&site, &base, "gus@example.com").await;
    let created = rpc(
        &base,
        &gus,
        "beginners.accounts.create",
        json!({"name": "Gus"}),
    )
    .await;
    assert!(created["result"]["id"].is_string(), "{created}");
    let accepted = press(gus.clone()).await;
    assert!((200..300).contains(&accepted), "{accepted}");
    let profile = rpc(&base, &gus, "beginners.profile.get", json!({})).await;
    let text = profile["result"].to_string();
    // Licences come in upstream's URL form (ids without dashes).
    let simple = account.replace('-', "");
    assert!(
        text.contains("p=viewer") && text.contains(&simple),
        "{profile}"
    );
    std::fs::remove_dir_all(&site.dir).unwrap();
}

fn totp_step() -> u64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    secs / myc_directory::login::totp::PERIOD
}

/// `POST path` with `token` as bearer and `body`; status and answer.
async fn post_as(url: &str, token: &str, body: Value) -> (u16, Value) {
    send(reqwest::Client::new().post(url).bearer_auth(token), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_totp_the_link_alone_is_not_enough() {
    let site = Site::with_account("tia@example.com").await;
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    let (_gateway, base) = site.serve();
    let totp = format!("{base}/_adm/beginners/users/totp");
    let private = |token: String| {
        let request = reqwest::Client::new()
            .get(format!("{base}/private/x"))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Enrol with a complete login.
    let full = log_in(&site, &base, "tia@example.com").await;
    // Upstream's QR image is not produced: refused plainly, nothing started.
    let (status, refused) = post_as(&format!("{totp}/enable?qrCode=true"), &full, json!({})).await;
    assert_eq!(status, 400, "{refused}");
    let (status, enabled) = post_as(&format!("{totp}/enable"), &full, json!({})).await;
    assert_eq!(status, 200, "{enabled}");
    let url = enabled["totpUrl"].as_str().unwrap();
    let secret = url
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let code = |step: u64| myc_directory::login::totp::code_at(&secret, step);
    assert_eq!(
        post_as(
            &format!("{totp}/validate-app"),
            &full,
            json!({"token": code(totp_step())})
        )
        .await,
        (200, json!({"finished": true}))
    );
    wait_for("the notice", || {
        messages(&site.maildir).iter().any(|m| {
            m.contains("To: tia@example.com")
                && m.contains("Subject: Two-step verification turned on for Acme")
        })
    })
    .await;
    // The next login ends half-way: its token opens nothing but the check.
    let magic = format!("{base}/_adm/beginners/users/magic-link");
    post(
        &format!("{magic}/request"),
        json!({"email": "tia@example.com"}),
    )
    .await;
    wait_for("the second link", || {
        messages(&site.maildir)
            .iter()
            .filter(|m| {
                m.contains("To: tia@example.com") && m.contains("Subject: Your sign-in link")
            })
            .count()
            == 2
    })
    .await;
    let second = messages(&site.maildir)
        .into_iter()
        .filter(|m| m.contains("To: tia@example.com") && m.contains("Subject: Your sign-in link"))
        .map(|m| link_in(&m))
        .collect::<Vec<_>>();
    let mut pending = None;
    for link in second {
        let query = link.split_once('?').unwrap().1.to_owned();
        let shown = reqwest::Client::new()
            .post(format!("{magic}/display"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let Some(code) = shown
            .split("<p id=\"code\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
        else {
            continue; // the first link, spent already
        };
        let (status, answer) = post(
            &format!("{magic}/verify"),
            json!({"email": "tia@example.com", "code": code}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["totpRequired"], true);
        assert_eq!(
            answer["mfa"]["totp"]["enabled"]["verified"], true,
            "{answer}"
        );
        assert!(answer["mfa"]["totp"]["enabled"]["secret"].is_null());
        pending = Some(answer["token"].as_str().unwrap().to_owned());
    }
    let pending = pending.unwrap();
    assert_eq!(private(pending.clone()).await, 401);
    assert_eq!(
        post_as(&format!("{totp}/enable"), &pending, json!({}))
            .await
            .0,
        401
    );
    let rpc_answer = rpc(&base, &pending, "beginners.profile.get", json!({})).await;
    assert!(
        rpc_answer.is_null() || rpc_answer.get("result").is_none(),
        "{rpc_answer}"
    );
    // A complete token cannot stand in for the pending one at the check.
    let next = code(totp_step() + 1);
    assert_eq!(
        post_as(
            &format!("{totp}/check-token"),
            &full,
            json!({"token": next})
        )
        .await
        .0,
        401
    );
    // The code completes it, once.
    let (status, done) = post_as(
        &format!("{totp}/check-token"),
        &pending,
        json!({"token": next}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["totpRequired"], false);
    assert_eq!(done["email"], "tia@example.com");
    assert_eq!(
        private(done["token"].as_str().unwrap().to_owned()).await,
        200
    );
    assert_eq!(
        post_as(
            &format!("{totp}/check-token"),
            &pending,
            json!({"token": next})
        )
        .await
        .0,
        401,
        "a code is taken once"
    );
    std::fs::remove_dir_all(&site.dir).unwrap();
}

/// The one-use code in the message to `to` whose subject has `subject` (one is sent).
fn mailed_code(site: &Site, to: &str, subject: &str) -> Option<String> {
    messages(&site.maildir)
        .into_iter()
        .map(|m| unquote(&m))
        .filter(|m| m.contains(&format!("To: {to}")) && m.contains(subject))
        .find_map(|m| {
            m.split("<code id=\"token\">")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .map(str::to_owned)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_register_activate_log_in_and_reset() {
    let site = Site::with_account("pat@example.com").await;
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    let (_gateway, base) = site.serve();
    let users = format!("{base}/_adm/beginners/users");
    let body = json!({"email": "pat@example.com", "password": "correct horse battery",
                      "firstName": "Pat", "lastName": "Doe"});
    assert_eq!(
        post(&users, body).await,
        (201, json!({"message": "User created successfully"}))
    );
    let mut code = None;
    wait_for("the activation code", || {
        code = mailed_code(&site, "pat@example.com", "Activate");
        code.is_some()
    })
    .await;
    let login = json!({"email": "pat@example.com", "password": "correct horse battery"});
    assert_eq!(
        post(&format!("{users}/login"), login.clone()).await.0,
        401,
        "inactive"
    );
    let activation = json!({"email": "pat@example.com", "token": code.unwrap()});
    assert_eq!(
        post(
            &format!("{users}/validate-activation-token"),
            activation.clone()
        )
        .await
        .0,
        200
    );
    assert_eq!(
        post(&format!("{users}/validate-activation-token"), activation)
            .await
            .0,
        401
    );
    let (status, answer) = post(&format!("{users}/login"), login.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["provider"], json!({"internal": {}}));
    assert_eq!(answer["email"], "pat@example.com");
    assert_eq!(answer["isPrincipal"], true);
    let token = answer["token"].as_str().unwrap().to_owned();
    let private = reqwest::Client::new()
        .get(format!("{base}/private/x"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), 200);
    // Unknown address and wrong password: the same answer.
    let unknown = json!({"email": "nobody@example.com", "password": "correct horse battery"});
    let (status, a) = post(&format!("{users}/login"), unknown).await;
    let wrong = json!({"email": "pat@example.com", "password": "not the password"});
    let (status_wrong, b) = post(&format!("{users}/login"), wrong).await;
    assert_eq!((status, a), (status_wrong, b));
    // A reset.
    assert_eq!(
        post(
            &format!("{users}/start-password-reset"),
            json!({"email": "pat@example.com"})
        )
        .await,
        (200, json!(true))
    );
    let mut reset = None;
    wait_for("the reset code", || {
        reset = mailed_code(&site, "pat@example.com", "Reset");
        reset.is_some()
    })
    .await;
    let new = json!({"email": "pat@example.com", "token": reset.unwrap(),
                     "newPassword": "a brand new password"});
    assert_eq!(
        post(&format!("{users}/reset-password"), new).await,
        (200, json!(true))
    );
    assert_eq!(post(&format!("{users}/login"), login).await.0, 401);
    wait_for("the notice", || {
        messages(&site.maildir).iter().any(|m| {
            m.contains("To: pat@example.com")
                && m.contains("Subject: Your Acme password was changed")
        })
    })
    .await;
    let fresh = json!({"email": "pat@example.com", "password": "a brand new password"});
    assert_eq!(post(&format!("{users}/login"), fresh).await.0, 200);
    std::fs::remove_dir_all(&site.dir).unwrap();
}

/// A JSON-RPC body to `/_adm/rpc` without a credential; status and answer.
async fn rpc_public(base: &str, body: Value) -> (u16, Value) {
    post(&format!("{base}/_adm/rpc"), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beginners_users_methods_over_json_rpc_need_no_credential_and_open_nothing_else() {
    let site = Site::new();
    site.write_config("127.0.0.1:9");
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    let (_gateway, base) = site.serve();
    let call = |method: &str, params: Value| json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let (status, created) = rpc_public(
        &base,
        call(
            "beginners.users.create",
            json!({"email": "rio@example.com", "password": "correct horse battery"}),
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        created["result"]["message"], "User created successfully",
        "{created}"
    );
    let mut code = None;
    wait_for("the activation code", || {
        code = mailed_code(&site, "rio@example.com", "Activate");
        code.is_some()
    })
    .await;
    let activated = rpc_public(
        &base,
        call(
            "beginners.users.checkTokenAndActivateUser",
            json!({"email": "rio@example.com", "token": code.unwrap()}),
        ),
    )
    .await;
    assert_eq!(activated.1["result"], true, "{activated:?}");
    let (_, login) = rpc_public(
        &base,
        call(
            "beginners.users.checkEmailPasswordValidity",
            json!({"email": "rio@example.com", "password": "correct horse battery"}),
        ),
    )
    .await;
    let token = login["result"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{login}"))
        .to_owned();
    let wrong = rpc_public(
        &base,
        call(
            "beginners.users.checkEmailPasswordValidity",
            json!({"email": "rio@example.com", "password": "not it at all"}),
        ),
    )
    .await;
    assert_eq!(wrong.1["error"]["code"], -32401, "{wrong:?}");
    // The TOTP methods take the caller's token.
    let started = rpc(
        &base,
        &token,
        "beginners.users.totpStartActivation",
        json!({}),
    )
    .await;
    assert!(
        started["result"]["totpUrl"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/"),
        "{started}"
    );
    let anonymous = rpc_public(
        &base,
        call("beginners.users.totpStartActivation", json!({})),
    )
    .await;
    assert_eq!(anonymous.1["error"]["code"], -32401, "{anonymous:?}");
    // Nothing else opens: a private method, alone or batched with a public one, still needs
    // a credential.
    assert_eq!(
        rpc_public(&base, call("managers.tenants.list", json!({})))
            .await
            .0,
        401
    );
    let batch = json!([
        call(
            "beginners.users.startPasswordRedefinition",
            json!({"email": "rio@example.com"})
        ),
        call("managers.tenants.list", json!({})),
    ]);
    assert_eq!(rpc_public(&base, batch).await.0, 401);
    // rpc.discover lists them, marked; sent with a credential in a mixed batch, one is
    // refused with a hint (the other still answers).
    let account = rpc(
        &base,
        &token,
        "beginners.accounts.create",
        json!({"name": "Rio"}),
    )
    .await;
    assert!(account.get("result").is_some(), "{account}");
    let mixed = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "beginners.users.startPasswordRedefinition",
         "params": {"email": "rio@example.com"}},
        {"jsonrpc": "2.0", "id": 2, "method": "rpc.discover"},
    ]);
    let answers: Value = reqwest::Client::new()
        .post(format!("{base}/_adm/rpc"))
        .bearer_auth(&token)
        .json(&mixed)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_id = |id: u64| {
        answers
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("{answers}"))
            .clone()
    };
    assert_eq!(by_id(1)["error"]["code"], -32600, "{answers}");
    assert!(
        by_id(1)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs no credential"),
        "{answers}"
    );
    let methods = by_id(2)["result"]["methods"].as_array().unwrap().clone();
    let public: Vec<&str> = methods
        .iter()
        .filter(|m| m["x-authentication"] == "none")
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(public.len(), 9, "{public:?}");
    assert!(public.contains(&"beginners.users.totpCheckToken"));
    assert!(public.iter().all(|m| m.starts_with("beginners.users.")));
    std::fs::remove_dir_all(&site.dir).unwrap();
}

/// `myc-gateway directory import-totp --from URL` with `token_secret` on stdin: (success,
/// stdout, stderr).
fn import_totp(
    site: &Site,
    from: &str,
    token_secret: &str,
    extra: &[&str],
) -> (bool, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["directory", "import-totp", "--from", from])
        .args(extra)
        .arg("--config")
        .arg(site.dir.join("gateway.toml"))
        .envs(site.env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{token_secret}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticator_app_set_up_upstream_keeps_working_after_the_import() {
    use myc_testkit::upstream::{Format, User, totp_database};
    const TOKEN_SECRET: &str = "7d0f2a61-35c4-4b8e-9a51-0c3e2f6b9d14";
    let site = Site::with_account("uma@example.com").await;
    // Upstream's PostgreSQL with uma's verified factor (the app holds JBSWY3DPEHPK3PXP).
    let database = myc_testkit::db::PgSchema::create().await;
    let uma = User {
        email: "uma@example.com",
        secret: Some("JBSWY3DPEHPK3PXP"),
        verified: true,
        format: Format::V2,
    };
    totp_database(&database.url, TOKEN_SECRET, &[uma]).await;
    // The wrong tokenSecret opens nothing: one line per person, a failing exit.
    let (ok, out, err) = import_totp(
        &site,
        &database.url,
        "00000000-0000-4000-8000-000000000000",
        &[],
    );
    assert!(!ok && out.contains("1 failed"), "{out} / {err}");
    assert!(
        err.contains("uma@example.com: the secret does not open"),
        "{err}"
    );
    let (ok, _, err) = import_totp(&site, &database.url, "not a uuid", &[]);
    assert!(!ok && err.contains("tokenSecret"), "{err}");
    let (ok, out, err) = import_totp(&site, &database.url, TOKEN_SECRET, &["--dry-run"]);
    assert!(
        ok && out.contains("dry run") && out.contains("1 active"),
        "{out} / {err}"
    );
    let (ok, out, err) = import_totp(&site, &database.url, TOKEN_SECRET, &[]);
    assert!(ok, "{err}");
    assert!(out.contains("1 active, 0 pending, 0 kept"), "{out}");
    let (ok, out, _) = import_totp(&site, &database.url, TOKEN_SECRET, &[]);
    assert!(ok && out.contains("0 active, 0 pending, 1 kept"), "{out}");
    database.drop_schema().await;

    // The link now ends half-way; the app's code completes the login.
    let _smtp = smtp_server(site.smtp_port, &site.maildir);
    let (_gateway, base) = site.serve();
    let pending = log_in(&site, &base, "uma@example.com").await;
    let private = |token: String| {
        let request = reqwest::Client::new()
            .get(format!("{base}/private/x"))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(private(pending.clone()).await, 401);
    let app = |step: u64| myc_directory::login::totp::code_at(b"Hello!\xde\xad\xbe\xef", step);
    let (status, done) = post_as(
        &format!("{base}/_adm/beginners/users/totp/check-token"),
        &pending,
        json!({"token": app(totp_step())}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["mfa"]["totp"]["enabled"]["verified"], true);
    assert_eq!(
        private(done["token"].as_str().unwrap().to_owned()).await,
        200
    );
    std::fs::remove_dir_all(&site.dir).unwrap();
}
