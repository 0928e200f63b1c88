//! Primary resources, capacities, depreciation, capital coefficients and foreign trade, sized
//! against the Leontief plan `x` of the first-year targets (see [`crate::leontief`]).
//!
//! * Labour: every technique uses some, log-normal around 0.5 per unit of output. The manifest
//!   offers `L = l . x / r` with `r` drawn in [`LABOUR_USE`]: the Leontief plan needs 80-90 % of
//!   the labour, which binds only mildly. With several years labour grows 2 % a year.
//! * Land (optional): a technique uses land with a chance set by its sector (agriculture and
//!   forestry nearly always, about a fifth of all techniques), offered the same way.
//! * Capacities: a primary technique with a capacity gets 1.0-1.5 times its Leontief activity
//!   (one in ten a tighter 0.8-1.0); an alternative 0.2-0.6 times its product's gross output.
//!   Techniques whose product the plan does not need are sized as if it needed one unit.
//! * Multi-year: techniques with a capacity depreciate 2-10 % a year and can be expanded with
//!   2-4 capital goods (machinery, electronics, construction, popular ones more often), 1-3
//!   units of goods per unit of yearly capacity.
//! * Trade: a traded product has a world price of 0.7-1.5 times its labour value; most can be
//!   both imported and exported (export price 60-90 % of the import price, exports limited to
//!   10-50 % of gross output), some only one way. `foreign_exchange` pays for 5 % of the gross
//!   output of the importable products.

use chollima_model::SparseColumns;
use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::popularity::Popularity;
use crate::random::{self, ChunkRng, Stream};
use crate::sectors;
use crate::structure::{Layout, build_columns};

/// Range of the share of the offered labour (and land) that the Leontief plan needs.
pub const LABOUR_USE: std::ops::Range<f64> = 0.8..0.9;
/// Yearly growth of the labour force in multi-year plans.
pub const LABOUR_GROWTH: f64 = 0.02;

/// Labour per unit of activity of every technique.
pub(crate) fn labour(layout: &Layout, seed: u64) -> Vec<f64> {
    let per_output = LogNormal::new(0.5f64.ln(), 0.5).expect("valid log-normal");
    random::tabulate(layout.techniques(), seed, Stream::Labour, |rng, k| {
        per_output.sample(rng) * layout.output(k)
    })
}

/// Land per unit of activity of every technique (0 for most).
pub(crate) fn land(layout: &Layout, sectors: &[u8], seed: u64) -> Vec<f64> {
    random::tabulate(layout.techniques(), seed, Stream::Land, |rng, k| {
        let code = sectors[layout.product(k) as usize];
        if rng.random_bool(sectors::land_share(code)) {
            rng.random_range(0.05..0.5) * layout.output(k)
        } else {
            0.0
        }
    })
}

/// The amount of a resource to offer when the Leontief plan needs `needed`.
pub(crate) fn offered(needed: f64, rng: &mut ChunkRng) -> f64 {
    let r = rng.random_range(LABOUR_USE);
    if needed > 0.0 { needed / r } else { 1.0 }
}

/// Capacities in units of activity; `x` is the gross output of every product.
pub(crate) fn capacities(layout: &Layout, share: f64, x: &[f64], seed: u64) -> Vec<Option<f64>> {
    if share == 0.0 {
        return vec![None; layout.techniques()];
    }
    random::tabulate(layout.techniques(), seed, Stream::Capacity, |rng, k| {
        if !rng.random_bool(share) {
            return None;
        }
        let factor = if k >= layout.products {
            rng.random_range(0.2..0.6)
        } else if rng.random_bool(0.1) {
            rng.random_range(0.8..1.0)
        } else {
            rng.random_range(1.0..1.5)
        };
        Some(factor * x[layout.product(k) as usize].max(1.0) / layout.output(k))
    })
}

/// Depreciation of every technique: 2-10 % where it has a capacity.
pub(crate) fn depreciation(capacity: &[Option<f64>], seed: u64) -> Vec<f64> {
    random::tabulate(capacity.len(), seed, Stream::Depreciation, |rng, k| {
        if capacity[k].is_some() {
            rng.random_range(0.02..0.1)
        } else {
            0.0
        }
    })
}

/// Capital coefficients (rows = products) of the techniques with a capacity.
pub(crate) fn capital(sectors: &[u8], capacity: &[Option<f64>], seed: u64) -> SparseColumns {
    let mut goods: Vec<u32> = (0..sectors.len() as u32)
        .filter(|&i| sectors::is_capital(sectors[i as usize]))
        .collect();
    if goods.is_empty() {
        goods = (0..sectors.len() as u32).collect();
    }
    let popularity = Popularity::new(goods.len(), seed.rotate_left(29));
    let shape = |rng: &mut ChunkRng, k: usize| match capacity[k] {
        Some(_) => (rng.random_range(2..=4usize).min(goods.len()), ()),
        None => (0, ()),
    };
    let fill = |rng: &mut ChunkRng, _k: usize, _s: (), rows: &mut [u32], values: &mut [f64]| {
        random::distinct_sorted(rows, rng, goods.len() as u32, |r| popularity.sample(r));
        rows.iter_mut().for_each(|r| *r = goods[*r as usize]);
        let total = rng.random_range(1.0..3.0);
        values
            .iter_mut()
            .for_each(|v| *v = rng.random_range(0.2..1.0));
        let scale = total / values.iter().sum::<f64>();
        values.iter_mut().for_each(|v| *v *= scale);
    };
    build_columns(
        sectors.len(),
        capacity.len(),
        seed,
        (Stream::CapitalShapes, Stream::Capital),
        shape,
        fill,
    )
}

