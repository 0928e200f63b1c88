//! Plans with answers known in closed form, solved by every method.

use chollima_model::{
    Economy, Manifest, Products, Resource, ResourceAmount, SparseColumns, Techniques,
};

use crate::{Method, PlanSettings, Status, plan};

/// `(id, product, output, capacity, resource use, inputs)`.
type TechniqueRow = (String, u32, f64, Option<f64>, Vec<f64>, Vec<(u32, f64)>);

/// An economy from products, resources `(name, amount)`, techniques `(id, product, output,
/// capacity, resource use, inputs)` and targets `(product, category, quantity)`.
struct Builder {
    manifest: Manifest,
    products: Products,
    techniques: Vec<TechniqueRow>,
    targets: Vec<(u32, String, f64)>,
}

impl Builder {
    fn new(products: &[&str], resources: &[(&str, f64)]) -> Self {
        let mut manifest = Manifest::named("test");
        for (name, amount) in resources {
            manifest.resources.push(Resource {
                name: (*name).into(),
                amount: ResourceAmount::Constant(*amount),
            });
        }
        let mut p = Products::default();
        for id in products {
            p.push_id(*id);
        }
        Builder {
            manifest,
            products: p,
            techniques: Vec::new(),
            targets: Vec::new(),
        }
    }

    fn technique(mut self, id: &str, product: u32, uses: &[f64], inputs: &[(u32, f64)]) -> Self {
        self.techniques.push((
            id.into(),
            product,
            1.0,
            None,
            uses.to_vec(),
            inputs.to_vec(),
        ));
        self
    }

    fn capacity(mut self, capacity: f64) -> Self {
        self.techniques.last_mut().unwrap().3 = Some(capacity);
        self
    }

    fn target(mut self, product: u32, category: &str, quantity: f64) -> Self {
        self.targets.push((product, category.into(), quantity));
        self
    }

    fn build(self) -> Economy {
        let n = self.products.len();
        let mut techniques = Techniques::new(self.manifest.resources.len());
        let mut columns = Vec::new();
        for (id, product, output, capacity, uses, inputs) in self.techniques {
            let k = techniques.push(id, product) as usize;
            techniques.output[k] = output;
            techniques.capacity[k] = capacity;
            for (r, u) in uses.into_iter().enumerate() {
                techniques.resource_use[r][k] = u;
            }
            columns.push(inputs);
        }
        let inputs = SparseColumns::from_columns(n, columns);
        let mut economy = Economy::new(self.manifest, self.products, techniques, inputs);
        for (p, c, q) in self.targets {
            economy.push_target(p, &c, q, None);
        }
        economy
    }
}

/// The first-order method asked for (almost) exactness: on small plans its certified repair
/// lands on the optimal vertex.
fn settings(method: Method) -> PlanSettings {
    PlanSettings {
        method,
        gap: 1e-10,
        ..Default::default()
    }
}

fn every_method(economy: &Economy) -> [crate::Plan; 3] {
    [Method::Auto, Method::Highs, Method::Pdlp].map(|method| plan(economy, &settings(method)))
}

/// A = [[0.1, 0.2], [0.3, 0.4]] (columns: what one unit uses), labour [1, 2], 100 hours,
/// targets [10, 5]: x* = (I - A)^-1 t = [7, 7.5] / 0.48, l x* = 22 / 0.48, lambda* = 48 / 22.
fn leontief_economy(capacity: Option<f64>) -> Economy {
    let mut b = Builder::new(&["a", "b"], &[("labour", 100.0)]).technique(
        "ta",
        0,
        &[1.0],
        &[(0, 0.1), (1, 0.3)],
    );
    if let Some(c) = capacity {
        b = b.capacity(c);
    }
    b.technique("tb", 1, &[2.0], &[(0, 0.2), (1, 0.4)])
        .target(0, "food", 10.0)
        .target(1, "clothing", 5.0)
        .build()
}

