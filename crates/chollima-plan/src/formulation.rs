//! The single-period plan LP of FORMAT.md, built from an [`Economy`], with the maps from its
//! rows and columns back to products, techniques, resources and target groups.
//!
//! Columns: the activity `y_k` of every technique, then imports `m_i` (products with an
//! `import_price`), exports `e_i` (products with an `export_price`), then one `lambda` per
//! target group. Rows: one balance row per product, `(O - A) y + m - e - sum_g lambda_g t_g >= 0`,
//! one row per resource, `R_r y <= available_r`, and the foreign-exchange row
//! `R_fx y + import_price . m - export_price . e <= foreign_exchange` when anything uses it.
//! The objective is the first group's lambda: the LP as built is the first lexicographic stage
//! (and the whole problem without priorities).

use chollima_model::Economy;

use crate::lp::LinearProgram;

/// The resource whose amount is the foreign-exchange budget of the trade row.
pub const FOREIGN_EXCHANGE: &str = "foreign_exchange";

/// One fulfilment level `lambda_g` and the targets it scales.
#[derive(Debug, Clone)]
pub struct Group {
    /// A category name, `all` (no priorities) or `rest` (categories not listed in priorities).
    pub name: String,
    /// `(product, quantity)` of the group's targets, summed per product.
    pub targets: Vec<(u32, f64)>,
    /// Priority groups are met up to their targets (`lambda <= 1`); the last group is not capped.
    pub capped: bool,
    pub column: usize,
}

/// The plan LP with its index maps.
#[derive(Debug, Clone)]
pub struct PlanLp {
    pub lp: LinearProgram,
    pub groups: Vec<Group>,
    /// Column of product `i`'s imports, where it can be imported.
    pub import_column: Vec<Option<usize>>,
    pub export_column: Vec<Option<usize>>,
    /// `(resource index in the manifest, row)` for every resource but foreign exchange.
    pub resource_rows: Vec<(usize, usize)>,
    pub fx_row: Option<usize>,
    /// Total target per product, over all groups.
    pub target: Vec<f64>,
    pub floor: f64,
    /// Number of techniques: their activities are the first columns.
    pub technique_count: usize,
}

impl PlanLp {
    /// Builds the LP of plan year `year` (1 for a single-period plan).
    pub fn new(economy: &Economy, year: u32) -> PlanLp {
        let n = economy.products.len();
        let techniques = &economy.techniques;
        let manifest = &economy.manifest;
        let settings = manifest.plan_settings();
        let fx_index = manifest.resource_index(FOREIGN_EXCHANGE);
        let import_price = economy.products.import_price.as_ref();
        let export_price = economy.products.export_price.as_ref();
        let export_limit = economy.products.export_limit.as_ref();
        let tradable = (0..n).any(|i| {
            import_price.is_some_and(|p| p[i].is_some())
                || export_price.is_some_and(|p| p[i].is_some())
        });
        let fx_used = fx_index.is_some_and(|r| techniques.resource_use[r].iter().any(|&u| u > 0.0));

        let mut rows = n;
        let mut resource_rows = Vec::new();
        for r in 0..manifest.resources.len() {
            if Some(r) != fx_index {
                resource_rows.push((r, rows));
                rows += 1;
            }
        }
        let fx_row = (tradable || fx_used).then(|| {
            rows += 1;
            rows - 1
        });
        let mut lp = LinearProgram::with_rows(rows);
        for i in 0..n {
            lp.row_lower[i] = 0.0;
        }
        for &(r, row) in &resource_rows {
            lp.row_upper[row] = manifest.resources[r].amount.in_year(year as usize);
        }
        if let Some(row) = fx_row {
            // finance.csv, when given, makes up the year's foreign exchange.
            lp.row_upper[row] = economy.expected_finance(year).unwrap_or_else(|| {
                fx_index
                    .map(|r| manifest.resources[r].amount.in_year(year as usize))
                    .unwrap_or(0.0)
            });
        }

        // Activities: output on the product's row, minus the inputs (merged when a technique
        // uses its own product), plus resource use.
        let mut entries: Vec<(usize, f64)> = Vec::new();
        for k in 0..techniques.len() {
            entries.clear();
            let made = techniques.product[k] as usize;
            let mut own = techniques.output[k];
            let (inputs, coefficients) = economy.inputs.column(k);
            for (&i, &a) in inputs.iter().zip(coefficients) {
                if i as usize == made {
                    own -= a;
                } else {
                    entries.push((i as usize, -a));
                }
            }
            entries.push((made, own));
            for &(r, row) in &resource_rows {
                entries.push((row, techniques.resource_use[r][k]));
            }
            if let (Some(row), Some(r)) = (fx_row, fx_index) {
                entries.push((row, techniques.resource_use[r][k]));
            }
            entries.sort_unstable_by_key(|e| e.0);
            let upper = techniques.capacity[k].unwrap_or(f64::INFINITY);
            lp.push_column(0.0, 0.0, upper, entries.iter().copied());
        }
        let mut import_column = vec![None; n];
        let mut export_column = vec![None; n];
        if let Some(fx) = fx_row {
            for i in 0..n {
                if let Some(price) = import_price.and_then(|p| p[i]) {
                    import_column[i] =
                        Some(lp.push_column(0.0, 0.0, f64::INFINITY, [(i, 1.0), (fx, price)]));
                }
            }
            for i in 0..n {
                if let Some(price) = export_price.and_then(|p| p[i]) {
                    let limit = export_limit.and_then(|l| l[i]).unwrap_or(f64::INFINITY);
                    export_column[i] =
                        Some(lp.push_column(0.0, 0.0, limit, [(i, -1.0), (fx, -price)]));
                }
            }
        }

        let groups = target_groups(economy, year, &settings.priorities);
        let mut target = vec![0.0; n];
        let floor = settings.floor;
        // The LP is built as the first stage: maximise the first group's lambda.
        let groups: Vec<Group> = groups
            .into_iter()
            .enumerate()
            .map(|(g, (name, targets, capped))| {
                for &(i, q) in &targets {
                    target[i as usize] += q;
                }
                let upper = if capped { 1.0 } else { f64::INFINITY };
                let column = lp.push_column(
                    if g == 0 { 1.0 } else { 0.0 },
                    floor,
                    upper,
                    targets.iter().map(|&(i, q)| (i as usize, -q)),
                );
                Group {
                    name,
                    targets,
                    capped,
                    column,
                }
            })
            .collect();
        PlanLp {
            lp,
            groups,
            import_column,
            export_column,
            resource_rows,
            fx_row,
            target,
            floor,
            technique_count: techniques.len(),
        }
    }
}

