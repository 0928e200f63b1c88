//! Input-output analysis of an economy with one technique per product.
//!
//! With `A` the input coefficients per unit of output and `L = (I - A)^-1` the Leontief inverse,
//! [`analyze`] computes, without ever forming `L` unless asked:
//!
//! - gross output `x = L d` for a final demand `d`, solving `(I - A) x = d`;
//! - output multipliers `1' L` (column sums of `L`), solving `(I - A)' m = 1`;
//! - labour values `l L` (labour embodied per unit), solving `(I - A)' v = l`, where the
//!   economy has a `labour` resource;
//! - Rasmussen's linkages, normalised so that their mean is 1: backward `n m_j / sum(m)` and
//!   forward `n r_i / sum(r)` with `r = L 1` (row sums of `L`), solving `(I - A) r = 1`;
//! - the productiveness of `A` (spectral radius below 1) by power iteration with certified
//!   bounds, and the true residual of every solve.
//!
//! The four solves run as two blocks of two right-hand sides (plain and transposed), so a large
//! table is streamed through memory four times per iteration rather than eight.
//!
//! ```
//! # use chollima_model::*;
//! let mut products = Products::default();
//! products.push_id("a");
//! products.push_id("b");
//! let mut techniques = Techniques::new(0);
//! techniques.push("ta", 0);
//! techniques.push("tb", 1);
//! let inputs = SparseColumns::from_columns(2, vec![vec![(1, 0.5)], vec![]]);
//! let economy = Economy::new(Manifest::named("x"), products, techniques, inputs);
//! let result = chollima_analysis::analyze(&economy, &[1.0, 0.0], &Default::default()).unwrap();
//! assert!((result.gross_output[1] - 0.5).abs() < 1e-12);
//! ```

use chollima_linalg::{
    Leontief, LeontiefSettings, LinalgError, Method, SpectralBounds, spectral_bounds,
};
use chollima_model::{Economy, LABOUR};

mod matrix;

pub use matrix::{
    LeontiefMatrix, group_blocks, leontief_matrix, take_leontief_matrix, technology_matrix,
};

/// Settings of [`analyze`].
#[derive(Debug, Clone, Copy)]
pub struct AnalysisSettings {
    pub solver: LeontiefSettings,
    /// Also compute the dense Leontief inverse (`n^2` memory).
    pub inverse: bool,
    /// Power iterations allowed when column and row sums do not settle productiveness.
    pub spectral_iterations: usize,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            solver: LeontiefSettings::default(),
            inverse: false,
            spectral_iterations: 500,
        }
    }
}

/// How the analysis went.
#[derive(Debug, Clone)]
pub struct AnalysisInfo {
    /// The method that solved the systems.
    pub method: Method,
    /// Largest true relative residual `||b - (I - A) x||_inf / ||b||_inf` of the four solves.
    pub residual: f64,
    /// Iterations of the iterative method, summed over the two blocks (0 for LU).
    pub iterations: usize,
    pub spectral: SpectralBounds,
    /// Products whose column of `A` is zero because nothing makes them.
    pub unmade_products: usize,
}

/// Results per product, in product order.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub gross_output: Vec<f64>,
    pub output_multiplier: Vec<f64>,
    /// `None` when the economy has no `labour` resource.
    pub labour_value: Option<Vec<f64>>,
    pub backward_linkage: Vec<f64>,
    pub forward_linkage: Vec<f64>,
    /// Row sums of the Leontief inverse (`L 1`).
    pub row_sums: Vec<f64>,
    /// The dense Leontief inverse, column-major, when asked for.
    pub inverse: Option<Vec<f64>>,
    pub info: AnalysisInfo,
}

/// Why an analysis could not be done.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(
        "{count} product(s) have more than one technique (first: `{first}`): input-output analysis needs exactly one technique per product"
    )]
    SeveralTechniques { count: usize, first: String },
    #[error("the demand has {found} entries but the economy has {expected} products")]
    DemandLength { expected: usize, found: usize },
    #[error(
        "the table is not productive: the spectral radius of A is {}, at least {:.6} (power iteration estimate {:.6}); {detail}",
        if .bounds.lower >= 1.0 { "1 or more" } else { "not certified below 1" },
        .bounds.lower, .bounds.estimate
    )]
    NotProductive {
        bounds: SpectralBounds,
        detail: String,
    },
    #[error(transparent)]
    Linalg(#[from] LinalgError),
}

/// Analyses `economy` for final demand `demand` (one entry per product).
pub fn analyze(
    economy: &Economy,
    demand: &[f64],
    settings: &AnalysisSettings,
) -> Result<Analysis, AnalysisError> {
    check_demand(economy, demand)?;
    analyze_matrix(economy, leontief_matrix(economy)?, demand, settings)
}

