//! The machine's PostgreSQL for store tests: a fresh schema per test, dropped afterwards.

/// `MYC_TEST_DATABASE_URL`, else the local `test` database (`scripts/setup` prepares it).
pub fn pg_url() -> String {
    std::env::var("MYC_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/test".into())
}

/// A schema of its own on the test database.
#[derive(Debug)]
pub struct PgSchema {
    admin_url: String,
    name: String,
    /// A URL whose connections use this schema (`search_path`).
    pub url: String,
}

impl PgSchema {
    /// Creates `myc_t_<random>`.
    ///
    /// # Panics
    /// When PostgreSQL is unreachable (test set-up: run `scripts/setup`).
    #[allow(clippy::expect_used)]
    pub async fn create() -> Self {
        let admin_url = pg_url();
        let mut random = [0u8; 8];
        getrandom::getrandom(&mut random).expect("randomness");
        let name = format!("myc_t_{}", hex::encode(random));
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} (run scripts/setup): {e}"));
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&admin)
            .await
            .expect("create schema");
        admin.close().await;
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{sep}options=-c%20search_path%3D{name}");
        Self {
            admin_url,
            name,
            url,
        }
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the schema and everything in it.
    ///
    /// # Panics
    /// When PostgreSQL is unreachable.
    #[allow(clippy::expect_used)]
    pub async fn drop_schema(self) {
        let admin = sqlx::PgPool::connect(&self.admin_url)
            .await
            .expect("connect");
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(&admin)
            .await
            .expect("drop schema");
        admin.close().await;
    }
}
