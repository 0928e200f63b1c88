//! Which techniques exist and what they use: the sparse input matrix.
//!
//! Techniques `0..products` are the primary ones (`t<i>` makes `p<i>`, output 1); the
//! alternatives (`t<i>b`, output 1, and `t<i>c`, output 2) follow in product order.
//!
//! Every technique draws its number of inputs around the configured average (± a third). With
//! probability [`BASIC_USE`] it uses basic goods: always `p0` (energy) and, of the others, as
//! many as make about 40 % of its inputs. The remaining inputs are drawn among the other
//! products with Zipf-like popularity (log-uniform ranks, exponent 1, scattered over the ids):
//! a few hubs, a long tail of goods that one or two techniques use. No pair repeats; a product
//! may, rarely, use itself.
//!
//! Each column's coefficients split a total drawn uniformly in `0.3..0.8` times the output
//! (basic goods weigh 1.5 times more). So every column sum of `A` (per unit of output) is at
//! most 0.8, hence the spectral radius of the input matrix of any choice of techniques is at
//! most 0.8: the economy is productive by construction, and `(I - A)^-1 = sum A^k` converges.

use chollima_model::SparseColumns;
use rand::Rng;
use rayon::prelude::*;

use crate::GenerateConfig;
use crate::popularity::Popularity;
use crate::random::{self, CHUNK, ChunkRng, Stream};

/// Share of techniques that use basic goods.
pub const BASIC_USE: f64 = 0.95;
/// Range of each column sum of the input coefficients, per unit of output.
pub const COLUMN_SUM: std::ops::Range<f64> = 0.3..0.8;

/// The list of techniques: primaries, then alternatives.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    pub products: usize,
    /// Product and variant (1 = `b`, 2 = `c`) of each alternative technique.
    pub alternatives: Vec<(u32, u8)>,
}

impl Layout {
    pub(crate) fn new(config: &GenerateConfig) -> Self {
        let n = config.products;
        let mut layout = Layout {
            products: n,
            alternatives: Vec::new(),
        };
        if config.alternatives == 0.0 {
            return layout;
        }
        let extra = random::tabulate(n, config.seed, Stream::Alternatives, |rng, _| {
            match rng.random_bool(config.alternatives) {
                false => 0u8,
                true if rng.random_bool(1.0 / 3.0) => 2,
                true => 1,
            }
        });
        for (i, &e) in extra.iter().enumerate() {
            layout.alternatives.extend((1..=e).map(|v| (i as u32, v)));
        }
        layout
    }

    pub(crate) fn techniques(&self) -> usize {
        self.products + self.alternatives.len()
    }

    /// The product technique `k` makes.
    pub(crate) fn product(&self, k: usize) -> u32 {
        if k < self.products {
            k as u32
        } else {
            self.alternatives[k - self.products].0
        }
    }

    /// Units of product per unit of activity.
    pub(crate) fn output(&self, k: usize) -> f64 {
        if k >= self.products && self.alternatives[k - self.products].1 == 2 {
            2.0
        } else {
            1.0
        }
    }

    pub(crate) fn id(&self, k: usize) -> String {
        match k.checked_sub(self.products) {
            None => numbered_id('t', k, None),
            Some(a) => {
                let (p, v) = self.alternatives[a];
                numbered_id('t', p as usize, Some(if v == 1 { 'b' } else { 'c' }))
            }
        }
    }
}

