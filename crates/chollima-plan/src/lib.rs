//! The optimal plan of FORMAT.md: Kantorovich's plan ray with priorities, several techniques
//! per product, primary resources, imports and exports under a foreign-exchange budget, and
//! capacities.
//!
//! [`plan`] builds the LP ([`formulation`]), solves it stage by stage when there are priorities
//! (maximise `lambda_food`; hold it; maximise `lambda_clothing`; ...), and returns a [`Plan`]:
//! the fulfilment of every group, activities, trade, shadow prices (the duals of the balance
//! rows: Kantorovich's objectively determined valuations), resource use, what binds, and the
//! certified relative duality gap of the answer. An infeasible plan comes with a [`Diagnosis`]
//! a planner can act on. Solver outcomes are values ([`Status`]), not errors.
//!
//! ```
//! use chollima_model::{Economy, Manifest, Products, Resource, ResourceAmount, SparseColumns, Techniques};
//! // One product made from labour alone: 2 hours a unit, 10 hours available, a target of 1.
//! let mut manifest = Manifest::named("one good");
//! manifest.resources.push(Resource { name: "labour".into(), amount: ResourceAmount::Constant(10.0) });
//! let mut products = Products::default();
//! products.push_id("bread");
//! let mut techniques = Techniques::new(1);
//! techniques.push("bake", 0);
//! techniques.resource_use[0][0] = 2.0;
//! let mut economy = Economy::new(manifest, products, techniques, SparseColumns::empty(1, 1));
//! economy.push_target(0, "food", 1.0, None);
//! let plan = chollima_plan::plan(&economy, &Default::default());
//! assert_eq!(plan.status, chollima_plan::Status::Optimal);
//! assert!((plan.lambdas[0].1 - 5.0).abs() < 1e-9); // 10 hours make 5 loaves: 500 % of the target
//! ```

mod certify;
mod closed_form;
pub mod diagnosis;
mod first_order;
pub mod formulation;
pub mod harmony;
mod highs_solver;
pub mod iterative_simplex;
pub mod lp;
mod merit;
pub mod mps;
pub mod multi_year;
pub mod pdlp;
mod vertex_basis;
mod years_certify;
mod years_reduced;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chollima_model::Economy;

pub use closed_form::labour_values;
pub use diagnosis::Diagnosis;
pub use formulation::{FOREIGN_EXCHANGE, Group, PlanLp};
pub use harmony::HarmonySettings;
pub use highs_solver::{HighsSettings, LpSolution, Status, solve as solve_with_highs};
pub use lp::{LinearProgram, relative_gap};
pub use merit::MeritSettings;
pub use multi_year::{MultiYearLp, MultiYearPlan, YearStage, plan_years, plan_years_with};
pub use pdlp::PdlpSettings;

/// Which method computes the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// The closed form where it applies (one technique per product, no trade, no priorities),
    /// otherwise the listed plan's certificate, then HiGHS up to [`AUTO_FIRST_ORDER_NONZEROS`]
    /// nonzeros (raced against the first-order method from [`PlanSettings::race_nonzeros`]),
    /// the first-order method beyond.
    #[default]
    Auto,
    /// The exact LP through HiGHS, always.
    Highs,
    /// The first-order method (PDHG in the manner of PDLP), certified to [`PlanSettings::gap`].
    Pdlp,
    /// Merit-order price iteration: supply filled cheapest way first at prices that come from
    /// what binds, certified to [`PlanSettings::gap`] (see the `merit` module).
    Merit,
    /// Cockshott's harmony algorithm, repaired and certified to [`PlanSettings::gap`] where it
    /// gets there (see [`harmony`]).
    Harmony,
    /// The primal simplex with iterative basis solves ([`iterative_simplex`]) from the listed
    /// plan's basis: what `auto` races against the first-order method on plans too large for
    /// HiGHS's factorisation. Chosen by name it takes the first stage, and hands HiGHS (from
    /// the same basis) a first stage it does not settle and the later stages.
    Simplex,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Highs => "highs",
            Method::Pdlp => "pdlp",
            Method::Merit => "merit",
            Method::Harmony => "harmony",
            Method::Simplex => "simplex",
        }
    }
}

