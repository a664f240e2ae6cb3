//! Database connection and first-start creation.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};
use secrecy::ExposeSecret;

use crate::config::DatabaseSettings;

pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(settings)).await
}

/// A pool that connects on first use: a process can start (and report itself unhealthy)
/// while PostgreSQL is down.
pub async fn connect_lazy(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let mut opts = options(settings);
    opts.connect_lazy(true).min_connections(0);
    Database::connect(opts).await
}

fn options(settings: &DatabaseSettings) -> ConnectOptions {
    let mut opts = ConnectOptions::new(settings.url.expose_secret().to_owned());
    opts.max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        // Waiting for a pooled connection is bounded like connecting: a request on a dead
        // database answers 503 within that bound instead of queueing behind it.
        .acquire_timeout(Duration::from_secs(settings.connect_timeout_secs.max(1)))
        .sqlx_logging(false)
        // Pinging every checkout doubled the round trips of a short request; a connection in
        // use within the last second is alive, and one idle longer is still checked.
        .test_before_acquire_if_idle_for(Duration::from_secs(1));
    // No statement may hold a connection for minutes: PostgreSQL cancels it at the bound.
    let statement_timeout = format!("{}s", settings.statement_timeout_secs);
    opts.map_sqlx_postgres_opts(move |pg| {
        pg.options([("statement_timeout", statement_timeout.as_str())])
    });
    opts
}

/// Creates the database named in `url` when it does not exist, connecting to the server's
/// `postgres` database to do so. Used in development and tests only.
pub async fn create_if_missing(settings: &DatabaseSettings) -> Result<(), DbErr> {
    let mut url = url::Url::parse(settings.url.expose_secret())
        .map_err(|e| DbErr::Custom(format!("database.url: {e}")))?;
    let name = url.path().trim_start_matches('/').to_owned();
    if name.is_empty() {
        return Ok(());
    }
    url.set_path("/postgres");
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(1)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .sqlx_logging(false);
    let admin = Database::connect(opts).await?;
    let exists = admin
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await?
        .is_some();
    if !exists {
        let quoted = name.replace('"', "\"\"");
        match admin
            .execute_unprepared(&format!("CREATE DATABASE \"{quoted}\""))
            .await
        {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // Another process created it between the check and the create.
            Err(e) if e.to_string().contains("already exists") => {}
            Err(e) => return Err(e),
        }
    }
    admin.close().await
}

/// A PostgreSQL statement with positional (`$1`) parameters.
pub fn statement(
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        sql,
        values.into_iter().collect::<Vec<_>>(),
    )
}
