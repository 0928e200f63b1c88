//! The economy: manifest, products, techniques, inputs, targets and capital.

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

use crate::SparseColumns;

/// The resource whose per-unit use gives labour values.
pub const LABOUR: &str = "labour";

/// A list of unique string ids with a hash index from id to position.
///
/// The index stores positions only (the ids live once, in `ids`), which keeps the memory of a
/// 10^7-product economy to the strings themselves plus four bytes an entry.
#[derive(Clone, Default)]
pub struct IdList {
    ids: Vec<String>,
    index: HashTable<u32>,
}

impl std::fmt::Debug for IdList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdList")
            .field("len", &self.ids.len())
            .finish()
    }
}

impl PartialEq for IdList {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids
    }
}

fn hash_id(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl IdList {
    pub fn with_capacity(n: usize) -> Self {
        IdList {
            ids: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
        }
    }

    /// Appends `id` and returns its position, or `Err(existing position)` when it is already there.
    pub fn insert(&mut self, id: impl Into<String>) -> Result<u32, u32> {
        let id = id.into();
        let hash = hash_id(&id);
        if let Some(&existing) = self.index.find(hash, |&i| self.ids[i as usize] == id) {
            return Err(existing);
        }
        let position = self.ids.len() as u32;
        let ids = &self.ids;
        self.index
            .insert_unique(hash, position, |&i| hash_id(&ids[i as usize]));
        self.ids.push(id);
        Ok(position)
    }

    /// Position of `id`, if present.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.index
            .find(hash_id(id), |&i| self.ids[i as usize] == id)
            .copied()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn as_slice(&self) -> &[String] {
        &self.ids
    }
}

impl std::ops::Index<usize> for IdList {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        &self.ids[i]
    }
}

/// Amount of a primary resource available per year.
#[derive(Debug, Clone, PartialEq)]
pub enum ResourceAmount {
    /// The same amount every plan year.
    Constant(f64),
    /// One amount per plan year.
    PerYear(Vec<f64>),
}

impl ResourceAmount {
    /// The amount in plan year `year` (1-based); the last listed year repeats beyond the list.
    pub fn in_year(&self, year: usize) -> f64 {
        match self {
            ResourceAmount::Constant(v) => *v,
            ResourceAmount::PerYear(values) => {
                values[(year.max(1) - 1).min(values.len().saturating_sub(1))]
            }
        }
    }
}

/// A primary resource of `[resources]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub name: String,
    pub amount: ResourceAmount,
}

/// The `[plan]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSettings {
    pub years: u32,
    pub priorities: Vec<String>,
    pub floor: f64,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            years: 1,
            priorities: Vec::new(),
            floor: 0.0,
        }
    }
}

/// `economy.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub format: u32,
    pub name: String,
    pub unit: Option<String>,
    pub base_year: Option<i64>,
    /// Primary resources in the order written; `foreign_exchange` is among them when given.
    pub resources: Vec<Resource>,
    /// `None` when the manifest has no `[plan]` table.
    pub plan: Option<PlanSettings>,
}

impl Manifest {
    /// A format-1 manifest with a name and nothing else.
    pub fn named(name: impl Into<String>) -> Self {
        Manifest {
            format: 1,
            name: name.into(),
            unit: None,
            base_year: None,
            resources: Vec::new(),
            plan: None,
        }
    }

    /// Position of a resource by name.
    pub fn resource_index(&self, name: &str) -> Option<usize> {
        self.resources.iter().position(|r| r.name == name)
    }

    /// The plan settings, defaults when the manifest has no `[plan]` table.
    pub fn plan_settings(&self) -> PlanSettings {
        self.plan.clone().unwrap_or_default()
    }
}

/// `products.csv`, column by column. Optional columns are `None` when absent from the file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Products {
    pub ids: IdList,
    pub names: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    pub import_price: Option<Vec<Option<f64>>>,
    pub export_price: Option<Vec<Option<f64>>>,
    pub export_limit: Option<Vec<Option<f64>>>,
}

impl Products {
    /// Appends a product with only an id (other columns, where present, get empty cells).
    ///
    /// # Panics
    /// When the id already exists.
    pub fn push_id(&mut self, id: impl Into<String>) -> u32 {
        let position = self.ids.insert(id).expect("duplicate product id");
        for column in [&mut self.names, &mut self.groups].into_iter().flatten() {
            column.push(String::new());
        }
        for column in [
            &mut self.import_price,
            &mut self.export_price,
            &mut self.export_limit,
        ]
        .into_iter()
        .flatten()
        {
            column.push(None);
        }
        position
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The display name of product `i`: its name when given, else its id.
    pub fn label(&self, i: usize) -> &str {
        match &self.names {
            Some(names) if !names[i].is_empty() => &names[i],
            _ => &self.ids[i],
        }
    }
}

/// `techniques.csv`, column by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Techniques {
    pub ids: IdList,
    /// The product each technique makes (index into [`Products`]).
    pub product: Vec<u32>,
    /// Units made per unit of activity (default 1).
    pub output: Vec<f64>,
    /// Most units of activity per year; `None` = unbounded.
    pub capacity: Vec<Option<f64>>,
    /// Share of capacity lost each year (default 0).
    pub depreciation: Vec<f64>,
    /// `resource_use[r][k]`: units of resource `r` (in manifest order) per unit of activity of `k`.
    pub resource_use: Vec<Vec<f64>>,
}

