//! The office's database: SQLite (a file, created on first start) or PostgreSQL, through one
//! connection pool and one set of SQL statements written to run on both.
//!
//! Migrations are numbered SQL scripts applied in order inside a transaction each, and recorded
//! in `schema_migrations`; a database newer than this program is refused. SQLite runs in WAL
//! mode: a report acknowledged has been committed, and a committed transaction survives the
//! process being killed.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(
        "the database is at schema version {found}, newer than this chollima knows ({known}): use a newer chollima"
    )]
    TooNew { found: i64, known: i64 },
    #[error(
        "`{0}` is not a database address: give a file path, `sqlite://PATH` or `postgres://...`"
    )]
    BadAddress(String),
}

/// The migrations, oldest first. Never edit one that has shipped: add another.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    enterprise TEXT,
    team TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    periods BIGINT NOT NULL,
    period_unit TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    active BIGINT NOT NULL
);
CREATE TABLE plan_lines (
    plan_id TEXT NOT NULL,
    technique TEXT NOT NULL,
    product TEXT NOT NULL,
    category TEXT,
    activity DOUBLE PRECISION NOT NULL,
    capacity DOUBLE PRECISION,
    weight DOUBLE PRECISION,
    PRIMARY KEY (plan_id, technique)
);
CREATE TABLE enterprises (
    id TEXT PRIMARY KEY,
    name TEXT,
    technique TEXT NOT NULL,
    share DOUBLE PRECISION NOT NULL
);
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    enterprise TEXT NOT NULL,
    share DOUBLE PRECISION NOT NULL
);
CREATE TABLE quotas (
    plan_id TEXT NOT NULL,
    team TEXT NOT NULL,
    period BIGINT NOT NULL,
    enterprise TEXT NOT NULL,
    technique TEXT NOT NULL,
    product TEXT NOT NULL,
    quota DOUBLE PRECISION NOT NULL,
    capacity DOUBLE PRECISION,
    PRIMARY KEY (plan_id, team, period)
);
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    team TEXT NOT NULL,
    period BIGINT NOT NULL,
    quantity DOUBLE PRECISION NOT NULL,
    idempotency_key TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (reported_by, idempotency_key)
);
CREATE INDEX reports_by_team ON reports (plan_id, team, period);
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    team TEXT NOT NULL,
    enterprise TEXT NOT NULL,
    category TEXT,
    period BIGINT NOT NULL,
    kind TEXT NOT NULL,
    change DOUBLE PRECISION NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    raised_at BIGINT NOT NULL,
    level TEXT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    UNIQUE (plan_id, team, period, kind)
);
CREATE TABLE titles (
    plan_id TEXT NOT NULL,
    team TEXT NOT NULL,
    period BIGINT NOT NULL,
    awarded_at BIGINT NOT NULL,
    PRIMARY KEY (plan_id, team, period)
);
CREATE TABLE audit (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#,
    ),
    (
        2,
        // Every report went through a random page of this index as well; the only reader, the
        // start-up sum per team and period, scans the whole plan's reports anyway.
        "DROP INDEX IF EXISTS reports_by_team",
    ),
];

/// Turns what the user typed into a database address: a bare path is an SQLite file.
pub fn address(database: &str) -> Result<String, StoreError> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return Ok(database.to_owned());
    }
    if let Some(rest) = database.strip_prefix("sqlite://") {
        return Ok(format!("sqlite://{rest}"));
    }
    if database.contains("://") || database.is_empty() {
        return Err(StoreError::BadAddress(database.to_owned()));
    }
    Ok(format!("sqlite://{database}"))
}

/// Opens (creating an SQLite file if needed) and migrates the database at `address`.
pub async fn open(address: &str) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    let sqlite = address.starts_with("sqlite:");
    let url = if sqlite && !address.contains('?') {
        format!("{address}?mode=rwc")
    } else {
        address.to_owned()
    };
    let options = AnyConnectOptions::from_str(&url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(if sqlite { 4 } else { 16 })
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |connection, _| {
            Box::pin(async move {
                if sqlite {
                    // WAL: readers do not block the writer, and a commit survives a killed
                    // process; NORMAL syncs at checkpoints, which power loss alone can undo.
                    connection
                        .execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    migrate(&pool).await?;
    Ok(pool)
}

async fn migrate(pool: &AnyPool) -> Result<(), StoreError> {
    pool.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(pool)
        .await?;
    let current = current.unwrap_or(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > known {
        return Err(StoreError::TooNew {
            found: current,
            known,
        });
    }
    for &(version, script) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let mut tx = pool.begin().await?;
        for statement in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            tx.execute(statement).await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(crate::now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}