/// How to solve.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    pub method: Method,
    pub highs: HighsSettings,
    pub pdlp: PdlpSettings,
    pub merit: MeritSettings,
    pub harmony: HarmonySettings,
    /// The certified relative duality gap the first-order methods stop at.
    pub gap: f64,
    /// Where long solves report how far they are.
    pub progress: Option<ProgressSink>,
    /// Stages of at least this many LP nonzeros race HiGHS against the first-order method
    /// under [`Method::Auto`] (default [`AUTO_RACE_NONZEROS`]).
    pub race_nonzeros: usize,
    /// Multi-year stages of at least this many LP nonzeros race HiGHS against the first-order
    /// method under [`Method::Auto`] (default [`multi_year::YEARS_RACE_NONZEROS`]).
    pub years_race_nonzeros: usize,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            method: Method::Auto,
            highs: HighsSettings::default(),
            pdlp: PdlpSettings::default(),
            merit: MeritSettings::default(),
            harmony: HarmonySettings::default(),
            gap: DEFAULT_GAP,
            progress: None,
            race_nonzeros: AUTO_RACE_NONZEROS,
            years_race_nonzeros: multi_year::YEARS_RACE_NONZEROS,
        }
    }
}

/// LPs with more nonzeros than this go to the first-order method under [`Method::Auto`]: HiGHS
/// took 29 s on a 10^4-product plan (1.3 * 10^5 nonzeros) and grows fast beyond.
pub const AUTO_FIRST_ORDER_NONZEROS: usize = 500_000;

/// The default target gap of the first-order methods.
pub const DEFAULT_GAP: f64 = 1e-4;

/// How far a first-order solve is, at each certification.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub stage: &'a str,
    pub iteration: usize,
    /// The best certified feasible objective (the stage's lambda) so far.
    pub objective: f64,
    /// The best certified upper bound so far.
    pub bound: f64,
    pub gap: f64,
    pub seconds: f64,
}

/// A shared callback for [`Progress`] reports.
#[derive(Clone)]
pub struct ProgressSink(pub std::sync::Arc<dyn Fn(&Progress) + Send + Sync>);