/// `prefix`, the decimal digits of `i`, then `suffix`: `t12b`. (Much cheaper than
/// `format!`, which counts at 10^7 ids.)
pub(crate) fn numbered_id(prefix: char, i: usize, suffix: Option<char>) -> String {
    let mut digits = [0u8; 20];
    let (mut pos, mut rest) = (digits.len(), i);
    loop {
        pos -= 1;
        digits[pos] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut id = String::with_capacity(2 + digits.len() - pos);
    id.push(prefix);
    id.extend(digits[pos..].iter().map(|&d| d as char));
    id.extend(suffix);
    id
}

/// Builds a sparse matrix column by column in parallel, straight into its flat arrays.
///
/// `shape(rng, k)` gives the number of entries of column `k` and whatever else `fill` needs;
/// it is run twice per column from the same stream (once to size the arrays, once before
/// filling), so it must draw only from its `rng`. `fill(rng, k, shape, rows, values)` writes
/// the column, rows strictly increasing.
pub(crate) fn build_columns<S>(
    nrows: usize,
    ncols: usize,
    seed: u64,
    (shape_stream, fill_stream): (Stream, Stream),
    shape: impl Fn(&mut ChunkRng, usize) -> (usize, S) + Sync,
    fill: impl Fn(&mut ChunkRng, usize, S, &mut [u32], &mut [f64]) + Sync,
) -> SparseColumns {
    let mut col_start = vec![0usize; ncols + 1];
    random::fill_with(&mut col_start[1..], seed, shape_stream, |rng, k| {
        shape(rng, k).0
    });
    for k in 1..=ncols {
        col_start[k] += col_start[k - 1];
    }
    let nnz = col_start[ncols];
    let mut rows = vec![0u32; nnz];
    let mut values = vec![0.0f64; nnz];
    let mut parts = Vec::with_capacity(ncols.div_ceil(CHUNK));
    let (mut rest_rows, mut rest_values) = (&mut rows[..], &mut values[..]);
    for c in 0..ncols.div_ceil(CHUNK) {
        let len = col_start[((c + 1) * CHUNK).min(ncols)] - col_start[c * CHUNK];
        let (r, r_rest) = std::mem::take(&mut rest_rows).split_at_mut(len);
        let (v, v_rest) = std::mem::take(&mut rest_values).split_at_mut(len);
        (rest_rows, rest_values) = (r_rest, v_rest);
        parts.push((c, r, v));
    }
    parts.into_par_iter().for_each(|(c, rows, values)| {
        let mut shape_rng = random::chunk_rng(seed, shape_stream, c);
        let mut rng = random::chunk_rng(seed, fill_stream, c);
        let base = col_start[c * CHUNK];
        let end = ((c + 1) * CHUNK).min(ncols);
        for (k, &start) in col_start[..end].iter().enumerate().skip(c * CHUNK) {
            let (len, s) = shape(&mut shape_rng, k);
            let at = start - base;
            fill(
                &mut rng,
                k,
                s,
                &mut rows[at..at + len],
                &mut values[at..at + len],
            );
        }
    });
    SparseColumns::from_raw(nrows, col_start, rows, values)
}

/// The input coefficients of every technique of `layout`: rows = products.
pub(crate) fn inputs(config: &GenerateConfig, layout: &Layout) -> SparseColumns {
    let n = config.products;
    let d = config.inputs;
    let basic = config.basic_goods_count();
    let others = n - basic;
    let spread = d / 3;
    let popularity = (others > 0).then(|| Popularity::new(others, config.seed.rotate_left(17)));
    let shape = |rng: &mut ChunkRng, _k: usize| {
        if d == 0 {
            return (0, 0);
        }
        let count = (d - spread + rng.random_range(0..=2 * spread)).clamp(1, n - 1);
        let basic = if basic > 0 && rng.random_bool(BASIC_USE) {
            (2 * count).div_ceil(5).clamp(1, basic)
        } else {
            0
        };
        let other = (count - basic).min(others);
        (basic + other, basic)
    };
    // The shape of a column: its number of entries and how many of them are basic goods.
    let fill = |rng: &mut ChunkRng, k: usize, uses: usize, rows: &mut [u32], values: &mut [f64]| {
        let (basic_rows, other_rows) = rows.split_at_mut(uses);
        if let Some((first, rest)) = basic_rows.split_first_mut() {
            *first = 0;
            random::distinct_sorted(rest, rng, (basic - 1) as u32, |r| {
                r.random_range(0..(basic - 1) as u32)
            });
            rest.iter_mut().for_each(|r| *r += 1);
        }
        if let Some(p) = &popularity {
            random::distinct_sorted(other_rows, rng, others as u32, |r| p.sample(r));
            other_rows.iter_mut().for_each(|r| *r += basic as u32);
        }
        let mut weight_sum = 0.0;
        for (j, v) in values.iter_mut().enumerate() {
            *v = rng.random_range(0.2..1.0) * if j < uses { 1.5 } else { 1.0 };
            weight_sum += *v;
        }
        let scale = rng.random_range(COLUMN_SUM) * layout.output(k) / weight_sum;
        values.iter_mut().for_each(|v| *v *= scale);
    };
    build_columns(
        n,
        layout.techniques(),
        config.seed,
        (Stream::InputShapes, Stream::Inputs),
        shape,
        fill,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(products: usize, inputs: usize) -> GenerateConfig {
        GenerateConfig {
            products,
            inputs,
            seed: 5,
            ..GenerateConfig::default()
        }
    }

    #[test]
    fn alternatives_follow_the_primaries_with_suffixed_ids() {
        let c = GenerateConfig {
            alternatives: 0.5,
            ..config(300, 5)
        };
        let layout = Layout::new(&c);
        let share = layout.alternatives.len() as f64 / 300.0;
        assert!(
            (0.5..0.85).contains(&share),
            "alternatives per product {share}"
        );
        let k = layout.products;
        let (p, v) = layout.alternatives[0];
        assert_eq!(layout.product(k), p);
        assert_eq!(
            layout.id(k),
            format!("t{p}{}", if v == 1 { 'b' } else { 'c' })
        );
        assert_eq!(layout.id(7), "t7");
        assert_eq!(numbered_id('p', 0, None), "p0");
        assert_eq!(numbered_id('t', 1_234_567_890, Some('c')), "t1234567890c");
        assert!(layout.alternatives.iter().any(|&(_, v)| v == 2));
        assert!(layout.alternatives.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn columns_have_about_the_asked_inputs_and_sums_in_range() {
        let c = GenerateConfig {
            alternatives: 0.3,
            ..config(2000, 10)
        };
        let layout = Layout::new(&c);
        let a = inputs(&c, &layout);
        assert_eq!(a.ncols(), layout.techniques());
        let mean = a.nnz() as f64 / a.ncols() as f64;
        assert!((9.0..11.0).contains(&mean), "mean inputs {mean}");
        for (k, s) in a.column_sums().into_iter().enumerate() {
            let per_output = s / layout.output(k);
            assert!(
                (0.3 - 1e-12..=0.8 + 1e-12).contains(&per_output),
                "column {k}: {per_output}"
            );
        }
    }

    #[test]
    fn small_economies_with_dense_columns_still_have_unique_rows() {
        let c = GenerateConfig {
            basic_goods: Some(2),
            ..config(6, 5)
        };
        let a = inputs(&c, &Layout::new(&c));
        // from_raw already checks rows increase within each column; check the counts too.
        for k in 0..a.ncols() {
            assert!((1..=5).contains(&a.column(k).0.len()));
        }
    }
}
