//! The messages' words, per locale (`en-US`, `pt-BR`; anything else falls back to `en-US`),
//! plain text and HTML, signed with the configured domain name. Values are HTML-escaped in
//! the HTML part.

/// Who the messages come from (upstream's `[core.accountLifeCycle]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    /// `domainName`: the product name shown in messages.
    pub domain_name: String,
    /// `domainUrl`: the product's address shown in messages.
    pub domain_url: String,
    /// `locale`.
    pub locale: String,
}

/// A locale the templates are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Locale {
    /// English (the default).
    EnUs,
    /// Brazilian Portuguese.
    PtBr,
}

impl Locale {
    /// `tag`'s locale (`pt-BR`, `pt_br`, `pt`…), English otherwise.
    pub fn of(tag: &str) -> Self {
        if tag.to_ascii_lowercase().starts_with("pt") {
            Self::PtBr
        } else {
            Self::EnUs
        }
    }
}

/// The words of the magic-link page: the button that reveals the code, the code, and the
/// page of a spent or expired link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkPage {
    /// The page's `lang`.
    pub lang: &'static str,
    /// Title and heading of the button page.
    pub sign_in: &'static str,
    /// Before the address on the button page.
    pub press_for: &'static str,
    /// The button.
    pub button: &'static str,
    /// Title and heading of the code page.
    pub your_code: &'static str,
    /// Under the code.
    pub works_once: &'static str,
    /// Title of the spent-link page.
    pub gone_title: &'static str,
    /// Text of the spent-link page.
    pub gone_text: &'static str,
}

impl LinkPage {
    /// The words in `locale` (a tag, as [`Locale::of`] reads it).
    pub fn of(locale: &str) -> Self {
        match Locale::of(locale) {
            Locale::PtBr => Self {
                lang: "pt-BR",
                sign_in: "Entrar",
                press_for: "Pressione o botão para ver seu código de uso único para",
                button: "Mostrar meu código",
                your_code: "Seu código",
                works_once: "Digite-o onde você pediu para entrar. Ele vale uma vez.",
                gone_title: "Este link não vale mais",
                gone_text: "Ele expirou, ou seu código já foi mostrado. Peça um novo.",
            },
            Locale::EnUs => Self {
                lang: "en",
                sign_in: "Sign in",
                press_for: "Press the button to show your one-time code for",
                button: "Show my code",
                your_code: "Your code",
                works_once: "Type it where you asked to sign in. It works once.",
                gone_title: "This link is no longer valid",
                gone_text: "It expired, or its code was shown already. Ask for a new one.",
            },
        }
    }
}

/// `text` safe inside HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Subject, text and HTML of the login-link message pointing at `link`, valid `minutes`.
pub fn magic_link(sender: &Sender, link: &str, minutes: u64) -> (String, String, String) {
    let name = &sender.domain_name;
    let (subject, intro, button, expiry, ignore) = match Locale::of(&sender.locale) {
        Locale::PtBr => (
            format!("Seu acesso a {name}"),
            format!("Use o link abaixo para entrar em {name}. Ele mostra um código de 6 dígitos."),
            "Mostrar meu código".to_owned(),
            format!("O link expira em {minutes} minutos e vale uma vez."),
            "Se não foi você quem pediu, ignore esta mensagem.".to_owned(),
        ),
        Locale::EnUs => (
            format!("Your sign-in link for {name}"),
            format!("Use the link below to sign in to {name}. It shows a 6-digit code."),
            "Show my code".to_owned(),
            format!("The link expires in {minutes} minutes and works once."),
            "If you did not ask for it, ignore this message.".to_owned(),
        ),
    };
    let text = format!(
        "{intro}\n\n{link}\n\n{expiry}\n{ignore}\n\n-- \n{name} {}\n",
        sender.domain_url
    );
    let html = format!(
        "<!doctype html><html><body><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}<br>{}</p>\
         <p>{} &middot; {}</p></body></html>",
        escape(&intro),
        escape(link),
        escape(&button),
        escape(&expiry),
        escape(&ignore),
        escape(name),
        escape(&sender.domain_url)
    );
    (subject, text, html)
}

/// A change to how someone signs in, told to them by mail so that a change they did not make
/// does not go unnoticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// A TOTP authenticator now completes their logins.
    TotpEnabled,
    /// Their TOTP factor was removed.
    TotpDisabled,
    /// Their password was changed.
    PasswordChanged,
}

/// Subject, text and HTML of the notice `what`.
pub fn notice(sender: &Sender, what: Notice) -> (String, String, String) {
    let name = &sender.domain_name;
    let (subject, body, not_you) = match (Locale::of(&sender.locale), what) {
        (Locale::PtBr, Notice::TotpEnabled) => (
            format!("Verificação em duas etapas ativada em {name}"),
            "Um aplicativo autenticador agora completa seus acessos.",
            "Se não foi você, fale com o suporte agora.",
        ),
        (Locale::PtBr, Notice::TotpDisabled) => (
            format!("Verificação em duas etapas desativada em {name}"),
            "Seus acessos não pedem mais o código do aplicativo autenticador.",
            "Se não foi você, fale com o suporte agora.",
        ),
        (Locale::PtBr, Notice::PasswordChanged) => (
            format!("Sua senha de {name} foi alterada"),
            "A senha da sua conta acabou de ser alterada.",
            "Se não foi você, fale com o suporte agora.",
        ),
        (Locale::EnUs, Notice::TotpEnabled) => (
            format!("Two-step verification turned on for {name}"),
            "An authenticator app now completes your sign-ins.",
            "If this was not you, contact support now.",
        ),
        (Locale::EnUs, Notice::TotpDisabled) => (
            format!("Two-step verification turned off for {name}"),
            "Your sign-ins no longer ask for an authenticator code.",
            "If this was not you, contact support now.",
        ),
        (Locale::EnUs, Notice::PasswordChanged) => (
            format!("Your {name} password was changed"),
            "The password of your account was just changed.",
            "If this was not you, contact support now.",
        ),
    };
    let text = format!("{body}\n{not_you}\n\n-- \n{name} {}\n", sender.domain_url);
    let html = format!(
        "<!doctype html><html><body><p>{}</p><p>{}</p><p>{} &middot; {}</p></body></html>",
        escape(body),
        escape(not_you),
        escape(name),
        escape(&sender.domain_url)
    );
    (subject, text, html)
}