#[test]
fn the_plan_ray_equals_its_closed_form_by_every_method() {
    let economy = leontief_economy(None);
    let [closed, highs, pdlp] = every_method(&economy);
    assert_eq!(closed.method, "closed-form");
    assert_eq!(highs.method, "highs");
    assert_eq!(pdlp.method, "pdlp");
    assert_eq!(pdlp.status, Status::NearOptimal);
    for p in [&closed, &highs, &pdlp] {
        assert!(p.status.solved());
        assert_eq!(p.lambdas[0].0, "all");
        assert!(
            (p.lambdas[0].1 - 48.0 / 22.0).abs() < 1e-9,
            "{:?}",
            p.lambdas
        );
        assert!(p.gap < 1e-9, "gap {}", p.gap);
        assert_eq!(p.binding, vec!["labour".to_string()]);
        // Shadow prices value the target bundle at 1 (the normalisation of the dual).
        let bundle: f64 = p
            .shadow_price
            .iter()
            .zip(&p.target)
            .map(|(a, b)| a * b)
            .sum();
        assert!((bundle - 1.0).abs() < 1e-9, "{bundle}");
        // Fulfilment: supply = lambda * target for both products.
        for i in 0..2 {
            assert!((p.supply[i] - p.lambdas[0].1 * p.target[i]).abs() < 1e-7);
        }
    }
    for i in 0..2 {
        assert!((closed.shadow_price[i] - highs.shadow_price[i]).abs() < 1e-9);
        assert!((closed.shadow_price[i] - pdlp.shadow_price[i]).abs() < 1e-6);
    }
}

#[test]
fn a_capacity_binds_before_labour() {
    // Capacity 20 on ta: lambda = 20 / (7 / 0.48) = 9.6 / 7.
    let economy = leontief_economy(Some(20.0));
    for p in every_method(&economy) {
        assert!((p.lambdas[0].1 - 9.6 / 7.0).abs() < 1e-9, "{:?}", p.lambdas);
        assert_eq!(p.binding, vec!["capacity:ta".to_string()]);
        assert!(p.gap < 1e-9);
    }
}

#[test]
fn priorities_are_met_in_order_up_to_their_targets() {
    // 10 hours; bread 2 h (target 3), cloth 1 h (target 5), a house 1 h (target 1, not listed).
    let mut economy = Builder::new(&["bread", "cloth", "house"], &[("labour", 10.0)])
        .technique("bake", 0, &[2.0], &[])
        .technique("weave", 1, &[1.0], &[])
        .technique("build", 2, &[1.0], &[])
        .target(0, "food", 3.0)
        .target(1, "clothing", 5.0)
        .target(2, "housing", 1.0)
        .build();
    economy.manifest.plan = Some(chollima_model::PlanSettings {
        years: 1,
        priorities: vec!["food".into(), "clothing".into()],
        floor: 0.0,
    });
    for p in every_method(&economy) {
        assert!(p.status.solved(), "{}", p.method);
        let names: Vec<&str> = p.lambdas.iter().map(|(g, _)| g.as_str()).collect();
        assert_eq!(names, ["food", "clothing", "rest"]);
        let values: Vec<f64> = p.lambdas.iter().map(|(_, l)| *l).collect();
        for (got, want) in values.iter().zip([1.0, 0.8, 0.0]) {
            assert!((got - want).abs() < 1e-7, "{} {values:?}", p.method);
        }
    }
}

#[test]
fn the_cheaper_technique_is_chosen_until_its_land_runs_out() {
    // Bread by 2 h of labour, or by 1 h and 1 ha of land; 10 h and 3 ha: 3 + 3.5 = 6.5 loaves.
    let economy = Builder::new(&["bread"], &[("labour", 10.0), ("land", 3.0)])
        .technique("by-hand", 0, &[2.0, 0.0], &[])
        .technique("on-land", 0, &[1.0, 1.0], &[])
        .target(0, "food", 1.0)
        .build();
    let [auto, _, pdlp] = every_method(&economy);
    assert_eq!(auto.method, "highs");
    for p in [auto, pdlp] {
        assert!((p.lambdas[0].1 - 6.5).abs() < 1e-8, "{:?}", p.lambdas);
        assert!((p.activity[0] - 3.5).abs() < 1e-8 && (p.activity[1] - 3.0).abs() < 1e-8);
        assert_eq!(p.binding, vec!["labour".to_string(), "land".to_string()]);
    }
}

