//! A database per test, cloned from a migrated template (cheap), dropped when the test ends.
//! The template is built once per migration set; an advisory lock keeps parallel test
//! processes from building it twice.

use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

fn url_for(db: &str) -> String {
    let mut url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{db}"));
    url.to_string()
}

async fn connect_one(url: &str) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(opts)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e} (is PostgreSQL running?)"))
}

async fn exists(admin: &DatabaseConnection, name: &str) -> bool {
    admin
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT 1 FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .expect("querying pg_database")
        .is_some()
}

fn template_name() -> String {
    let last = migration::Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default();
    let mut name = format!(
        "produck_tpl_{}_{last}",
        migration::Migrator::migrations().len()
    );
    name.truncate(63);
    name
}

async fn ensure_template() -> String {
    let name = template_name();
    let admin = connect_one(&admin_url()).await;
    admin
        .execute_unprepared("SELECT pg_advisory_lock(724242)")
        .await
        .expect("advisory lock");
    if !exists(&admin, &name).await {
        let building = format!("{name}_b");
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
            ))
            .await
            .expect("drop");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{building}\""))
            .await
            .expect("create template");
        let db = connect_one(&url_for(&building)).await;
        migration::Migrator::up(&db, None)
            .await
            .expect("migrating the template");
        db.close().await.expect("closing template connection");
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
            ))
            .await
            .expect("publishing template");
    }
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(724242)")
        .await
        .expect("advisory unlock");
    admin.close().await.ok();
    name
}

pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let template = ensure_template().await;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = connect_one(&admin_url()).await;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
            ))
            .await
            .expect("cloning the template database");
        admin.close().await.ok();
        Self {
            url: url_for(&name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop cannot await; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let admin = connect_one(&admin_url()).await;
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}
