//! Reference tests of the Leontief solves: closed forms and agreement between methods.

use proptest::prelude::*;

use super::*;

/// `A`, given by its dense rows, stored by columns (the rows of `A'`), as `Leontief` keeps it.
pub(crate) fn by_columns(dense: &[&[f64]]) -> CsrMatrix {
    let n = dense.len();
    let mut cs = vec![0];
    let (mut r, mut v) = (Vec::new(), Vec::new());
    for k in 0..n {
        for i in 0..n {
            if dense[i][k] != 0.0 {
                r.push(i as u32);
                v.push(dense[i][k]);
            }
        }
        cs.push(r.len());
    }
    CsrMatrix::transpose_of_csc(n, &cs, &r, &v)
}

/// A random productive matrix by columns: `per_column` entries, column sums `sum`.
fn random_productive(
    n: usize,
    per_column: usize,
    sum: f64,
    seed: u64,
) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut cs = vec![0];
    let (mut r, mut v) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let mut rows: Vec<u32> = (0..per_column.min(n))
            .map(|_| (next() % n) as u32)
            .collect();
        rows.sort();
        rows.dedup();
        let weights: Vec<f64> = rows.iter().map(|_| 1.0 + (next() % 100) as f64).collect();
        let total: f64 = weights.iter().sum();
        r.extend(&rows);
        v.extend(weights.iter().map(|w| sum * w / total));
        cs.push(r.len());
    }
    (cs, r, v)
}

fn settings(method: Method) -> LeontiefSettings {
    LeontiefSettings {
        method,
        ..LeontiefSettings::default()
    }
}

#[test]
fn two_goods_match_the_closed_form() {
    // A = [[a, b], [c, d]]: (I - A)^-1 = [[1 - d, b], [c, 1 - a]] / ((1 - a)(1 - d) - bc)
    let (a, b, c, d) = (0.1, 0.2, 0.3, 0.4);
    let det = (1.0 - a) * (1.0 - d) - b * c;
    let demand = [5.0, 7.0];
    let expect = [
        ((1.0 - d) * demand[0] + b * demand[1]) / det,
        (c * demand[0] + (1.0 - a) * demand[1]) / det,
    ];
    for method in [
        Method::SparseLu,
        Method::DenseLu,
        Method::Iterative,
        Method::Auto,
    ] {
        let l = Leontief::new(
            2,
            &[0, 2, 4],
            &[0, 1, 0, 1],
            &[a, c, b, d],
            settings(method),
        )
        .unwrap();
        let s = l.solve(&[&demand], false).unwrap();
        for i in 0..2 {
            assert!(
                (s.columns[0][i] - expect[i]).abs() < 1e-13,
                "{method:?}: {:?}",
                s.columns
            );
        }
        // Column sums of the inverse (output multipliers) through the transposed system.
        let m = l.solve(&[&[1.0, 1.0]], true).unwrap();
        let multipliers = [(1.0 - d + c) / det, (b + 1.0 - a) / det];
        for i in 0..2 {
            assert!(
                (m.columns[0][i] - multipliers[i]).abs() < 1e-13,
                "{method:?}"
            );
        }
        let inverse = l.inverse().unwrap();
        assert!((inverse[0] - (1.0 - d) / det).abs() < 1e-14);
        assert!((inverse[2] - b / det).abs() < 1e-14); // column-major: (0, 1)
    }
}

#[test]
fn iterative_and_lu_agree_on_a_larger_table() {
    let n = 3000;
    let (cs, r, v) = random_productive(n, 12, 0.7, 7);
    let d: Vec<f64> = (0..n).map(|i| 1.0 + (i % 5) as f64).collect();
    let ones = vec![1.0; n];
    let lu = Leontief::new(n, &cs, &r, &v, settings(Method::SparseLu)).unwrap();
    let it = Leontief::new(n, &cs, &r, &v, settings(Method::Iterative)).unwrap();
    for transpose in [false, true] {
        let a = lu.solve(&[&d, &ones], transpose).unwrap();
        let b = it.solve(&[&d, &ones], transpose).unwrap();
        assert!(
            a.residual < 1e-13 && b.residual < 1e-11,
            "{} {}",
            a.residual,
            b.residual
        );
        assert!(b.iterations > 0);
        for j in 0..2 {
            for i in 0..n {
                let (x, y) = (a.columns[j][i], b.columns[j][i]);
                assert!(
                    (x - y).abs() <= 1e-10 * x.abs().max(1.0),
                    "{transpose} {j} {i}: {x} {y}"
                );
            }
        }
    }
}

