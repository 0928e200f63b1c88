//! A plan broken down to enterprises, work teams and periods.
//!
//! Each technique's planned activity is shared out among the enterprises that run it (each
//! holds a share of the technique's capacity, and the shares of one technique sum to 1), then
//! among the work teams of each enterprise (shares of the enterprise, summing to 1), then
//! evenly over the plan's periods. A team's physical capacity per period is its part of the
//! technique's capacity in the same way. The result is checked both ways: the quotas of every
//! technique sum back to its activity, and those of every enterprise to its share of it.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// Shares of one technique (or one enterprise) must sum to 1 within this.
pub const SHARE_TOLERANCE: f64 = 1e-6;
/// The quotas must sum back to the plan within this (relative).
const SUM_TOLERANCE: f64 = 1e-9;

/// One technique of a plan (a row of the plan's `techniques.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanLine {
    pub technique: String,
    pub product: String,
    /// The category of the product's target (food, clothing, housing, ...), if it has one.
    #[serde(default)]
    pub category: Option<String>,
    /// Planned activity over the whole plan.
    pub activity: f64,
    /// Capacity over the whole plan, if the technique has one.
    #[serde(default)]
    pub capacity: Option<f64>,
    /// The value of one unit (the plan's shadow price) for adding up different products.
    #[serde(default)]
    pub weight: Option<f64>,
}

/// An enterprise: it runs one technique, with a share of its capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enterprise {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub technique: String,
    pub share: f64,
}

/// A work team of an enterprise, with a share of the enterprise's work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub id: String,
    pub enterprise: String,
    pub share: f64,
}

/// A team's quota for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quota {
    pub team: String,
    pub enterprise: String,
    pub technique: String,
    pub product: String,
    /// 1-based.
    pub period: u32,
    pub quota: f64,
    /// The most the team can physically make in the period, if the technique has a capacity.
    pub capacity: Option<f64>,
}

/// The quotas of every team in every period, team by team and period by period.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub periods: u32,
    pub quotas: Vec<Quota>,
}

/// Something that stops a breakdown; all of them are listed together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BreakdownProblem {
    #[error("the plan needs at least one period")]
    NoPeriods,
    #[error("technique `{0}` appears twice in the plan")]
    DuplicateTechnique(String),
    #[error("enterprise `{0}` is listed twice")]
    DuplicateEnterprise(String),
    #[error("team `{0}` is listed twice")]
    DuplicateTeam(String),
    #[error("enterprise `{enterprise}` runs technique `{technique}`, which is not in the plan")]
    UnknownTechnique {
        enterprise: String,
        technique: String,
    },
    #[error("team `{team}` belongs to enterprise `{enterprise}`, which is not listed")]
    UnknownEnterprise { team: String, enterprise: String },
    #[error("{what} `{id}` has share {share}: a share must be above 0 and at most 1")]
    BadShare {
        what: &'static str,
        id: String,
        share: f64,
    },
    #[error(
        "the enterprises running technique `{technique}` hold shares summing to {sum:.6}, not 1"
    )]
    TechniqueShares { technique: String, sum: f64 },
    #[error("the teams of enterprise `{enterprise}` hold shares summing to {sum:.6}, not 1")]
    TeamShares { enterprise: String, sum: f64 },
    #[error("technique `{technique}` has planned activity {activity} but no enterprise runs it")]
    Unassigned { technique: String, activity: f64 },
    #[error("enterprise `{0}` has no work teams")]
    NoTeams(String),
    #[error("the quotas of {what} `{id}` sum to {got}, not its planned {planned} (internal check)")]
    Inconsistent {
        what: &'static str,
        id: String,
        got: f64,
        planned: f64,
    },
}

