//! Alerts and their escalation.
//!
//! An alert is raised at the level of the team whose series broke (see [`crate::detect`]). When
//! nobody acknowledges it within the escalation interval it goes one level up: the team's
//! enterprise, then the ministry of the product's category, then the plan office, where it
//! stays. Acknowledging stops it where it is. The level is a function of time, so the server
//! can compute it whenever asked and store it when it changes.

use serde::{Deserialize, Serialize};

/// Who an alert is addressed to, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AlertLevel {
    Team,
    Enterprise,
    Ministry,
    PlanOffice,
}

impl AlertLevel {
    pub const ALL: [AlertLevel; 4] = [
        AlertLevel::Team,
        AlertLevel::Enterprise,
        AlertLevel::Ministry,
        AlertLevel::PlanOffice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AlertLevel::Team => "team",
            AlertLevel::Enterprise => "enterprise",
            AlertLevel::Ministry => "ministry",
            AlertLevel::PlanOffice => "plan_office",
        }
    }

    pub fn parse(text: &str) -> Option<AlertLevel> {
        AlertLevel::ALL.into_iter().find(|l| l.name() == text)
    }

    /// One level up (the plan office stays where it is).
    pub fn up(self) -> AlertLevel {
        match self {
            AlertLevel::Team => AlertLevel::Enterprise,
            AlertLevel::Enterprise => AlertLevel::Ministry,
            AlertLevel::Ministry | AlertLevel::PlanOffice => AlertLevel::PlanOffice,
        }
    }
}

/// The level of an alert raised at `raised` (seconds) when it is `now`, escalating every
/// `interval` seconds until acknowledged at `acknowledged` (if it was).
pub fn level_at(raised: i64, now: i64, acknowledged: Option<i64>, interval: i64) -> AlertLevel {
    let until = acknowledged.map_or(now, |a| a.min(now));
    let steps = if interval <= 0 {
        0
    } else {
        (until - raised).max(0) / interval
    };
    let mut level = AlertLevel::Team;
    for _ in 0..steps.min(3) {
        level = level.up();
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unacknowledged_alerts_climb_one_level_per_interval_and_stop_at_the_office() {
        assert_eq!(level_at(100, 100, None, 60), AlertLevel::Team);
        assert_eq!(level_at(100, 159, None, 60), AlertLevel::Team);
        assert_eq!(level_at(100, 160, None, 60), AlertLevel::Enterprise);
        assert_eq!(level_at(100, 220, None, 60), AlertLevel::Ministry);
        assert_eq!(level_at(100, 280, None, 60), AlertLevel::PlanOffice);
        assert_eq!(level_at(100, 100_000, None, 60), AlertLevel::PlanOffice);
    }

    #[test]
    fn acknowledging_stops_the_climb() {
        assert_eq!(level_at(100, 10_000, Some(170), 60), AlertLevel::Enterprise);
        assert_eq!(level_at(100, 10_000, Some(120), 60), AlertLevel::Team);
        assert_eq!(level_at(100, 10_000, None, 0), AlertLevel::Team);
        assert_eq!(
            AlertLevel::parse("plan_office"),
            Some(AlertLevel::PlanOffice)
        );
    }
}
