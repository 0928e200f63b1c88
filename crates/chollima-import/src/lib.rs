//! Importers: published input-output tables to an [`Economy`] and a report of what was done.
//!
//! Each importer reads one family of published tables and returns an [`Imported`]: the economy
//! (one product and one technique per sector or commodity, the input coefficients `A`, final
//! demand as targets) and a [`Diagnostics`] report of notes and warnings that lists everything
//! that was handled, changed or dropped on the way. Nothing is dropped or changed silently.
//! Bad input gives [`ImportError::Invalid`] with every problem found (file, line, column, hint),
//! never a panic. Writing the package to disk is the caller's business (`chollima-package`).
//!
//! | importer | input | `A` |
//! |---|---|---|
//! | [`import_iot`] | a folder with `Z.csv`, `Y.csv`, `x.csv` (WIOD 2013 layout) | `Z / x`, column by column |
//! | [`import_ons`] | UK ONS analytical tables (`A_pxp.csv`, `iot_domestic_pxp.csv`, `row_labels.csv`) | published `A`, exactly |
//! | [`import_supply_use`] | make and use tables: BEA (detail, summary) or IBGE | industry- or commodity-technology assumption |
//! | [`import_mtx`] | a Matrix Market file holding `A`, optional demand vector | as given |
//! | [`import_pymrio`] | a folder written by pymrio's `save_all` (text format) | `A.txt`, or `Z / x` |
//! | [`import_wiod_niot`] | a WIOD 2016 national table (`usaiot.csv`), one year | `Z / GO` |
//!
//! [`attach_labour`] adds the `labour` resource from employment by industry (IBGE's
//! `Fator trabalho (ocupações)`, WIOD's Socio-Economic Accounts `EMP` or `H_EMPE`), mapped from
//! industries to products with the [`IndustryMapping`] each importer returns.
//!
//! # Handling shared by every importer
//!
//! * **Final demand becomes targets**, one category per kind of final-demand column
//!   (households, npish, government, investment, inventories, valuables, exports, imports),
//!   recognised from the column label (see [`final_demand`]) or given by a mapping file.
//! * **Negative final demand** (inventory run-downs, imports entered as negative demand) is
//!   netted per product against that product's positive categories, proportionally, so the
//!   product's total final demand is kept exactly; every adjusted product is reported. A product
//!   whose total is negative gets no targets, with a warning (see [`final_demand`]).
//! * **Negative input coefficients** are set to zero (FORMAT.md wants coefficients >= 0), each
//!   reported with its place in the source.
//! * **Zero-output sectors** get a zero column in `A` (as pymrio does), reported one by one.
//! * **Imbalances** between published totals and the sums of the parts are reported: the
//!   largest few, relative and absolute.
//! * **Totals rows and columns, value-added rows, unnamed columns** are recognised by code or
//!   label, checked against the sums they should equal where possible, and reported as skipped.
//!
//! # Speed
//!
//! Tables are read in one pass (a tight byte loop for quote-free text, the `csv` crate's
//! `ByteRecord` reader otherwise; integers parsed by a fast path, other numbers by Rust's
//! correctly rounded parser) into compressed sparse rows of the non-zeros, and `A` is built
//! column by column straight from them as `SparseColumns::from_raw`, without a dense n x n copy.
//! WIOD 2011 (1435 sectors, 413 525 non-zeros) imports in about 40 ms on a loaded 2-core
//! machine (`cargo run --release -p chollima-import --example import_timing -- iot
//! data/wiod2013/2011`), about 220 million instructions.

// Numeric code over parallel arrays (rows, labels, totals) reads better with indices.
#![allow(clippy::needless_range_loop)]

pub mod final_demand;
pub mod iot;
pub mod labour;
pub mod mtx;
pub mod ons;
pub mod pymrio;
pub mod supply_use;
pub mod wiod_niot;

mod build;
mod dense;
mod table;

use std::path::PathBuf;

use chollima_model::{Diagnostics, Economy, SparseColumns};

pub use final_demand::CategoryMapping;
pub use iot::{IotOptions, import_iot};
pub use labour::{LabourSource, LabourTable, SeaVariable, attach_labour};
pub use mtx::{MtxOptions, import_mtx};
pub use ons::{OnsCoefficients, OnsOptions, import_ons};
pub use pymrio::{PymrioCoefficients, PymrioOptions, import_pymrio};
pub use supply_use::{
    Assumption, IbgeValuation, SupplyUseFormat, SupplyUseOptions, import_supply_use,
};
pub use table::MAX_ERRORS_PER_FILE;
pub use wiod_niot::{WiodNiotOptions, import_wiod_niot};

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    pub economy: Economy,
    /// Notes and warnings: everything that was handled, changed or dropped.
    pub report: Diagnostics,
    /// How industries of the source map to the products of `economy`, for attaching
    /// industry-level data such as employment ([`attach_labour`]).
    pub industries: IndustryMapping,
}

/// Why an import failed.
#[derive(thiserror::Error, Debug)]
pub enum ImportError {
    /// A file could not be read for a reason other than not being there.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input has problems: every one found, each with file, line, column and a hint.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// From industries of the source tables to products of the economy.
///
/// A per-unit-of-output coefficient `r_i` of industry `i` (labour per unit of gross output)
/// becomes the per-unit coefficient of product `p` as `sum_i r_i * to_products[i][p]`. For a
/// symmetric table this is the identity; under the industry-technology assumption it is the
/// market-share matrix `D = V q^-1`; under the commodity-technology assumption `C^-1`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndustryMapping {
    /// Industry ids as written in the source tables.
    pub industries: Vec<String>,
    /// Gross output of each industry (`g`), in the table's units.
    pub output: Vec<f64>,
    /// Rows = industries, columns = products of the economy.
    pub to_products: SparseColumns,
}

impl IndustryMapping {
    /// Industries that are the products themselves (a symmetric table).
    pub fn identity(ids: &[String], output: &[f64]) -> Self {
        let n = ids.len();
        IndustryMapping {
            industries: ids.to_vec(),
            output: output.to_vec(),
            to_products: SparseColumns::from_raw(
                n,
                (0..=n).collect(),
                (0..n as u32).collect(),
                vec![1.0; n],
            ),
        }
    }
}

/// Stops early when problems so far make going on pointless.
pub(crate) fn bail_if_errors(report: &mut Diagnostics) -> Result<(), ImportError> {
    if report.has_errors() {
        let mut all = std::mem::take(report);
        all.sort();
        return Err(ImportError::Invalid(all));
    }
    Ok(())
}
