//! What the server holds between requests: the database pool, the active plan with its
//! quotas and the output reported so far (to check reports without a query each), the token
//! cache, the rate limiter and the settings.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chollima_office::alerts::{AlertLevel, level_at};
use chollima_office::breakdown::{PlanLine, Quota};
use chollima_office::detect::detect;
use chollima_office::emulation::{series_by_team, standings};
use chollima_office::monitor::Actual;
use sqlx::{AnyPool, Row};
use tokio::sync::{Mutex, RwLock};

use crate::auth::{Caller, Role};
use crate::limits::RateLimiter;
use crate::{ApiError, new_id, now};

/// Settings of a running office.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seconds an alert waits for acknowledgement before it goes one level up.
    pub escalation_seconds: i64,
    /// Periods of over-fulfilment in a row that win the title.
    pub title_streak: u32,
    /// Requests per second allowed to one token (or one address without a token).
    pub requests_per_second: f64,
    /// Requests one client may make at once before the rate applies.
    pub request_burst: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            escalation_seconds: 3600,
            title_streak: chollima_office::emulation::DEFAULT_STREAK,
            requests_per_second: 50.0,
            request_burst: 100.0,
        }
    }
}

/// The plan being carried out, with its quotas indexed for checking reports.
#[derive(Debug, Clone, Default)]
pub struct ActivePlan {
    pub id: String,
    pub name: String,
    pub periods: u32,
    pub period_unit: String,
    pub lines: Vec<PlanLine>,
    pub quotas: Vec<Quota>,
    /// `(team, period)` to its index in `quotas`.
    pub quota_of: HashMap<(String, u32), usize>,
    /// Team to its enterprise.
    pub enterprise_of: HashMap<String, String>,
    /// Team to the category of its product's target, if it has one.
    pub category_of: HashMap<String, Option<String>>,
    /// Output reported so far per `(team, period)`.
    pub reported: HashMap<(String, u32), f64>,
    /// The latest period anyone reported for.
    pub latest_period: u32,
}

impl ActivePlan {
    pub fn actuals(&self) -> Vec<Actual> {
        self.reported
            .iter()
            .map(|((team, period), &quantity)| Actual {
                team: team.clone(),
                period: *period,
                quantity,
            })
            .collect()
    }

    pub fn category_of_team(&self, team: &str) -> Option<String> {
        self.category_of.get(team).cloned().flatten()
    }

    fn index(&mut self) {
        self.quota_of = self
            .quotas
            .iter()
            .enumerate()
            .map(|(i, q)| ((q.team.clone(), q.period), i))
            .collect();
        self.enterprise_of = self
            .quotas
            .iter()
            .map(|q| (q.team.clone(), q.enterprise.clone()))
            .collect();
        let category_of_technique: HashMap<&str, &Option<String>> = self
            .lines
            .iter()
            .map(|l| (l.technique.as_str(), &l.category))
            .collect();
        self.category_of = self
            .quotas
            .iter()
            .map(|q| {
                let category = category_of_technique
                    .get(q.technique.as_str())
                    .and_then(|c| (*c).clone());
                (q.team.clone(), category)
            })
            .collect();
    }
}

/// Shared by every request.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// A report stored under an account's idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKey {
    pub id: String,
    pub team: String,
    pub period: u32,
    pub quantity: f64,
}

/// The accounts behind recently used tokens (by hash), so a request costs no query; each entry
/// lapses with its token.
#[derive(Debug, Default)]
struct TokenCache {
    entries: HashMap<String, (Caller, i64)>,
}

impl TokenCache {
    /// The account behind a token that has not expired at `time`.
    fn get(&self, token_hash: &str, time: i64) -> Option<Caller> {
        self.entries
            .get(token_hash)
            .filter(|(_, expires)| *expires > time)
            .map(|(caller, _)| caller.clone())
    }

    /// Remembers a token until `expires`, and forgets every token expired at `time`: the cache
    /// never holds more than the tokens still valid (plus this one), however long the server
    /// runs.
    fn insert(&mut self, token_hash: &str, caller: Caller, expires: i64, time: i64) {
        self.entries.retain(|_, (_, until)| *until > time);
        self.entries
            .insert(token_hash.to_owned(), (caller, expires));
    }
}

