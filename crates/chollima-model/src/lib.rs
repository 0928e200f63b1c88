//! The in-memory economy of `FORMAT.md` (format 1).
//!
//! An [`Economy`] is what every reader produces and every solver consumes: a [`Manifest`]
//! (name, units, primary resources, plan settings), [`Products`], [`Techniques`], the sparse
//! input coefficients ([`SparseColumns`], one column per technique), [`Target`]s and the optional
//! capital coefficients of multi-year plans.
//!
//! Products and techniques are addressed by dense indices (`u32`) into column-oriented tables,
//! so a 10^7-product economy costs a few flat vectors rather than millions of small structs.
//! Ids are kept for reading and writing; [`Economy::product_index`] maps an id back.
//!
//! ```
//! use chollima_model::{Economy, Manifest, Products, Techniques, SparseColumns};
//! let mut products = Products::default();
//! products.push_id("grain");
//! products.push_id("tractor");
//! let mut techniques = Techniques::new(0);
//! techniques.push("grow", 0);
//! techniques.push("build", 1);
//! // grain uses 0.1 tractor; tractor uses 0.2 grain
//! let inputs = SparseColumns::from_columns(2, vec![vec![(1, 0.1)], vec![(0, 0.2)]]);
//! let economy = Economy::new(Manifest::named("two goods"), products, techniques, inputs);
//! assert_eq!(economy.product_index("tractor"), Some(1));
//! ```

pub mod diagnostic;
mod economy;
mod file;
mod sparse;

pub use diagnostic::{Diagnostic, Diagnostics, Location, Severity};
pub use economy::{
    Economy, Finance, FinanceKind, IdList, LABOUR, Manifest, PlanSettings, Products, Resource,
    ResourceAmount, Target, Techniques,
};
pub use file::FileBytes;
pub use sparse::SparseColumns;
