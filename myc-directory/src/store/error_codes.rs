//! The error-code registry: native codes (prefix `MYC`, seeded when the store opens, never
//! deleted, re-wordable) and custom ones a system manager registers for the services behind
//! the gateway.

use sqlx::Row;

use super::Error;
use super::sql::{SqlStore, args, db};

/// The prefix of native codes.
pub const NATIVE_PREFIX: &str = "MYC";

/// The native codes this directory answers with: (number, message, details, internal).
pub const NATIVE_CODES: &[(u32, &str, &str, bool)] = &[
    (
        1,
        "The server failed.",
        "An internal error; the server's log has the cause.",
        true,
    ),
    (
        2,
        "It exists already.",
        "What the request creates exists; nothing was changed.",
        false,
    ),
    (
        13,
        "The request's parameters are invalid.",
        "A parameter is missing, malformed, or names something that does not exist.",
        false,
    ),
    (
        14,
        "No such method.",
        "The admin API serves no method by that name.",
        false,
    ),
    (
        19,
        "The caller's role does not allow this.",
        "The caller's profile holds no role, ownership or licence that allows the operation on that scope.",
        false,
    ),
];

/// A registered error code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCode {
    /// Three capital letters (`MYC` for native codes).
    pub prefix: String,
    /// The number within the prefix.
    pub code: u32,
    /// How responses write it: prefix and five digits (`MYC00019`).
    pub name: String,
    /// The message.
    pub message: String,
    /// More detail.
    pub details: Option<String>,
    /// Meant for operators, not end users.
    pub is_internal: bool,
    /// Native (seeded; not deletable).
    pub is_native: bool,
}

fn error_code(row: &sqlx::any::AnyRow) -> Result<ErrorCode, Error> {
    let prefix: String = row.try_get(0).map_err(db)?;
    let code = u32::try_from(row.try_get::<i64, _>(1).map_err(db)?)
        .map_err(|_| Error::Database("corrupt error code number".into()))?;
    Ok(ErrorCode {
        name: format!("{prefix}{code:05}"),
        prefix,
        code,
        message: row.try_get(2).map_err(db)?,
        details: row.try_get(3).map_err(db)?,
        is_internal: row.try_get::<i64, _>(4).map_err(db)? != 0,
        is_native: row.try_get::<i64, _>(5).map_err(db)? != 0,
    })
}

const COLUMNS: &str = "prefix, code, message, details, is_internal, is_native";

/// `MYC00019` into (`MYC`, 19).
pub fn parse_code(name: &str) -> Option<(&str, u32)> {
    let (prefix, number) = name.split_at_checked(3)?;
    let valid = prefix.chars().all(|c| c.is_ascii_uppercase())
        && number.len() == 5
        && number.chars().all(|c| c.is_ascii_digit());
    valid.then(|| number.parse().ok().map(|n| (prefix, n)))?
}

impl SqlStore {
    /// Adds the native codes that are missing (reworded ones keep their wording).
    pub(super) async fn seed_native_error_codes(&self) -> Result<(), Error> {
        for (code, message, details, internal) in NATIVE_CODES {
            let sql = "INSERT INTO myc_error_codes (prefix, code, message, details, is_internal, \
                       is_native) VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT (prefix, code) DO NOTHING";
            let args = args![
                NATIVE_PREFIX,
                i64::from(*code),
                *message,
                *details,
                *internal
            ];
            self.execute(sql, args).await?;
        }
        Ok(())
    }

    /// Registers a custom code under `prefix` with the next free number.
    pub async fn create_error_code(
        &self,
        prefix: &str,
        message: &str,
        details: Option<&str>,
        is_internal: bool,
    ) -> Result<ErrorCode, Error> {
        // Two registrations racing for one number: the loser takes the next.
        for _ in 0..5 {
            let sql = "SELECT COALESCE(MAX(code), 0) FROM myc_error_codes WHERE prefix = $1";
            let rows = self.fetch(sql, args![prefix]).await?;
            let last: i64 = rows
                .first()
                .map(|r| r.try_get(0).map_err(db))
                .transpose()?
                .unwrap_or(0);
            if last >= 99_999 {
                return Err(Error::Invalid(format!(
                    "prefix {prefix} has no free number"
                )));
            }
            let sql = "INSERT INTO myc_error_codes (prefix, code, message, details, is_internal, \
                       is_native) VALUES ($1, $2, $3, $4, $5, 0)";
            match self
                .execute(sql, args![prefix, last + 1, message, details, is_internal])
                .await
            {
                Ok(_) => {
                    return self
                        .error_code(prefix, u32::try_from(last + 1).unwrap_or(0))
                        .await;
                }
                Err(Error::Conflict(_)) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(Error::Conflict(format!("a number for prefix {prefix}")))
    }

    /// The code `prefix`/`code`.
    pub async fn error_code(&self, prefix: &str, code: u32) -> Result<ErrorCode, Error> {
        let sql = format!("SELECT {COLUMNS} FROM myc_error_codes WHERE prefix = $1 AND code = $2");
        let rows = self.fetch(&sql, args![prefix, i64::from(code)]).await?;
        rows.first()
            .map(error_code)
            .transpose()?
            .ok_or_else(|| Error::NotFound(format!("error code {prefix}{code:05}")))
    }

    /// Every code, by prefix and number.
    pub async fn error_codes(&self) -> Result<Vec<ErrorCode>, Error> {
        let sql = format!("SELECT {COLUMNS} FROM myc_error_codes ORDER BY prefix, code");
        self.fetch(&sql, args![])
            .await?
            .iter()
            .map(error_code)
            .collect()
    }

    /// Rewords `prefix`/`code` (native codes too).
    pub async fn update_error_code(
        &self,
        prefix: &str,
        code: u32,
        message: &str,
        details: Option<&str>,
    ) -> Result<ErrorCode, Error> {
        let sql =
            "UPDATE myc_error_codes SET message = $1, details = $2 WHERE prefix = $3 AND code = $4";
        if self
            .execute(sql, args![message, details, prefix, i64::from(code)])
            .await?
            == 0
        {
            return Err(Error::NotFound(format!("error code {prefix}{code:05}")));
        }
        self.error_code(prefix, code).await
    }

    /// Deletes a custom code; native ones are refused.
    pub async fn delete_error_code(&self, prefix: &str, code: u32) -> Result<(), Error> {
        if self.error_code(prefix, code).await?.is_native {
            return Err(Error::Invalid(format!(
                "{prefix}{code:05} is native: it can be reworded, not deleted"
            )));
        }
        let sql = "DELETE FROM myc_error_codes WHERE prefix = $1 AND code = $2 AND is_native = 0";
        self.execute(sql, args![prefix, i64::from(code)]).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn code_names() {
        assert_eq!(super::parse_code("MYC00019"), Some(("MYC", 19)));
        assert_eq!(super::parse_code("SVC12345"), Some(("SVC", 12345)));
        for bad in [
            "MYC0019",
            "myc00019",
            "MYC0001x",
            "MY",
            "",
            "MYC000190",
            "ÄBC00001",
        ] {
            assert_eq!(super::parse_code(bad), None, "{bad}");
        }
    }
}