impl ProgressSink {
    pub fn report(&self, progress: &Progress) {
        (self.0)(progress)
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// The outcome of one lexicographic stage.
#[derive(Debug, Clone)]
pub struct Stage {
    pub group: String,
    pub status: Status,
    pub lambda: f64,
    /// Certified relative duality gap of this stage's LP.
    pub gap: f64,
    pub seconds: f64,
    /// Iterations of the first-order, merit-order or harmony method, or HiGHS's simplex
    /// iterations (`None` for the closed form; 0 where the certificate of the listed
    /// technology closed the gap at once).
    pub iterations: Option<usize>,
    /// The method that solved this stage (under `auto`, stages may differ).
    pub method: &'static str,
}

/// The method a plan reports: the one every stage used, or what `auto` chose when they differ.
fn plan_method(method: Method, stages: &[Stage]) -> &'static str {
    match stages.first() {
        Some(first) if stages.iter().all(|s| s.method == first.method) => first.method,
        _ => method.name(),
    }
}

/// A stage's solution with its iteration count, as [`Stage::iterations`] holds it.
fn counted((solution, iterations): (LpSolution, usize)) -> (LpSolution, Option<usize>) {
    (solution, Some(iterations))
}

/// Use of one resource (foreign exchange included, as `foreign_exchange`).
#[derive(Debug, Clone)]
pub struct ResourceUse {
    pub name: String,
    pub used: f64,
    pub available: f64,
}

/// The plan: an optimal point of the last stage, or the reason there is none.
#[derive(Debug, Clone)]
pub struct Plan {
    pub status: Status,
    /// `(group, lambda)` in stage order: `all`, or the priority categories then `rest`.
    pub lambdas: Vec<(String, f64)>,
    pub stages: Vec<Stage>,
    /// Per technique.
    pub activity: Vec<f64>,
    /// Per product.
    pub imports: Vec<f64>,
    pub exports: Vec<f64>,
    /// Net supply for final use, `(O - A) y + m - e`, per product.
    pub supply: Vec<f64>,
    /// Total target per product.
    pub target: Vec<f64>,
    /// Duals of the balance rows in the last stage, in units of that stage's lambda per unit
    /// of product (so the last group's target bundle is worth 1).
    pub shadow_price: Vec<f64>,
    /// The last stage's multipliers of every row of the LP, in the convention of
    /// [`LinearProgram::dual_bound`] (empty without a point): what a caller that relaxes a
    /// bigger LP into this one prices that LP's rows with.
    pub row_dual: Vec<f64>,
    pub resources: Vec<ResourceUse>,
    /// Resources and technique capacities used to within 1e-7 (relative) of their limit.
    pub binding: Vec<String>,
    /// The largest certified relative duality gap over the stages.
    pub gap: f64,
    pub method: &'static str,
    pub seconds: f64,
    pub diagnosis: Option<Diagnosis>,
}

/// Relative tolerance for holding an earlier stage's lambda and for calling a limit binding.
const HOLD_TOLERANCE: f64 = 1e-9;
const BINDING_TOLERANCE: f64 = 1e-7;
/// The share of `--gap` that the first-order methods hold below an earlier stage's lambda.
const FIRST_ORDER_HOLD_SHARE: f64 = 0.1;

/// Computes the single-period plan of `economy` exactly (HiGHS), stage by stage.
pub fn plan(economy: &Economy, settings: &PlanSettings) -> Plan {
    plan_model(economy, PlanLp::new(economy, 1), settings)
}

/// As [`plan`], for a model already built (say, to export it first).
pub fn plan_model(economy: &Economy, model: PlanLp, settings: &PlanSettings) -> Plan {
    // The first-order methods run many short parallel loops (several per PDHG iteration).
    // Called from outside rayon's pool, each one hands its job to the pool and puts the caller
    // to sleep on a lock; run on one of the pool's workers, the loops split by work stealing.
    rayon::scope(|_| plan_stages(economy, model, settings))
}

pub(crate) fn plan_stages(economy: &Economy, mut model: PlanLp, settings: &PlanSettings) -> Plan {
    let start = Instant::now();
    let unobtainable = diagnosis::unobtainable_targets(economy, &model);
    if !unobtainable.is_empty() {
        let diagnosis = Diagnosis::unobtainable(economy, unobtainable);
        return empty_plan(economy, &model, Status::Infeasible, Some(diagnosis), start);
    }
    if settings.method == Method::Auto
        && closed_form::applies(economy, &model)
        && let Some(closed) = closed_form::solve(economy, &model)
        && closed.lambda >= model.floor
    {
        return closed_plan(economy, &model, closed, start);
    }
    let method = match settings.method {
        Method::Auto if model.lp.nnz() > AUTO_FIRST_ORDER_NONZEROS => Method::Pdlp,
        Method::Auto => Method::Highs,
        chosen => chosen,
    };
    let mut stages = Vec::new();
    let mut last: Option<LpSolution> = None;
    // The basis the iterative simplex ended the last stage with, where it answered it.
    let mut simplex_basis: Option<highs_solver::StartingBasis> = None;
    for g in 0..model.groups.len() {
        let mut next_basis = None;
        let stage_start = Instant::now();
        model.maximise_group(g);
        let group = &model.groups[g];
        let warm = last
            .as_ref()
            .map(|s| (s.x.as_slice(), s.row_dual.as_slice()));
        let progress = settings.progress.as_ref();
        let stage = StageInput {
            economy,
            model: &model,
            settings,
            warm,
            name: &group.name,
        };
        let mut stage_method = method;
        // Every method says how many iterations it took (HiGHS: its simplex iterations).
        let (solution, iterations) = match method {
            Method::Harmony => counted(harmony::solve_stage(
                economy,
                &model,
                settings.gap,
                &settings.harmony,
                progress,
                &group.name,
            )),
            Method::Merit => counted(merit::solve_stage(
                economy,
                &model,
                settings.gap,
                &settings.merit,
                warm,
                progress,
                &group.name,
            )),
            // Above HiGHS's reach `auto` races the iterative simplex against the first-order
            // method: on the first stage from the listed plan's basis, on a later one from the
            // basis the simplex ended the stage before with (still feasible: that stage's
            // lambda is held a hair below the value it has there).
            Method::Pdlp
                if settings.method == Method::Auto
                    && (g == 0 || simplex_basis.is_some())
                    && races(&model, settings)
                    && model.lp.nnz() <= ITERATIVE_SIMPLEX_NONZEROS =>
            {
                let (solution, iterations, winner, ended) =
                    raced_simplex_stage(stage, simplex_basis.take());
                stage_method = winner;
                next_basis = ended;
                (solution, iterations)
            }
            Method::Pdlp => counted(stage.first_order(None, None)),
            // Named, the iterative simplex takes the first stage from the listed plan's basis
            // and later ones from the basis it ended the one before with; HiGHS (from that
            // basis) where it does not settle a stage or has no basis.
            Method::Simplex => {
                let start = match simplex_basis.take() {
                    Some(basis) => Some(basis),
                    None if g == 0 => {
                        iterative_simplex::listed_basis(economy, &model, warm, settings.gap, false)
                            .ok()
                    }
                    None => None,
                };
                let (solution, iterations, used, ended) =
                    named_simplex_stage(economy, &model, settings, start);
                stage_method = used;
                next_basis = ended;
                (solution, iterations)
            }
            // `auto` tries the listed technology's certificate before HiGHS: on an economy
            // whose optimum is one product's plant it closes the gap in one Leontief solve.
            Method::Highs | Method::Auto => {
                // A first stage that will be raced starts HiGHS from the listed plan as it
                // is, and leaves the relief rounds (0.25-0.45 s on the 10^4 benchmark plans,
                // as long as HiGHS from the basis) to the first-order side of the race, which
                // makes its first certificate again with them.
                let raced = races(&model, settings);
                let relieved_by_race = g == 0 && raced;
                let quick = (settings.method == Method::Auto).then(|| {
                    let repair = merit::Repair::new(economy, &model);
                    let relief = if relieved_by_race {
                        0
                    } else {
                        merit::RELIEF_ROUNDS
                    };
                    first_order::first_certificate(
                        &model,
                        warm,
                        repair.as_ref(),
                        settings.gap,
                        relief,
                    )
                });
                // HiGHS's simplex starts from the listed plan's basis (a vertex): a few
                // dozen iterations from there where its own crash needs about one per row.
                // Not on a later stage, which holds the earlier lambdas within a hair: the
                // listed plan of that sliver is no vertex near its optimum (on
                // compare_highspy's all-features-5k the last stage took 6,783 iterations from
                // it and stopped 5.5e-6 below highspy's optimum).
                let basis_of = |quick: &certify::Incumbent| {
                    let (x, _) = quick.primal.as_ref().filter(|_| g == 0)?;
                    vertex_basis::basis_of_plan(&model, &economy.techniques.product, x)
                };
                match quick {
                    Some(quick) if quick.closes(settings.gap) => {
                        stage_method = Method::Merit;
                        (quick.into_solution(Status::NearOptimal), Some(0))
                    }
                    // The race's first-order side starts from the same certificate, or makes
                    // it again with the relief rounds.
                    Some(quick) if raced => {
                        let basis = basis_of(&quick);
                        let highs = |stop: &AtomicBool| {
                            let (exact, iterations) =
                                exact_from(economy, &model, settings, Some(stop), basis.as_ref());
                            (exact, iterations, Method::Highs)
                        };
                        let first = (!relieved_by_race).then_some(quick);
                        let (solution, iterations, winner) =
                            race(1, highs, |stop| stage.first_order(first, Some(stop)));
                        stage_method = winner;
                        (solution, iterations)
                    }
                    quick => {
                        let basis = quick.as_ref().and_then(basis_of);
                        exact_from(economy, &model, settings, None, basis.as_ref())
                    }
                }
            }
        };
        // A first-order run stopped by a limit still returns its best certified feasible plan.
        let stopped_with_plan = !solution.status.solved() && !solution.x.is_empty();
        let lambda = if solution.status.solved() || stopped_with_plan {
            solution.x[group.column]
        } else {
            f64::NAN
        };
        stages.push(Stage {
            group: group.name.clone(),
            status: solution.status,
            lambda,
            gap: relative_gap(solution.objective, solution.dual_bound),
            seconds: stage_start.elapsed().as_secs_f64(),
            iterations,
            method: stage_method.name(),
        });
        if stopped_with_plan {
            let name = plan_method(method, &stages);
            return finish(economy, &model, &solution, stages, name, start);
        }
        if !solution.status.solved() {
            let diagnosis = (solution.status == Status::Infeasible)
                .then(|| diagnosis::shortfalls(economy, &model, &settings.highs));
            let mut plan = empty_plan(economy, &model, solution.status, diagnosis, start);
            plan.stages = stages;
            return plan;
        }
        // Hold this group's optimum (less a relative hair, so rounding cannot make the next
        // stage infeasible) while the next ones are maximised. A first-order stage's lambda is
        // only known to within the gap, and held that tightly it leaves the next stage a sliver
        // that PDHG crawls along (on a 2000-product plan the last stage went from 1-2 s to
        // 20-120 s whenever the stage before had closed its gap well below the target): those
        // methods hold a tenth of the gap below what they found.
        let column = group.column;
        let slack = if stage_method == Method::Highs {
            HOLD_TOLERANCE
        } else {
            HOLD_TOLERANCE.max(FIRST_ORDER_HOLD_SHARE * settings.gap)
        };
        let held = lambda - slack * lambda.abs().max(1.0);
        model.lp.col_lower[column] = held.max(model.floor.min(lambda));
        last = Some(solution);
        simplex_basis = next_basis;
    }
    let Some(solution) = last else {
        // No targets at all: nothing to plan for.
        return empty_plan(economy, &model, Status::Optimal, None, start);
    };
    let name = plan_method(method, &stages);
    finish(economy, &model, &solution, stages, name, start)
}

/// One stage of the plan as every solver on it sees it: the economy, the LP with this stage's
/// objective, the settings, the last stage's answer to start from and the stage's name.
#[derive(Clone, Copy)]
struct StageInput<'a> {
    economy: &'a Economy,
    model: &'a PlanLp,
    settings: &'a PlanSettings,
    warm: Option<(&'a [f64], &'a [f64])>,
    name: &'a str,
}

