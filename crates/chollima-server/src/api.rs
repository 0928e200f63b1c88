//! The routes of the plan office and their handlers.
//!
//! Every handler that changes data checks the caller's role and scope first, writes its change
//! and an audit line in one transaction, and answers only after the commit. Errors are JSON
//! (`{"error", "message", "problems"}`) with a 4xx status that says whose fault it is.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chollima_office::alerts::{AlertLevel, level_at};
use chollima_office::breakdown::{
    Enterprise, PlanLine, Quota, Shortfall, Team, break_down, catch_up,
};
use chollima_office::emulation::{Standing, standings};
use chollima_office::monitor::{Fulfilment, Level, fulfilment};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{self, Caller, Role};
use crate::state::{ActivePlan, AppState, audit};
use crate::{ApiError, new_id, now};

/// Largest JSON body accepted (1 MiB): a plan of about 10,000 techniques.
pub const JSON_LIMIT: usize = 1 << 20;
/// Largest body for plans, the organisation and bulk CSV reports (64 MiB).
pub const BULK_LIMIT: usize = 64 << 20;
/// Relative room above a team's physical capacity before a report is refused (rounding).
const CAPACITY_ROOM: f64 = 1e-9;
/// The longest idempotency key accepted.
const MAX_KEY: usize = 200;

/// All routes, with body limits and the rate limiter.
pub fn router(state: AppState) -> Router {
    let bulk = Router::new()
        .route("/api/plans", post(load_plan))
        .route("/api/organisation", put(set_organisation))
        .route("/api/reports/bulk", post(bulk_reports))
        .layer(DefaultBodyLimit::max(BULK_LIMIT));
    Router::new()
        .route("/api/health", get(health))
        .route("/api/openapi.json", get(openapi))
        .route("/api/login", post(login))
        .route("/api/users", post(create_user))
        .route("/api/plan", get(active_plan))
        .route("/api/quotas", get(quotas))
        .route("/api/reports", post(report))
        .route("/api/periods/{period}/close", post(close_period))
        .route("/api/replan", post(replan))
        .route("/api/fulfilment", get(fulfilment_of))
        .route("/api/ranking", get(ranking))
        .route("/api/titles", get(titles))
        .route("/api/alerts", get(alerts))
        .route("/api/alerts/{id}/acknowledge", post(acknowledge))
        .route("/api/audit", get(audit_log))
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        .merge(bulk)
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .with_state(state)
}

/// Refuses a client over its rate with 429 and `Retry-After`.
async fn rate_limit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let connection = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied();
    let hash = auth::bearer_token(request.headers())
        .ok()
        .map(auth::token_hash);
    let key = hash
        .clone()
        .or_else(|| connection.map(|c| c.0.ip().to_string()))
        .unwrap_or_default();
    if let Some(hash) = hash {
        request.extensions_mut().insert(auth::TokenHash(hash));
    }
    match state.limiter().take(&key) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let mut response = ApiError::too_many(format!(
                "too many requests: wait {wait:.2} s (the limit is per token, or per address without one)"
            ))
            .into_response();
            let seconds = wait.ceil().clamp(1.0, 3600.0) as u64;
            if let Ok(value) = seconds.to_string().parse() {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
    }
}

/// A JSON body, or the reason it could not be read as one.
fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match json {
        Ok(Json(value)) => Ok(value),
        Err(JsonRejection::JsonDataError(e)) => Err(ApiError::unprocessable(format!(
            "the JSON does not fit: {}",
            e.body_text()
        ))),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::bad_request(
            "send the body as JSON with `Content-Type: application/json`",
        )),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::too_large(format!(
            "the body is larger than the {JSON_LIMIT} bytes allowed here"
        ))),
        Err(e) => Err(ApiError::bad_request(format!(
            "the body is not valid JSON: {}",
            e.body_text()
        ))),
    }
}

async fn active<'a>(
    state: &'a AppState,
) -> Result<tokio::sync::RwLockReadGuard<'a, ActivePlan>, ApiError> {
    let guard = state.plan().await;
    tokio::sync::RwLockReadGuard::try_map(guard, Option::as_ref).map_err(|_| {
        ApiError::conflict("no plan is loaded: a planner loads one with POST /api/plans")
    })
}

// --- health, documentation, accounts -------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub plan: Option<String>,
}

/// Whether the server and its database answer.
#[utoipa::path(get, path = "/api/health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Response {
    let database = sqlx::query("SELECT 1").execute(state.pool()).await;
    let plan = state.plan().await.as_ref().map(|p| p.name.clone());
    let ok = database.is_ok();
    let body = Health {
        status: if ok { "ok" } else { "unavailable" }.into(),
        database: database.map_or_else(|e| e.to_string(), |_| "ok".into()),
        plan,
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// This API in OpenAPI 3.
#[utoipa::path(get, path = "/api/openapi.json", responses((status = 200, description = "The OpenAPI document")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::document())
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    pub name: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub token: String,
    pub expires_at: i64,
    pub role: Role,
}

