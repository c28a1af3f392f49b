//! The HTML pages of the magic link: hardened headers, the words of the configured locale.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::mail::templates::{LinkPage, escape};

pub(super) fn page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:sans-serif;max-width:28rem;margin:4rem auto;\
         text-align:center}}#code{{font-size:2.5rem;letter-spacing:.4rem;font-family:monospace}}\
         button{{font-size:1.1rem;padding:.6rem 1.2rem}}</style></head><body>{body}</body></html>",
        title = escape(title)
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// The button page of a link, in `words`' language.
pub(super) fn button_page(words: &LinkPage, email: &str, token: &str) -> Response {
    let body = format!(
        "<h1>{sign_in}</h1><p>{press} {email}.</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"email\" value=\"{email}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button id=\"reveal\" type=\"submit\">{button}</button></form>",
        sign_in = escape(words.sign_in),
        press = escape(words.press_for),
        email = escape(email),
        token = escape(token),
        button = escape(words.button),
    );
    page(StatusCode::OK, words.lang, words.sign_in, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn the_button_page_speaks_the_configured_language_and_escapes_what_it_echoes() {
        let pt = text(button_page(
            &LinkPage::of("pt-BR"),
            "a@b.example",
            "t\"><x>",
        ))
        .await;
        assert!(
            pt.contains("lang=\"pt-BR\"") && pt.contains("Mostrar meu código"),
            "{pt}"
        );
        assert!(
            pt.contains("t&quot;&gt;&lt;x&gt;") && !pt.contains("<x>"),
            "{pt}"
        );
        let en = text(button_page(&LinkPage::of("fr-FR"), "a@b.example", "t")).await;
        assert!(
            en.contains("lang=\"en\"") && en.contains("Show my code"),
            "{en}"
        );
    }
}
