//! Fulfilment of the plan so far, at every level, and a forecast of where it will end.
//!
//! Fulfilment is actual output over planned output for the periods reported so far (up to the
//! latest period anyone reported, or a period asked for). Different products are added up at
//! the plan's valuations (each [`PlanLine::weight`], the shadow price of the product; 1 where
//! the plan gave none), so a category or the nation is not a sum of tonnes and metres.
//!
//! The forecast for the end of the plan assumes the remaining periods go as the last
//! [`FORECAST_PERIODS`] reported went: `(actual + r * planned_remaining) / planned_total`, with
//! `r` the fulfilment of those recent periods.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::breakdown::{PlanLine, Quota};

/// Recent periods whose pace the forecast carries forward.
pub const FORECAST_PERIODS: u32 = 3;

/// Output a team reported for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actual {
    pub team: String,
    pub period: u32,
    pub quantity: f64,
}

/// The level at which fulfilment is added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Level {
    Team,
    Enterprise,
    Product,
    Category,
    Nation,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Team,
        Level::Enterprise,
        Level::Product,
        Level::Category,
        Level::Nation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::Team => "team",
            Level::Enterprise => "enterprise",
            Level::Product => "product",
            Level::Category => "category",
            Level::Nation => "nation",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == text)
    }
}

/// Fulfilment of one team, enterprise, product, category or the nation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fulfilment {
    pub level: Level,
    pub key: String,
    /// Planned up to and including `as_of` (in the products' own units at the team, enterprise
    /// and product levels; valued at the plan's prices for categories and the nation).
    pub planned: f64,
    pub actual: f64,
    /// `actual / planned`; `None` when nothing was planned yet.
    pub fulfilment: Option<f64>,
    /// Planned over the whole plan.
    pub planned_total: f64,
    /// Forecast fulfilment of the whole plan at the recent pace.
    pub forecast: Option<f64>,
}

