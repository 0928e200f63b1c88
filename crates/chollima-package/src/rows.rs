//! `products.csv`, `techniques.csv`, `targets.csv` and `finance.csv`: the row-per-entity files.

use std::path::Path;

use chollima_model::{
    Diagnostics, Finance, FinanceKind, Location, Manifest, Products, Target, Techniques,
};

use crate::table::{self, CsvFile};

const PRODUCT_COLUMNS: [&str; 6] = [
    "id",
    "name",
    "group",
    "import_price",
    "export_price",
    "export_limit",
];

/// Reads `products.csv`.
pub(crate) fn read_products(path: &Path, diags: &mut Diagnostics) -> Option<Products> {
    let mut file = table::open(path, true, diags)?;
    let id = file.require("id", diags)?;
    let name = file.header.find("name");
    let group = file.header.find("group");
    let import_price = file.header.find("import_price");
    let export_price = file.header.find("export_price");
    let export_limit = file.header.find("export_limit");
    warn_unknown_columns(&file, &PRODUCT_COLUMNS, &[], diags);
    let mut products = Products {
        names: name.map(|_| Vec::new()),
        groups: group.map(|_| Vec::new()),
        import_price: import_price.map(|_| Vec::new()),
        export_price: export_price.map(|_| Vec::new()),
        export_limit: export_limit.map(|_| Vec::new()),
        ..Products::default()
    };
    let mut first_line: Vec<usize> = Vec::new();
    file.rows(diags, |row, diags| {
        let Some(id_text) = row.id(id, diags) else {
            return;
        };
        if let Err(existing) = products.ids.insert(id_text) {
            diags
                .error(
                    row.location(id),
                    format!(
                        "product `{id_text}` is defined twice (first on line {})",
                        first_line[existing as usize]
                    ),
                )
                .hint("product ids must be unique");
            return;
        }
        first_line.push(row.line);
        for (column, values) in [(name, &mut products.names), (group, &mut products.groups)] {
            if let (Some(c), Some(values)) = (column, values.as_mut()) {
                values.push(row.text(c, diags).unwrap_or("").to_owned());
            }
        }
        for (column, values) in [
            (import_price, &mut products.import_price),
            (export_price, &mut products.export_price),
            (export_limit, &mut products.export_limit),
        ] {
            if let (Some(c), Some(values)) = (column, values.as_mut()) {
                values.push(row.number(c, 0.0, f64::INFINITY, diags).ok().flatten());
            }
        }
    });
    if products.is_empty() && !diags.has_errors() {
        diags
            .error(Location::file(path), "no products")
            .hint("list one product per row under the header");
    }
    Some(products)
}

const TECHNIQUE_COLUMNS: [&str; 5] = ["id", "product", "output", "capacity", "depreciation"];