#[derive(Debug)]
struct Inner {
    pool: AnyPool,
    /// Every `(account, idempotency key)` stored, with its report: checked without a query.
    keys: std::sync::Mutex<HashMap<(String, String), StoredKey>>,
    /// Where handlers send single reports (see [`crate::writer`]).
    jobs: tokio::sync::mpsc::Sender<crate::writer::Job>,
    config: Config,
    /// Held across the checks and the commit of every change to reports, plans and the
    /// organisation.
    writer: Mutex<()>,
    plan: RwLock<Option<ActivePlan>>,
    tokens: RwLock<TokenCache>,
    limiter: RateLimiter,
}

impl AppState {
    /// Loads the active plan and what was reported for it.
    pub async fn load(pool: AnyPool, config: Config) -> Result<AppState, sqlx::Error> {
        let limiter = RateLimiter::new(config.requests_per_second, config.request_burst);
        let mut keys = HashMap::new();
        for r in sqlx::query(
            "SELECT id, team, period, quantity, idempotency_key, reported_by FROM reports",
        )
        .fetch_all(&pool)
        .await?
        {
            let period: i64 = r.try_get("period")?;
            keys.insert(
                (r.try_get("reported_by")?, r.try_get("idempotency_key")?),
                StoredKey {
                    id: r.try_get("id")?,
                    team: r.try_get("team")?,
                    period: period as u32,
                    quantity: r.try_get("quantity")?,
                },
            );
        }
        let (jobs, queue) = tokio::sync::mpsc::channel(crate::writer::MAX_BATCH * 8);
        let state = AppState {
            inner: Arc::new(Inner {
                pool,
                keys: std::sync::Mutex::new(keys),
                jobs,
                config,
                writer: Mutex::new(()),
                plan: RwLock::new(None),
                tokens: RwLock::new(TokenCache::default()),
                limiter,
            }),
        };
        state.reload_plan().await?;
        tokio::spawn(crate::writer::run(state.clone(), queue));
        Ok(state)
    }

    /// Hands a report to the writer and waits for its answer (after the commit).
    pub async fn submit(
        &self,
        caller: Caller,
        report: crate::api::NewReport,
    ) -> Result<(axum::http::StatusCode, crate::api::ReportReceipt), ApiError> {
        let (answer, receive) = tokio::sync::oneshot::channel();
        self.inner
            .jobs
            .send(crate::writer::Job {
                caller,
                report,
                answer,
            })
            .await
            .map_err(|_| ApiError::internal("the report writer has stopped"))?;
        receive
            .await
            .map_err(|_| ApiError::internal("the report writer has stopped"))?
    }

    /// The report stored under `account`'s `key`, if any.
    pub fn stored_key(&self, account: &str, key: &str) -> Option<StoredKey> {
        let keys = self.inner.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.get(&(account.to_owned(), key.to_owned())).cloned()
    }

    /// Adds committed reports (id, account, report) to the plan's totals and the stored keys.
    pub fn record_committed(
        &self,
        plan: &mut ActivePlan,
        rows: &[(String, String, crate::api::NewReport)],
    ) {
        for (id, account, r) in rows {
            *plan.reported.entry((r.team.clone(), r.period)).or_default() += r.quantity;
            plan.latest_period = plan.latest_period.max(r.period);
            self.remember_key(account, id, r);
        }
    }

    /// Records a committed report's key.
    fn remember_key(&self, account: &str, id: &str, r: &crate::api::NewReport) {
        let mut keys = self.inner.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.insert(
            (account.to_owned(), r.idempotency_key.clone()),
            StoredKey {
                id: id.to_owned(),
                team: r.team.clone(),
                period: r.period,
                quantity: r.quantity,
            },
        );
    }

    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    pub async fn lock_writer(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.writer.lock().await
    }