/// Fulfilment at `level` as of period `as_of` (default: the latest period with a report),
/// sorted by key.
pub fn fulfilment(
    plan: &[PlanLine],
    quotas: &[Quota],
    actuals: &[Actual],
    level: Level,
    as_of: Option<u32>,
) -> Vec<Fulfilment> {
    let as_of = as_of.unwrap_or_else(|| actuals.iter().map(|a| a.period).max().unwrap_or(0));
    let recent_from = as_of.saturating_sub(FORECAST_PERIODS - 1).max(1);
    let line_of: FxHashMap<&str, &PlanLine> =
        plan.iter().map(|l| (l.technique.as_str(), l)).collect();
    let team_quotas: FxHashMap<(&str, u32), &Quota> = quotas
        .iter()
        .map(|q| ((q.team.as_str(), q.period), q))
        .collect();
    let key_of = |q: &Quota| -> String {
        match level {
            Level::Team => q.team.clone(),
            Level::Enterprise => q.enterprise.clone(),
            Level::Product => q.product.clone(),
            Level::Category => line_of
                .get(q.technique.as_str())
                .and_then(|l| l.category.clone())
                .unwrap_or_else(|| "other".to_owned()),
            Level::Nation => "nation".to_owned(),
        }
    };
    let weight_of = |q: &Quota| -> f64 {
        match level {
            Level::Category | Level::Nation => line_of
                .get(q.technique.as_str())
                .and_then(|l| l.weight)
                .filter(|w| w.is_finite() && *w > 0.0)
                .unwrap_or(1.0),
            _ => 1.0,
        }
    };
    #[derive(Default)]
    struct Sums {
        planned: f64,
        actual: f64,
        total: f64,
        recent_planned: f64,
        recent_actual: f64,
    }
    let mut sums: FxHashMap<String, Sums> = FxHashMap::default();
    for q in quotas {
        let w = weight_of(q);
        let s = sums.entry(key_of(q)).or_default();
        s.total += w * q.quota;
        if q.period <= as_of {
            s.planned += w * q.quota;
        }
        if (recent_from..=as_of).contains(&q.period) {
            s.recent_planned += w * q.quota;
        }
    }
    for a in actuals {
        if a.period > as_of {
            continue;
        }
        let Some(q) = team_quotas.get(&(a.team.as_str(), a.period)) else {
            continue;
        };
        let w = weight_of(q);
        let s = sums.entry(key_of(q)).or_default();
        s.actual += w * a.quantity;
        if a.period >= recent_from {
            s.recent_actual += w * a.quantity;
        }
    }
    let mut out: Vec<Fulfilment> = sums
        .into_iter()
        .map(|(key, s)| {
            let ratio = |a: f64, p: f64| (p > 0.0).then(|| a / p);
            let pace = ratio(s.recent_actual, s.recent_planned);
            let forecast = pace
                .and_then(|pace| ratio(s.actual + pace * (s.total - s.planned).max(0.0), s.total));
            Fulfilment {
                level,
                key,
                planned: s.planned,
                actual: s.actual,
                fulfilment: ratio(s.actual, s.planned),
                planned_total: s.total,
                forecast,
            }
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breakdown::{Enterprise, Team, break_down};

    fn setup() -> (Vec<PlanLine>, Vec<Quota>) {
        let plan = vec![
            PlanLine {
                technique: "wheat".into(),
                product: "grain".into(),
                category: Some("food".into()),
                activity: 1200.0,
                capacity: None,
                weight: Some(2.0),
            },
            PlanLine {
                technique: "loom".into(),
                product: "cloth".into(),
                category: Some("clothing".into()),
                activity: 120.0,
                capacity: None,
                weight: Some(10.0),
            },
        ];
        let enterprises = vec![
            Enterprise {
                id: "farm".into(),
                name: None,
                technique: "wheat".into(),
                share: 1.0,
            },
            Enterprise {
                id: "mill".into(),
                name: None,
                technique: "loom".into(),
                share: 1.0,
            },
        ];
        let teams = vec![
            Team {
                id: "f1".into(),
                enterprise: "farm".into(),
                share: 0.5,
            },
            Team {
                id: "f2".into(),
                enterprise: "farm".into(),
                share: 0.5,
            },
            Team {
                id: "m1".into(),
                enterprise: "mill".into(),
                share: 1.0,
            },
        ];
        let b = break_down(&plan, &enterprises, &teams, 12).unwrap();
        (plan, b.quotas)
    }

    fn actual(team: &str, period: u32, quantity: f64) -> Actual {
        Actual {
            team: team.into(),
            period,
            quantity,
        }
    }

    #[test]
    fn fulfilment_adds_up_each_level_at_plan_prices() {
        let (plan, quotas) = setup();
        // Monthly quotas: f1 and f2 50 each, m1 10.
        let actuals = [
            actual("f1", 1, 60.0),
            actual("f2", 1, 40.0),
            actual("m1", 1, 5.0),
            actual("f1", 2, 55.0),
        ];
        let teams = fulfilment(&plan, &quotas, &actuals, Level::Team, None);
        let f1 = teams.iter().find(|f| f.key == "f1").unwrap();
        assert_eq!((f1.planned, f1.actual), (100.0, 115.0));
        assert!((f1.fulfilment.unwrap() - 1.15).abs() < 1e-12);
        let f2 = teams.iter().find(|f| f.key == "f2").unwrap();
        assert!((f2.fulfilment.unwrap() - 0.4).abs() < 1e-12);
        let nation = &fulfilment(&plan, &quotas, &actuals, Level::Nation, None)[0];
        // Valued: grain 2 per unit, cloth 10: planned 2*200 + 10*20, actual 2*155 + 10*5.
        assert!((nation.planned - 600.0).abs() < 1e-9);
        assert!((nation.actual - 360.0).abs() < 1e-9);
        let categories = fulfilment(&plan, &quotas, &actuals, Level::Category, Some(1));
        assert_eq!(categories.len(), 2);
        assert_eq!(categories[0].key, "clothing");
        assert!((categories[0].fulfilment.unwrap() - 0.5).abs() < 1e-12);
        assert!((categories[1].fulfilment.unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_forecast_carries_the_recent_pace_to_the_end() {
        let (plan, quotas) = setup();
        // m1 makes 8 of 10 every month for three months: 80 % to the end.
        let actuals: Vec<Actual> = (1..=3).map(|p| actual("m1", p, 8.0)).collect();
        let m1 = &fulfilment(&plan, &quotas, &actuals, Level::Team, None)
            .into_iter()
            .find(|f| f.key == "m1")
            .unwrap();
        assert!((m1.forecast.unwrap() - 0.8).abs() < 1e-12);
        // A team that reported nothing has nothing planned... until the plan's months pass.
        let f1 = fulfilment(&plan, &quotas, &actuals, Level::Team, None)
            .into_iter()
            .find(|f| f.key == "f1")
            .unwrap();
        assert_eq!(f1.fulfilment, Some(0.0));
        assert_eq!(f1.forecast, Some(0.0));
        // Nothing reported at all: nothing planned to date, no forecast.
        let none = fulfilment(&plan, &quotas, &[], Level::Nation, None);
        assert_eq!(none[0].fulfilment, None);
        assert_eq!(none[0].forecast, None);
    }
}