#[test]
fn exports_pay_for_imports() {
    // Tea only by import at 2 a unit; bread (1 h) exports at 1; no foreign exchange of its own.
    // A bundle of 1 bread + 1 tea costs 1 h + 2 h of exported bread: lambda = 10 / 3.
    let mut economy = Builder::new(&["bread", "tea"], &[("labour", 10.0)])
        .technique("bake", 0, &[1.0], &[])
        .target(0, "food", 1.0)
        .target(1, "food", 1.0)
        .build();
    economy.products.import_price = Some(vec![None, Some(2.0)]);
    economy.products.export_price = Some(vec![Some(1.0), None]);
    for p in every_method(&economy) {
        assert!(
            (p.lambdas[0].1 - 10.0 / 3.0).abs() < 1e-8,
            "{} {:?}",
            p.method,
            p.lambdas
        );
        assert!((p.imports[1] - 10.0 / 3.0).abs() < 1e-8);
        assert!((p.exports[0] - 20.0 / 3.0).abs() < 1e-8);
        assert!(p.binding.contains(&"foreign_exchange".to_string()));
    }
}

#[test]
fn an_unreachable_floor_is_diagnosed_with_the_short_resource() {
    // lambda* = 48 / 22 < 3: at lambda = 3, labour needs 3 * 22 / 0.48 = 137.5 of 100 hours.
    let mut economy = leontief_economy(None);
    economy.manifest.plan = Some(chollima_model::PlanSettings {
        years: 1,
        priorities: Vec::new(),
        floor: 3.0,
    });
    for p in every_method(&economy) {
        assert_eq!(p.status, Status::Infeasible);
        let d = p.diagnosis.expect("a diagnosis");
        assert_eq!(d.shortages.len(), 1, "{d:?}");
        assert_eq!(d.shortages[0].what, "labour");
        assert!((d.shortages[0].short_by - 37.5).abs() < 1e-6, "{d:?}");
        assert!(d.summary.contains("labour short by 37.5"), "{}", d.summary);
        assert_eq!(d.pressing_targets.len(), 2);
    }
}

#[test]
fn a_target_nobody_makes_or_imports_is_named() {
    let economy = Builder::new(&["bread", "salt"], &[("labour", 10.0)])
        .technique("bake", 0, &[1.0], &[])
        .target(0, "food", 1.0)
        .target(1, "food", 1.0)
        .build();
    let p = plan(&economy, &PlanSettings::default());
    assert_eq!(p.status, Status::Infeasible);
    let d = p.diagnosis.unwrap();
    assert_eq!(d.unobtainable, vec!["salt".to_string()]);
    assert!(d.summary.contains("import_price"), "{}", d.summary);
}

#[test]
fn nothing_scarce_means_an_unbounded_plan() {
    let economy = Builder::new(&["air"], &[])
        .technique("breathe", 0, &[], &[])
        .target(0, "food", 1.0)
        .build();
    for p in every_method(&economy) {
        assert_eq!(p.status, Status::Unbounded);
    }
}

#[test]
fn labour_values_follow_the_technique_in_use() {
    // The Leontief economy: v = l (I - A)^-1 = [1, 2] [[0.6, 0.2], [0.3, 0.9]] / 0.48.
    let economy = leontief_economy(None);
    let p = plan(&economy, &PlanSettings::default());
    let v = crate::labour_values(&economy, &p.activity).unwrap();
    assert!(
        (v[0] - 1.2 / 0.48).abs() < 1e-9 && (v[1] - 2.0 / 0.48).abs() < 1e-9,
        "{v:?}"
    );
}

/// A generated 150-product economy with every feature: alternatives, capacities, trade, land.
fn featured_economy(seed: u64, priorities: bool) -> Economy {
    chollima_generate::generate(&chollima_generate::GenerateConfig {
        products: 150,
        inputs: 6,
        seed,
        alternatives: 0.3,
        capacities: 0.3,
        trade: 0.2,
        land: true,
        priorities,
        ..Default::default()
    })
    .expect("a valid configuration")
}

