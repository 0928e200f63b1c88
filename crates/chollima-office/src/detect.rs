//! Change detection on a team's series, in the spirit of Cybersyn's Cyberstride.
//!
//! Cyberstride watched each factory's daily indices and raised an alarm when one broke from its
//! course, telling a lasting change from noise (Harrison and Stevens' short-term forecasting).
//! Here the series is a team's fulfilment per period (actual over quota), and the newest point
//! is judged against the ones before it by three robust tests:
//!
//! - **outlier**: the newest point lies more than [`OUTLIER_Z`] robust standard deviations
//!   (1.4826 times the median absolute deviation) from the median of the earlier points;
//! - **step**: the last [`STEP_POINTS`] points all lie on one side of the earlier median, and
//!   their mean differs from it by more than [`STEP_Z`] standard errors;
//! - **slope**: over the last [`SLOPE_POINTS`] points the least-squares slope differs from 0 by
//!   more than [`SLOPE_T`] standard errors and moves the series by at least
//!   [`SLOPE_MIN_CHANGE`] over the window.
//!
//! Short histories say nothing: each test needs enough earlier points to know the course.

use serde::{Deserialize, Serialize};

pub const OUTLIER_Z: f64 = 3.5;
pub const STEP_POINTS: usize = 3;
pub const STEP_Z: f64 = 3.0;
pub const SLOPE_POINTS: usize = 6;
pub const SLOPE_T: f64 = 4.0;
pub const SLOPE_MIN_CHANGE: f64 = 0.1;
/// Earlier points needed before the outlier and step tests speak.
pub const MIN_HISTORY: usize = 4;
/// The spread assumed at least (in fulfilment, 1 = 100 %), so a perfectly steady series does
/// not call every small wobble a break.
pub const MIN_SPREAD: f64 = 0.02;

/// The kind of break a series made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SignalKind {
    Outlier,
    Step,
    Slope,
}

impl SignalKind {
    pub fn name(self) -> &'static str {
        match self {
            SignalKind::Outlier => "outlier",
            SignalKind::Step => "step",
            SignalKind::Slope => "slope",
        }
    }
}

/// A break found at the newest point of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signal {
    pub kind: SignalKind,
    /// How far the series moved: the newest point's (or the recent mean's) difference from the
    /// earlier median, or the slope per period.
    pub change: f64,
    /// The test statistic (robust z or t).
    pub score: f64,
}

/// Judges the newest point of `series` (oldest first) against the earlier ones.
pub fn detect(series: &[f64]) -> Vec<Signal> {
    let mut signals = Vec::new();
    let Some((&newest, earlier)) = series.split_last() else {
        return signals;
    };
    if earlier.len() >= MIN_HISTORY {
        let (median, spread) = robust_centre(earlier);
        let z = (newest - median) / spread;
        if z.abs() > OUTLIER_Z {
            signals.push(Signal {
                kind: SignalKind::Outlier,
                change: newest - median,
                score: z,
            });
        }
    }
    if series.len() >= STEP_POINTS + MIN_HISTORY {
        let (before, recent) = series.split_at(series.len() - STEP_POINTS);
        let (median, spread) = robust_centre(before);
        let mean = recent.iter().sum::<f64>() / recent.len() as f64;
        let one_side = recent.iter().all(|&v| v > median) || recent.iter().all(|&v| v < median);
        let standard_error =
            spread * (1.0 / recent.len() as f64 + 1.0 / before.len() as f64).sqrt();
        let z = (mean - median) / standard_error;
        if one_side && z.abs() > STEP_Z {
            signals.push(Signal {
                kind: SignalKind::Step,
                change: mean - median,
                score: z,
            });
        }
    }
    if series.len() >= SLOPE_POINTS {
        let window = &series[series.len() - SLOPE_POINTS..];
        let (slope, t) = slope_t(window);
        if t.abs() > SLOPE_T && (slope * (SLOPE_POINTS - 1) as f64).abs() >= SLOPE_MIN_CHANGE {
            signals.push(Signal {
                kind: SignalKind::Slope,
                change: slope,
                score: t,
            });
        }
    }
    signals
}

/// Median and robust standard deviation (1.4826 MAD, at least [`MIN_SPREAD`]).
fn robust_centre(values: &[f64]) -> (f64, f64) {
    let centre = median(values.to_vec());
    let mad = median(values.iter().map(|v| (v - centre).abs()).collect());
    (centre, (1.4826 * mad).max(MIN_SPREAD))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Least-squares slope per step and its t statistic (residual spread at least
/// [`MIN_SPREAD`]).
fn slope_t(window: &[f64]) -> (f64, f64) {
    let n = window.len() as f64;
    let t_mean = (n - 1.0) / 2.0;
    let y_mean = window.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, &y) in window.iter().enumerate() {
        let dt = i as f64 - t_mean;
        sxy += dt * (y - y_mean);
        sxx += dt * dt;
    }
    let slope = sxy / sxx;
    let residual: f64 = window
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let fit = y_mean + slope * (i as f64 - t_mean);
            (y - fit).powi(2)
        })
        .sum();
    let sigma = (residual / (n - 2.0)).sqrt().max(MIN_SPREAD);
    (slope, slope / (sigma / sxx.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(series: &[f64]) -> Vec<SignalKind> {
        detect(series).into_iter().map(|s| s.kind).collect()
    }

    #[test]
    fn noise_around_a_steady_course_raises_nothing() {
        let series = [1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.0, 1.02, 0.99];
        assert!(kinds(&series).is_empty());
        assert!(kinds(&[]).is_empty());
        assert!(
            kinds(&[0.1, 5.0]).is_empty(),
            "too short to know the course"
        );
    }

    #[test]
    fn a_single_collapse_is_an_outlier() {
        let series = [1.0, 1.02, 0.99, 1.01, 0.98, 1.0, 0.4];
        let signals = detect(&series);
        assert_eq!(signals[0].kind, SignalKind::Outlier);
        assert!(signals[0].change < -0.5);
    }

    #[test]
    fn a_lasting_drop_is_a_step() {
        let series = [1.0, 1.02, 0.99, 1.01, 0.98, 0.8, 0.79, 0.81];
        assert!(kinds(&series).contains(&SignalKind::Step));
    }

    #[test]
    fn a_steady_decline_is_a_slope() {
        let series = [1.1, 1.05, 1.0, 0.95, 0.9, 0.85, 0.8];
        let signals = detect(&series);
        let slope = signals
            .iter()
            .find(|s| s.kind == SignalKind::Slope)
            .unwrap();
        assert!((slope.change + 0.05).abs() < 1e-9);
        assert!(slope.score < -SLOPE_T);
    }
}