    pub async fn plan(&self) -> tokio::sync::RwLockReadGuard<'_, Option<ActivePlan>> {
        self.inner.plan.read().await
    }

    pub async fn plan_mut(&self) -> tokio::sync::RwLockWriteGuard<'_, Option<ActivePlan>> {
        self.inner.plan.write().await
    }

    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    /// The account behind a token's hash (401 when unknown or expired).
    pub async fn caller(&self, token_hash: &str) -> Result<Caller, ApiError> {
        let time = now();
        if let Some(caller) = self.inner.tokens.read().await.get(token_hash, time) {
            return Ok(caller);
        }
        let row = sqlx::query(
            "SELECT u.name, u.role, u.enterprise, u.team, t.expires_at FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Err(ApiError::unauthorized(
                "unknown token: log in again (POST /api/login)",
            ));
        };
        let expires: i64 = row.try_get("expires_at")?;
        if expires <= time {
            return Err(ApiError::unauthorized(
                "the token has expired: log in again (POST /api/login)",
            ));
        }
        let role: String = row.try_get("role")?;
        let caller = Caller {
            name: row.try_get("name")?,
            role: Role::parse(&role)
                .ok_or_else(|| ApiError::internal(format!("unknown role `{role}` stored")))?,
            enterprise: row.try_get("enterprise")?,
            team: row.try_get("team")?,
        };
        self.inner
            .tokens
            .write()
            .await
            .insert(token_hash, caller.clone(), expires, time);
        Ok(caller)
    }

    /// Reads the active plan, its quotas and the reports for it from the database.
    pub async fn reload_plan(&self) -> Result<(), sqlx::Error> {
        let pool = self.pool();
        let Some(row) =
            sqlx::query("SELECT id, name, periods, period_unit FROM plans WHERE active = 1")
                .fetch_optional(pool)
                .await?
        else {
            *self.inner.plan.write().await = None;
            return Ok(());
        };
        let id: String = row.try_get("id")?;
        let periods: i64 = row.try_get("periods")?;
        let lines = sqlx::query(
            "SELECT technique, product, category, activity, capacity, weight FROM plan_lines WHERE plan_id = $1 ORDER BY technique",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(PlanLine {
                technique: r.try_get("technique")?,
                product: r.try_get("product")?,
                category: r.try_get("category")?,
                activity: r.try_get("activity")?,
                capacity: r.try_get("capacity")?,
                weight: r.try_get("weight")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let quotas = sqlx::query(
            "SELECT team, period, enterprise, technique, product, quota, capacity FROM quotas WHERE plan_id = $1 ORDER BY team, period",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| {
            let period: i64 = r.try_get("period")?;
            Ok(Quota {
                team: r.try_get("team")?,
                period: period as u32,
                enterprise: r.try_get("enterprise")?,
                technique: r.try_get("technique")?,
                product: r.try_get("product")?,
                quota: r.try_get("quota")?,
                capacity: r.try_get("capacity")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let mut reported = HashMap::new();
        let mut latest_period = 0;
        for r in sqlx::query(
            "SELECT team, period, SUM(quantity) AS total FROM reports WHERE plan_id = $1 GROUP BY team, period",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?
        {
            let period: i64 = r.try_get("period")?;
            latest_period = latest_period.max(period as u32);
            reported.insert((r.try_get("team")?, period as u32), r.try_get("total")?);
        }
        let mut plan = ActivePlan {
            id,
            name: row.try_get("name")?,
            periods: periods as u32,
            period_unit: row.try_get("period_unit")?,
            lines,
            quotas,
            reported,
            latest_period,
            ..ActivePlan::default()
        };
        plan.index();
        *self.inner.plan.write().await = Some(plan);
        Ok(())
    }

    /// Runs change detection and the emulation on `period`, which has just been completed:
    /// new alerts and titles are stored (each once).
    pub async fn close_period(&self, period: u32) -> Result<(usize, usize), sqlx::Error> {
        let (plan_id, alerts, titles) = {
            let guard = self.plan().await;
            let Some(plan) = guard.as_ref() else {
                return Ok((0, 0));
            };
            let actuals = plan.actuals();
            let mut alerts = Vec::new();
            for (team, series) in series_by_team(&plan.quotas, &actuals, period) {
                let clean: Vec<f64> = series.into_iter().filter(|v| v.is_finite()).collect();
                for signal in detect(&clean) {
                    let enterprise = plan.enterprise_of.get(&team).cloned().unwrap_or_default();
                    let category = plan.category_of_team(&team);
                    alerts.push((team.clone(), enterprise, category, signal));
                }
            }
            let titles: Vec<(String, u32)> =
                standings(&plan.quotas, &actuals, period, self.config().title_streak)
                    .into_iter()
                    .flat_map(|s| {
                        let team = s.team;
                        s.titles.into_iter().map(move |p| (team.clone(), p))
                    })
                    .filter(|(_, p)| *p == period)
                    .collect();
            (plan.id.clone(), alerts, titles)
        };
        let time = now();
        let mut tx = self.pool().begin().await?;
        let mut raised = 0;
        for (team, enterprise, category, signal) in &alerts {
            let done = sqlx::query(
                "INSERT INTO alerts (id, plan_id, team, enterprise, category, period, kind, change, score, raised_at, level, acknowledged_at, acknowledged_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'team', NULL, NULL) ON CONFLICT DO NOTHING",
            )
            .bind(new_id())
            .bind(&plan_id)
            .bind(team)
            .bind(enterprise)
            .bind(category.clone())
            .bind(i64::from(period))
            .bind(signal.kind.name())
            .bind(signal.change)
            .bind(signal.score)
            .bind(time)
            .execute(&mut *tx)
            .await?;
            raised += done.rows_affected() as usize;
        }
        let mut awarded = 0;
        for (team, p) in &titles {
            let done = sqlx::query(
                "INSERT INTO titles (plan_id, team, period, awarded_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&plan_id)
            .bind(team)
            .bind(i64::from(*p))
            .bind(time)
            .execute(&mut *tx)
            .await?;
            awarded += done.rows_affected() as usize;
        }
        audit(
            &mut tx,
            "office",
            "close_period",
            &format!("period {period}: {raised} alert(s) raised, {awarded} title(s) awarded"),
        )
        .await?;
        tx.commit().await?;
        Ok((raised, awarded))
    }

    /// Moves every unacknowledged alert to the level its age calls for; returns how many moved.
    pub async fn escalate(&self) -> Result<usize, sqlx::Error> {
        let time = now();
        let interval = self.config().escalation_seconds;
        let rows = sqlx::query(
            "SELECT id, raised_at, level FROM alerts WHERE acknowledged_at IS NULL AND level <> 'plan_office'",
        )
        .fetch_all(self.pool())
        .await?;
        let mut moved = 0;
        for row in rows {
            let id: String = row.try_get("id")?;
            let raised: i64 = row.try_get("raised_at")?;
            let stored: String = row.try_get("level")?;
            let level = level_at(raised, time, None, interval);
            if AlertLevel::parse(&stored) != Some(level) {
                let mut tx = self.pool().begin().await?;
                sqlx::query(
                    "UPDATE alerts SET level = $1 WHERE id = $2 AND acknowledged_at IS NULL",
                )
                .bind(level.name())
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                audit(
                    &mut tx,
                    "office",
                    "escalate_alert",
                    &format!("alert {id}: {stored} -> {}", level.name()),
                )
                .await?;
                tx.commit().await?;
                moved += 1;
            }
        }
        Ok(moved)
    }
}

/// Escalates alerts every quarter of the escalation interval (at least every second).
pub async fn escalate_forever(state: AppState) {
    let every = (state.config().escalation_seconds / 4).clamp(1, 300) as u64;
    let mut ticker = tokio::time::interval(Duration::from_secs(every));
    loop {
        ticker.tick().await;
        if let Err(e) = state.escalate().await {
            tracing::error!("escalating alerts: {e}");
        }
    }
}

/// Writes one line of the audit log inside `tx`.
pub async fn audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: &str,
    action: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit (id, at, user_name, action, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(new_id())
    .bind(now())
    .bind(user)
    .bind(action)
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(name: &str) -> Caller {
        Caller {
            name: name.into(),
            role: Role::Admin,
            enterprise: None,
            team: None,
        }
    }

    #[test]
    fn the_token_cache_forgets_expired_tokens() {
        let mut cache = TokenCache::default();
        cache.insert("a", caller("ann"), 100, 0);
        cache.insert("b", caller("bob"), 200, 0);
        assert_eq!(cache.get("a", 50), Some(caller("ann")));
        // Expired tokens are refused at once and dropped at the next insert.
        assert_eq!(cache.get("a", 100), None);
        cache.insert("c", caller("cy"), 300, 150);
        assert_eq!(cache.entries.len(), 2, "`a` expired at 100 and is gone");
        assert_eq!(cache.get("b", 150), Some(caller("bob")));
        assert_eq!(cache.get("c", 150), Some(caller("cy")));
        assert_eq!(cache.get("unknown", 0), None);
    }
}
