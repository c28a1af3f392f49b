//! A service behind a Mycelium gateway: `ProfileLayer` decodes `x-mycelium-profile`, the
//! `GatewayProfile` extractor hands it to handlers, which run the fluent access checks.
//!
//! ```sh
//! cargo run -p downstream-profile            # listens on 127.0.0.1:3001, prints a sample header
//! curl -H "x-mycelium-profile: $PROFILE" http://127.0.0.1:3001/invoices
//! ```
//!
//! Set `GATEWAY_PUBLIC_KEY=<kid>:<64 hex>` to accept only profiles signed by that gateway key
//! (`x-mycelium-profile-signature`).

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use myc_profile::{
    LicensedResource, LicensedResources, Owner, Permission, Profile, ProfileVerifier,
};
use myc_tower::profile::{GatewayProfile, ProfileLayer};
use uuid::Uuid;

async fn invoices(GatewayProfile(profile): GatewayProfile) -> String {
    match profile
        .access()
        .with_write_access()
        .with_roles(["accountant"])
        .get_related_account_or_error()
    {
        Ok(accounts) => format!("may edit invoices of {accounts:?}\n"),
        Err(denied) => format!("denied: {}\n", denied.message()),
    }
}

async fn whoami(profile: Option<GatewayProfile>) -> String {
    let email = profile.as_ref().and_then(|p| p.primary_email());
    format!("{}\n", email.unwrap_or("anonymous"))
}

fn sample() -> Profile {
    let mut profile = Profile::new(Uuid::new_v4());
    profile.owners.push(Owner {
        id: Uuid::new_v4(),
        email: "alice@example.com".into(),
        first_name: None,
        last_name: None,
        username: None,
        is_principal: true,
    });
    profile.licensed_resources = Some(LicensedResources::Records(vec![LicensedResource {
        acc_id: Uuid::new_v4(),
        sys_acc: false,
        tenant_id: Uuid::new_v4(),
        acc_name: "Billing".into(),
        role: "accountant".into(),
        role_id: Uuid::new_v4(),
        perm: Permission::Write,
        verified: true,
        permit_flags: None,
        deny_flags: None,
    }]));
    profile
}

fn parse_key(text: &str) -> Option<(String, [u8; 32])> {
    let (kid, hex_key) = text.split_once(':')?;
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex_key.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some((kid.to_owned(), key))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut layer = ProfileLayer::new();
    if let Ok(text) = std::env::var("GATEWAY_PUBLIC_KEY") {
        let (kid, key) = parse_key(&text).ok_or("GATEWAY_PUBLIC_KEY must be <kid>:<64 hex>")?;
        let mut verifier = ProfileVerifier::new(Duration::from_secs(60));
        verifier.add_key(kid, &key)?;
        layer = layer.verify_with(verifier);
    }
    let app = Router::new()
        .route("/invoices", get(invoices))
        .route("/whoami", get(whoami))
        .layer(layer);
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    println!("PROFILE={}", myc_profile::codec::encode(&sample())?);
    println!("curl -H \"x-mycelium-profile: $PROFILE\" http://{addr}/invoices");
    axum::serve(listener, app).await?;
    Ok(())
}
