//! The plan office: what happens to a plan once it is made, without any HTTP or database.
//!
//! - [`breakdown`]: a plan's technique activities broken down to enterprises (shares of a
//!   technique's capacity), to work teams within them (shares of the enterprise) and to periods,
//!   with the sums checked both ways;
//! - [`monitor`]: fulfilment by team, enterprise, product, category and for the nation, and a
//!   forecast of the end-of-plan fulfilment from the course so far;
//! - [`detect`]: change detection on a team's series in the spirit of Cyberstride (step, slope,
//!   outlier);
//! - [`alerts`]: the escalation ladder (team, enterprise, ministry, plan office) for alerts that
//!   nobody acknowledges in time;
//! - [`emulation`]: the ranking of teams and the "Chollima work team" title.
//!
//! The server (`chollima-server`) keeps these in a database and calls these functions; they
//! are pure so that the rules are tested on their own.

pub mod alerts;
pub mod breakdown;
pub mod detect;
pub mod emulation;
pub mod monitor;

pub use breakdown::{Breakdown, BreakdownProblem, Enterprise, PlanLine, Quota, Team, break_down};