/// Breaks `plan` down to `teams` of `enterprises` over `periods` equal periods; every problem
/// found is returned together.
pub fn break_down(
    plan: &[PlanLine],
    enterprises: &[Enterprise],
    teams: &[Team],
    periods: u32,
) -> Result<Breakdown, Vec<BreakdownProblem>> {
    let mut problems = Vec::new();
    if periods == 0 {
        problems.push(BreakdownProblem::NoPeriods);
    }
    let mut lines: FxHashMap<&str, &PlanLine> = FxHashMap::default();
    for line in plan {
        if lines.insert(&line.technique, line).is_some() {
            problems.push(BreakdownProblem::DuplicateTechnique(line.technique.clone()));
        }
    }
    let mut enterprise_of: FxHashMap<&str, &Enterprise> = FxHashMap::default();
    let mut technique_shares: FxHashMap<&str, f64> = FxHashMap::default();
    for e in enterprises {
        if enterprise_of.insert(&e.id, e).is_some() {
            problems.push(BreakdownProblem::DuplicateEnterprise(e.id.clone()));
        }
        if !lines.contains_key(e.technique.as_str()) {
            problems.push(BreakdownProblem::UnknownTechnique {
                enterprise: e.id.clone(),
                technique: e.technique.clone(),
            });
        }
        check_share("enterprise", &e.id, e.share, &mut problems);
        *technique_shares.entry(&e.technique).or_default() += e.share;
    }
    let mut team_ids: FxHashMap<&str, ()> = FxHashMap::default();
    let mut team_shares: FxHashMap<&str, f64> = FxHashMap::default();
    for t in teams {
        if team_ids.insert(&t.id, ()).is_some() {
            problems.push(BreakdownProblem::DuplicateTeam(t.id.clone()));
        }
        if !enterprise_of.contains_key(t.enterprise.as_str()) {
            problems.push(BreakdownProblem::UnknownEnterprise {
                team: t.id.clone(),
                enterprise: t.enterprise.clone(),
            });
        }
        check_share("team", &t.id, t.share, &mut problems);
        *team_shares.entry(&t.enterprise).or_default() += t.share;
    }
    for line in plan {
        match technique_shares.get(line.technique.as_str()) {
            None if line.activity > 0.0 => problems.push(BreakdownProblem::Unassigned {
                technique: line.technique.clone(),
                activity: line.activity,
            }),
            Some(&sum) if (sum - 1.0).abs() > SHARE_TOLERANCE => {
                problems.push(BreakdownProblem::TechniqueShares {
                    technique: line.technique.clone(),
                    sum,
                })
            }
            _ => {}
        }
    }
    for e in enterprises {
        match team_shares.get(e.id.as_str()) {
            None => problems.push(BreakdownProblem::NoTeams(e.id.clone())),
            Some(&sum) if (sum - 1.0).abs() > SHARE_TOLERANCE => {
                problems.push(BreakdownProblem::TeamShares {
                    enterprise: e.id.clone(),
                    sum,
                })
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut quotas = Vec::with_capacity(teams.len() * periods as usize);
    let per_period = 1.0 / f64::from(periods);
    for t in teams {
        let e = enterprise_of[t.enterprise.as_str()];
        let line = lines[e.technique.as_str()];
        let part = e.share * t.share * per_period;
        for period in 1..=periods {
            quotas.push(Quota {
                team: t.id.clone(),
                enterprise: e.id.clone(),
                technique: line.technique.clone(),
                product: line.product.clone(),
                period,
                quota: line.activity * part,
                capacity: line.capacity.map(|c| c * part),
            });
        }
    }
    let breakdown = Breakdown { periods, quotas };
    check_sums(&breakdown, plan, enterprises)?;
    Ok(breakdown)
}

fn check_share(what: &'static str, id: &str, share: f64, problems: &mut Vec<BreakdownProblem>) {
    if !(share > 0.0 && share <= 1.0) {
        problems.push(BreakdownProblem::BadShare {
            what,
            id: id.to_owned(),
            share,
        });
    }
}

/// The quotas summed back up: per technique to its activity, per enterprise to its share.
fn check_sums(
    breakdown: &Breakdown,
    plan: &[PlanLine],
    enterprises: &[Enterprise],
) -> Result<(), Vec<BreakdownProblem>> {
    let mut by_technique: FxHashMap<&str, f64> = FxHashMap::default();
    let mut by_enterprise: FxHashMap<&str, f64> = FxHashMap::default();
    for q in &breakdown.quotas {
        *by_technique.entry(&q.technique).or_default() += q.quota;
        *by_enterprise.entry(&q.enterprise).or_default() += q.quota;
    }
    let mut problems = Vec::new();
    let mut compare = |what: &'static str, id: &str, got: f64, planned: f64| {
        if (got - planned).abs() > SUM_TOLERANCE * planned.abs().max(1.0) {
            problems.push(BreakdownProblem::Inconsistent {
                what,
                id: id.to_owned(),
                got,
                planned,
            });
        }
    };
    for line in plan {
        let got = by_technique
            .get(line.technique.as_str())
            .copied()
            .unwrap_or(0.0);
        compare("technique", &line.technique, got, line.activity);
    }
    let activity: FxHashMap<&str, f64> = plan
        .iter()
        .map(|l| (l.technique.as_str(), l.activity))
        .collect();
    for e in enterprises {
        let got = by_enterprise.get(e.id.as_str()).copied().unwrap_or(0.0);
        compare(
            "enterprise",
            &e.id,
            got,
            activity[e.technique.as_str()] * e.share,
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn line(technique: &str, activity: f64, capacity: Option<f64>) -> PlanLine {
        PlanLine {
            technique: technique.into(),
            product: format!("p-{technique}"),
            category: Some("food".into()),
            activity,
            capacity,
            weight: None,
        }
    }

    fn enterprise(id: &str, technique: &str, share: f64) -> Enterprise {
        Enterprise {
            id: id.into(),
            name: None,
            technique: technique.into(),
            share,
        }
    }

    fn team(id: &str, enterprise: &str, share: f64) -> Team {
        Team {
            id: id.into(),
            enterprise: enterprise.into(),
            share,
        }
    }

    #[test]
    fn quotas_share_out_activity_and_capacity_and_sum_back() {
        let plan = [
            line("wheat", 1200.0, Some(1500.0)),
            line("cloth", 60.0, None),
        ];
        let enterprises = [
            enterprise("farm-a", "wheat", 0.75),
            enterprise("farm-b", "wheat", 0.25),
            enterprise("mill", "cloth", 1.0),
        ];
        let teams = [
            team("a1", "farm-a", 0.5),
            team("a2", "farm-a", 0.5),
            team("b1", "farm-b", 1.0),
            team("m1", "mill", 1.0),
        ];
        let b = break_down(&plan, &enterprises, &teams, 12).unwrap();
        assert_eq!(b.quotas.len(), 4 * 12);
        let a1 = &b.quotas[0];
        assert_eq!((a1.team.as_str(), a1.period), ("a1", 1));
        assert!((a1.quota - 1200.0 * 0.75 * 0.5 / 12.0).abs() < 1e-12);
        assert!((a1.capacity.unwrap() - 1500.0 * 0.375 / 12.0).abs() < 1e-12);
        let m1 = b.quotas.iter().find(|q| q.team == "m1").unwrap();
        assert_eq!(m1.capacity, None);
        assert!((m1.quota - 5.0).abs() < 1e-12);
        let wheat: f64 = b
            .quotas
            .iter()
            .filter(|q| q.technique == "wheat")
            .map(|q| q.quota)
            .sum();
        assert!((wheat - 1200.0).abs() < 1e-9);
    }

    #[test]
    fn every_problem_is_listed_together() {
        let plan = [line("wheat", 100.0, None), line("rice", 50.0, None)];
        let enterprises = [
            enterprise("farm-a", "wheat", 0.6),
            enterprise("farm-a", "wheat", 0.3),
            enterprise("ghost", "maize", 1.0),
            enterprise("idle", "wheat", 0.0),
        ];
        let teams = [
            team("t1", "farm-a", 0.5),
            team("t2", "nowhere", 1.0),
            team("t1", "farm-a", 0.2),
        ];
        let problems = break_down(&plan, &enterprises, &teams, 12).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        let has = |needle: &str| text.iter().any(|t| t.contains(needle));
        assert!(has("enterprise `farm-a` is listed twice"), "{text:?}");
        assert!(has("team `t1` is listed twice"));
        assert!(has("technique `maize`, which is not in the plan"));
        assert!(has("enterprise `idle` has share 0"));
        assert!(has("enterprise `nowhere`, which is not listed"));
        assert!(has(
            "technique `rice` has planned activity 50 but no enterprise"
        ));
        assert!(has(
            "running technique `wheat` hold shares summing to 0.900000"
        ));
        assert!(has("enterprise `ghost` has no work teams"));
        assert!(has("teams of enterprise `farm-a` hold shares summing to"));
    }

    #[test]
    fn a_technique_planned_at_zero_needs_no_enterprise() {
        let plan = [line("wheat", 10.0, None), line("spare", 0.0, None)];
        let b = break_down(
            &plan,
            &[enterprise("e", "wheat", 1.0)],
            &[team("t", "e", 1.0)],
            1,
        )
        .unwrap();
        assert_eq!(b.quotas.len(), 1);
        assert_eq!(
            break_down(&plan, &[], &[], 0).unwrap_err()[0],
            BreakdownProblem::NoPeriods
        );
    }

    proptest::proptest! {
        #[test]
        fn sums_hold_both_ways_for_any_shares(
            weights in proptest::collection::vec(1u32..100, 1..6),
            team_weights in proptest::collection::vec(1u32..100, 1..5),
            activity in 0.0f64..1e9,
            periods in 1u32..60,
        ) {
            let total: u32 = weights.iter().sum();
            let enterprises: Vec<Enterprise> = weights
                .iter()
                .enumerate()
                .map(|(i, w)| enterprise(&format!("e{i}"), "t", f64::from(*w) / f64::from(total)))
                .collect();
            let team_total: u32 = team_weights.iter().sum();
            let teams: Vec<Team> = enterprises
                .iter()
                .flat_map(|e| {
                    team_weights.iter().enumerate().map(move |(j, w)| {
                        team(&format!("{}-{j}", e.id), &e.id, f64::from(*w) / f64::from(team_total))
                    })
                })
                .collect();
            let b = break_down(&[line("t", activity, Some(activity * 2.0))], &enterprises, &teams, periods).unwrap();
            let sum: f64 = b.quotas.iter().map(|q| q.quota).sum();
            proptest::prop_assert!((sum - activity).abs() <= 1e-9 * activity.max(1.0));
            proptest::prop_assert!(b.quotas.iter().all(|q| q.quota <= q.capacity.unwrap() + 1e-9));
        }
    }
}

/// A total per team.
pub type TeamTotals = FxHashMap<String, f64>;

/// A team that cannot make up its shortfall within its physical capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shortfall {
    pub team: String,
    /// What the team's plan asks over the whole plan that its capacity cannot reach.
    pub amount: f64,
}

/// Re-plans the periods after `as_of` from what the teams actually made (`made[team]`, over
/// periods `1..=as_of`): each team's remaining quota (its plan over all periods less what it
/// made, not below 0) is spread evenly over the remaining periods, capped at the team's
/// physical capacity per period. Quotas up to `as_of` stay as they were. Returns the new
/// quotas and the teams whose remainder does not fit their capacity.
pub fn catch_up(
    quotas: &[Quota],
    made: &TeamTotals,
    as_of: u32,
    periods: u32,
) -> (Vec<Quota>, Vec<Shortfall>) {
    let remaining_periods = periods.saturating_sub(as_of);
    let mut total: FxHashMap<&str, f64> = FxHashMap::default();
    for q in quotas {
        *total.entry(q.team.as_str()).or_default() += q.quota;
    }
    let mut shortfalls: FxHashMap<&str, f64> = FxHashMap::default();
    let out = quotas
        .iter()
        .map(|q| {
            if q.period <= as_of || remaining_periods == 0 {
                return q.clone();
            }
            let left =
                (total[q.team.as_str()] - made.get(&q.team).copied().unwrap_or(0.0)).max(0.0);
            let even = left / f64::from(remaining_periods);
            let quota = match q.capacity {
                Some(c) if even > c => {
                    *shortfalls.entry(q.team.as_str()).or_default() += even - c;
                    c
                }
                _ => even,
            };
            Quota { quota, ..q.clone() }
        })
        .collect();
    let mut shortfalls: Vec<Shortfall> = shortfalls
        .into_iter()
        .map(|(team, amount)| Shortfall {
            team: team.to_owned(),
            amount,
        })
        .collect();
    shortfalls.sort_by(|a, b| a.team.cmp(&b.team));
    (out, shortfalls)
}

#[cfg(test)]
mod catch_up_tests {
    use super::*;

    #[test]
    fn the_remainder_is_spread_over_the_remaining_periods_within_capacity() {
        let plan = [PlanLine {
            technique: "wheat".into(),
            product: "grain".into(),
            category: None,
            activity: 1200.0,
            capacity: Some(1500.0),
            weight: None,
        }];
        let enterprises = [Enterprise {
            id: "farm".into(),
            name: None,
            technique: "wheat".into(),
            share: 1.0,
        }];
        let teams = [
            Team {
                id: "a".into(),
                enterprise: "farm".into(),
                share: 0.5,
            },
            Team {
                id: "b".into(),
                enterprise: "farm".into(),
                share: 0.5,
            },
        ];
        let b = break_down(&plan, &enterprises, &teams, 12).unwrap();
        // After 4 months a made 240 (its plan to date: 200), b made 40.
        let made: FxHashMap<String, f64> = [("a".to_owned(), 240.0), ("b".to_owned(), 40.0)]
            .into_iter()
            .collect();
        let (quotas, shortfalls) = catch_up(&b.quotas, &made, 4, 12);
        let of = |team: &str, period: u32| {
            quotas
                .iter()
                .find(|q| q.team == team && q.period == period)
                .unwrap()
                .quota
        };
        assert_eq!(of("a", 4), 50.0, "closed periods keep their quotas");
        assert!((of("a", 5) - 360.0 / 8.0).abs() < 1e-12);
        // b needs 560 in 8 months, 70 a month, within its capacity of 62.5? No: capped.
        assert_eq!(of("b", 5), 62.5);
        assert_eq!(shortfalls.len(), 1);
        assert!((shortfalls[0].amount - 8.0 * 7.5).abs() < 1e-9);
        let a_rest: f64 = (5..=12).map(|p| of("a", p)).sum();
        assert!((a_rest + 240.0 - 600.0).abs() < 1e-9);
    }
}