/// Reads `techniques.csv`; resource columns must be declared in the manifest.
pub(crate) fn read_techniques(
    path: &Path,
    manifest: &Manifest,
    products: &Products,
    diags: &mut Diagnostics,
) -> Option<Techniques> {
    let mut file = table::open(path, true, diags)?;
    let id = file.require("id", diags);
    let product = file.require("product", diags);
    let (id, product) = (id?, product?);
    let output = file.header.find("output");
    let capacity = file.header.find("capacity");
    let depreciation = file.header.find("depreciation");
    let resource_names: Vec<&str> = manifest.resources.iter().map(|r| r.name.as_str()).collect();
    warn_unknown_columns(&file, &TECHNIQUE_COLUMNS, &resource_names, diags);
    let resource_columns: Vec<Option<usize>> =
        resource_names.iter().map(|r| file.header.find(r)).collect();
    let mut techniques = Techniques::new(resource_names.len());
    let mut first_line: Vec<usize> = Vec::new();
    file.rows(diags, |row, diags| {
        let Some(id_text) = row.id(id, diags) else {
            return;
        };
        let made = row.id(product, diags).and_then(|p| {
            let found = products.ids.get(p);
            if found.is_none() {
                diags
                    .error(
                        row.location(product),
                        format!("technique `{id_text}` makes unknown product `{p}`"),
                    )
                    .hint("add the product to products.csv, or correct the id");
            }
            found
        });
        let out = match output {
            Some(c) => match row.number(c, f64::MIN_POSITIVE, f64::INFINITY, diags) {
                Ok(v) => v.unwrap_or(1.0),
                Err(()) => return,
            },
            None => 1.0,
        };
        let cap = match capacity.map(|c| row.number(c, 0.0, f64::INFINITY, diags)) {
            Some(Err(())) => return,
            Some(Ok(v)) => v,
            None => None,
        };
        let dep = match depreciation.map(|c| row.number(c, 0.0, 1.0, diags)) {
            Some(Err(())) => return,
            Some(Ok(v)) => v.unwrap_or(0.0),
            None => 0.0,
        };
        let mut uses = Vec::with_capacity(resource_columns.len());
        for column in &resource_columns {
            match column.map(|c| row.number(c, 0.0, f64::INFINITY, diags)) {
                Some(Err(())) => return,
                Some(Ok(v)) => uses.push(v.unwrap_or(0.0)),
                None => uses.push(0.0),
            }
        }
        let Some(made) = made else { return };
        if let Err(existing) = techniques.ids.insert(id_text) {
            diags
                .error(
                    row.location(id),
                    format!(
                        "technique `{id_text}` is defined twice (first on line {})",
                        first_line[existing as usize]
                    ),
                )
                .hint("technique ids must be unique");
            return;
        }
        first_line.push(row.line);
        techniques.product.push(made);
        techniques.output.push(out);
        techniques.capacity.push(cap);
        techniques.depreciation.push(dep);
        for (column, v) in techniques.resource_use.iter_mut().zip(uses) {
            column.push(v);
        }
    });
    Some(techniques)
}

/// Target rows and their categories in order of first appearance.
#[derive(Debug, Default)]
pub(crate) struct TargetRows {
    pub categories: Vec<String>,
    pub targets: Vec<Target>,
}

impl TargetRows {
    fn push(&mut self, product: u32, category: &str, quantity: f64, year: Option<u32>) {
        let category = match self.categories.iter().position(|c| c == category) {
            Some(i) => i as u32,
            None => {
                self.categories.push(category.to_owned());
                (self.categories.len() - 1) as u32
            }
        };
        self.targets.push(Target {
            product,
            category,
            quantity,
            year,
        });
    }
}

/// Reads `targets.csv` for the given products and plan length.
pub(crate) fn read_targets(
    path: &Path,
    products: &Products,
    years: u32,
    diags: &mut Diagnostics,
) -> TargetRows {
    let mut rows = TargetRows::default();
    let Some(mut file) = table::open(path, true, diags) else {
        return rows;
    };
    let product = file.require("product", diags);
    let category = file.require("category", diags);
    let quantity = file.require("quantity", diags);
    let (Some(product), Some(category), Some(quantity)) = (product, category, quantity) else {
        return rows;
    };
    let year = file.header.find("year");
    warn_unknown_columns(
        &file,
        &["product", "category", "quantity", "year"],
        &[],
        diags,
    );
    file.rows(diags, |row, diags| {
        let p = row.id(product, diags).and_then(|p| {
            let found = products.ids.get(p);
            if found.is_none() {
                diags
                    .error(
                        row.location(product),
                        format!("target for unknown product `{p}`"),
                    )
                    .hint("targets may only name products listed in products.csv");
            }
            found
        });
        let c = row.id(category, diags);
        let q = match row.number(quantity, 0.0, f64::INFINITY, diags) {
            Ok(Some(q)) => Some(q),
            Ok(None) => {
                diags.error(row.location(quantity), "empty `quantity`");
                None
            }
            Err(()) => None,
        };
        let y = match year.map(|c| row.number(c, 1.0, f64::from(years), diags)) {
            Some(Ok(Some(y))) if y.fract() == 0.0 => Ok(Some(y as u32)),
            Some(Ok(Some(y))) => {
                diags.error(
                    row.location(year.unwrap()),
                    format!("`year` is {y}, not a whole number"),
                );
                Err(())
            }
            Some(Err(())) => Err(()),
            _ => Ok(None),
        };
        if let (Some(p), Some(c), Some(q), Ok(y)) = (p, c, q, y) {
            rows.push(p, c, q, y);
        }
    });
    rows
}

