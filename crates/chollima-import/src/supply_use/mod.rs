//! `supply-use`: make and use tables to a product-by-product technology.
//!
//! # Notation and formulas
//!
//! * `V`: make table, industries x commodities (`V[i][c]`: output of commodity `c` by industry `i`);
//! * `U`: use table, commodities x industries (`U[c][i]`: commodity `c` used up by industry `i`);
//! * `g = V 1`: industry output; `q = V' 1`: commodity output (domestic);
//! * `B = U g^-1`: inputs per unit of industry output (commodities x industries);
//! * `D = V q^-1`: market shares (industries x commodities): `D[i][c]` is the share of
//!   commodity `c` made by industry `i`;
//! * `C = V' g^-1`: product mix (commodities x industries): `C[c][i]` is the share of
//!   industry `i`'s output that is commodity `c`.
//!
//! **Industry-technology assumption** (default, [`Assumption::IndustryTechnology`]): every
//! industry has one technology whatever it makes, and a commodity is made by the mix of
//! industries that make it: `A = B D` (commodity x commodity). `A` is non-negative whenever `U`
//! is, and `x = (I - A)^-1 d` with `d` the commodity final demand returns `q` when the
//! commodity rows balance (`U 1 + d = q`).
//!
//! **Commodity-technology assumption** ([`Assumption::CommodityTechnology`]): every commodity
//! has one technology whichever industry makes it: `B = A C`, so `A = B C^-1`. This needs as
//! many industries as commodities (with output), and an invertible `C`. Otherwise `C^-1` is
//! replaced by the Moore-Penrose inverse `C^+` (by SVD; reported as a warning with the shape
//! and rank of `C`): `A = B C^+` is the minimum-norm least-squares solution of `A C = B`. With
//! more industries than commodities and full rank, `C^+ = C'(C C')^-1`; with fewer,
//! `C^+ = (C'C)^-1 C'` and `A C = B` holds exactly. A rank-deficient `C` (BEA detail: `S00900`
//! "Rest of the world adjustment" is made only by `S00600`, in fixed proportion to `S00600`)
//! is reported with the commodities that cannot be told apart. The assumption is known to give negative coefficients (secondary products
//! made with an input technology unlike the primary producer's): every negative coefficient is
//! set to 0 and reported per commodity, with the total.
//!
//! # Handling common to both sources
//!
//! * Commodities with no domestic output (`q = 0`: BEA's noncomparable imports, used goods)
//!   get a zero column in `A`, reported: the plan can only import them (or they are free).
//!   Their rows (their use by others) are kept.
//! * Industries with no output (`g = 0`) are reported; their inputs cannot become
//!   coefficients and are dropped (a warning when there are any).
//! * Negative cells in the make table or in the intermediate part of the use table are set to 0
//!   and reported cell by cell; negative final-demand cells are netted per product (see
//!   [`crate::final_demand`]).
//! * The commodity balance `U 1 + d` against `q` is reported, and each source checks its own
//!   published totals (see [`bea`] and [`ibge`]).
//! * [`crate::Imported::industries`] holds `D` (industry technology) or `C^-1` / `C^+`
//!   (commodity technology), so labour per industry maps to products the same way.

pub mod bea;
pub mod ibge;

use std::path::{Path, PathBuf};

use chollima_model::{Diagnostics, Location, SparseColumns};

use crate::build::{self, Parts};
use crate::dense::Dense;
use crate::final_demand::{self, Demand};
use crate::table::Table;
use crate::{ImportError, Imported, IndustryMapping, bail_if_errors};

/// How make and use become a product-by-product technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Assumption {
    /// `A = B D` (default).
    #[default]
    IndustryTechnology,
    /// `A = B C^-1` (or `B C^+`).
    CommodityTechnology,
}

/// Which publisher's layout the sources follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SupplyUseFormat {
    /// IBGE when a source folder holds `make_products_x_activities.csv`, BEA otherwise.
    #[default]
    Auto,
    /// BEA Make (industries x commodities) and Use (commodities x industries) CSVs.
    Bea,
    /// IBGE: a year folder with `make_products_x_activities.csv` (products x activities) etc.
    Ibge,
}

