//! E-mail addresses as identities: the one rule by which an identity provider's claim, a
//! connection string's owner and a stored account are compared.
//!
//! An address is accepted when it is ASCII and has the `local@domain` shape below; it is then
//! compared in its canonical form, both parts lowercased with ASCII rules only:
//!
//! - Surrounding ASCII whitespace is removed; whitespace or control characters inside refuse it.
//! - Anything outside ASCII refuses it. Unicode case folding maps look-alikes onto ASCII
//!   (`\u{212A}ate@…`, the Kelvin sign, lowercases to `kate@…`), so folding them would hand one
//!   person's account to another. Internationalized domains are accepted in their A-label
//!   (`xn--…`) form, which is what they are on the wire.
//! - The local part is a dot-atom (RFC 5322 `atext` runs separated by single dots; no quoted
//!   local parts), compared case-insensitively: `Kate@T.test` and `kate@t.test` are the same
//!   account, as for upstream Mycelium and every large provider.
//! - The domain is dot-separated labels of letters, digits and inner hyphens (1 to 63
//!   characters each); the whole address is at most 254 characters.
//!
//! ```
//! use myc_profile::email::{canonical, EmailError};
//! assert_eq!(canonical(" Kate@T.Test ").unwrap(), "kate@t.test");
//! assert_eq!(canonical("\u{212A}ate@t.test"), Err(EmailError::NotAscii));
//! assert!(canonical("a@b@c").is_err());
//! ```

/// The longest address accepted (RFC 5321's path limit less the angle brackets).
pub const MAX_LEN: usize = 254;

/// Why a text is not accepted as an e-mail address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Longer than [`MAX_LEN`].
    #[error("e-mail address longer than {MAX_LEN} characters")]
    TooLong,
    /// A character outside ASCII (look-alikes are not folded).
    #[error("e-mail address with characters outside ASCII")]
    NotAscii,
    /// Not `local@domain` with the parts described in the module docs.
    #[error("malformed e-mail address: {0}")]
    Malformed(&'static str),
}

fn atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

fn check_local(local: &[u8]) -> Result<(), EmailError> {
    if local.is_empty() || local.len() > 64 {
        return Err(EmailError::Malformed("local part empty or too long"));
    }
    if local
        .split(|b| *b == b'.')
        .any(|atom| atom.is_empty() || !atom.iter().all(|b| atext(*b)))
    {
        return Err(EmailError::Malformed("local part is not a dot-atom"));
    }
    Ok(())
}

fn check_domain(domain: &[u8]) -> Result<(), EmailError> {
    let label_ok = |label: &[u8]| {
        (1..=63).contains(&label.len())
            && label
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
    };
    if domain.is_empty() || !domain.split(|b| *b == b'.').all(label_ok) {
        return Err(EmailError::Malformed("domain is not a host name"));
    }
    Ok(())
}

/// The canonical form of `email` (see the module docs), or why it is refused.
pub fn canonical(email: &str) -> Result<String, EmailError> {
    let email = email.trim_matches(|c: char| c.is_ascii_whitespace());
    if !email.is_ascii() {
        return Err(EmailError::NotAscii);
    }
    if email.len() > MAX_LEN {
        return Err(EmailError::TooLong);
    }
    let (local, domain) = email.split_once('@').ok_or(EmailError::Malformed("no @"))?;
    check_local(local.as_bytes())?;
    check_domain(domain.as_bytes())?;
    Ok(email.to_ascii_lowercase())
}

/// The domain of an address in canonical form (after the last `@`).
///
/// ```
/// assert_eq!(myc_profile::email::domain("kate@t.test"), "t.test");
/// ```
pub fn domain(canonical: &str) -> &str {
    canonical.rsplit_once('@').map_or("", |(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_folded() {
        for (input, out) in [
            ("kate@t.test", "kate@t.test"),
            ("KATE@T.TEST", "kate@t.test"),
            (
                "\tfirst.last+tag@Sub.Example.COM\n",
                "first.last+tag@sub.example.com",
            ),
            (
                "o'brien@xn--bcher-kva.example",
                "o'brien@xn--bcher-kva.example",
            ),
            ("root@localhost", "root@localhost"),
        ] {
            assert_eq!(canonical(input).as_deref(), Ok(out), "{input:?}");
        }
    }

    #[test]
    fn refused() {
        for (input, why) in [
            ("\u{212A}ate@t.test", EmailError::NotAscii),
            ("kate@t.tes\u{0074}\u{0301}", EmailError::NotAscii),
            ("ｋate@t.test", EmailError::NotAscii),
            ("kate@bücher.example", EmailError::NotAscii),
            ("kate", EmailError::Malformed("no @")),
            ("a@b@c", EmailError::Malformed("domain is not a host name")),
            (
                "@t.test",
                EmailError::Malformed("local part empty or too long"),
            ),
            (
                "a..b@t.test",
                EmailError::Malformed("local part is not a dot-atom"),
            ),
            (
                ".a@t.test",
                EmailError::Malformed("local part is not a dot-atom"),
            ),
            (
                "a b@t.test",
                EmailError::Malformed("local part is not a dot-atom"),
            ),
            (
                "\"a\"@t.test",
                EmailError::Malformed("local part is not a dot-atom"),
            ),
            ("a@", EmailError::Malformed("domain is not a host name")),
            (
                "a@-t.test",
                EmailError::Malformed("domain is not a host name"),
            ),
            (
                "a@t..test",
                EmailError::Malformed("domain is not a host name"),
            ),
            (
                "a@t.test\u{0}",
                EmailError::Malformed("domain is not a host name"),
            ),
        ] {
            assert_eq!(canonical(input), Err(why), "{input:?}");
        }
        let long = format!("{}@{}.test", "a".repeat(64), "b".repeat(200));
        assert_eq!(canonical(&long), Err(EmailError::TooLong));
    }
}