#[test]
fn a_non_productive_table_is_recognised() {
    // Column sums 1.2: rho = 1.2.
    let (cs, r, v) = random_productive(50, 5, 1.2, 3);
    let l = Leontief::new(50, &cs, &r, &v, settings(Method::SparseLu)).unwrap();
    let bounds = spectral_bounds(l.by_columns(), 1e-9, 1000);
    assert_eq!(bounds.productive(), Some(false), "{bounds:?}");
    assert!((bounds.estimate - 1.2).abs() < 1e-6, "{bounds:?}");
}

#[test]
fn wrong_dimensions_are_errors_not_panics() {
    let l = Leontief::new(
        2,
        &[0, 1, 2],
        &[1, 0],
        &[0.5, 0.5],
        LeontiefSettings::default(),
    )
    .unwrap();
    assert!(matches!(
        l.solve(&[&[1.0]], false),
        Err(LinalgError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        Leontief::new(
            3,
            &[0, 1, 2],
            &[1, 0],
            &[0.5, 0.5],
            LeontiefSettings::default()
        ),
        Err(LinalgError::NotSquare { .. })
    ));
    assert!(matches!(
        Leontief::new(1, &[0, 1], &[0], &[1.0], LeontiefSettings::default()),
        Err(LinalgError::Singular { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every method solves random productive systems to a small true residual, and they agree.
    #[test]
    fn methods_agree_on_random_productive_tables(n in 1usize..120, per in 1usize..8, sum in 0.05f64..0.95, seed in any::<u64>()) {
        let (cs, r, v) = random_productive(n, per, sum, seed);
        let d: Vec<f64> = (0..n).map(|i| (i % 7) as f64 + 0.5).collect();
        let reference = Leontief::new(n, &cs, &r, &v, settings(Method::DenseLu)).unwrap().solve(&[&d], false).unwrap();
        for method in [Method::SparseLu, Method::Iterative] {
            let s = Leontief::new(n, &cs, &r, &v, settings(method)).unwrap().solve(&[&d], false).unwrap();
            prop_assert!(s.residual < 1e-11, "{:?} residual {}", method, s.residual);
            for i in 0..n {
                let (x, y) = (reference.columns[0][i], s.columns[0][i]);
                prop_assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0));
            }
        }
    }
}

#[test]
fn fused_pair_solves_match_lu_and_report_their_true_residual() {
    let n = 2000;
    let (cs, r, v) = random_productive(n, 9, 0.6, 11);
    let d: Vec<f64> = (0..n).map(|i| 1.0 + (i % 3) as f64).collect();
    let l: Vec<f64> = (0..n).map(|i| 0.1 + (i % 7) as f64 * 0.05).collect();
    let ones = vec![1.0; n];
    let lu = Leontief::new(n, &cs, &r, &v, settings(Method::SparseLu)).unwrap();
    let it = Leontief::new(n, &cs, &r, &v, settings(Method::Iterative)).unwrap();
    // Unequal counts exercise the zero padding of the shorter side.
    let (plain, transposed, iterations) = it.solve_pair(&[&d, &ones], &[&l]).unwrap();
    assert!(iterations > 0);
    let reference_plain = lu.solve(&[&d, &ones], false).unwrap();
    let reference_transposed = lu.solve(&[&l], true).unwrap();
    for (ours, reference, rhs, transpose) in [
        (&plain, &reference_plain, vec![&d[..], &ones[..]], false),
        (&transposed, &reference_transposed, vec![&l[..]], true),
    ] {
        let recomputed = rhs
            .iter()
            .zip(&ours.columns)
            .map(|(b, x)| it.relative_residual(x, b, transpose))
            .fold(0.0, f64::max);
        assert!(
            (ours.residual - recomputed).abs() <= 1e-2 * recomputed.max(1e-300),
            "{} vs {recomputed}",
            ours.residual
        );
        assert!(ours.residual < 1e-9);
        for (x, y) in ours
            .columns
            .iter()
            .flatten()
            .zip(reference.columns.iter().flatten())
        {
            assert!((x - y).abs() <= 1e-8 * y.abs().max(1.0), "{x} vs {y}");
        }
    }
}

/// A multi-regional matrix by columns: `regions` blocks of `size` products, each column
/// spending `domestic` on its own region and `trade` spread over the others.
fn regional(
    regions: usize,
    size: usize,
    domestic: f64,
    trade: f64,
) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    let n = regions * size;
    let mut cs = vec![0];
    let (mut r, mut v) = (Vec::new(), Vec::new());
    for j in 0..n {
        let home = j / size;
        for i in 0..n {
            let weight = 1.0 + ((i * 7 + j * 13) % 11) as f64;
            let share = if i / size == home {
                domestic / size as f64
            } else {
                trade / (n - size) as f64
            };
            r.push(i as u32);
            v.push(share * weight / 6.0);
        }
        cs.push(r.len());
    }
    (cs, r, v)
}

#[test]
fn block_jacobi_over_regions_agrees_with_lu_in_fewer_iterations() {
    let (regions, size) = (12, 10);
    let n = regions * size;
    let (cs, r, v) = regional(regions, size, 0.6, 0.15);
    let starts: Vec<usize> = (0..=regions).map(|g| g * size).collect();
    let lu = Leontief::new(n, &cs, &r, &v, settings(Method::SparseLu)).unwrap();
    let mut blocks = Leontief::new(n, &cs, &r, &v, settings(Method::Iterative)).unwrap();
    let jacobi = Leontief::new(n, &cs, &r, &v, settings(Method::Iterative)).unwrap();
    assert!(blocks.use_diagonal_blocks(&starts).unwrap());
    let demand: Vec<f64> = (0..n).map(|i| 1.0 + (i % 5) as f64).collect();
    let ones = vec![1.0; n];
    let (x_lu, m_lu) = (
        lu.solve(&[&demand, &ones], false).unwrap(),
        lu.solve(&[&ones], true).unwrap(),
    );
    let (x_blocks, m_blocks, with_blocks) = blocks.solve_pair(&[&demand, &ones], &[&ones]).unwrap();
    let (_, _, with_jacobi) = jacobi.solve_pair(&[&demand, &ones], &[&ones]).unwrap();
    for (got, want) in x_blocks
        .columns
        .iter()
        .chain(&m_blocks.columns)
        .zip(x_lu.columns.iter().chain(&m_lu.columns))
    {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-10 * w.abs(), "{g} against {w}");
        }
    }
    // Plain solves through `solve` use the blocks too.
    let single = blocks.solve(&[&ones], true).unwrap();
    assert!(single.residual < 1e-10);
    assert!(
        with_blocks < with_jacobi,
        "block Jacobi took {with_blocks} iterations, Jacobi {with_jacobi}"
    );
}