/// The valuation of the IBGE use table after import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IbgeValuation {
    /// Converted to domestic output at basic prices (default; see [`ibge`]).
    #[default]
    BasicDomestic,
    /// As published: purchasers' prices, imports included.
    Purchasers,
}

/// Options of [`import_supply_use`].
#[derive(Debug, Clone, Default)]
pub struct SupplyUseOptions {
    pub assumption: Assumption,
    pub format: SupplyUseFormat,
    /// Picks the files of one year among several in a folder (BEA summary: 2012-2022).
    pub year: Option<i32>,
    pub ibge_valuation: IbgeValuation,
    /// BEA import matrix (`Detail_Import_*.csv`, same layout as the use table): when given,
    /// imports are taken out of every use, for domestic requirements (see [`bea`]).
    pub imports: Option<PathBuf>,
    /// A `column,category` CSV deciding the category of final-demand columns.
    pub category_mapping: Option<PathBuf>,
    /// The economy's name; default from the files.
    pub name: Option<String>,
}

/// A supply-use system as read from a source, before the technology assumption.
#[derive(Debug, Clone)]
pub(crate) struct SupplyUse {
    pub name: String,
    pub unit: String,
    pub base_year: Option<i64>,
    pub commodities: Vec<String>,
    pub names: Option<Vec<String>>,
    pub industries: Vec<String>,
    /// `V`, industries x commodities.
    pub make: Dense,
    /// `U`, commodities x industries.
    pub uses: Dense,
    /// Final demand per category and commodity, not yet netted.
    pub demand: Demand,
    /// Where each commodity's final demand is.
    pub demand_rows: Vec<Location>,
    pub make_location: Location,
    pub use_location: Location,
}

/// Imports make and use tables (BEA detail or summary, IBGE). `sources` are files or folders.
pub fn import_supply_use(
    sources: &[PathBuf],
    options: &SupplyUseOptions,
) -> Result<Imported, ImportError> {
    let mut report = Diagnostics::new();
    let format = match options.format {
        SupplyUseFormat::Auto if sources.iter().any(|s| s.join(ibge::MAKE).is_file()) => {
            SupplyUseFormat::Ibge
        }
        SupplyUseFormat::Auto => SupplyUseFormat::Bea,
        f => f,
    };
    let su = match format {
        SupplyUseFormat::Ibge => ibge::read(sources, options, &mut report)?,
        _ => bea::read(sources, options, &mut report)?,
    };
    derive(su, options, report)
}

