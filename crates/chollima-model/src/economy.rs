//! The economy: manifest, products, techniques, inputs, targets and capital.

use hashbrown::HashTable;
use std::hash::BuildHasher;

use crate::SparseColumns;

/// The resource whose per-unit use gives labour values.
pub const LABOUR: &str = "labour";

/// Bytes of an id kept inside its hash slot; longer ids are compared through the list.
const INLINE: usize = 22;

/// A hash-table slot: the id's first bytes inline, so a lookup is settled by the table alone
/// (one or two cache misses) instead of chasing the `String` of every candidate, which made
/// reading a 10^7-row `inputs.csv` memory-latency bound.
#[derive(Clone, Copy)]
struct Slot {
    key: [u8; INLINE],
    /// The id's length when it fits inline; `u16::MAX` when it does not.
    len: u16,
    position: u32,
}

impl Slot {
    fn new(id: &str, position: u32) -> Self {
        let bytes = id.as_bytes();
        let mut key = [0u8; INLINE];
        let n = bytes.len().min(INLINE);
        key[..n].copy_from_slice(&bytes[..n]);
        let len = if bytes.len() <= INLINE {
            bytes.len() as u16
        } else {
            u16::MAX
        };
        Slot { key, len, position }
    }

    fn matches(&self, id: &str, ids: &[String]) -> bool {
        let bytes = id.as_bytes();
        if self.len != u16::MAX {
            self.len as usize == bytes.len() && self.key[..bytes.len()] == *bytes
        } else {
            bytes.len() > INLINE && self.key == bytes[..INLINE] && ids[self.position as usize] == id
        }
    }
}

/// A list of unique string ids with a hash index from id to position.
///
/// When every id so far is a common prefix followed by its own position in decimal (`p0`,
/// `p1`, ... or `t1`, `t2`, ... with an offset), lookups parse the number instead of probing
/// the table: on machines where a cache miss costs 300 ns, that is what makes reading a
/// 10^7-row `inputs.csv` of a generated economy take a second instead of ten.
#[derive(Clone, Default)]
pub struct IdList {
    ids: Vec<String>,
    index: HashTable<Slot>,
    numbered: Option<Numbered>,
}

/// Ids of the form `prefix` + (position + `first`) in canonical decimal.
#[derive(Clone, Debug, PartialEq)]
struct Numbered {
    prefix: String,
    first: u64,
}

impl Numbered {
    /// The number after `prefix` when `id` is prefix + canonical decimal.
    fn number(&self, id: &str) -> Option<u64> {
        let digits = id.strip_prefix(self.prefix.as_str())?;
        parse_canonical(digits)
    }
}

/// A canonical decimal number: digits only, no leading zero (except `0` itself), fits u64.
fn parse_canonical(digits: &str) -> Option<u64> {
    let bytes = digits.as_bytes();
    if bytes.is_empty() || bytes.len() > 19 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    let mut value = 0u64;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    Some(value)
}

