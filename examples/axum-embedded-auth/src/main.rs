//! An axum service that protects its own routes with `myc_tower::auth::AuthLayer`.
//!
//! ```sh
//! cargo run -p axum-embedded-auth            # listens on 127.0.0.1:3000, prints a demo token
//! curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:3000/reports
//! ```
//!
//! `/health` is public, `/me` needs any valid token (the handler gets `x-mycelium-email`),
//! `/reports` needs a `reporter` licence (read) and sees the narrowed profile,
//! `/admin` additionally requires the token claim predicate `roles.admin`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::Extension;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_profile::{
    LicensedResource, LicensedResources, Owner, Permission, PermissionedRole, Profile,
    SecurityGroup,
};
use myc_tower::BoxFuture;
use myc_tower::auth::{AuthLayer, Authenticator, Caller};
use myc_tower::claims_expr::ClaimsPredicate;
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use myc_tower::resolver::{ProfileQuery, ProfileResolver, StoreError};
use uuid::Uuid;

/// Profiles by e-mail; a real service reads its database here.
struct Directory(HashMap<String, Profile>);

impl ProfileResolver for Directory {
    fn resolve<'a>(
        &'a self,
        query: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
        let email = query.email;
        Box::pin(async move { Ok(self.0.get(email).cloned()) })
    }
}

fn demo_profile(email: &str) -> Profile {
    let mut profile = Profile::new(Uuid::new_v4());
    profile.owners.push(Owner {
        id: Uuid::new_v4(),
        email: email.into(),
        first_name: Some("Demo".into()),
        last_name: None,
        username: None,
        is_principal: true,
    });
    profile.licensed_resources = Some(LicensedResources::Records(vec![LicensedResource {
        acc_id: Uuid::new_v4(),
        sys_acc: false,
        tenant_id: Uuid::new_v4(),
        acc_name: "Reports".into(),
        role: "reporter".into(),
        role_id: Uuid::new_v4(),
        perm: Permission::Read,
        verified: true,
        permit_flags: None,
        deny_flags: None,
    }]));
    profile
}

async fn me(Extension(caller): Extension<Caller>) -> String {
    format!("hello {}\n", caller.email().unwrap_or("?"))
}

async fn reports(Extension(profile): Extension<Arc<Profile>>) -> String {
    let licences = profile.licensed_resources.as_ref().map_or(0, |l| l.len());
    format!(
        "{licences} reporter licence(s) for account {}\n",
        profile.acc_id
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret: Vec<u8> = std::env::var("DEMO_JWT_SECRET")
        .map(String::into_bytes)
        .unwrap_or_else(|_| {
            Uuid::new_v4()
                .as_simple()
                .to_string()
                .repeat(2)
                .into_bytes()
        });
    let verifier = JwtVerifier::new().internal(InternalIssuer {
        issuer: "mycelium".into(),
        audiences: vec!["demo".into()],
        keys: vec![LocalKey::hmac(Some("demo"), Algorithm::HS256, &secret)?],
    });
    let email = "demo@example.com";
    let directory = Directory(HashMap::from([(email.to_owned(), demo_profile(email))]));
    let auth = Arc::new(Authenticator::new(verifier, Arc::new(directory)));

    let group = |g: SecurityGroup| AuthLayer::new(auth.clone(), g);
    let app = Router::new()
        .route(
            "/health",
            get(|| async { "ok\n" }).layer(group(SecurityGroup::Public)),
        )
        .route("/me", get(me).layer(group(SecurityGroup::Authenticated)))
        .route(
            "/reports",
            get(reports).layer(group(SecurityGroup::ProtectedByRoles(vec![
                PermissionedRole::new("reporter", Permission::Read),
            ]))),
        )
        .route(
            "/admin",
            get(|| async { "admin area\n" }).layer(
                group(SecurityGroup::Authenticated)
                    .require_claims(ClaimsPredicate::parse("roles.admin")?),
            ),
        );

    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        + 3600;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("demo".into());
    myc_tower::jwt::backend::install_default();
    let token = jsonwebtoken::encode(
        &header,
        &serde_json::json!({"iss": "mycelium", "aud": "demo", "sub": email, "email": email, "exp": exp}),
        &EncodingKey::from_secret(&secret),
    )?;
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    println!("TOKEN={token}");
    println!("curl -H \"authorization: Bearer $TOKEN\" http://{addr}/reports");
    axum::serve(listener, app).await?;
    Ok(())
}