impl Techniques {
    /// No techniques, with room for `resources` resource columns.
    pub fn new(resources: usize) -> Self {
        Techniques {
            ids: IdList::default(),
            product: Vec::new(),
            output: Vec::new(),
            capacity: Vec::new(),
            depreciation: Vec::new(),
            resource_use: vec![Vec::new(); resources],
        }
    }

    /// Appends a technique with output 1, no capacity, no depreciation and no resource use.
    ///
    /// # Panics
    /// When the id already exists.
    pub fn push(&mut self, id: impl Into<String>, product: u32) -> u32 {
        let position = self.ids.insert(id).expect("duplicate technique id");
        self.product.push(product);
        self.output.push(1.0);
        self.capacity.push(None);
        self.depreciation.push(0.0);
        for column in &mut self.resource_use {
            column.push(0.0);
        }
        position
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// One row of `targets.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub product: u32,
    /// Index into [`Economy::categories`].
    pub category: u32,
    pub quantity: f64,
    /// Plan year 1..years; `None` = every year.
    pub year: Option<u32>,
}

/// A whole economy package.
#[derive(Debug, Clone, PartialEq)]
pub struct Economy {
    pub manifest: Manifest,
    pub products: Products,
    pub techniques: Techniques,
    /// Input coefficients: rows = products, columns = techniques.
    pub inputs: SparseColumns,
    /// Target categories in order of first appearance.
    pub categories: Vec<String>,
    pub targets: Vec<Target>,
    /// Capital coefficients (`capital.csv`): rows = goods, columns = techniques; `None` when absent.
    pub capital: Option<SparseColumns>,
}

impl Economy {
    /// An economy without targets or capital.
    pub fn new(
        manifest: Manifest,
        products: Products,
        techniques: Techniques,
        inputs: SparseColumns,
    ) -> Self {
        Economy {
            manifest,
            products,
            techniques,
            inputs,
            categories: Vec::new(),
            targets: Vec::new(),
            capital: None,
        }
    }

    pub fn product_index(&self, id: &str) -> Option<usize> {
        self.products.ids.get(id).map(|i| i as usize)
    }

    pub fn technique_index(&self, id: &str) -> Option<usize> {
        self.techniques.ids.get(id).map(|i| i as usize)
    }

    /// Index of a target category, added when new.
    pub fn category_index(&mut self, name: &str) -> u32 {
        match self.categories.iter().position(|c| c == name) {
            Some(i) => i as u32,
            None => {
                self.categories.push(name.to_owned());
                (self.categories.len() - 1) as u32
            }
        }
    }

    /// Adds a target row.
    pub fn push_target(&mut self, product: u32, category: &str, quantity: f64, year: Option<u32>) {
        let category = self.category_index(category);
        self.targets.push(Target {
            product,
            category,
            quantity,
            year,
        });
    }

    /// Final demand per product in plan year `year` (1-based): the sum of the targets that apply.
    pub fn demand_in_year(&self, year: u32) -> Vec<f64> {
        let mut demand = vec![0.0; self.products.len()];
        for t in &self.targets {
            if t.year.is_none_or(|y| y == year) {
                demand[t.product as usize] += t.quantity;
            }
        }
        demand
    }

    /// The number of techniques making each product.
    pub fn techniques_per_product(&self) -> Vec<u32> {
        let mut count = vec![0u32; self.products.len()];
        for &p in &self.techniques.product {
            count[p as usize] += 1;
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_list_finds_ids_and_refuses_duplicates() {
        let mut ids = IdList::default();
        assert_eq!(ids.insert("a"), Ok(0));
        assert_eq!(ids.insert("b"), Ok(1));
        assert_eq!(ids.insert("a"), Err(0));
        assert_eq!(ids.get("b"), Some(1));
        assert_eq!(ids.get("c"), None);
        assert_eq!(&ids[1], "b");
        for i in 0..10_000 {
            ids.insert(format!("p{i}")).unwrap();
        }
        assert_eq!(ids.get("p9999"), Some(10_001));
    }

    #[test]
    fn demand_sums_targets_that_apply_to_the_year() {
        let mut products = Products::default();
        products.push_id("rice");
        let mut e = Economy::new(
            Manifest::named("t"),
            products,
            Techniques::new(0),
            SparseColumns::empty(1, 0),
        );
        e.push_target(0, "food", 2.0, None);
        e.push_target(0, "food", 3.0, Some(2));
        assert_eq!(e.demand_in_year(1), vec![2.0]);
        assert_eq!(e.demand_in_year(2), vec![5.0]);
        assert_eq!(e.categories, vec!["food".to_string()]);
    }

    #[test]
    fn per_year_resources_repeat_their_last_value() {
        let amount = ResourceAmount::PerYear(vec![1.0, 2.0]);
        assert_eq!(amount.in_year(1), 1.0);
        assert_eq!(amount.in_year(3), 2.0);
        assert_eq!(ResourceAmount::Constant(4.0).in_year(9), 4.0);
    }
}