/// Applies the technology assumption and assembles the economy.
pub(crate) fn derive(
    su: SupplyUse,
    options: &SupplyUseOptions,
    mut report: Diagnostics,
) -> Result<Imported, ImportError> {
    let (nc, ni) = (su.commodities.len(), su.industries.len());
    let g = su.make.row_sums();
    let q = su.make.col_sums();
    let use_sums = su.uses.col_sums();
    for i in 0..ni {
        if g[i] == 0.0 {
            if use_sums[i] != 0.0 {
                report.warning(
                    su.make_location.clone(),
                    format!("industry `{}` makes nothing but uses inputs of {}: its inputs are dropped", su.industries[i], use_sums[i]),
                ).hint("check the make table row of this industry");
            } else {
                report.note(
                    su.make_location.clone(),
                    format!(
                        "industry `{}` has no output and no inputs",
                        su.industries[i]
                    ),
                );
            }
        }
    }
    for c in 0..nc {
        if q[c] == 0.0 {
            report
                .warning(
                    su.make_location.clone(),
                    format!("commodity `{}` has no domestic output: zero column in A (it is only imported)", su.commodities[c]),
                )
                .hint("its use by industries is kept; give it an import price to plan its imports");
        }
    }
    // B = U g^-1.
    let mut b = su.uses.clone();
    for c in 0..nc {
        for (i, v) in b.row_mut(c).iter_mut().enumerate() {
            *v = if g[i] > 0.0 { *v / g[i] } else { 0.0 };
        }
    }
    let (columns, to_products, why) = match options.assumption {
        Assumption::IndustryTechnology => {
            let (a, d) = industry_technology(&b, &su.make, &q);
            (a, d, "industry technology")
        }
        Assumption::CommodityTechnology => {
            let (a, c_plus) = commodity_technology(&b, &su, &g, &q, &mut report)?;
            (a, c_plus, "commodity technology")
        }
    };
    report.note(
        su.use_location.clone(),
        match options.assumption {
            Assumption::IndustryTechnology => "A = B D (industry-technology assumption)",
            Assumption::CommodityTechnology => "A = B C^-1 (commodity-technology assumption)",
        },
    );
    let ids = su.commodities.clone();
    let inputs = build::dense_to_columns(&columns, &ids, &su.use_location, why, &mut report);
    build::check_productive(&inputs, &ids, &su.use_location, &mut report);

    let mut demand = su.demand;
    let mut balance = su.uses.row_sums();
    for (c, b) in balance.iter_mut().enumerate() {
        *b += demand.values.iter().map(|v| v[c]).sum::<f64>();
    }
    build::report_imbalance(
        "commodity balance (intermediate use + final demand against domestic output q)",
        &ids,
        &balance,
        &q,
        &su.use_location,
        &mut report,
    );
    final_demand::net_negatives(
        &mut demand,
        &ids,
        |c| su.demand_rows[c].clone(),
        &mut report,
    );
    bail_if_errors(&mut report)?;
    let economy = build::assemble(Parts {
        name: options.name.clone().unwrap_or(su.name),
        unit: Some(su.unit),
        base_year: su.base_year,
        ids,
        names: su.names,
        groups: None,
        inputs,
        demand,
    });
    let industries = IndustryMapping {
        industries: su.industries,
        output: g,
        to_products,
    };
    Ok(Imported {
        economy,
        report,
        industries,
    })
}

/// `A = B D`, column by column; also returns `D` (industries x commodities) as sparse columns.
fn industry_technology(b: &Dense, make: &Dense, q: &[f64]) -> (Vec<Vec<f64>>, SparseColumns) {
    let (nc, ni) = (b.rows, b.cols);
    let bt = b.transpose(); // industries x commodities: row i is column i of B
    let mut columns = Vec::with_capacity(nc);
    let mut d_cols = Vec::with_capacity(nc);
    for c in 0..nc {
        let mut column = vec![0.0; nc];
        let mut d_col = Vec::new();
        if q[c] > 0.0 {
            for i in 0..ni {
                let share = make.get(i, c) / q[c];
                if share != 0.0 {
                    d_col.push((i as u32, share));
                    for (a, bv) in column.iter_mut().zip(bt.row(i)) {
                        *a += bv * share;
                    }
                }
            }
        }
        columns.push(column);
        d_cols.push(d_col);
    }
    (columns, SparseColumns::from_columns(ni, d_cols))
}