/// Widens the capacity of the techniques that make capital goods by twice the replacement
/// their goods must supply (`sum_k K[g][k] * depreciation_k * capacity_k` for good `g`): every
/// plan year, and the terminal condition most of all, needs that replacement, and without the
/// room a popular capital good's makers cannot keep the plant of the whole economy, so the
/// multi-year plan has no feasible point at all.
pub(crate) fn room_for_replacement(
    layout: &Layout,
    capacity: &mut [Option<f64>],
    depreciation: &[f64],
    capital: &SparseColumns,
) {
    let mut replacement = vec![0.0; capital.nrows()];
    for (k, c) in capacity.iter().enumerate() {
        if let Some(c) = c {
            let (goods, amounts) = capital.column(k);
            for (&g, &a) in goods.iter().zip(amounts) {
                replacement[g as usize] += a * depreciation[k] * c;
            }
        }
    }
    for (k, c) in capacity.iter_mut().enumerate() {
        if let Some(c) = c {
            *c += 2.0 * replacement[layout.product(k) as usize] / layout.output(k);
        }
    }
}

/// Import price, export price and export limit of every product.
pub(crate) struct Trade {
    pub import_price: Vec<Option<f64>>,
    pub export_price: Vec<Option<f64>>,
    pub export_limit: Vec<Option<f64>>,
    /// The `foreign_exchange` to offer.
    pub foreign_exchange: f64,
}

/// Trade of a `share` of the products, priced from the labour values `v`.
pub(crate) fn trade(share: f64, v: &[f64], x: &[f64], seed: u64) -> Trade {
    type Terms = (Option<f64>, Option<f64>, Option<f64>);
    let terms: Vec<Terms> = random::tabulate(v.len(), seed, Stream::Trade, |rng, i| {
        if !rng.random_bool(share) {
            return (None, None, None);
        }
        let world = v[i] * rng.random_range(0.7..1.5);
        let (import, export) = match rng.random_range(0..20) {
            0..3 => (true, false),
            3..6 => (false, true),
            _ => (true, true),
        };
        let export_price = rng.random_range(0.6..0.9) * world;
        let limit = rng.random_range(0.1..0.5) * x[i].max(1.0);
        (
            import.then_some(world),
            export.then_some(export_price),
            export.then_some(limit),
        )
    });
    let foreign_exchange = 0.05
        * random::sum(terms.len(), |i| {
            terms[i].0.map_or(0.0, |price| price * x[i])
        });
    let mut trade = Trade {
        import_price: Vec::with_capacity(terms.len()),
        export_price: Vec::with_capacity(terms.len()),
        export_limit: Vec::with_capacity(terms.len()),
        foreign_exchange: if foreign_exchange > 0.0 {
            foreign_exchange
        } else {
            1.0
        },
    };
    for (import, export, limit) in terms {
        trade.import_price.push(import);
        trade.export_price.push(export);
        trade.export_limit.push(limit);
    }
    trade
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capital_goes_to_techniques_with_capacity_from_capital_sectors() {
        let sectors = sectors::draw_sectors(500, 4, 2);
        let capacity: Vec<Option<f64>> = (0..600).map(|k| (k % 3 == 0).then_some(1.0)).collect();
        let k = capital(&sectors, &capacity, 2);
        assert_eq!((k.nrows(), k.ncols()), (500, 600));
        for (c, cap) in capacity.iter().enumerate() {
            let (rows, values) = k.column(c);
            assert_eq!(rows.is_empty(), cap.is_none());
            if !rows.is_empty() {
                assert!((2..=4).contains(&rows.len()));
                assert!(
                    rows.iter()
                        .all(|&r| sectors::is_capital(sectors[r as usize]))
                );
                let total: f64 = values.iter().sum();
                assert!((1.0 - 1e-12..3.0 + 1e-12).contains(&total));
            }
        }
    }

    #[test]
    fn trade_prices_do_not_allow_arbitrage() {
        let v: Vec<f64> = (0..1000).map(|i| 1.0 + i as f64 / 100.0).collect();
        let x = vec![10.0; 1000];
        let t = trade(0.5, &v, &x, 4);
        let traded = t
            .import_price
            .iter()
            .zip(&t.export_price)
            .filter(|(i, e)| i.is_some() || e.is_some());
        let share = traded.count() as f64 / 1000.0;
        assert!((0.4..0.6).contains(&share), "traded share {share}");
        for i in 0..1000 {
            if let (Some(imp), Some(exp)) = (t.import_price[i], t.export_price[i]) {
                assert!(exp < imp);
            }
            assert_eq!(t.export_price[i].is_some(), t.export_limit[i].is_some());
        }
        assert!(t.foreign_exchange > 0.0);
    }
}
