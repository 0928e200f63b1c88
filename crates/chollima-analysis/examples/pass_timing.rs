//! Times single products with `A` on a package: `cargo run --release -p chollima-analysis --example pass_timing -- DIR`.
//!
//! Used to measure the kernels of `chollima_linalg::operator` on real or generated tables.

use std::time::Instant;

use chollima_analysis::leontief_matrix;
use chollima_linalg::operator::Fused;
use chollima_linalg::{CsrMatrix, Operator};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: pass_timing DIR");
    let economy = chollima_package::read(std::path::Path::new(&dir))
        .expect("valid package")
        .economy;
    let a = leontief_matrix(&economy).expect("one technique per product");
    let n = economy.products.len();
    let columns = CsrMatrix::from_raw(n, a.col_start, a.row, a.value);
    let fused = Fused::new(&columns);
    for k in [2usize, 4] {
        let x: Vec<f64> = (0..n * k).map(|i| 1.0 + (i % 7) as f64).collect();
        let mut y = vec![0.0; n * k];
        fused.mul_block(&x, k, &mut y);
        // The fastest of several passes: this VM's timings vary with its neighbours.
        let fastest = (0..7)
            .map(|_| {
                let start = Instant::now();
                fused.mul_block(&x, k, &mut y);
                start.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "fused k={k}: {:.1} ms per pass, fastest of 7 ({} nonzeros)",
            fastest * 1e3,
            columns.nnz()
        );
    }
}