impl StageInput<'_> {
    /// The first-order method on this stage, from `first` (its first certificate; `None`:
    /// it makes it) until it settles, hits a limit or `stop` is raised.
    fn first_order(
        &self,
        first: Option<certify::Incumbent>,
        stop: Option<&AtomicBool>,
    ) -> (LpSolution, usize) {
        first_order::solve_stage(
            self.economy,
            self.model,
            self.settings.gap,
            &self.settings.pdlp,
            self.warm,
            first,
            first_order::Watch {
                progress: self.settings.progress.as_ref(),
                stage: self.name,
                stop,
            },
        )
    }
}

/// What a stage answered: the answer, its iterations, the method that answered it and the
/// basis the iterative simplex ended with where it answered it.
type StageAnswer = (
    LpSolution,
    Option<usize>,
    Method,
    Option<highs_solver::StartingBasis>,
);

/// `auto` beyond HiGHS's reach: the iterative simplex (from `start`, else the listed plan's
/// basis) raced against the first-order method on half the cores each; the listed plan itself
/// where it already closes the gap, the first-order method alone where it gives no basis.
fn raced_simplex_stage(
    stage: StageInput,
    start: Option<highs_solver::StartingBasis>,
) -> StageAnswer {
    let StageInput {
        economy,
        model,
        settings,
        warm,
        ..
    } = stage;
    let start = match start {
        Some(basis) => Ok(basis),
        None => iterative_simplex::listed_basis(economy, model, warm, settings.gap, true),
    };
    let basis = match start {
        Err(quick) if quick.closes(settings.gap) => {
            return (
                quick.into_solution(Status::NearOptimal),
                Some(0),
                Method::Merit,
                None,
            );
        }
        Err(quick) => {
            let (solution, iterations) = counted(stage.first_order(Some(quick), None));
            return (solution, iterations, Method::Pdlp, None);
        }
        Ok(basis) => basis,
    };
    let mut ended = None;
    let simplex = |stop: &AtomicBool| {
        let (solution, pivots) =
            simplex_from(economy, model, settings, &basis, Some(stop), &mut ended);
        (solution, pivots, Method::Simplex)
    };
    let (solution, iterations, winner) = race((cores() / 2).max(1), simplex, |stop| {
        stage.first_order(None, Some(stop))
    });
    let ended = if winner == Method::Simplex {
        ended
    } else {
        None
    };
    (solution, iterations, winner, ended)
}

