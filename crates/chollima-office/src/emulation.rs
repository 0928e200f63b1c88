//! Socialist emulation: the ranking of work teams and the "Chollima work team" title.
//!
//! Teams are ranked by their fulfilment so far (actual over planned, all periods up to the one
//! asked), ties broken by the latest period's fulfilment and then by name. A team wins the
//! title when it over-fulfils (more than 100 %) a number of periods in a row (3 by default);
//! it can win it again after the run is broken and built up anew. A period without a report
//! counts as not fulfilled.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::breakdown::Quota;
use crate::monitor::Actual;

/// Periods in a row of over-fulfilment that win the title, unless configured otherwise.
pub const DEFAULT_STREAK: u32 = 3;
/// The title's name.
pub const TITLE: &str = "Chollima work team";

/// A team's place in the emulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Standing {
    /// 1 for the best.
    pub rank: usize,
    pub team: String,
    pub enterprise: String,
    /// Fulfilment over all periods so far; `None` with nothing planned.
    pub fulfilment: Option<f64>,
    /// Fulfilment of the latest period.
    pub latest: Option<f64>,
    /// The current run of over-fulfilled periods.
    pub streak: u32,
    /// The periods in which the team won the title, oldest first.
    pub titles: Vec<u32>,
}

/// Each team's fulfilment per period, periods `1..=as_of`, in team order of `quotas`.
pub fn series_by_team(quotas: &[Quota], actuals: &[Actual], as_of: u32) -> Vec<(String, Vec<f64>)> {
    let mut reported: FxHashMap<(&str, u32), f64> = FxHashMap::default();
    for a in actuals {
        *reported.entry((a.team.as_str(), a.period)).or_default() += a.quantity;
    }
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    let mut out: Vec<(String, Vec<f64>)> = Vec::new();
    for q in quotas {
        if q.period > as_of {
            continue;
        }
        let i = *index.entry(q.team.as_str()).or_insert_with(|| {
            out.push((q.team.clone(), vec![f64::NAN; as_of as usize]));
            out.len() - 1
        });
        let actual = reported
            .get(&(q.team.as_str(), q.period))
            .copied()
            .unwrap_or(0.0);
        out[i].1[q.period as usize - 1] = if q.quota > 0.0 {
            actual / q.quota
        } else {
            f64::NAN
        };
    }
    out
}

/// The ranking as of period `as_of`, with titles for `streak_needed` periods in a row.
pub fn standings(
    quotas: &[Quota],
    actuals: &[Actual],
    as_of: u32,
    streak_needed: u32,
) -> Vec<Standing> {
    let streak_needed = streak_needed.max(1);
    let mut planned: FxHashMap<&str, (f64, &str)> = FxHashMap::default();
    for q in quotas.iter().filter(|q| q.period <= as_of) {
        let entry = planned
            .entry(q.team.as_str())
            .or_insert((0.0, &q.enterprise));
        entry.0 += q.quota;
    }
    let mut made: FxHashMap<&str, f64> = FxHashMap::default();
    for a in actuals.iter().filter(|a| a.period <= as_of) {
        *made.entry(a.team.as_str()).or_default() += a.quantity;
    }
    let mut out: Vec<Standing> = series_by_team(quotas, actuals, as_of)
        .into_iter()
        .map(|(team, series)| {
            let (plan, enterprise) = planned.get(team.as_str()).copied().unwrap_or((0.0, ""));
            let actual = made.get(team.as_str()).copied().unwrap_or(0.0);
            let mut streak = 0;
            let mut titles = Vec::new();
            for (p, &ratio) in series.iter().enumerate() {
                if ratio > 1.0 {
                    streak += 1;
                    if streak == streak_needed {
                        titles.push(p as u32 + 1);
                    }
                } else {
                    streak = 0;
                }
            }
            Standing {
                rank: 0,
                enterprise: enterprise.to_owned(),
                fulfilment: (plan > 0.0).then(|| actual / plan),
                latest: series.last().copied().filter(|r| r.is_finite()),
                streak,
                titles,
                team,
            }
        })
        .collect();
    let key = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
    out.sort_by(|a, b| {
        key(b.fulfilment)
            .total_cmp(&key(a.fulfilment))
            .then(key(b.latest).total_cmp(&key(a.latest)))
            .then(a.team.cmp(&b.team))
    });
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas(team: &str, periods: u32, quota: f64) -> Vec<Quota> {
        (1..=periods)
            .map(|period| Quota {
                team: team.into(),
                enterprise: "e".into(),
                technique: "t".into(),
                product: "p".into(),
                period,
                quota,
                capacity: None,
            })
            .collect()
    }

    fn reports(team: &str, amounts: &[f64]) -> Vec<Actual> {
        amounts
            .iter()
            .enumerate()
            .map(|(i, &quantity)| Actual {
                team: team.into(),
                period: i as u32 + 1,
                quantity,
            })
            .collect()
    }

    #[test]
    fn three_over_fulfilled_periods_in_a_row_win_the_title_again_after_a_break() {
        let q = quotas("a", 12, 10.0);
        // Over, over, over (title in 3), over, exactly 100 % (breaks), over x3 (title in 8).
        let r = reports("a", &[11.0, 12.0, 10.5, 11.0, 10.0, 11.0, 11.0, 11.0]);
        let s = &standings(&q, &r, 8, DEFAULT_STREAK)[0];
        assert_eq!(s.titles, vec![3, 8]);
        assert_eq!(s.streak, 3);
        let two = &standings(&q, &r, 8, 5)[0];
        assert!(two.titles.is_empty());
    }

    #[test]
    fn teams_rank_by_fulfilment_then_latest_period() {
        let mut q = quotas("a", 4, 10.0);
        q.extend(quotas("b", 4, 10.0));
        q.extend(quotas("c", 4, 10.0));
        let mut r = reports("a", &[10.0, 10.0]);
        r.extend(reports("b", &[8.0, 12.0]));
        r.extend(reports("c", &[12.0, 12.0]));
        let s = standings(&q, &r, 2, DEFAULT_STREAK);
        let order: Vec<&str> = s.iter().map(|s| s.team.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
        assert_eq!(s[0].rank, 1);
        // A period without a report is not fulfilled: the streak breaks.
        let s = standings(&q, &reports("c", &[12.0, 12.0]), 4, 2);
        let c = s.iter().find(|s| s.team == "c").unwrap();
        assert_eq!((c.streak, c.titles.as_slice()), (0, &[2][..]));
    }
}