/// What a one-use code message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodePurpose {
    /// Activating a new password credential.
    Activation,
    /// Setting a new password.
    Reset,
}

/// Subject, text and HTML of a message carrying a one-use `token` for `purpose`, sent to
/// `endpoint` with the address, valid `minutes`.
pub fn one_use_code(
    sender: &Sender,
    purpose: CodePurpose,
    token: &str,
    endpoint: &str,
    minutes: u64,
) -> (String, String, String) {
    let name = &sender.domain_name;
    let pt = Locale::of(&sender.locale) == Locale::PtBr;
    let (subject, intro) = match (purpose, pt) {
        (CodePurpose::Activation, false) => (
            format!("Activate your {name} password"),
            "Send this code with your e-mail to activate your password:".to_owned(),
        ),
        (CodePurpose::Activation, true) => (
            format!("Ative sua senha em {name}"),
            "Envie este código com seu e-mail para ativar sua senha:".to_owned(),
        ),
        (CodePurpose::Reset, false) => (
            format!("Reset your {name} password"),
            "Send this code with your e-mail and a new password to reset it:".to_owned(),
        ),
        (CodePurpose::Reset, true) => (
            format!("Redefina sua senha em {name}"),
            "Envie este código com seu e-mail e uma nova senha para redefini-la:".to_owned(),
        ),
    };
    let expiry = if pt {
        format!("Vale uma vez, por {minutes} minutos: POST {endpoint}")
    } else {
        format!("It works once, for {minutes} minutes: POST {endpoint}")
    };
    let text = format!(
        "{intro}\n\n{token}\n\n{expiry}\n\n-- \n{name} {}\n",
        sender.domain_url
    );
    let html = format!(
        "<!doctype html><html><body><p>{}</p><p><code id=\"token\">{}</code></p><p>{}</p>\
         <p>{} &middot; {}</p></body></html>",
        escape(&intro),
        escape(token),
        escape(&expiry),
        escape(name),
        escape(&sender.domain_url)
    );
    (subject, text, html)
}

/// What an invitation names.
#[derive(Clone, Copy, Debug)]
pub struct Invitation<'a> {
    /// The tenant's name.
    pub tenant: &'a str,
    /// The account's name.
    pub account: &'a str,
    /// The guest role's name.
    pub role: &'a str,
    /// `POST` here, signed in, to accept.
    pub accept: &'a str,
    /// Where a sign-in link is asked for.
    pub sign_in: &'a str,
}

/// Subject, text and HTML of an invitation.
pub fn invitation(sender: &Sender, i: &Invitation<'_>) -> (String, String, String) {
    let name = &sender.domain_name;
    let (subject, intro, how, accept_label, ignore) = match Locale::of(&sender.locale) {
        Locale::PtBr => (
            format!("Convite para {} em {name}", i.tenant),
            format!(
                "Você foi convidado para a conta {} de {}, com o papel {}.",
                i.account, i.tenant, i.role
            ),
            format!(
                "Para aceitar, entre com seu e-mail ({}) e envie um POST autenticado para:",
                i.sign_in
            ),
            "Aceitar o convite".to_owned(),
            "Se não esperava este convite, ignore esta mensagem.".to_owned(),
        ),
        Locale::EnUs => (
            format!("Invitation to {} on {name}", i.tenant),
            format!(
                "You were invited to the account {} of {}, with the role {}.",
                i.account, i.tenant, i.role
            ),
            format!(
                "To accept, sign in with your e-mail ({}) and send a signed-in POST to:",
                i.sign_in
            ),
            "Accept the invitation".to_owned(),
            "If you did not expect it, ignore this message.".to_owned(),
        ),
    };
    let text = format!(
        "{intro}\n\n{how}\n{}\n\n{ignore}\n\n-- \n{name} {}\n",
        i.accept, sender.domain_url
    );
    let html = format!(
        "<!doctype html><html><body><p>{}</p><p>{}</p><p><code>POST {}</code> ({})</p>\
         <p>{}</p><p>{} &middot; {}</p></body></html>",
        escape(&intro),
        escape(&how),
        escape(i.accept),
        escape(&accept_label),
        escape(&ignore),
        escape(name),
        escape(&sender.domain_url)
    );
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_and_escaping() {
        let sender = Sender {
            domain_name: "Acme <b>".into(),
            domain_url: "https://acme.example".into(),
            locale: "pt-BR".into(),
        };
        let (subject, text, html) = magic_link(&sender, "https://g/x?a=1&b=2", 60);
        assert_eq!(subject, "Seu acesso a Acme <b>");
        assert!(text.contains("https://g/x?a=1&b=2"));
        assert!(html.contains("href=\"https://g/x?a=1&amp;b=2\""));
        assert!(html.contains("Acme &lt;b&gt;"));
        let english = Sender {
            locale: "fr-FR".into(),
            ..sender
        };
        assert!(
            magic_link(&english, "l", 5)
                .0
                .starts_with("Your sign-in link")
        );
    }
}