/// `--method simplex`: the iterative simplex from `start` where there is one and it settles
/// the stage, otherwise HiGHS (from `start`).
fn named_simplex_stage(
    economy: &Economy,
    model: &PlanLp,
    settings: &PlanSettings,
    start: Option<highs_solver::StartingBasis>,
) -> StageAnswer {
    let mut ended = None;
    if let Some(basis) = &start {
        let (solution, pivots) = simplex_from(economy, model, settings, basis, None, &mut ended);
        if solution.status.settled() {
            return (solution, pivots, Method::Simplex, ended);
        }
    }
    let (solution, iterations) = exact_from(economy, model, settings, None, start.as_ref());
    (solution, iterations, Method::Highs, None)
}

/// The iterative simplex on the current stage from `basis`, within the stage's time limit
/// (the first-order method's) and until `stop`; the basis it ends with goes to `ended`.
fn simplex_from(
    economy: &Economy,
    model: &PlanLp,
    settings: &PlanSettings,
    basis: &highs_solver::StartingBasis,
    stop: Option<&AtomicBool>,
    ended: &mut Option<highs_solver::StartingBasis>,
) -> (LpSolution, Option<usize>) {
    let limits = iterative_simplex::Limits {
        seconds: settings.pdlp.time_limit_seconds,
        stop,
        ..Default::default()
    };
    let (solution, pivots, basis) =
        iterative_simplex::solve_stage(economy, model, basis, settings.gap, &limits);
    *ended = basis;
    (solution, Some(pivots))
}

