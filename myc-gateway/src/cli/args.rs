//! Typed argument values.

use std::str::FromStr;
use std::time::Duration;

use clap::ValueEnum;
use myc_profile::Permission;

/// `read` or `write`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PermissionArg {
    /// Read.
    Read,
    /// Write (implies read).
    Write,
}

impl From<PermissionArg> for Permission {
    fn from(arg: PermissionArg) -> Self {
        match arg {
            PermissionArg::Read => Permission::Read,
            PermissionArg::Write => Permission::Write,
        }
    }
}

/// A lifetime: whole seconds (`3600`) or a number with a unit `s`, `m`, `h`, `d` (`90m`,
/// `30d`); positive and at most 100 years.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lifetime(pub(crate) Duration);

/// Why text is not a lifetime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a lifetime: use seconds or a number with s, m, h or d (e.g. 3600, 90m, 30d)")]
pub(crate) struct InvalidLifetime(String);

const MAX_LIFETIME_SECS: u64 = 100 * 365 * 24 * 3600;

impl FromStr for Lifetime {
    type Err = InvalidLifetime;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidLifetime(text.to_owned());
        let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((i, _)) => text.split_at(i),
            None => (text, "s"),
        };
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 24 * 3600,
            _ => return Err(bad()),
        };
        let secs = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .filter(|s| (1..=MAX_LIFETIME_SECS).contains(s))
            .ok_or_else(bad)?;
        Ok(Self(Duration::from_secs(secs)))
    }
}

impl Lifetime {
    pub(crate) fn secs(self) -> u64 {
        self.0.as_secs()
    }

    /// As a chrono duration (at most 100 years, so always in range).
    pub(crate) fn chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        for (text, secs) in [
            ("3600", 3600),
            ("90m", 5400),
            ("12h", 43200),
            ("30d", 2_592_000),
        ] {
            assert_eq!(
                text.parse::<Lifetime>().map(Lifetime::secs),
                Ok(secs),
                "{text}"
            );
        }
        for text in [
            "",
            "0",
            "0d",
            "1w",
            "-5",
            "1.5h",
            " 60",
            "60 ",
            "d",
            "999999999999999999999",
        ] {
            assert!(text.parse::<Lifetime>().is_err(), "{text:?}");
        }
    }
}