/// Regression guard for the certificates: on generated economies with every feature, the
/// first-order plan is never better than the exact optimum (its point is feasible) and the
/// optimum is never above its certified bound (the bound is valid), whatever the gap asked.
#[test]
fn first_order_certificates_bracket_the_exact_optimum() {
    for (seed, priorities) in [(3, false), (4, true)] {
        let economy = featured_economy(seed, priorities);
        let exact = plan(&economy, &settings(Method::Highs));
        assert_eq!(exact.status, Status::Optimal);
        for gap in [1e-2, 1e-5] {
            let approximate = plan(
                &economy,
                &PlanSettings {
                    method: Method::Pdlp,
                    gap,
                    ..Default::default()
                },
            );
            assert_eq!(approximate.status, Status::NearOptimal);
            assert!(approximate.gap <= gap);
            // Lexicographic stages: the first group's lambda is the one both maximise freely.
            let (optimum, found) = (exact.lambdas[0].1, approximate.lambdas[0].1);
            assert!(
                found <= optimum * (1.0 + 1e-8),
                "seed {seed}: {found} > {optimum}"
            );
            assert!(
                optimum <= found + gap * optimum.max(1.0) * 1.000001,
                "seed {seed}, gap {gap}: optimum {optimum}, first-order {found}"
            );
        }
    }
}

/// The iterative simplex, named, answers every stage itself (certified exact), the later ones
/// from the basis it ended the one before with; every group's lambda is HiGHS's to 1e-6,
/// with and without priorities.
#[test]
fn the_named_iterative_simplex_matches_highs_with_and_without_priorities() {
    for (seed, priorities) in [(5, false), (6, true)] {
        let economy = featured_economy(seed, priorities);
        let exact = plan(&economy, &settings(Method::Highs));
        let simplex = plan(&economy, &settings(Method::Simplex));
        assert_eq!(simplex.status, Status::Optimal, "seed {seed}");
        assert_eq!(
            exact.lambdas.len() > 1,
            priorities,
            "seed {seed}: {:?}",
            exact.lambdas
        );
        let methods: Vec<&str> = simplex.stages.iter().map(|s| s.method).collect();
        assert!(
            methods.iter().all(|&m| m == "simplex") && methods.len() == exact.lambdas.len(),
            "seed {seed}: {methods:?}"
        );
        assert!(simplex.gap <= 1e-6, "seed {seed}: gap {}", simplex.gap);
        assert_eq!(simplex.lambdas.len(), exact.lambdas.len());
        for ((group, found), (_, optimum)) in simplex.lambdas.iter().zip(&exact.lambdas) {
            assert!(
                (found - optimum).abs() <= 1e-6 * optimum.abs().max(1.0),
                "seed {seed}, {group}: {found} against HiGHS's {optimum}"
            );
        }
    }
}

/// Regression guard: a first-order run stopped by a limit keeps its best certified plan (its
/// lambda and gap are reported, not thrown away).
#[test]
fn a_stopped_first_order_run_keeps_its_best_certified_plan() {
    let economy = chollima_generate::generate(&chollima_generate::GenerateConfig {
        products: 150,
        inputs: 6,
        seed: 5,
        alternatives: 0.3,
        capacities: 0.3,
        land: true,
        ..Default::default()
    })
    .expect("a valid configuration");
    let mut settings = settings(Method::Pdlp);
    settings.gap = 1e-15;
    settings.pdlp.max_iterations = 64;
    let stopped = plan(&economy, &settings);
    assert_eq!(stopped.status, Status::IterationLimit);
    let exact = plan(&economy, &self::settings(Method::Highs));
    let (found, optimum) = (stopped.lambdas[0].1, exact.lambdas[0].1);
    assert!(
        found.is_finite() && found <= optimum * (1.0 + 1e-8),
        "{found} vs {optimum}"
    );
    assert!(
        stopped.gap.is_finite() && optimum <= found + stopped.gap * optimum.max(1.0) * 1.000001
    );
    assert!(stopped.activity.iter().any(|&a| a > 0.0));
}