#[test]
fn diagonal_blocks_are_refused_when_malformed_and_ignored_by_factorisations() {
    let (cs, r, v) = regional(3, 4, 0.5, 0.1);
    let mut iterative = Leontief::new(12, &cs, &r, &v, settings(Method::Iterative)).unwrap();
    assert!(iterative.use_diagonal_blocks(&[0, 4, 8]).is_err());
    assert!(iterative.use_diagonal_blocks(&[0, 4, 4, 12]).is_err());
    let mut lu = Leontief::new(12, &cs, &r, &v, settings(Method::SparseLu)).unwrap();
    assert!(!lu.use_diagonal_blocks(&[0, 4, 8, 12]).unwrap());
}

/// Guards the single preparation pass of `Leontief::from_columns`: the bounds it finds equal
/// the ones computed from the matrix afterwards, and a row index out of range is still refused.
#[test]
fn prepared_column_sums_equal_the_matrixs_own() {
    let (cs, r, v) = random_productive(3000, 7, 0.8, 5);
    let system = Leontief::new(3000, &cs, &r, &v, settings(Method::Iterative)).unwrap();
    assert_eq!(
        system.column_sum_bounds(),
        column_sum_bounds(system.by_columns())
    );
    let mut bad = r.clone();
    bad[4000] = 3000;
    assert!(matches!(
        Leontief::new(3000, &cs, &bad, &v, settings(Method::Iterative)),
        Err(LinalgError::Malformed { .. })
    ));
}
