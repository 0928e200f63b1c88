//! The report writer: one task that checks and commits single reports in batches.
//!
//! Handlers hand each report to the writer and wait for its answer. The writer takes whatever
//! has queued (up to [`MAX_BATCH`]), checks each report in order against the plan, the totals
//! so far plus those accepted earlier in the batch, and the idempotency keys (stored ones and
//! the batch's own), writes the accepted ones and their audit lines in one transaction, and
//! answers only after the commit. One commit per batch instead of per report is what lets
//! SQLite take thousands of reports a second; the order of checks is the order of arrival, so
//! the result is what one-at-a-time processing would give.

use std::collections::HashMap;

use axum::http::StatusCode;
use tokio::sync::{mpsc, oneshot};

use crate::api::{
    NewReport, ReportReceipt, check_report, close_passed_periods, earlier_report, insert_reports,
};
use crate::auth::Caller;
use crate::state::AppState;
use crate::{ApiError, new_id};

/// Reports committed together at most.
pub const MAX_BATCH: usize = 512;

/// A report waiting for the writer, and where its answer goes.
#[derive(Debug)]
pub struct Job {
    pub caller: Caller,
    pub report: NewReport,
    pub answer: oneshot::Sender<Result<(StatusCode, ReportReceipt), ApiError>>,
}

/// Runs until every sender is gone.
pub async fn run(state: AppState, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write_batch(&state, batch).await;
    }
}

/// What a job gets: an answer now, or the row it waits on (its own, or the one it repeats).
enum Outcome {
    Now(Result<(StatusCode, ReportReceipt), ApiError>),
    Waits {
        row: usize,
        duplicate: bool,
        total: f64,
    },
}

async fn write_batch(state: &AppState, batch: Vec<Job>) {
    let _writer = state.lock_writer().await;
    let mut plan_guard = state.plan_mut().await;
    let Some(plan) = plan_guard.as_mut() else {
        for job in batch {
            let _ = job.answer.send(Err(ApiError::conflict(
                "no plan is loaded: a planner loads one with POST /api/plans",
            )));
        }
        return;
    };
    let mut pending: HashMap<(String, u32), f64> = HashMap::new();
    // Keys accepted in this batch: the index of their row.
    let mut batch_keys: HashMap<(String, String), usize> = HashMap::new();
    let mut rows: Vec<(String, String, NewReport)> = Vec::new();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(batch.len());
    for job in &batch {
        let (caller, r) = (&job.caller, &job.report);
        let key = (caller.name.clone(), r.idempotency_key.clone());
        if let Some(&row) = batch_keys.get(&key) {
            let first = &rows[row].2;
            outcomes.push(
                if first.team == r.team && first.period == r.period && first.quantity == r.quantity
                {
                    Outcome::Waits {
                        row,
                        duplicate: true,
                        total: 0.0,
                    }
                } else {
                    Outcome::Now(Err(ApiError::conflict(format!(
                        "idempotency key `{}` was used for another report",
                        r.idempotency_key
                    ))))
                },
            );
            continue;
        }
        match earlier_report(state, plan, caller, r) {
            Ok(Some(receipt)) => {
                outcomes.push(Outcome::Now(Ok((StatusCode::OK, receipt))));
                continue;
            }
            Err(e) => {
                outcomes.push(Outcome::Now(Err(e)));
                continue;
            }
            Ok(None) => {}
        }
        let slot = (r.team.clone(), r.period);
        let already = pending.get(&slot).copied().unwrap_or(0.0);
        match check_report(plan, caller, r, already) {
            Ok(total) => {
                pending.insert(slot, already + r.quantity);
                batch_keys.insert(key, rows.len());
                outcomes.push(Outcome::Waits {
                    row: rows.len(),
                    duplicate: false,
                    total,
                });
                rows.push((new_id(), caller.name.clone(), r.clone()));
            }
            Err(e) => outcomes.push(Outcome::Now(Err(e))),
        }
    }
    let committed = if rows.is_empty() {
        Ok(())
    } else {
        commit(state, &plan.id, &rows).await
    };
    let latest_before = plan.latest_period;
    if committed.is_ok() {
        state.record_committed(plan, &rows);
    }
    let latest_after = plan.latest_period;
    let totals: Vec<f64> = rows
        .iter()
        .map(|(_, _, r)| {
            plan.reported
                .get(&(r.team.clone(), r.period))
                .copied()
                .unwrap_or(0.0)
        })
        .collect();
    drop(plan_guard);
    for (job, outcome) in batch.into_iter().zip(outcomes) {
        let answer = match outcome {
            Outcome::Now(answer) => answer,
            Outcome::Waits {
                row,
                duplicate,
                total,
            } => match &committed {
                Err(e) => Err(ApiError::internal(format!(
                    "the report was not stored: {e}"
                ))),
                Ok(()) => {
                    let (id, _, r) = &rows[row];
                    let receipt = ReportReceipt {
                        id: id.clone(),
                        team: r.team.clone(),
                        period: r.period,
                        quantity: r.quantity,
                        duplicate,
                        period_total: if duplicate { totals[row] } else { total },
                    };
                    let status = if duplicate {
                        StatusCode::OK
                    } else {
                        StatusCode::CREATED
                    };
                    Ok((status, receipt))
                }
            },
        };
        let _ = job.answer.send(answer);
    }
    if committed.is_ok() {
        close_passed_periods(state, latest_before, latest_after);
    }
}

async fn commit(
    state: &AppState,
    plan_id: &str,
    rows: &[(String, String, NewReport)],
) -> Result<(), sqlx::Error> {
    let mut tx = state.pool().begin().await?;
    insert_reports(&mut tx, plan_id, rows).await?;
    tx.commit().await
}