/// Merit-order price iteration lands on the optimal vertex where one limit stops the plan (the
/// closed-form economy: labour), and its certificates bracket the exact optimum everywhere
/// else: its plan is never better than HiGHS's optimum, the optimum never above its bound.
#[test]
fn merit_orders_are_exact_on_one_limit_and_certified_on_every_feature() {
    let economy = leontief_economy(None);
    let merit = plan(&economy, &settings(Method::Merit));
    assert_eq!(merit.method, "merit");
    assert_eq!(merit.status, Status::NearOptimal);
    assert!(
        (merit.lambdas[0].1 - 48.0 / 22.0).abs() < 1e-9,
        "{:?}",
        merit.lambdas
    );

    for (seed, priorities) in [(3, false), (4, true), (8, false)] {
        let economy = featured_economy(seed, priorities);
        let exact = plan(&economy, &settings(Method::Highs));
        assert_eq!(exact.status, Status::Optimal);
        let mut settings = settings(Method::Merit);
        settings.gap = 1e-6;
        settings.merit.max_rounds = 20;
        let merit = plan(&economy, &settings);
        let (optimum, found) = (exact.lambdas[0].1, merit.lambdas[0].1);
        assert!(merit.gap.is_finite(), "seed {seed}: {:?}", merit.status);
        assert!(
            found <= optimum * (1.0 + 1e-8),
            "seed {seed}: {found} > {optimum}"
        );
        // The first stage's certified gap brackets the optimum (later stages hold it).
        let first_gap = merit.stages[0].gap;
        assert!(
            optimum <= found + first_gap * optimum.max(1.0) * 1.000001,
            "seed {seed}: optimum {optimum}, merit {found}, gap {first_gap}"
        );
    }
}

/// Harmony converges (no NaN, no collapse to an empty plan) on generated economies with a hub
/// good (energy, used by about 95 % of techniques) and pure intermediates (40 % of products
/// have no target), and its certified plan and bound bracket HiGHS's optimum. Without
/// alternatives its repaired plan is the optimum itself (one technology, one plan).
#[test]
fn harmony_converges_on_hub_goods_and_pure_intermediates_and_is_certified() {
    for (alternatives, seed) in [(0.0, 11), (0.5, 12)] {
        let economy = chollima_generate::generate(&chollima_generate::GenerateConfig {
            products: 200,
            inputs: 8,
            seed,
            alternatives,
            land: true,
            ..Default::default()
        })
        .expect("a valid configuration");
        let exact = plan(&economy, &settings(Method::Highs));
        let mut settings = settings(Method::Harmony);
        settings.gap = 1e-6;
        settings.harmony.max_iterations = 300;
        let harmony = plan(&economy, &settings);
        assert_eq!(harmony.method, "harmony");
        let (optimum, found) = (exact.lambdas[0].1, harmony.lambdas[0].1);
        assert!(
            found.is_finite() && found > 0.5 * optimum,
            "seed {seed}: {found} vs {optimum}"
        );
        assert!(
            found <= optimum * (1.0 + 1e-8),
            "seed {seed}: {found} > {optimum}"
        );
        assert!(optimum <= found + harmony.gap * optimum.max(1.0) * 1.000001);
        if alternatives == 0.0 {
            assert!(harmony.gap <= 1e-6, "seed {seed}: gap {}", harmony.gap);
        }
    }
}