/// HiGHS on the current stage (its simplex from `basis` where there is one), its bound
/// tightened by its prices ([`certify::tighten_bound`]).
fn exact_from(
    economy: &Economy,
    model: &PlanLp,
    settings: &PlanSettings,
    stop: Option<&AtomicBool>,
    basis: Option<&highs_solver::StartingBasis>,
) -> (LpSolution, Option<usize>) {
    let (mut exact, iterations) =
        highs_solver::solve_counting(&model.lp, &settings.highs, stop, basis);
    certify::tighten_bound(economy, model, &mut exact);
    (exact, iterations)
}

/// Whether `auto` races HiGHS against the first-order method on this stage: on plans of at
/// least [`PlanSettings::race_nonzeros`] nonzeros, where a machine has a core for each.
fn races(model: &PlanLp, settings: &PlanSettings) -> bool {
    cores() >= 2 && model.lp.nnz() >= settings.race_nonzeros
}

/// The cores this process may use (1 where the system will not say).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// An exact method and the first-order method on the same stage at once: `exact` (HiGHS's
/// simplex from the listed plan's basis on one core, or the iterative simplex on half of them)
/// on `exact_threads` threads and `first_order` on the others, each handed the stop flag; the
/// first to settle the stage ([`Status::settled`]) raises it and the other ends at its next
/// look: the exact answer is kept when both settle. Multi-year stages race HiGHS the same way. On the
/// 10^4-product benchmark plans HiGHS from the listed plan's basis settles them in 1.3-1.4 s
/// (from its own crash 12-20 s, where the first-order method won in 1-8 s on some;
/// BENCHMARKS.md). Returns the answer, its iterations (the exact method's pivots or the
/// first-order method's iterations) and who won.
pub(crate) fn race(
    exact_threads: usize,
    exact: impl FnOnce(&AtomicBool) -> (LpSolution, Option<usize>, Method) + Send,
    first_order: impl FnOnce(&AtomicBool) -> (LpSolution, usize) + Send,
) -> (LpSolution, Option<usize>, Method) {
    let stop = AtomicBool::new(false);
    let cores = cores();
    // Each side's parallel loops on its own cores.
    let on_threads =
        |threads: usize, run: &mut (dyn FnMut() + Send)| match rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
        {
            Ok(pool) => pool.install(run),
            Err(_) => run(),
        };
    std::thread::scope(|scope| {
        let first_order = scope.spawn(|| {
            let mut first_order = Some(first_order);
            let mut answer = None;
            on_threads(cores.saturating_sub(exact_threads).max(1), &mut || {
                answer = first_order.take().map(|run| run(&stop));
            });
            let answer = answer.expect("the first-order side ran");
            if answer.0.status.settled() {
                stop.store(true, Ordering::Relaxed);
            }
            answer
        });
        let mut exact = Some(exact);
        let mut exact_answer = None;
        on_threads(exact_threads, &mut || {
            exact_answer = exact.take().map(|run| run(&stop));
        });
        let (exact, exact_iterations, exact_method) = exact_answer.expect("the exact side ran");
        let verdict = exact.status.settled();
        if verdict {
            stop.store(true, Ordering::Relaxed);
        }
        // A panic on the first-order side is a bug, and surfaces as one.
        let approximate = first_order
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        // The first-order side's method: with no iteration, the relieved listed plan's.
        let approximate_method = if approximate.1 == 0 {
            Method::Merit
        } else {
            Method::Pdlp
        };
        if verdict {
            return (exact, exact_iterations, exact_method);
        }
        if approximate.0.status.settled() {
            return (approximate.0, Some(approximate.1), approximate_method);
        }
        // Both stopped by a limit: the better plan (HiGHS's primal simplex holds a feasible
        // point once past its first phase), certified by the tighter of the two bounds; with
        // no plan on either side, HiGHS's outcome.
        let first_order_better = !approximate.0.x.is_empty()
            && (exact.x.is_empty() || approximate.0.objective >= exact.objective);
        let (mut best, other, iterations, method) = if first_order_better {
            (
                approximate.0,
                exact,
                Some(approximate.1),
                approximate_method,
            )
        } else {
            (exact, approximate.0, exact_iterations, exact_method)
        };
        if !best.x.is_empty() && other.row_dual.len() == best.row_dual.len() {
            best.offer_bound((other.dual_bound, other.row_dual));
        }
        (best, iterations, method)
    })
}