/// Splits `id` into a prefix and a trailing canonical number.
fn split_number(id: &str) -> Option<(&str, u64)> {
    let start = id.len() - id.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (prefix, digits) = id.split_at(start);
    parse_canonical(digits).map(|n| (prefix, n))
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

/// A fixed-seed hash, so an economy's index is the same on every run. foldhash mixes the high
/// bits that hashbrown's probing needs (FxHash did not: `p123456`-style ids probed long).
fn hash_id(id: &str) -> u64 {
    foldhash::quality::FixedState::with_seed(0x5eed_c4011).hash_one(id)
}

impl IdList {
    pub fn with_capacity(n: usize) -> Self {
        IdList {
            ids: Vec::with_capacity(n),
            index: HashTable::new(),
            numbered: None,
        }
    }

    /// Appends `id` and returns its position, or `Err(existing position)` when it is already there.
    pub fn insert(&mut self, id: impl Into<String>) -> Result<u32, u32> {
        let id = id.into();
        let position = self.ids.len() as u32;
        if position == 0 {
            self.numbered = split_number(&id).map(|(prefix, first)| Numbered {
                prefix: prefix.to_owned(),
                first,
            });
        }
        if let Some(numbered) = &self.numbered {
            let next = numbered.first + u64::from(position);
            match numbered.number(&id) {
                // The next number in the sequence: new by construction, no table needed.
                Some(n) if n == next => {
                    self.ids.push(id);
                    return Ok(position);
                }
                Some(n) if n >= numbered.first && n < next => {
                    return Err((n - numbered.first) as u32);
                }
                _ => {}
            }
            // The pattern breaks here: index every id so far, then go on by hashing.
            self.numbered = None;
            self.index = HashTable::with_capacity(self.ids.capacity());
            for (i, existing) in self.ids.iter().enumerate() {
                let ids = &self.ids;
                self.index
                    .insert_unique(hash_id(existing), Slot::new(existing, i as u32), |s| {
                        hash_id(&ids[s.position as usize])
                    });
            }
        }
        let hash = hash_id(&id);
        if let Some(existing) = self.index.find(hash, |slot| slot.matches(&id, &self.ids)) {
            return Err(existing.position);
        }
        let ids = &self.ids;
        self.index
            .insert_unique(hash, Slot::new(&id, position), |s| {
                hash_id(&ids[s.position as usize])
            });
        self.ids.push(id);
        Ok(position)
    }

    /// Position of `id`, if present.
    pub fn get(&self, id: &str) -> Option<u32> {
        if let Some(numbered) = &self.numbered {
            // Every id is prefix + number, so anything else is absent.
            let position = numbered.number(id)?.checked_sub(numbered.first)?;
            return (position < self.ids.len() as u64).then_some(position as u32);
        }
        self.index
            .find(hash_id(id), |slot| slot.matches(id, &self.ids))
            .map(|s| s.position)
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

/// What kind of source a line of `finance.csv` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinanceKind {
    /// A foreign government or agency giving aid or credit.
    Donor,
    /// A trading house earning hard currency abroad.
    TradingHouse,
    Other,
}

impl FinanceKind {
    pub fn name(self) -> &'static str {
        match self {
            FinanceKind::Donor => "donor",
            FinanceKind::TradingHouse => "trading_house",
            FinanceKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<FinanceKind> {
        match text.trim() {
            "donor" => Some(FinanceKind::Donor),
            "trading_house" => Some(FinanceKind::TradingHouse),
            "other" => Some(FinanceKind::Other),
            _ => None,
        }
    }
}

/// One row of `finance.csv` (a FORMAT extension): foreign exchange a source is expected to
/// provide in a plan year.
#[derive(Debug, Clone, PartialEq)]
pub struct Finance {
    pub source: String,
    pub kind: FinanceKind,
    /// Plan year 1..years; `None` = every year.
    pub year: Option<u32>,
    pub amount: f64,
    /// The share of `amount` to expect, 0..1.
    pub reliability: f64,
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
    /// Sources of foreign exchange (`finance.csv`); `None` when absent.
    pub finance: Option<Vec<Finance>>,
}

impl Economy {
    /// The foreign exchange expected in plan year `year` from `finance.csv` (the sum of
    /// `amount * reliability` of its rows for that year), or `None` without the file.
    pub fn expected_finance(&self, year: u32) -> Option<f64> {
        self.finance.as_ref().map(|rows| {
            rows.iter()
                .filter(|f| f.year.is_none_or(|y| y == year))
                .map(|f| f.amount * f.reliability)
                .sum()
        })
    }

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
            finance: None,
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
        assert!(ids.numbered.is_none(), "a, b break the numbering");
        let long = "a-product-id-longer-than-the-inline-key";
        assert_eq!(ids.insert(long), Ok(10_002));
        assert_eq!(ids.insert(format!("{long}!")), Ok(10_003));
        assert_eq!(ids.get(long), Some(10_002));
        assert_eq!(ids.get(&long[..30]), None);
        assert_eq!(ids.insert(long), Err(10_002));
    }

    #[test]
    fn numbered_ids_are_found_without_the_table_and_stay_correct() {
        let mut ids = IdList::default();
        for i in 1..=1000 {
            ids.insert(format!("t{i}")).unwrap();
        }
        assert!(ids.numbered.is_some());
        assert_eq!(ids.get("t1"), Some(0));
        assert_eq!(ids.get("t1000"), Some(999));
        for absent in [
            "t0",
            "t1001",
            "t01",
            "t",
            "x5",
            "t5x",
            "t99999999999999999999",
        ] {
            assert_eq!(ids.get(absent), None, "{absent}");
        }
        assert_eq!(ids.insert("t5"), Err(4));
        ids.insert("t1001").unwrap();
        assert!(ids.numbered.is_some());
        ids.insert("other").unwrap();
        assert!(ids.numbered.is_none());
        assert_eq!(ids.get("t1001"), Some(1000));
        assert_eq!(ids.get("other"), Some(1001));
        assert_eq!(ids.get("t01"), None);
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