/// Unknown columns are reported: they are not read, and a user who misspelled `capacity` must
/// learn that it had no effect.
fn warn_unknown_columns(
    file: &CsvFile,
    known: &[&str],
    resources: &[&str],
    diags: &mut Diagnostics,
) {
    let is_techniques = known.contains(&"depreciation");
    for (i, name) in file.header.names.iter().enumerate() {
        if known.contains(&name.as_str()) || resources.contains(&name.as_str()) {
            continue;
        }
        let location = Location::at(&file.path, 1, i + 1);
        if is_techniques {
            diags
                .error(location, format!("column `{name}` is not a technique column nor a resource in economy.toml"))
                .hint(format!(
                    "declare it under [resources] in economy.toml (`{name} = amount`), or remove the column"
                ));
        } else {
            diags
                .warning(location, format!("unknown column `{name}` is ignored"))
                .hint(format!("this file's columns are: {}", known.join(", ")));
        }
    }
}

/// Reads `finance.csv` (a FORMAT extension): `source, kind, year, amount, reliability`.
pub(crate) fn read_finance(path: &Path, years: u32, diags: &mut Diagnostics) -> Vec<Finance> {
    let mut rows = Vec::new();
    let Some(mut file) = table::open(path, true, diags) else {
        return rows;
    };
    let columns = ["source", "kind", "year", "amount", "reliability"];
    let source = file.require("source", diags);
    let kind = file.require("kind", diags);
    let amount = file.require("amount", diags);
    let reliability = file.require("reliability", diags);
    let (Some(source), Some(kind), Some(amount), Some(reliability)) =
        (source, kind, amount, reliability)
    else {
        return rows;
    };
    let year = file.header.find("year");
    warn_unknown_columns(&file, &columns, &[], diags);
    file.rows(diags, |row, diags| {
        let s = row.id(source, diags).map(|s| s.trim().to_owned());
        let k = row.id(kind, diags).and_then(|text| {
            let parsed = FinanceKind::parse(text);
            if parsed.is_none() {
                diags
                    .error(row.location(kind), format!("`kind` is `{}`", text.trim()))
                    .hint("a source is a `donor`, a `trading_house` or `other`");
            }
            parsed
        });
        let required = |column: usize, name: &str, max: f64, diags: &mut Diagnostics| match row
            .number(column, 0.0, max, diags)
        {
            Ok(Some(v)) => Some(v),
            Ok(None) => {
                diags.error(row.location(column), format!("empty `{name}`"));
                None
            }
            Err(()) => None,
        };
        let a = required(amount, "amount", f64::INFINITY, diags);
        let r = required(reliability, "reliability", 1.0, diags);
        let y = match year.map(|c| row.number(c, 1.0, f64::from(years), diags)) {
            Some(Ok(Some(y))) if y.fract() == 0.0 => Ok(Some(y as u32)),
            Some(Ok(Some(y))) => {
                diags.error(
                    row.location(year.expect("read above")),
                    format!("`year` is {y}, not a whole number"),
                );
                Err(())
            }
            Some(Err(())) => Err(()),
            _ => Ok(None),
        };
        if let (Some(source), Some(kind), Some(amount), Some(reliability), Ok(year)) =
            (s, k, a, r, y)
        {
            rows.push(Finance {
                source,
                kind,
                year,
                amount,
                reliability,
            });
        }
    });
    rows
}