/// Plans of at most this many LP nonzeros are raced with the iterative simplex under `auto`
/// when HiGHS is out of reach: its GMRES keeps 60 vectors of the rows (0.6 GB at 10^6
/// products, 1.8 x 10^7 nonzeros), too much beside the first-order method at 10^7 within issue
/// 3's 20 GiB.
pub const ITERATIVE_SIMPLEX_NONZEROS: usize = 40_000_000;

/// Plans from this many LP nonzeros up are raced under `auto` (HiGHS alone below): HiGHS
/// needs seconds from about here (0.75 s at 3.6 x 10^4 nonzeros, 2000 benchmark products;
/// 1.8 s at 7.3 x 10^4, where the race answered in 1.2 s; 10-20 s at 1.4 x 10^5), so a second
/// solver on the other core can pay, and a small plan keeps one deterministic answer.
pub const AUTO_RACE_NONZEROS: usize = 50_000;

/// The plan from the closed form, certified through the LP's weak duality like any other.
fn closed_plan(
    economy: &Economy,
    model: &PlanLp,
    closed: closed_form::ClosedForm,
    start: Instant,
) -> Plan {
    let n = economy.products.len();
    let group = &model.groups[0];
    let mut x = closed.activity.clone();
    x.resize(model.lp.num_cols(), 0.0);
    x[group.column] = closed.lambda;
    let mut row_dual = vec![0.0; model.lp.num_rows()];
    for i in 0..n {
        row_dual[i] = -closed.shadow_price[i];
    }
    if let Some((row, multiplier)) = closed.resource_row {
        row_dual[row] = multiplier;
    }
    // Certified as every other answer is: the prices projected and rescaled, reduced costs
    // within `lp::CERTIFICATE_ROUNDING` of their size counting as zero (the Leontief solve's
    // rounding, not a solver's tolerance).
    let dual_bound = certify::upper_bound(economy, model, &row_dual).0;
    let objective = closed.lambda;
    let stage = Stage {
        group: group.name.clone(),
        status: Status::Optimal,
        lambda: closed.lambda,
        gap: relative_gap(objective, dual_bound),
        seconds: start.elapsed().as_secs_f64(),
        iterations: None,
        method: "closed-form",
    };
    let solution = LpSolution {
        status: Status::Optimal,
        x,
        row_dual,
        objective,
        dual_bound,
    };
    finish(economy, model, &solution, vec![stage], "closed-form", start)
}