/// [`analyze`] with `A` already built, by [`leontief_matrix`] or [`take_leontief_matrix`] (the
/// economy supplies the products, their groups and its resources, not its inputs).
pub fn analyze_matrix(
    economy: &Economy,
    matrix: LeontiefMatrix,
    demand: &[f64],
    settings: &AnalysisSettings,
) -> Result<Analysis, AnalysisError> {
    check_demand(economy, demand)?;
    let n = economy.products.len();
    let LeontiefMatrix {
        col_start,
        row,
        value,
        labour,
        unmade_products,
    } = matrix;
    let nnz = row.len();
    // The arrays move into the solver: at 10^7 nonzeros a copy costs 120 MB and a pass.
    let mut system = Leontief::from_columns(n, col_start, row, value, settings.solver)?;
    if let Some(starts) = matrix::group_blocks_of(economy, nnz) {
        system.use_diagonal_blocks(&starts)?;
    }
    // Column sums certify most tables at no cost; power iteration runs only when they do not.
    let mut spectral = system.column_sum_bounds();
    if spectral.productive() != Some(true) {
        spectral = spectral_bounds(system.by_columns(), 1e-9, settings.spectral_iterations);
    }
    if spectral.productive() == Some(false) {
        return Err(not_productive(spectral, &system, economy));
    }
    let ones = vec![1.0; n];
    let labour = economy
        .manifest
        .resource_index(LABOUR)
        .map(|_| labour.unwrap_or_default());
    let transposed_rhs: Vec<&[f64]> = match &labour {
        Some(l) => vec![&ones, l],
        None => vec![&ones],
    };
    let (plain, transposed, iterations) = system.solve_pair(&[demand, &ones], &transposed_rhs)?;
    let mut plain_columns = plain.columns.into_iter();
    let gross_output = plain_columns.next().expect("two right-hand sides");
    let row_sums = plain_columns.next().expect("two right-hand sides");
    // For a productive table L >= I, so every row sum of L is at least 1: a row sum below that
    // proves the table is not productive even when the spectral bounds were inconclusive.
    let smallest_row_sum = row_sums.iter().copied().fold(f64::INFINITY, f64::min);
    if smallest_row_sum < 1.0 - 1e-9 {
        let detail = format!("the Leontief inverse has a row sum of {smallest_row_sum:.6} < 1");
        return Err(AnalysisError::NotProductive {
            bounds: spectral,
            detail,
        });
    }
    // The solutions for b = 1 are near the Perron vector: their Collatz-Wielandt ratios tighten
    // the bounds without another pass over A (the residual is relative to |b|_inf = 1).
    spectral.tighten_with_solution(&row_sums, &ones, plain.residual);
    spectral.tighten_with_solution(&transposed.columns[0], &ones, transposed.residual);
    let mut transposed_columns = transposed.columns.into_iter();
    let output_multiplier = transposed_columns.next().expect("one right-hand side");
    let labour_value = transposed_columns.next();
    let total: f64 = output_multiplier.iter().sum();
    let scale = if total > 0.0 { n as f64 / total } else { 0.0 };
    let backward_linkage = output_multiplier.iter().map(|m| m * scale).collect();
    let forward_linkage = row_sums.iter().map(|r| r * scale).collect();
    let inverse = if settings.inverse {
        Some(system.inverse()?)
    } else {
        None
    };
    let info = AnalysisInfo {
        method: system.method(),
        residual: plain.residual.max(transposed.residual),
        iterations,
        spectral,
        unmade_products,
    };
    Ok(Analysis {
        gross_output,
        output_multiplier,
        labour_value,
        backward_linkage,
        forward_linkage,
        row_sums,
        inverse,
        info,
    })
}

fn check_demand(economy: &Economy, demand: &[f64]) -> Result<(), AnalysisError> {
    let expected = economy.products.len();
    if demand.len() != expected {
        return Err(AnalysisError::DemandLength {
            expected,
            found: demand.len(),
        });
    }
    Ok(())
}

fn not_productive(bounds: SpectralBounds, system: &Leontief, economy: &Economy) -> AnalysisError {
    // Column sums of A are the row sums of A' (what `by_columns` holds).
    let mut sums: Vec<(f64, usize)> = system
        .by_columns()
        .row_sums()
        .into_iter()
        .enumerate()
        .map(|(j, s)| (s, j))
        .collect();
    sums.sort_by(|x, y| y.0.total_cmp(&x.0));
    let over: Vec<String> = sums
        .iter()
        .take_while(|(s, _)| *s >= 1.0)
        .take(5)
        .map(|(s, j)| format!("{} ({s:.4})", &economy.products.ids[*j]))
        .collect();
    let detail = if over.is_empty() {
        "no single column of A sums to 1 or more, so the problem lies in a cycle of products that use each other; check units and outputs".to_owned()
    } else {
        format!(
            "columns of A that sum to 1 or more (the product uses more than it makes): {}; check their units, `output` and inputs",
            over.join(", ")
        )
    };
    AnalysisError::NotProductive { bounds, detail }
}

#[cfg(test)]
mod tests;