/// Regression: the repair set aside, all at once, every product the rest of the plan
/// over-covered at the lambda it found, and failed when that left one of them short. Here the
/// capped technique of `j` makes more `j` than the plan needs, so `j`'s variable technique runs
/// backwards and hands back the `i` it would use; with `j` set aside, `i` (also over-covered
/// before) is short by 1, which only its variable technique can make. The repair now brings
/// `i` back and finds lambda = 4.
#[test]
fn the_repair_brings_back_a_product_that_setting_another_aside_left_short() {
    let economy = Builder::new(&["k", "j", "i"], &[("labour", 5.0)])
        .technique("tk", 0, &[1.0], &[])
        .technique("tj1", 1, &[0.0], &[(2, 0.5)])
        .capacity(10.0)
        .technique("tj2", 1, &[1.0], &[(2, 0.5)])
        .technique("ti1", 2, &[0.0], &[])
        .capacity(4.0)
        .technique("ti2", 2, &[1.0], &[])
        .target(0, "food", 1.0)
        .target(1, "food", 1.0)
        .build();
    let model = crate::formulation::PlanLp::new(&economy, 1);
    // Columns: the five techniques, then lambda. tj1 and ti1 at capacity, tj2 and ti2 barely
    // running.
    let iterate = [7.6, 10.0, 0.1, 4.0, 0.1, 7.6];
    let (point, lambda) = crate::certify::technology_point(&economy, &model, &iterate, true, true)
        .expect("the repair finds a feasible plan");
    assert!(crate::certify::rows_feasible(&model.lp, &point));
    assert!((lambda - 4.0).abs() < 1e-6, "lambda {lambda}");
    assert_eq!(
        point[2], 0.0,
        "j is set aside: its variable technique stops"
    );
    assert!(
        (point[4] - 1.0).abs() < 1e-6,
        "i's variable technique makes the 1 it lacks"
    );
}

/// A final good made on one plant sets the optimum: lambda = capacity / target, whatever labour
/// allows. The cheaper way to make the intermediate (`ib`) draws on that good's maker's input
/// `s`, whose plant is sized for the listed technique: the listed technology's plan is the
/// optimal one, and `auto` certifies it without HiGHS.
fn plant_bound_economy() -> Economy {
    Builder::new(&["i", "s", "f"], &[("labour", 1000.0)])
        .technique("ti", 0, &[1.0], &[])
        .technique("ts", 1, &[1.0], &[])
        .capacity(1.0)
        .technique("tf", 2, &[1.0], &[(0, 0.5)])
        .capacity(8.0)
        .technique("ib", 0, &[0.4], &[(1, 0.5)])
        .target(2, "clothing", 10.0)
        .target(0, "food", 4.0)
        .build()
}

#[test]
fn the_scarcest_products_plant_bounds_the_plan_and_the_listed_plan_meets_it() {
    let economy = plant_bound_economy();
    let model = crate::PlanLp::new(&economy, 1);
    let (bound, y) = crate::certify::product_bound(&model).expect("a product made on plant only");
    assert!((bound - 0.8).abs() < 1e-12, "{bound}");
    assert!(model.lp.dual_bound(&y) >= bound * (1.0 - 1e-12));
    let auto = listed_plan_reaches(&economy, 0.8);
    assert_eq!(auto.status, Status::NearOptimal);
    assert_eq!(auto.method, "merit");
    assert!(auto.gap <= 1e-10);
}

/// HiGHS's optimum is `lambda`, and `auto` reaches it from the listed plan's certificate alone
/// (the merit method, no iteration); its plan.
fn listed_plan_reaches(economy: &Economy, lambda: f64) -> crate::Plan {
    let exact = plan(economy, &settings(Method::Highs));
    assert!(
        (exact.lambdas[0].1 - lambda).abs() < 1e-9,
        "{:?}",
        exact.lambdas
    );
    let auto = plan(economy, &settings(Method::Auto));
    assert_eq!(auto.stages[0].method, "merit");
    assert_eq!(auto.stages[0].iterations, Some(0));
    assert!(
        (auto.lambdas[0].1 - lambda).abs() < 1e-9,
        "{:?}",
        auto.lambdas
    );
    auto
}

/// Regression guard for the product bound: on generated economies with every feature it is
/// never below the exact optimum (each candidate is a dual point, checked by weak duality).
#[test]
fn the_product_bound_never_cuts_off_the_optimum() {
    for seed in [3, 5, 6] {
        let economy = featured_economy(seed, false);
        let model = crate::PlanLp::new(&economy, 1);
        let exact = plan(&economy, &settings(Method::Highs));
        assert_eq!(exact.status, Status::Optimal);
        if let Some((bound, _)) = crate::certify::product_bound(&model) {
            let optimum = exact.lambdas[0].1;
            assert!(
                bound >= optimum * (1.0 - 1e-9),
                "seed {seed}: {bound} < {optimum}"
            );
        }
    }
}

