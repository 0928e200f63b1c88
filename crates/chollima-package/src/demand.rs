//! Demand files (`product,quantity`): a final demand other than the package's targets.

use std::path::Path;

use chollima_model::{Diagnostics, IdList, Location};

use crate::table;

/// Reads a `product,quantity` CSV into one entry per product (products not listed get 0).
/// Quantities may be negative (inventory drawdowns are real final demand). Unknown products,
/// repeated products and malformed rows are errors, all reported.
pub fn read_demand(path: &Path, products: &IdList) -> Result<(Vec<f64>, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut demand = vec![0.0; products.len()];
    if let Some(mut file) = table::open(path, true, &mut diags) {
        let product = file.require("product", &mut diags);
        let quantity = file.require("quantity", &mut diags);
        if let (Some(product), Some(quantity)) = (product, quantity) {
            for (i, name) in file.header.names.iter().enumerate() {
                if i != product && i != quantity {
                    diags.warning(
                        Location::at(path, 1, i + 1),
                        format!("column `{name}` is ignored"),
                    );
                }
            }
            let mut seen_on = vec![0usize; products.len()];
            file.rows(&mut diags, |row, diags| {
                let Some(id) = row.id(product, diags) else {
                    return;
                };
                let Some(p) = products.get(id) else {
                    diags
                        .error(row.location(product), format!("unknown product `{id}`"))
                        .hint("demand files name products of the package's products.csv");
                    return;
                };
                let p = p as usize;
                if seen_on[p] != 0 {
                    diags.error(
                        row.location(product),
                        format!(
                            "product `{id}` appears again (first on line {})",
                            seen_on[p]
                        ),
                    );
                    return;
                }
                seen_on[p] = row.line;
                match row.number(quantity, f64::NEG_INFINITY, f64::INFINITY, diags) {
                    Ok(Some(q)) => demand[p] = q,
                    Ok(None) => {
                        diags.error(row.location(quantity), "empty `quantity`");
                    }
                    Err(()) => {}
                }
            });
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((demand, diags))
    }
}