/// Assembles the plan from the last stage's solution, with that solution's status.
fn finish(
    economy: &Economy,
    model: &PlanLp,
    solution: &LpSolution,
    stages: Vec<Stage>,
    method: &'static str,
    start: Instant,
) -> Plan {
    let n = economy.products.len();
    let x = &solution.x;
    let lp = &model.lp;
    let activity = x[..model.technique_count].to_vec();
    let pick = |columns: &[Option<usize>]| -> Vec<f64> {
        columns
            .iter()
            .map(|c| c.map_or(0.0, |c| x[c].max(0.0)))
            .collect()
    };
    let (imports, exports) = (pick(&model.import_column), pick(&model.export_column));
    let rows = lp.row_activity(x);
    let lambdas: Vec<(String, f64)> = stages.iter().map(|s| (s.group.clone(), s.lambda)).collect();
    let mut supply: Vec<f64> = rows[..n].to_vec();
    for group in &model.groups {
        for &(i, q) in &group.targets {
            supply[i as usize] += x[group.column] * q;
        }
    }
    // The balance rows are `>= 0` in a maximisation: their multipliers are <= 0 in the
    // convention of `dual_bound`; a shadow price is the value of one more unit, so flip.
    // (`+ 0.0` turns -0 into 0 for the files.)
    let shadow_price: Vec<f64> = solution.row_dual[..n].iter().map(|y| -y + 0.0).collect();
    let resources: Vec<ResourceUse> = model
        .limit_rows(economy)
        .into_iter()
        .map(|(name, row)| ResourceUse {
            name,
            used: rows[row],
            available: lp.row_upper[row],
        })
        .collect();
    let at_limit = |used: f64, available: f64| {
        available.is_finite() && used >= available - BINDING_TOLERANCE * available.abs().max(1.0)
    };
    let mut binding: Vec<String> = resources
        .iter()
        .filter(|r| at_limit(r.used, r.available))
        .map(|r| r.name.clone())
        .collect();
    binding.extend(activity.iter().enumerate().filter_map(|(k, &y)| {
        let capacity = economy.techniques.capacity[k]?;
        at_limit(y, capacity).then(|| format!("capacity:{}", &economy.techniques.ids[k]))
    }));
    let gap = stages.iter().map(|s| s.gap).fold(0.0, f64::max);
    Plan {
        status: solution.status,
        lambdas,
        stages,
        activity,
        imports,
        exports,
        supply,
        target: model.target.clone(),
        shadow_price,
        row_dual: solution.row_dual.clone(),
        resources,
        binding,
        gap,
        method,
        seconds: start.elapsed().as_secs_f64(),
        diagnosis: None,
    }
}

/// A plan with no point: every quantity zero, the status and the diagnosis.
fn empty_plan(
    economy: &Economy,
    model: &PlanLp,
    status: Status,
    diagnosis: Option<Diagnosis>,
    start: Instant,
) -> Plan {
    let n = economy.products.len();
    Plan {
        status,
        lambdas: model
            .groups
            .iter()
            .map(|g| (g.name.clone(), f64::NAN))
            .collect(),
        stages: Vec::new(),
        activity: vec![0.0; model.technique_count],
        imports: vec![0.0; n],
        exports: vec![0.0; n],
        supply: vec![0.0; n],
        target: model.target.clone(),
        shadow_price: vec![0.0; n],
        row_dual: Vec::new(),
        resources: Vec::new(),
        binding: Vec::new(),
        gap: f64::NAN,
        method: "highs",
        seconds: start.elapsed().as_secs_f64(),
        diagnosis,
    }
}

#[cfg(test)]
mod tests;