/// Regression guard: when the listed technology's certificate does not close the gap, `auto`
/// goes on to HiGHS and says so, stage by stage.
#[test]
fn auto_falls_back_to_highs_where_the_listed_plan_is_not_optimal() {
    // Labour binds and the listed technique of `a` is the dearer one: the listed plan is not
    // optimal, and no product is made on plant only.
    let economy = Builder::new(&["a"], &[("labour", 10.0)])
        .technique("dear", 0, &[2.0], &[])
        .technique("cheap", 0, &[1.0], &[])
        .target(0, "food", 1.0)
        .build();
    let auto = plan(&economy, &settings(Method::Auto));
    assert_eq!(auto.status, Status::Optimal);
    assert_eq!(auto.method, "highs");
    assert_eq!(auto.stages[0].method, "highs");
    assert!(
        (auto.lambdas[0].1 - 10.0).abs() < 1e-9,
        "{:?}",
        auto.lambdas
    );
}

/// Regression guard for the listed plan's relief: the listed way of `i` draws on `s`, whose one
/// plant stops the listed plan at lambda 0.4; relieved, `i` is made the other way first and the
/// plan reaches what `f`'s plant allows (0.8), which the product bound certifies: `auto` needs
/// no HiGHS.
#[test]
fn relief_moves_the_users_of_full_plant_to_their_other_way() {
    let economy = Builder::new(&["s", "i", "f"], &[("labour", 1000.0)])
        .technique("ts", 0, &[1.0], &[])
        .capacity(1.0)
        .technique("ti", 1, &[1.0], &[(0, 0.5)])
        .technique("tf", 2, &[1.0], &[(1, 0.5)])
        .capacity(8.0)
        .technique("ib", 1, &[2.0], &[])
        .target(2, "clothing", 10.0)
        .build();
    listed_plan_reaches(&economy, 0.8);
}

/// Regression guard for HiGHS's certificates: its prices are dual feasible only to its
/// tolerance, and bounded as they stand (rounding 1e-11) a little infeasibility times large
/// activities certified nothing close (4.3e-4 on a 10^4-product plan within 6e-7). Prices off
/// by a relative 1e-8 are still turned into a valid bound (never below the optimum) within
/// 1e-6 of it.
#[test]
fn approximate_exact_prices_are_tightened_into_a_valid_certificate() {
    for seed in [3, 5] {
        let economy = featured_economy(seed, false);
        let mut model = crate::PlanLp::new(&economy, 1);
        model.maximise_group(0);
        let mut solution =
            crate::highs_solver::solve(&model.lp, &crate::highs_solver::HighsSettings::default());
        assert_eq!(solution.status, Status::Optimal);
        let optimum = solution.objective;
        for (i, y) in solution.row_dual.iter_mut().enumerate() {
            *y *= 1.0 + 1e-8 * ((i % 7) as f64 - 3.0);
        }
        solution.dual_bound = f64::INFINITY;
        crate::certify::tighten_bound(&economy, &model, &mut solution);
        let bound = solution.dual_bound;
        assert!(
            bound >= optimum * (1.0 - 1e-12),
            "seed {seed}: {bound} < {optimum}"
        );
        assert!(
            crate::lp::relative_gap(optimum, bound) <= 1e-6,
            "seed {seed}: bound {bound}, optimum {optimum}"
        );
    }
}

/// Regression guard for `auto`'s race: whichever of HiGHS and the first-order method wins, the
/// answer is certified within the gap asked and agrees with HiGHS alone.
#[test]
fn auto_races_highs_and_the_first_order_method_to_the_same_optimum() {
    for (seed, priorities) in [(3, false), (4, true)] {
        let economy = featured_economy(seed, priorities);
        let exact = plan(&economy, &settings(Method::Highs));
        let raced = plan(
            &economy,
            &PlanSettings {
                method: Method::Auto,
                gap: 1e-6,
                race_nonzeros: 0,
                ..Default::default()
            },
        );
        assert!(raced.status.solved(), "seed {seed}: {:?}", raced.status);
        assert!(raced.gap <= 1e-6, "seed {seed}: gap {}", raced.gap);
        for stage in &raced.stages {
            assert!(
                ["highs", "pdlp", "merit"].contains(&stage.method),
                "{stage:?}"
            );
        }
        let (optimum, found) = (exact.lambdas[0].1, raced.lambdas[0].1);
        assert!(
            (found - optimum).abs() <= 1e-6 * optimum.max(1.0),
            "seed {seed}: raced {found}, HiGHS {optimum}"
        );
    }
}

