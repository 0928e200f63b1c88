//! Times single products with `A`, the block-Jacobi preconditioner and whole solves on a
//! package: `cargo run --release -p chollima-analysis --example pass_timing -- DIR`.
//!
//! Used to measure the kernels of `chollima_linalg::operator` and `precondition` on real or
//! generated tables.

use std::time::Instant;

use chollima_analysis::{group_blocks, leontief_matrix};
use chollima_linalg::operator::Fused;
use chollima_linalg::precondition::{DiagonalBlocks, Preconditioner};
use chollima_linalg::{CsrMatrix, Leontief, LeontiefSettings, Method, Operator};

/// The fastest of `runs` timings of `f`, in milliseconds: this VM's timings vary with its
/// neighbours.
fn fastest(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
        * 1e3
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: pass_timing DIR");
    let economy = chollima_package::read(std::path::Path::new(&dir))
        .expect("valid package")
        .economy;
    let a = leontief_matrix(&economy).expect("one technique per product");
    let n = economy.products.len();
    let blocks = group_blocks(&economy);
    let ones = vec![1.0; n];
    let demand = economy.demand_in_year(1);
    for with_blocks in [false, true] {
        if with_blocks && blocks.is_none() {
            println!("no diagonal blocks: the groups do not make any");
            continue;
        }
        let settings = LeontiefSettings {
            method: Method::Iterative,
            ..Default::default()
        };
        let mut system =
            Leontief::new(n, &a.col_start, &a.row, &a.value, settings).expect("square");
        let mut setup = 0.0;
        if let Some(starts) = blocks.as_ref().filter(|_| with_blocks) {
            setup = fastest(7, || {
                system.use_diagonal_blocks(starts).expect("well-formed");
            });
        }
        let mut iterations = 0;
        let solve = fastest(7, || {
            iterations = system
                .solve_pair(&[&demand, &ones], &[&ones])
                .expect("solves")
                .2;
        });
        println!(
            "solve_pair (demand and 1 plain, 1 transposed), blocks {with_blocks}: {solve:.2} ms, {iterations} iterations (blocks set up in {setup:.2} ms)"
        );
    }
    let columns = CsrMatrix::from_raw(n, a.col_start, a.row, a.value);
    if let Some(starts) = &blocks {
        let blocks = DiagonalBlocks::new(&columns, starts).unwrap().unwrap();
        let k = 4;
        let x: Vec<f64> = (0..n * k).map(|i| 1.0 + (i % 7) as f64).collect();
        let mut y = vec![0.0; n * k];
        let apply = fastest(20, || blocks.for_columns(2).apply(&x, k, &mut y));
        println!("block Jacobi, {} blocks, k=4: {apply:.3} ms", blocks.len());
    }
    let fused = Fused::new(&columns);
    for k in [2usize, 4] {
        let x: Vec<f64> = (0..n * k).map(|i| 1.0 + (i % 7) as f64).collect();
        let mut y = vec![0.0; n * k];
        fused.mul_block(&x, k, &mut y);
        let pass = fastest(7, || fused.mul_block(&x, k, &mut y));
        println!(
            "fused k={k}: {pass:.2} ms per pass, fastest of 7 ({} nonzeros)",
            columns.nnz()
        );
    }
}
