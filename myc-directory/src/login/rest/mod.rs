//! The login endpoints as an axum router, public: they are how a caller gets a credential.
//! The magic link under [`PREFIX`], TOTP under [`TOTP_PREFIX`] and upstream's
//! [`PASSWORD_PATHS`], one file each (`magic_link.rs`, `totp.rs`, `passwords.rs`). The link's
//! pages (`page.rs`) are sent with `Cache-Control: no-store`, `Referrer-Policy: no-referrer`
//! and a CSP that allows no script.

mod magic_link;
mod page;
mod passwords;
mod totp;

use axum::Router;

pub use magic_link::PREFIX;
pub use passwords::PASSWORD_PATHS;
pub use totp::{TOTP_PREFIX, TotpRoutes};

use super::MagicLinks;

/// The router: `POST request`, `GET`/`POST display`, `POST verify`; with `totp`, also
/// `POST totp/enable | validate-app | check-token | disable` (bodies `{"token": "123456"}`);
/// with `passwords`, the [`PASSWORD_PATHS`].
pub fn router(
    links: MagicLinks,
    totp: Option<TotpRoutes>,
    passwords: Option<super::passwords::Passwords>,
) -> Router {
    let mut router = magic_link::router(links);
    if let Some(passwords) = passwords {
        router = router.merge(passwords::router(passwords));
    }
    if let Some(totp) = totp {
        router = router.merge(totp::router(totp));
    }
    router
}