/// Regression guard: a first-order run told to stop (the race lost) ends at its next check
/// without a plan, rather than running on.
#[test]
fn a_stopped_first_order_stage_ends_without_a_plan() {
    let economy = featured_economy(3, false);
    let model = crate::formulation::PlanLp::new(&economy, 1);
    let stop = std::sync::atomic::AtomicBool::new(true);
    let (solution, _) = crate::first_order::solve_stage(
        &economy,
        &model,
        1e-12,
        &Default::default(),
        None,
        None,
        crate::first_order::Watch {
            progress: None,
            stage: "all",
            stop: Some(&stop),
        },
    );
    assert_eq!(solution.status, Status::Unknown);
    assert!(solution.x.is_empty());
}

/// Regression: a year's fixed demand (here 5 of `b`, as investment goods would ask) needed
/// more of the technique the iterate made `b` with than its capacity, at every lambda; the
/// repair gave up (`low inf`, traced on a 10^5-product five-year plan). It now holds that
/// technique at its capacity and makes the rest of `b` by the other.
#[test]
fn a_technique_overfull_at_every_lambda_hands_the_rest_to_its_product_s_other_technique() {
    let economy = Builder::new(&["a", "b"], &[("labour", 10.0)])
        .technique("ta", 0, &[1.0], &[])
        .technique("tb1", 1, &[0.0], &[])
        .capacity(2.0)
        .technique("tb2", 1, &[1.0], &[])
        .target(0, "food", 1.0)
        .build();
    let mut model = crate::formulation::PlanLp::new(&economy, 1);
    model.lp.row_lower[1] = 5.0;
    // Columns: the three techniques, then lambda; tb1 below its capacity, tb2 idle.
    let iterate = [1.0, 1.0, 0.0, 1.0];
    let (point, lambda) = crate::certify::technology_point(&economy, &model, &iterate, true, true)
        .expect("the repair finds a feasible plan");
    assert!(crate::certify::rows_feasible(&model.lp, &point));
    assert!((lambda - 7.0).abs() < 1e-6, "lambda {lambda}");
    assert_eq!(point[1], 2.0, "tb1 held at its capacity");
    assert!(
        (point[2] - 3.0).abs() < 1e-9,
        "tb2 makes the rest: {}",
        point[2]
    );
}

/// Regression: a row whose terms are tiny (1e-8) left short by 3e-16 by a solve's rounding
/// failed the row check (tolerance 1e-9 of its terms) and lost the plan. `checked` now covers
/// such a shortfall with a little more of the row's supplier, where it has room.
#[test]
fn a_row_short_by_rounding_is_covered_by_its_supplier() {
    let mut lp = crate::lp::LinearProgram::with_rows(1);
    lp.row_lower[0] = 0.0;
    let supplier = lp.push_column(0.0, 0.0, 10.0, [(0, 1.0)]);
    lp.push_column(1.0, 1.0, 1.0, [(0, -1e-8)]);
    let x = vec![1e-8 - 3e-16, 1.0];
    assert!(!crate::certify::rows_feasible(&lp, &x));
    let (point, objective) =
        crate::certify::checked(&lp, x.clone(), false).expect("the shortfall is covered");
    assert!(crate::certify::rows_feasible(&lp, &point));
    assert!(point[supplier] >= 1e-8 && point[supplier] < 1e-8 * (1.0 + 1e-5));
    assert_eq!(objective, 1.0);
    // Without room in the supplier nothing covers it: no plan.
    lp.col_upper[supplier] = x[supplier];
    assert!(crate::certify::checked(&lp, x, false).is_none());
}
