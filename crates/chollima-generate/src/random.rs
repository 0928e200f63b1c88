//! Deterministic randomness and reductions that do not depend on the number of threads.
//!
//! Every random quantity is drawn from a generator of its own, seeded from (seed, kind of
//! draw, chunk of [`CHUNK`] consecutive items). Rayon may run the chunks in any order on any
//! number of threads: each chunk always sees the same numbers. The generator, [`ChunkRng`], is
//! xoshiro256++ seeded by SplitMix64, written out here so that its raw output is fixed by this
//! crate (not by a `rand` release or the pointer width); floats and ranges are drawn from it by
//! `rand` 0.9, and the log-normal quantities by `rand_distr` with the platform's `exp`. Sums
//! are taken chunk by chunk and the chunk sums added in order, so they are bit-identical too.

use rand::{Rng, RngCore};
use rayon::prelude::*;

/// xoshiro256++ (Blackman and Vigna): fast, small, and good enough for synthetic data.
#[derive(Debug, Clone)]
pub(crate) struct ChunkRng {
    s: [u64; 4],
}

/// One step of SplitMix64, the recommended seeder of xoshiro.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl ChunkRng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut state = seed;
        state = splitmix(&mut state) ^ stream;
        let s = [(); 4].map(|()| splitmix(&mut state));
        ChunkRng { s }
    }
}

impl RngCore for ChunkRng {
    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// Items per chunk: the unit of parallel work and of random streams.
pub(crate) const CHUNK: usize = 4096;

/// What a stream of random numbers is for: each kind of draw has its own streams, so adding a
/// draw of one kind never shifts the numbers of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Global = 0,
    Sectors,
    Targets,
    Alternatives,
    InputShapes,
    Inputs,
    Labour,
    Land,
    Capacity,
    Depreciation,
    Trade,
    CapitalShapes,
    Capital,
}

/// The generator of chunk `chunk` of `stream`.
pub(crate) fn chunk_rng(seed: u64, stream: Stream, chunk: usize) -> ChunkRng {
    ChunkRng::new(seed, ((stream as u64) << 48) | chunk as u64)
}

/// Sets `out[i] = f(rng, i)` in parallel, `rng` being the generator of the chunk of `i`.
pub(crate) fn fill_with<T: Send>(
    out: &mut [T],
    seed: u64,
    stream: Stream,
    f: impl Fn(&mut ChunkRng, usize) -> T + Sync,
) {
    out.par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            let mut rng = chunk_rng(seed, stream, c);
            for (j, slot) in chunk.iter_mut().enumerate() {
                *slot = f(&mut rng, c * CHUNK + j);
            }
        });
}

/// `(0..n).map(|i| f(rng, i))` in parallel with per-chunk generators, as a vector.
pub(crate) fn tabulate<T: Send + Clone + Default>(
    n: usize,
    seed: u64,
    stream: Stream,
    f: impl Fn(&mut ChunkRng, usize) -> T + Sync,
) -> Vec<T> {
    let mut out = vec![T::default(); n];
    fill_with(&mut out, seed, stream, f);
    out
}

/// `sum of f(i) for i in 0..n`, in parallel, the same bits on any number of threads.
pub(crate) fn sum(n: usize, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let partial: Vec<f64> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| (c * CHUNK..((c + 1) * CHUNK).min(n)).map(&f).sum::<f64>())
        .collect();
    partial.iter().sum()
}

/// Fills `out` with distinct values in `0..len`, sorted increasingly, drawn by `draw`.
///
/// Draws that repeat a value are thrown away; should that happen too often (a column wanting
/// most of a small range), the rest is taken by scanning the range from a random start.
pub(crate) fn distinct_sorted(
    out: &mut [u32],
    rng: &mut ChunkRng,
    len: u32,
    mut draw: impl FnMut(&mut ChunkRng) -> u32,
) {
    let need = out.len();
    assert!(need <= len as usize, "{need} distinct values from {len}");
    let mut filled = 0;
    let insert = |out: &mut [u32], filled: &mut usize, v: u32| {
        if let Err(pos) = out[..*filled].binary_search(&v) {
            // Columns are short: shifting by hand beats a call to `memmove`.
            for j in (pos..*filled).rev() {
                out[j + 1] = out[j];
            }
            out[pos] = v;
            *filled += 1;
        }
    };
    let mut attempts = 16 * need + 32;
    while filled < need && attempts > 0 {
        attempts -= 1;
        let v = draw(rng);
        insert(out, &mut filled, v);
    }
    if filled < need {
        let start = rng.random_range(0..len) as u64;
        let mut i = 0u64;
        while filled < need {
            insert(out, &mut filled, ((start + i) % len as u64) as u32);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_the_reference_output() {
        // State 1, 2, 3, 4: the first outputs of the reference C implementation.
        let mut rng = ChunkRng { s: [1, 2, 3, 4] };
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(first, [41943041, 58720359, 3588806011781223]);
    }

    #[test]
    fn chunks_and_streams_get_their_own_numbers() {
        let a: u64 = chunk_rng(1, Stream::Inputs, 0).random();
        assert_eq!(a, chunk_rng(1, Stream::Inputs, 0).random::<u64>());
        assert_ne!(a, chunk_rng(1, Stream::Inputs, 1).random::<u64>());
        assert_ne!(a, chunk_rng(1, Stream::Labour, 0).random::<u64>());
        assert_ne!(a, chunk_rng(2, Stream::Inputs, 0).random::<u64>());
    }

    #[test]
    fn distinct_sorted_gives_sorted_unique_values_even_from_a_stubborn_draw() {
        let mut rng = chunk_rng(3, Stream::Global, 0);
        let mut out = [0u32; 7];
        distinct_sorted(&mut out, &mut rng, 7, |_| 3);
        assert_eq!(out, [0, 1, 2, 3, 4, 5, 6]);
        let mut out = [0u32; 20];
        distinct_sorted(&mut out, &mut rng, 1000, |r| r.random_range(0..1000));
        assert!(out.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sums_do_not_depend_on_the_thread_count() {
        let f = |i: usize| 1.0 / (i as f64 + 1.0);
        let pool = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
        };
        let one = pool(1).install(|| sum(100_003, f));
        let two = pool(2).install(|| sum(100_003, f));
        assert_eq!(one.to_bits(), two.to_bits());
    }
}
