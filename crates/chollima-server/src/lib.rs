//! The plan office as an HTTP service (`chollima serve`).
//!
//! A plan made by `chollima plan` is loaded, broken down to enterprises and work teams per
//! period ([`chollima_office::breakdown`]); team leaders and enterprises report actual output;
//! the office watches fulfilment at every level, raises alerts when a team's series breaks
//! from its course and escalates those nobody acknowledges, ranks the teams and awards the
//! "Chollima work team" title. Everything is kept in SQLite (a file, by default) or PostgreSQL
//! ([`store`]), behind accounts with roles ([`auth`]), request limits ([`limits`]) and an audit
//! log of every change. [`api`] has the routes; `GET /api/openapi.json` describes them all.
//!
//! Reports are written one at a time under a lock held across the checks and the commit, so
//! a capacity check and an idempotency check see every report acknowledged before, and a
//! report is acknowledged only once it is committed.

pub mod api;
pub mod auth;
pub mod limits;
pub mod openapi;
pub mod state;
pub mod store;
pub mod writer;

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use state::{AppState, Config};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A new identifier: 32 hex digits, the time in milliseconds, a sequence number and 48 random
/// bits. Identifiers made later sort later, so rows keyed by them are appended to the end of
/// their B-tree instead of landing on a random page each (with random keys SQLite wrote about
/// 20 pages per report under load).
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQUENCE: AtomicU32 = AtomicU32::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 6];
    // The system's randomness failing is not something to recover from.
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    format!(
        "{:012x}{sequence:08x}{}",
        millis & 0xffff_ffff_ffff,
        auth::hex(&bytes)
    )
}

/// An error answer: a status and a JSON body `{"error": CODE, "message": TEXT, "problems": [...]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }
    pub fn too_many(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
    pub fn with_problems(mut self, problems: Vec<String>) -> Self {
        self.problems = problems;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
            problems: self.problems,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!("database: {e}");
        ApiError::internal(format!("database: {e}"))
    }
}

/// What can stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Account(String),
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// Creates the first administrator (refused if an account of that name exists).
pub async fn init_admin(database: &str, name: &str, password: &str) -> Result<(), ServeError> {
    let pool = store::open(&store::address(database)?).await?;
    auth::check_password_strength(password).map_err(|e| ServeError::Account(e.message))?;
    let hash = auth::hash_password(password).map_err(|e| ServeError::Account(e.message))?;
    let created: Result<bool, sqlx::Error> = async {
        let mut tx = pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (name, password_hash, role, enterprise, team, created_at) VALUES ($1, $2, 'admin', NULL, NULL, $3) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(hash)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        state::audit(
            &mut tx,
            name,
            "init_admin",
            &format!("administrator `{name}` created from the command line"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
    .await;
    if !created.map_err(store::StoreError::from)? {
        return Err(ServeError::Account(format!(
            "an account named `{name}` already exists"
        )));
    }
    pool.close().await;
    Ok(())
}

/// Opens the database and serves on `listen` until interrupted (Ctrl-C or SIGTERM). `ready`
/// gets the address actually bound (port 0 picks a free one).
pub async fn serve(
    database: &str,
    listen: SocketAddr,
    config: Config,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let pool = store::open(&store::address(database)?).await?;
    let state = AppState::load(pool, config)
        .await
        .map_err(store::StoreError::from)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Listen {
            address: listen,
            source,
        })?;
    ready(listener.local_addr()?);
    let escalation = tokio::spawn(state::escalate_forever(state.clone()));
    let app = api::router(state.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    escalation.abort();
    state.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