/// `A = B C^+` over commodities and industries with output; also returns `C^+`.
fn commodity_technology(
    b: &Dense,
    su: &SupplyUse,
    g: &[f64],
    q: &[f64],
    report: &mut Diagnostics,
) -> Result<(Vec<Vec<f64>>, SparseColumns), ImportError> {
    let nc = su.commodities.len();
    let ni = su.industries.len();
    let made: Vec<usize> = (0..nc).filter(|&c| q[c] > 0.0).collect();
    let active: Vec<usize> = (0..ni).filter(|&i| g[i] > 0.0).collect();
    let mut c_mat = Dense::zeros(made.len(), active.len());
    for (r, &c) in made.iter().enumerate() {
        for (k, &i) in active.iter().enumerate() {
            c_mat.set(r, k, su.make.get(i, c) / g[i]);
        }
    }
    let Some((c_plus, rank)) = c_mat.pseudo_inverse() else {
        report
            .error(
                su.make_location.clone(),
                "the SVD of the product-mix matrix C = V' g^-1 did not converge",
            )
            .hint("use the industry-technology assumption (the default)");
        return Err(crate::iot::invalid(std::mem::take(report)));
    };
    if made.len() != active.len() || rank < made.len().min(active.len()) {
        let dependent = if rank < made.len().min(active.len()) {
            dependent_rows(&c_mat, &made, &su.commodities)
        } else {
            Vec::new()
        };
        report
            .warning(
                su.make_location.clone(),
                format!(
                    "C is {} commodities with output x {} industries with output, of rank {rank}: A = B C^+ with the Moore-Penrose inverse (the minimum-norm least-squares solution of A C = B){}",
                    made.len(),
                    active.len(),
                    if dependent.is_empty() { String::new() } else { format!("; commodities made in the same fixed proportion by the same industries cannot be told apart: {}", dependent.join(", ")) }
                ),
            )
            .hint("the commodity-technology assumption is exact only for a square, invertible C; the industry-technology assumption needs no inverse");
    }
    // A[:, made] = B[:, active] C^+.
    let mut b_active = Dense::zeros(nc, active.len());
    for r in 0..nc {
        for (k, &i) in active.iter().enumerate() {
            b_active.set(r, k, b.get(r, i));
        }
    }
    let a = b_active.mul(&c_plus); // nc x made
    let mut columns = vec![vec![0.0; nc]; nc];
    for (k, &c) in made.iter().enumerate() {
        for r in 0..nc {
            columns[c][r] = a.get(r, k);
        }
    }
    let mut map_cols = vec![Vec::new(); nc];
    for (k, &c) in made.iter().enumerate() {
        for (r, &i) in active.iter().enumerate() {
            let v = c_plus.get(r, k);
            if v != 0.0 {
                map_cols[c].push((i as u32, v));
            }
        }
    }
    Ok((columns, SparseColumns::from_columns(ni, map_cols)))
}

/// Commodities whose rows of `C` have the same pattern of producing industries as an earlier
/// one and are proportional to it (linearly dependent pairs).
fn dependent_rows(c: &Dense, made: &[usize], ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in 0..c.rows {
        for b in a + 1..c.rows {
            let (ra, rb) = (c.row(a), c.row(b));
            let k = ra
                .iter()
                .zip(rb)
                .find(|(x, _)| **x != 0.0)
                .map(|(x, y)| y / x);
            if let Some(k) = k
                && k != 0.0
                && ra
                    .iter()
                    .zip(rb)
                    .all(|(x, y)| (y - k * x).abs() <= 1e-12 * y.abs().max(1e-300))
            {
                out.push(format!("{} and {}", ids[made[a]], ids[made[b]]));
            }
        }
    }
    out
}

/// How a block of a table treats negative cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Negatives {
    /// Kept (final demand, netted later).
    Keep,
    /// Set to 0, each reported.
    Zero,
}

/// Copies the cells of `table` at mapped rows and columns into a dense block.
pub(crate) fn block(
    table: &Table,
    row_of: &[Option<usize>],
    col_of: &[Option<usize>],
    shape: (usize, usize),
    negatives: Negatives,
    report: &mut Diagnostics,
) -> Dense {
    let mut out = Dense::zeros(shape.0, shape.1);
    let mut zeroed = 0usize;
    for (r, pr) in row_of.iter().enumerate() {
        let Some(pr) = pr else { continue };
        let (cols, vals) = table.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            let Some(pc) = col_of[c as usize] else {
                continue;
            };
            if v < 0.0 && negatives == Negatives::Zero {
                zeroed += 1;
                report
                    .warning(
                        table.cell_location(r, c as usize),
                        format!(
                            "negative cell {v} (row `{}`, column `{}`) set to 0",
                            table.row_label(r),
                            table.col_label(c as usize)
                        ),
                    )
                    .hint("make and intermediate use must be >= 0 to give coefficients >= 0");
                continue;
            }
            out.add(*pr, pc, v);
        }
    }
    if zeroed > 0 {
        report.warning(
            Location::file(&table.file),
            format!("{zeroed} negative cells set to 0 (listed above)"),
        );
    }
    out
}

/// A year (1990..2100) in a file or folder name, such as `_2017_`.
pub(crate) fn year_in(path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    name.split(|c: char| !c.is_ascii_digit())
        .find_map(|t| t.parse::<i64>().ok().filter(|y| (1990..2100).contains(y)))
}