/// Exchanges a name and password for a bearer token.
#[utoipa::path(post, path = "/api/login", request_body = Login,
    responses((status = 200, body = Session), (status = 401, body = crate::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    json: Result<Json<Login>, JsonRejection>,
) -> Result<Json<Session>, ApiError> {
    let login = body(json)?;
    let row = sqlx::query("SELECT password_hash, role FROM users WHERE name = $1")
        .bind(&login.name)
        .fetch_optional(state.pool())
        .await?;
    let refused = || ApiError::unauthorized("wrong name or password");
    let Some(row) = row else {
        // Hash anyway, so a missing account takes as long as a wrong password.
        let _ = tokio::task::spawn_blocking(|| auth::hash_password("timing")).await;
        return Err(refused());
    };
    let hash: String = row.try_get("password_hash")?;
    let role: String = row.try_get("role")?;
    let password = login.password;
    let good = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if !good {
        return Err(refused());
    }
    let token = auth::new_token()?;
    let expires_at = now() + auth::TOKEN_SECONDS;
    let mut tx = state.pool().begin().await?;
    sqlx::query("INSERT INTO tokens (token_hash, user_name, expires_at) VALUES ($1, $2, $3)")
        .bind(auth::token_hash(&token))
        .bind(&login.name)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    audit(&mut tx, &login.name, "login", "token issued").await?;
    tx.commit().await?;
    Ok(Json(Session {
        token,
        expires_at,
        role: Role::parse(&role).unwrap_or(Role::Observer),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub name: String,
    pub password: String,
    pub role: Role,
    /// Required for enterprise managers and team leaders.
    #[serde(default)]
    pub enterprise: Option<String>,
    /// Required for team leaders.
    #[serde(default)]
    pub team: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// Creates an account (administrators only).
#[utoipa::path(post, path = "/api/users", request_body = NewUser,
    responses((status = 201, body = Created), (status = 403, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    json: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    caller.require(&[Role::Admin], "create accounts")?;
    let user = body(json)?;
    if user.name.trim().is_empty() || user.name.len() > 100 {
        return Err(ApiError::unprocessable("a name has 1 to 100 characters"));
    }
    auth::check_password_strength(&user.password)?;
    match user.role {
        Role::EnterpriseManager if user.enterprise.is_none() => {
            return Err(ApiError::unprocessable(
                "an enterprise manager needs `enterprise`",
            ));
        }
        Role::TeamLeader if user.team.is_none() => {
            return Err(ApiError::unprocessable("a team leader needs `team`"));
        }
        _ => {}
    }
    let password = user.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let mut tx = state.pool().begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (name, password_hash, role, enterprise, team, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&user.name)
    .bind(hash)
    .bind(user.role.name())
    .bind(user.enterprise.clone())
    .bind(user.team.clone())
    .bind(now())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(ApiError::conflict(format!(
            "an account named `{}` already exists",
            user.name
        )));
    }
    audit(
        &mut tx,
        &caller.name,
        "create_user",
        &format!("`{}` as {}", user.name, user.role.name()),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Created { id: user.name })))
}

// --- the plan and the organisation ---------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPlan {
    pub name: String,
    /// Periods the plan is broken into (default 12).
    #[serde(default = "twelve")]
    pub periods: u32,
    /// What a period is (default `month`).
    #[serde(default = "month")]
    pub period_unit: String,
    /// The plan's techniques: `techniques.csv` of `chollima plan`, with each product's category
    /// and shadow price.
    pub lines: Vec<PlanLine>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

fn twelve() -> u32 {
    12
}
fn month() -> String {
    "month".into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanLoaded {
    pub id: String,
    /// Quotas written (0 until the organisation is set).
    pub quotas: usize,
    /// Why the plan could not be broken down yet, if it could not.
    pub problems: Vec<String>,
}

/// Loads a plan and makes it the active one; breaks it down if the organisation is set.
#[utoipa::path(post, path = "/api/plans", request_body = NewPlan,
    responses((status = 201, body = PlanLoaded), (status = 422, body = crate::ErrorBody)),
    security(("bearer" = [])))]
pub async fn load_plan(
    State(state): State<AppState>,
    caller: Caller,
    json: Result<Json<NewPlan>, JsonRejection>,
) -> Result<(StatusCode, Json<PlanLoaded>), ApiError> {
    caller.require(&[Role::Admin, Role::Planner], "load plans")?;
    let plan = body(json)?;
    let mut problems = Vec::new();
    if plan.periods == 0 || plan.periods > 1000 {
        problems.push("`periods` must be between 1 and 1000".to_owned());
    }
    for (i, line) in plan.lines.iter().enumerate() {
        if !(line.activity.is_finite() && line.activity >= 0.0) {
            problems.push(format!(
                "lines[{i}] (`{}`): activity must be a number >= 0",
                line.technique
            ));
        }
        if line.capacity.is_some_and(|c| !(c.is_finite() && c >= 0.0)) {
            problems.push(format!(
                "lines[{i}] (`{}`): capacity must be a number >= 0",
                line.technique
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::unprocessable("the plan is not valid").with_problems(problems));
    }
    let _writer = state.lock_writer().await;
    let (enterprises, teams) = organisation(&state).await?;
    let breakdown = if enterprises.is_empty() {
        Err(vec![
            "no organisation yet: PUT /api/organisation".to_owned(),
        ])
    } else {
        break_down(&plan.lines, &enterprises, &teams, plan.periods)
            .map_err(|p| p.iter().map(ToString::to_string).collect())
    };
    let id = new_id();
    let mut tx = state.pool().begin().await?;
    sqlx::query("UPDATE plans SET active = 0 WHERE active = 1")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO plans (id, name, periods, period_unit, created_at, active) VALUES ($1, $2, $3, $4, $5, 1)",
    )
    .bind(&id)
    .bind(&plan.name)
    .bind(i64::from(plan.periods))
    .bind(&plan.period_unit)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    for line in &plan.lines {
        sqlx::query(
            "INSERT INTO plan_lines (plan_id, technique, product, category, activity, capacity, weight) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&line.technique)
        .bind(&line.product)
        .bind(line.category.clone())
        .bind(line.activity)
        .bind(line.capacity)
        .bind(line.weight)
        .execute(&mut *tx)
        .await
        .map_err(|e| duplicate_or(e, format!("technique `{}` is listed twice", line.technique)))?;
    }
    let quotas = match &breakdown {
        Ok(b) => {
            write_quotas(&mut tx, &id, &b.quotas).await?;
            b.quotas.len()
        }
        Err(_) => 0,
    };
    audit(
        &mut tx,
        &caller.name,
        "load_plan",
        &format!(
            "plan `{}` ({id}): {} techniques, {} periods, {quotas} quotas",
            plan.name,
            plan.lines.len(),
            plan.periods
        ),
    )
    .await?;
    tx.commit().await?;
    state.reload_plan().await?;
    Ok((
        StatusCode::CREATED,
        Json(PlanLoaded {
            id,
            quotas,
            problems: breakdown.err().unwrap_or_default(),
        }),
    ))
}

fn duplicate_or(e: sqlx::Error, message: String) -> ApiError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => ApiError::unprocessable(message),
        _ => e.into(),
    }
}

async fn write_quotas(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    plan_id: &str,
    quotas: &[Quota],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM quotas WHERE plan_id = $1")
        .bind(plan_id)
        .execute(&mut **tx)
        .await?;
    for q in quotas {
        sqlx::query(
            "INSERT INTO quotas (plan_id, team, period, enterprise, technique, product, quota, capacity) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(plan_id)
        .bind(&q.team)
        .bind(i64::from(q.period))
        .bind(&q.enterprise)
        .bind(&q.technique)
        .bind(&q.product)
        .bind(q.quota)
        .bind(q.capacity)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn organisation(state: &AppState) -> Result<(Vec<Enterprise>, Vec<Team>), sqlx::Error> {
    let enterprises = sqlx::query("SELECT id, name, technique, share FROM enterprises ORDER BY id")
        .fetch_all(state.pool())
        .await?
        .into_iter()
        .map(|r| {
            Ok(Enterprise {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                technique: r.try_get("technique")?,
                share: r.try_get("share")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let teams = sqlx::query("SELECT id, enterprise, share FROM teams ORDER BY id")
        .fetch_all(state.pool())
        .await?
        .into_iter()
        .map(|r| {
            Ok(Team {
                id: r.try_get("id")?,
                enterprise: r.try_get("enterprise")?,
                share: r.try_get("share")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((enterprises, teams))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct Organisation {
    pub enterprises: Vec<Enterprise>,
    pub teams: Vec<Team>,
}

/// Replaces the enterprises and work teams, and breaks the active plan down to them. Refused
/// (422, nothing changed) when the breakdown does not add up.
#[utoipa::path(put, path = "/api/organisation", request_body = Organisation,
    responses((status = 200, body = PlanLoaded), (status = 422, body = crate::ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_organisation(
    State(state): State<AppState>,
    caller: Caller,
    json: Result<Json<Organisation>, JsonRejection>,
) -> Result<Json<PlanLoaded>, ApiError> {
    caller.require(&[Role::Admin, Role::Planner], "set the organisation")?;
    let organisation = body(json)?;
    let _writer = state.lock_writer().await;
    let (plan_id, lines, periods) = match state.plan().await.as_ref() {
        Some(p) => (Some(p.id.clone()), p.lines.clone(), p.periods),
        None => (None, Vec::new(), 0),
    };
    let breakdown = match plan_id {
        Some(_) => Some(
            break_down(
                &lines,
                &organisation.enterprises,
                &organisation.teams,
                periods,
            )
            .map_err(|problems| {
                ApiError::unprocessable("the organisation does not fit the plan")
                    .with_problems(problems.iter().map(ToString::to_string).collect())
            })?,
        ),
        None => None,
    };
    let mut tx = state.pool().begin().await?;
    sqlx::query("DELETE FROM teams").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM enterprises")
        .execute(&mut *tx)
        .await?;
    for e in &organisation.enterprises {
        sqlx::query("INSERT INTO enterprises (id, name, technique, share) VALUES ($1, $2, $3, $4)")
            .bind(&e.id)
            .bind(e.name.clone())
            .bind(&e.technique)
            .bind(e.share)
            .execute(&mut *tx)
            .await
            .map_err(|err| duplicate_or(err, format!("enterprise `{}` is listed twice", e.id)))?;
    }
    for t in &organisation.teams {
        sqlx::query("INSERT INTO teams (id, enterprise, share) VALUES ($1, $2, $3)")
            .bind(&t.id)
            .bind(&t.enterprise)
            .bind(t.share)
            .execute(&mut *tx)
            .await
            .map_err(|err| duplicate_or(err, format!("team `{}` is listed twice", t.id)))?;
    }
    let quotas = match (&plan_id, &breakdown) {
        (Some(id), Some(b)) => {
            write_quotas(&mut tx, id, &b.quotas).await?;
            b.quotas.len()
        }
        _ => 0,
    };
    audit(
        &mut tx,
        &caller.name,
        "set_organisation",
        &format!(
            "{} enterprises, {} teams, {quotas} quotas",
            organisation.enterprises.len(),
            organisation.teams.len()
        ),
    )
    .await?;
    tx.commit().await?;
    state.reload_plan().await?;
    Ok(Json(PlanLoaded {
        id: plan_id.unwrap_or_default(),
        quotas,
        problems: if breakdown.is_none() {
            vec!["no plan is loaded yet: POST /api/plans".into()]
        } else {
            Vec::new()
        },
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanSummary {
    pub id: String,
    pub name: String,
    pub periods: u32,
    pub period_unit: String,
    pub lines: Vec<PlanLine>,
    pub teams: usize,
    pub latest_period: u32,
}

/// The active plan.
#[utoipa::path(get, path = "/api/plan", responses((status = 200, body = PlanSummary), (status = 409, body = crate::ErrorBody)), security(("bearer" = [])))]
pub async fn active_plan(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<PlanSummary>, ApiError> {
    let plan = active(&state).await?;
    Ok(Json(PlanSummary {
        id: plan.id.clone(),
        name: plan.name.clone(),
        periods: plan.periods,
        period_unit: plan.period_unit.clone(),
        lines: plan.lines.clone(),
        teams: plan.enterprise_of.len(),
        latest_period: plan.latest_period,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct QuotaQuery {
    pub team: Option<String>,
    pub period: Option<u32>,
}

/// Quotas of the active plan that the caller may see (a team leader: their team; an
/// enterprise manager: their enterprise).
#[utoipa::path(get, path = "/api/quotas", params(QuotaQuery), responses((status = 200, body = Vec<Quota>)), security(("bearer" = [])))]
pub async fn quotas(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<QuotaQuery>,
) -> Result<Json<Vec<Quota>>, ApiError> {
    let plan = active(&state).await?;
    Ok(Json(
        plan.quotas
            .iter()
            .filter(|q| caller.covers(&q.team, &q.enterprise))
            .filter(|q| query.team.as_ref().is_none_or(|t| *t == q.team))
            .filter(|q| query.period.is_none_or(|p| p == q.period))
            .cloned()
            .collect(),
    ))
}

// --- reports -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, Serialize, Clone, ToSchema)]
pub struct NewReport {
    pub team: String,
    /// 1-based period of the active plan.
    pub period: u32,
    /// Output made (in the product's unit), added to what the team reported for the period.
    pub quantity: f64,
    /// Chosen by the client, unique per account: a retry with the same key is not counted
    /// twice.
    pub idempotency_key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportReceipt {
    pub id: String,
    pub team: String,
    pub period: u32,
    pub quantity: f64,
    /// True when this key had been used for the same report before (nothing new stored).
    pub duplicate: bool,
    /// What the team has reported for the period, this report included.
    pub period_total: f64,
}

/// Checks a report against the plan and the caller, with `pending` more already accepted for
/// the same team and period but not yet committed; the period's new total, or the reason it is
/// refused.
pub(crate) fn check_report(
    plan: &ActivePlan,
    caller: &Caller,
    r: &NewReport,
    pending: f64,
) -> Result<f64, ApiError> {
    if r.idempotency_key.is_empty() || r.idempotency_key.len() > MAX_KEY {
        return Err(ApiError::unprocessable(format!(
            "`idempotency_key` must have 1 to {MAX_KEY} characters"
        )));
    }
    if !r.quantity.is_finite() || r.quantity < 0.0 {
        return Err(ApiError::unprocessable(format!(
            "quantity {} refused: output is a number >= 0",
            r.quantity
        )));
    }
    let Some(enterprise) = plan.enterprise_of.get(&r.team) else {
        return Err(ApiError::unprocessable(format!(
            "unknown team `{}`: it has no quota in the active plan",
            r.team
        )));
    };
    if caller.role == Role::Observer
        || caller.role == Role::Planner
        || !caller.covers(&r.team, enterprise)
    {
        return Err(ApiError::forbidden(format!(
            "{} `{}` may not report for team `{}`",
            caller.role.name(),
            caller.name,
            r.team
        )));
    }
    if r.period == 0 || r.period > plan.periods {
        return Err(ApiError::unprocessable(format!(
            "period {} is outside the plan (periods 1 to {})",
            r.period, plan.periods
        )));
    }
    let quota = &plan.quotas[plan.quota_of[&(r.team.clone(), r.period)]];
    let before = plan
        .reported
        .get(&(r.team.clone(), r.period))
        .copied()
        .unwrap_or(0.0)
        + pending;
    let total = before + r.quantity;
    if let Some(capacity) = quota.capacity
        && total > capacity * (1.0 + CAPACITY_ROOM) + CAPACITY_ROOM
    {
        return Err(ApiError::unprocessable(format!(
            "team `{}` cannot have made {total} in period {}: its physical capacity is {capacity} ({before} reported before)",
            r.team, r.period
        )));
    }
    Ok(total)
}

/// The report stored earlier under the same account and key: `Some(receipt)` when it is the
/// same report, 409 when it is a different one.
pub(crate) fn earlier_report(
    state: &AppState,
    plan: &ActivePlan,
    caller: &Caller,
    r: &NewReport,
) -> Result<Option<ReportReceipt>, ApiError> {
    let Some(stored) = state.stored_key(&caller.name, &r.idempotency_key) else {
        return Ok(None);
    };
    if stored.team != r.team || stored.period != r.period || stored.quantity != r.quantity {
        return Err(ApiError::conflict(format!(
            "idempotency key `{}` was used for another report (team `{}`, period {}, quantity {})",
            r.idempotency_key, stored.team, stored.period, stored.quantity
        )));
    }
    Ok(Some(ReportReceipt {
        period_total: plan
            .reported
            .get(&(stored.team.clone(), stored.period))
            .copied()
            .unwrap_or(0.0),
        id: stored.id,
        team: stored.team,
        period: stored.period,
        quantity: stored.quantity,
        duplicate: true,
    }))
}

/// A team's actual output for a period. Refused with 4xx and not stored when malformed,
/// negative, for an unknown team, outside the plan's periods, beyond the team's physical
/// capacity, or from someone who may not report for the team.
#[utoipa::path(post, path = "/api/reports", request_body = NewReport,
    responses((status = 201, body = ReportReceipt), (status = 200, description = "a retry of a report already stored", body = ReportReceipt),
        (status = 400, body = crate::ErrorBody), (status = 403, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    json: Result<Json<NewReport>, JsonRejection>,
) -> Result<(StatusCode, Json<ReportReceipt>), ApiError> {
    caller.require(
        &[Role::Admin, Role::EnterpriseManager, Role::TeamLeader],
        "report output",
    )?;
    let r = body(json)?;
    // The writer checks and commits reports in batches; the answer comes after the commit.
    let (status, receipt) = state.submit(caller, r).await?;
    Ok((status, Json(receipt)))
}

/// Rows of reports per INSERT statement (8 parameters each, far below SQLite's limit).
const ROWS_PER_INSERT: usize = 100;

/// Writes `reports` (id, account, report) and their audit lines inside `tx`, many rows per
/// statement.
pub(crate) async fn insert_reports(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    plan_id: &str,
    reports: &[(String, String, NewReport)],
) -> Result<(), sqlx::Error> {
    let time = now();
    for chunk in reports.chunks(ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = 8 * i;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7,
                    p + 8
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO reports (id, plan_id, team, period, quantity, idempotency_key, reported_by, received_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (id, account, r) in chunk {
            query = query
                .bind(id.clone())
                .bind(plan_id.to_owned())
                .bind(r.team.clone())
                .bind(i64::from(r.period))
                .bind(r.quantity)
                .bind(r.idempotency_key.clone())
                .bind(account.clone())
                .bind(time);
        }
        query.execute(&mut **tx).await?;
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = 5 * i;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit (id, at, user_name, action, detail) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (id, account, r) in chunk {
            query = query
                .bind(new_id())
                .bind(time)
                .bind(account.clone())
                .bind("report")
                .bind(format!(
                    "{id}: team `{}` period {} quantity {}",
                    r.team, r.period, r.quantity
                ));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The first report for a later period closes the periods before it: detection and the
/// emulation run on them in the background.
pub(crate) fn close_passed_periods(state: &AppState, latest_before: u32, period: u32) {
    if period <= latest_before.max(1) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        for closed in latest_before.max(1)..period {
            if let Err(e) = state.close_period(closed).await {
                tracing::error!("closing period {closed}: {e}");
            }
        }
    });
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkReceipt {
    pub stored: usize,
    pub duplicates: usize,
}

/// Reports in bulk as CSV (`team,period,quantity,idempotency_key`, with that header), for
/// enterprises: all rows are stored or none; refused rows are listed with their line.
#[utoipa::path(post, path = "/api/reports/bulk", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = BulkReceipt), (status = 422, body = crate::ErrorBody)),
    security(("bearer" = [])))]
pub async fn bulk_reports(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    text: String,
) -> Result<(StatusCode, Json<BulkReceipt>), ApiError> {
    caller.require(&[Role::Admin, Role::EnterpriseManager], "report in bulk")?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") {
        return Err(ApiError::bad_request(
            "send bulk reports as `Content-Type: text/csv`",
        ));
    }
    let rows = parse_bulk(&text)?;
    let _writer = state.lock_writer().await;
    let plan = active(&state).await?;
    let mut problems = Vec::new();
    let mut fresh = Vec::new();
    let mut duplicates = 0;
    let mut totals: HashMap<(String, u32), f64> = HashMap::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (line, r) in &rows {
        if let Some(first) = keys.insert(r.idempotency_key.clone(), *line) {
            problems.push(format!(
                "line {line}: idempotency key `{}` also on line {first}",
                r.idempotency_key
            ));
            continue;
        }
        match earlier_report(&state, &plan, &caller, r) {
            Ok(Some(_)) => {
                duplicates += 1;
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                problems.push(format!("line {line}: {}", e.message));
                continue;
            }
        }
        // Earlier rows of the same file count towards the capacity too.
        let pending = totals
            .get(&(r.team.clone(), r.period))
            .copied()
            .unwrap_or(0.0);
        match check_report(&plan, &caller, r, pending) {
            Ok(_) => {
                *totals.entry((r.team.clone(), r.period)).or_default() += r.quantity;
                fresh.push(r.clone());
            }
            Err(e) => problems.push(format!("line {line}: {}", e.message)),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::unprocessable(format!(
            "{} row(s) refused; nothing stored",
            problems.len()
        ))
        .with_problems(problems));
    }
    let rows: Vec<(String, String, NewReport)> = fresh
        .iter()
        .map(|r| (new_id(), caller.name.clone(), r.clone()))
        .collect();
    let mut tx = state.pool().begin().await?;
    insert_reports(&mut tx, &plan.id, &rows).await?;
    tx.commit().await?;
    drop(plan);
    let mut guard = state.plan_mut().await;
    let plan = guard
        .as_mut()
        .expect("the writer lock kept the plan loaded");
    let latest_before = plan.latest_period;
    state.record_committed(plan, &rows);
    let latest_after = plan.latest_period;
    drop(guard);
    close_passed_periods(&state, latest_before, latest_after);
    Ok((
        StatusCode::CREATED,
        Json(BulkReceipt {
            stored: fresh.len(),
            duplicates,
        }),
    ))
}

/// Reads the bulk CSV; errors name the line and column.
fn parse_bulk(text: &str) -> Result<Vec<(usize, NewReport)>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ApiError::bad_request(format!("line 1: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(team), Some(period), Some(quantity), Some(key)) = (
        column("team"),
        column("period"),
        column("quantity"),
        column("idempotency_key"),
    ) else {
        return Err(ApiError::bad_request(
            "line 1: the header must name the columns team, period, quantity, idempotency_key",
        ));
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |k: usize| record.get(k).unwrap_or("");
        let period_value = field(period).parse::<u32>();
        let quantity_value = field(quantity).parse::<f64>();
        match (period_value, quantity_value) {
            (Ok(p), Ok(q)) => rows.push((
                line,
                NewReport {
                    team: field(team).to_owned(),
                    period: p,
                    quantity: q,
                    idempotency_key: field(key).to_owned(),
                },
            )),
            (Err(_), _) => problems.push(format!(
                "line {line}, column {}: period `{}` is not a whole number",
                period + 1,
                field(period)
            )),
            (_, Err(_)) => problems.push(format!(
                "line {line}, column {}: quantity `{}` is not a number",
                quantity + 1,
                field(quantity)
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::bad_request("the CSV could not be read").with_problems(problems));
    }
    Ok(rows)
}

// --- monitoring, emulation, alerts ---------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct Closed {
    pub alerts_raised: usize,
    pub titles_awarded: usize,
}

/// Closes a period by hand: change detection and the emulation run on it (they also run on
/// their own when the first report for a later period arrives).
#[utoipa::path(post, path = "/api/periods/{period}/close", params(("period" = u32, Path, description = "1-based period")),
    responses((status = 200, body = Closed)), security(("bearer" = [])))]
pub async fn close_period(
    State(state): State<AppState>,
    caller: Caller,
    Path(period): Path<u32>,
) -> Result<Json<Closed>, ApiError> {
    caller.require(&[Role::Admin, Role::Planner], "close periods")?;
    let periods = active(&state).await?.periods;
    if period == 0 || period > periods {
        return Err(ApiError::unprocessable(format!(
            "period {period} is outside the plan (1 to {periods})"
        )));
    }
    let (alerts_raised, titles_awarded) = state.close_period(period).await?;
    Ok(Json(Closed {
        alerts_raised,
        titles_awarded,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Replan {
    /// The last period whose actuals stand (default: the latest reported); the periods after
    /// it get new quotas.
    #[serde(default)]
    pub as_of: Option<u32>,
    /// A new plan for the remaining periods (activities over those periods, say from
    /// `chollima plan --from-year`), broken down to the same organisation. Without it, each
    /// team's remaining quota (its plan less what it made) is spread over the remaining
    /// periods within its capacity.
    #[serde(default)]
    pub lines: Option<Vec<PlanLine>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Replanned {
    pub as_of: u32,
    /// Quotas rewritten (those of the periods after `as_of`).
    pub quotas: usize,
    /// Teams whose remainder does not fit their capacity.
    pub shortfalls: Vec<Shortfall>,
}

/// Re-plans the periods after `as_of` from the actuals and pushes the new quotas down.
#[utoipa::path(post, path = "/api/replan", request_body = Replan,
    responses((status = 200, body = Replanned), (status = 422, body = crate::ErrorBody)), security(("bearer" = [])))]
pub async fn replan(
    State(state): State<AppState>,
    caller: Caller,
    json: Result<Json<Replan>, JsonRejection>,
) -> Result<Json<Replanned>, ApiError> {
    caller.require(&[Role::Admin, Role::Planner], "re-plan")?;
    let request = body(json)?;
    let _writer = state.lock_writer().await;
    let (plan_id, quotas, periods, as_of, made) = {
        let plan = active(&state).await?;
        let as_of = request.as_of.unwrap_or(plan.latest_period);
        let mut made: chollima_office::breakdown::TeamTotals = Default::default();
        for ((team, period), quantity) in &plan.reported {
            if *period <= as_of {
                *made.entry(team.clone()).or_default() += quantity;
            }
        }
        (
            plan.id.clone(),
            plan.quotas.clone(),
            plan.periods,
            as_of,
            made,
        )
    };
    if as_of >= periods {
        return Err(ApiError::unprocessable(format!(
            "as_of {as_of}: the plan has {periods} periods, so nothing is left to re-plan"
        )));
    }
    let (new_quotas, shortfalls) = match &request.lines {
        None => catch_up(&quotas, &made, as_of, periods),
        Some(lines) => {
            let (enterprises, teams) = organisation(&state).await?;
            let rest = break_down(lines, &enterprises, &teams, periods - as_of).map_err(|p| {
                ApiError::unprocessable("the new plan does not fit the organisation")
                    .with_problems(p.iter().map(ToString::to_string).collect())
            })?;
            let mut all: Vec<Quota> = quotas.into_iter().filter(|q| q.period <= as_of).collect();
            all.extend(rest.quotas.into_iter().map(|q| Quota {
                period: q.period + as_of,
                ..q
            }));
            (all, Vec::new())
        }
    };
    let rewritten = new_quotas.iter().filter(|q| q.period > as_of).count();
    let mut tx = state.pool().begin().await?;
    write_quotas(&mut tx, &plan_id, &new_quotas).await?;
    audit(
        &mut tx,
        &caller.name,
        "replan",
        &format!(
            "periods {}-{periods} re-planned from the actuals to period {as_of} ({}): {rewritten} quotas, {} team(s) short",
            as_of + 1,
            if request.lines.is_some() { "new plan" } else { "catch-up" },
            shortfalls.len()
        ),
    )
    .await?;
    tx.commit().await?;
    state.reload_plan().await?;
    Ok(Json(Replanned {
        as_of,
        quotas: rewritten,
        shortfalls,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FulfilmentQuery {
    /// team, enterprise, product, category or nation (default nation).
    pub level: Option<String>,
    /// Up to this period (default: the latest reported).
    pub as_of: Option<u32>,
}

/// Fulfilment at a level, with the forecast for the end of the plan. Team leaders see their
/// team, enterprise managers their enterprise and its teams.
#[utoipa::path(get, path = "/api/fulfilment", params(FulfilmentQuery),
    responses((status = 200, body = Vec<Fulfilment>), (status = 403, body = crate::ErrorBody)), security(("bearer" = [])))]
pub async fn fulfilment_of(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<FulfilmentQuery>,
) -> Result<Json<Vec<Fulfilment>>, ApiError> {
    let level = match query.level.as_deref() {
        None => Level::Nation,
        Some(text) => Level::parse(text).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "unknown level `{text}`: team, enterprise, product, category or nation"
            ))
        })?,
    };
    let scoped = matches!(caller.role, Role::TeamLeader | Role::EnterpriseManager);
    if scoped && !matches!(level, Level::Team | Level::Enterprise) {
        return Err(ApiError::forbidden(format!(
            "a {} sees fulfilment by team and enterprise only",
            caller.role.name()
        )));
    }
    let plan = active(&state).await?;
    let rows = fulfilment(
        &plan.lines,
        &plan.quotas,
        &plan.actuals(),
        level,
        query.as_of,
    );
    let visible = rows
        .into_iter()
        .filter(|f| match level {
            Level::Team => plan
                .enterprise_of
                .get(&f.key)
                .is_some_and(|e| caller.covers(&f.key, e)),
            Level::Enterprise => !scoped || caller.enterprise.as_deref() == Some(&f.key),
            _ => true,
        })
        .collect();
    Ok(Json(visible))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AsOf {
    /// Up to this period (default: the latest reported).
    pub as_of: Option<u32>,
}

/// The ranking of work teams (visible to every account: emulation is public).
#[utoipa::path(get, path = "/api/ranking", params(AsOf), responses((status = 200, body = Vec<Standing>)), security(("bearer" = [])))]
pub async fn ranking(
    State(state): State<AppState>,
    _caller: Caller,
    Query(query): Query<AsOf>,
) -> Result<Json<Vec<Standing>>, ApiError> {
    let plan = active(&state).await?;
    let as_of = query.as_of.unwrap_or(plan.latest_period);
    Ok(Json(standings(
        &plan.quotas,
        &plan.actuals(),
        as_of,
        state.config().title_streak,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Title {
    pub team: String,
    pub title: String,
    pub period: u32,
    pub awarded_at: i64,
}

/// Every "Chollima work team" title awarded under the active plan, oldest first.
#[utoipa::path(get, path = "/api/titles", responses((status = 200, body = Vec<Title>)), security(("bearer" = [])))]
pub async fn titles(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<Vec<Title>>, ApiError> {
    let plan_id = active(&state).await?.id.clone();
    let rows = sqlx::query(
        "SELECT team, period, awarded_at FROM titles WHERE plan_id = $1 ORDER BY period, team",
    )
    .bind(plan_id)
    .fetch_all(state.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let period: i64 = r.try_get("period")?;
            Ok(Title {
                team: r.try_get("team")?,
                title: chollima_office::emulation::TITLE.to_owned(),
                period: period as u32,
                awarded_at: r.try_get("awarded_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Json)
        .map_err(Into::into)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Alert {
    pub id: String,
    pub team: String,
    pub enterprise: String,
    pub category: Option<String>,
    pub period: u32,
    /// outlier, step or slope.
    pub kind: String,
    pub change: f64,
    pub score: f64,
    pub raised_at: i64,
    /// Who it is addressed to now.
    pub level: AlertLevel,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
}

/// Alerts the caller may see, newest first, each at the level its age has taken it to.
#[utoipa::path(get, path = "/api/alerts", responses((status = 200, body = Vec<Alert>)), security(("bearer" = [])))]
pub async fn alerts(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Alert>>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, team, enterprise, category, period, kind, change, score, raised_at, acknowledged_at, acknowledged_by FROM alerts ORDER BY raised_at DESC, id",
    )
    .fetch_all(state.pool())
    .await?;
    let time = now();
    let interval = state.config().escalation_seconds;
    let mut out = Vec::new();
    for r in rows {
        let team: String = r.try_get("team")?;
        let enterprise: String = r.try_get("enterprise")?;
        if !caller.covers(&team, &enterprise) {
            continue;
        }
        let raised_at: i64 = r.try_get("raised_at")?;
        let acknowledged_at: Option<i64> = r.try_get("acknowledged_at")?;
        let period: i64 = r.try_get("period")?;
        out.push(Alert {
            id: r.try_get("id")?,
            team,
            enterprise,
            category: r.try_get("category")?,
            period: period as u32,
            kind: r.try_get("kind")?,
            change: r.try_get("change")?,
            score: r.try_get("score")?,
            raised_at,
            level: level_at(raised_at, time, acknowledged_at, interval),
            acknowledged_at,
            acknowledged_by: r.try_get("acknowledged_by")?,
        });
    }
    Ok(Json(out))
}

/// Acknowledges an alert, which stops its escalation.
#[utoipa::path(post, path = "/api/alerts/{id}/acknowledge", params(("id" = String, Path, description = "the alert")),
    responses((status = 204), (status = 403, body = crate::ErrorBody), (status = 404, body = crate::ErrorBody)), security(("bearer" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if caller.role == Role::Observer {
        return Err(ApiError::forbidden(
            "an observer may not acknowledge alerts",
        ));
    }
    let row = sqlx::query("SELECT team, enterprise, acknowledged_at FROM alerts WHERE id = $1")
        .bind(&id)
        .fetch_optional(state.pool())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no alert `{id}`")))?;
    let team: String = row.try_get("team")?;
    let enterprise: String = row.try_get("enterprise")?;
    if !caller.covers(&team, &enterprise) {
        return Err(ApiError::forbidden(format!(
            "alert `{id}` is about team `{team}`, which is not yours"
        )));
    }
    let acknowledged: Option<i64> = row.try_get("acknowledged_at")?;
    if acknowledged.is_some() {
        return Ok(StatusCode::NO_CONTENT);
    }
    let mut tx = state.pool().begin().await?;
    sqlx::query(
        "UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL",
    )
    .bind(now())
    .bind(&caller.name)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    audit(&mut tx, &caller.name, "acknowledge_alert", &id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLine {
    pub at: i64,
    pub user: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Newest lines to return (default 100, at most 10,000).
    pub limit: Option<i64>,
}

/// The audit log, newest first (administrators only).
#[utoipa::path(get, path = "/api/audit", params(AuditQuery), responses((status = 200, body = Vec<AuditLine>), (status = 403, body = crate::ErrorBody)), security(("bearer" = [])))]
pub async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditLine>>, ApiError> {
    caller.require(&[Role::Admin], "read the audit log")?;
    let limit = query.limit.unwrap_or(100).clamp(1, 10_000);
    let rows = sqlx::query(
        "SELECT at, user_name, action, detail FROM audit ORDER BY at DESC, id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(state.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(AuditLine {
                at: r.try_get("at")?,
                user: r.try_get("user_name")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map(Json)
        .map_err(Into::into)
}
