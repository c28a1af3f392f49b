//! The generated TLS block: a client trusting the CA connects over TLS; one that does not is refused.
//! Certificates come from the system's `openssl` (installed by scripts/setup).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use async_nats::ConnectOptions;
use common::*;
use myc_natsauth::server_config::Tls;
use myc_testkit::nats::{self, TempDir};

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is required");
    assert!(
        status.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A throwaway CA and a server certificate for 127.0.0.1.
fn certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=myc-test-ca",
                "-days",
                "1",
            ],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[
            &["req", "-new"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "1",
            "-extfile",
            "san.ext",
        ],
    );
}

#[tokio::test]
async fn tls_block_is_enforced() {
    for (kind, binary) in nats::available() {
        let certs = TempDir::new("tls").unwrap();
        certificates(certs.path());
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site
            .start_with(kind, &binary, |mut config, _| {
                config.tls = Some(Tls {
                    cert_file: certs.path().join("server.pem"),
                    key_file: certs.path().join("server.key"),
                    ca_file: None,
                    verify: false,
                });
                config
            })
            .unwrap();
        let creds_text = user_creds(site.key(app), None, |_| {});
        let secure = ConnectOptions::with_credentials(&creds_text)
            .unwrap()
            .add_root_certificates(certs.path().join("ca.pem"))
            .require_tls(true)
            .connection_timeout(Duration::from_secs(3))
            .connect(server.url())
            .await;
        assert!(secure.is_ok(), "{kind:?}: TLS client: {:?}", secure.err());
        let plain = ConnectOptions::with_credentials(&creds_text)
            .unwrap()
            .connection_timeout(Duration::from_secs(3))
            .connect(server.url())
            .await;
        assert!(
            plain.is_err(),
            "{kind:?}: a client that does not trust the server certificate is refused"
        );
    }
}