/// A group's name, its `(product, quantity)` targets, and whether it is capped at 1.
type GroupTargets = (String, Vec<(u32, f64)>, bool);

/// The target groups of `year`: without priorities one uncapped group `all`; with them one
/// capped group per listed category that has targets, then `rest` (uncapped) for the others.
fn target_groups(economy: &Economy, year: u32, priorities: &[String]) -> Vec<GroupTargets> {
    let categories = economy.categories.len();
    let mut per_category: Vec<Vec<(u32, f64)>> = vec![Vec::new(); categories];
    for t in &economy.targets {
        if t.year.is_none_or(|y| y == year) && t.quantity > 0.0 {
            per_category[t.category as usize].push((t.product, t.quantity));
        }
    }
    let merge = |mut list: Vec<(u32, f64)>| {
        list.sort_unstable_by_key(|e| e.0);
        let mut merged: Vec<(u32, f64)> = Vec::with_capacity(list.len());
        for (i, q) in list {
            match merged.last_mut() {
                Some(last) if last.0 == i => last.1 += q,
                _ => merged.push((i, q)),
            }
        }
        merged
    };
    if priorities.is_empty() {
        let all: Vec<(u32, f64)> = per_category.into_iter().flatten().collect();
        return vec![("all".to_owned(), merge(all), false)];
    }
    let mut groups = Vec::new();
    let mut listed = vec![false; categories];
    for name in priorities {
        if let Some(c) = economy.categories.iter().position(|c| c == name) {
            listed[c] = true;
            let targets = merge(per_category[c].clone());
            if !targets.is_empty() {
                groups.push((name.clone(), targets, true));
            }
        }
    }
    let rest: Vec<(u32, f64)> = (0..categories)
        .filter(|&c| !listed[c])
        .flat_map(|c| per_category[c].iter().copied())
        .collect();
    if !rest.is_empty() {
        groups.push(("rest".to_owned(), merge(rest), false));
    }
    groups
}

impl PlanLp {
    /// Makes group `g`'s lambda the objective (cost 1, every other group's 0): the LP of the
    /// stage that maximises it.
    pub fn maximise_group(&mut self, g: usize) {
        for (h, group) in self.groups.iter().enumerate() {
            self.lp.cost[group.column] = if h == g { 1.0 } else { 0.0 };
        }
    }

    /// The rows with a limit, named: every resource, then `foreign_exchange` when traded.
    pub fn limit_rows(&self, economy: &Economy) -> Vec<(String, usize)> {
        self.resource_rows
            .iter()
            .map(|&(r, row)| (economy.manifest.resources[r].name.clone(), row))
            .chain(self.fx_row.map(|row| (FOREIGN_EXCHANGE.to_owned(), row)))
            .collect()
    }

    /// Writes the LP as free MPS, named after the economy (see [`PlanLp::names`]).
    pub fn write_mps(
        &self,
        economy: &Economy,
        out: &mut impl std::io::Write,
    ) -> std::io::Result<()> {
        let (rows, columns) = self.names(economy, "");
        crate::mps::write_mps(&self.lp, |i| rows[i].clone(), |j| columns[j].clone(), out)
    }

    /// Names of the LP's rows and columns after the economy, each with `prefix` in front:
    /// `y<k>:<technique>`, `m<i>:<product>` / `e<i>:<product>` (trade), `lambda:<group>`,
    /// `b<i>:<product>` (balance rows), `r:<resource>`.
    pub fn names(&self, economy: &Economy, prefix: &str) -> (Vec<String>, Vec<String>) {
        let n = economy.products.len();
        let mut columns = vec![String::new(); self.lp.num_cols()];
        for k in 0..self.technique_count {
            columns[k] = format!("{prefix}y{k}:{}", &economy.techniques.ids[k]);
        }
        for i in 0..n {
            if let Some(c) = self.import_column[i] {
                columns[c] = format!("{prefix}m{i}:{}", &economy.products.ids[i]);
            }
            if let Some(c) = self.export_column[i] {
                columns[c] = format!("{prefix}e{i}:{}", &economy.products.ids[i]);
            }
        }
        for g in &self.groups {
            columns[g.column] = format!("{prefix}lambda:{}", g.name);
        }
        let mut rows: Vec<String> = (0..n)
            .map(|i| format!("{prefix}b{i}:{}", &economy.products.ids[i]))
            .collect();
        rows.resize(self.lp.num_rows(), String::new());
        for &(r, row) in &self.resource_rows {
            rows[row] = format!("{prefix}r:{}", economy.manifest.resources[r].name);
        }
        if let Some(row) = self.fx_row {
            rows[row] = format!("{prefix}r:{FOREIGN_EXCHANGE}");
        }
        (rows, columns)
    }
}
