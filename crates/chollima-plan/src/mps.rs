//! Writing a [`LinearProgram`] as a free-format MPS file, so any solver can check a plan.
//!
//! Names are `PREFIX INDEX : ID` with whitespace in ids replaced by `~` (free MPS splits on
//! whitespace); the index keeps them unique. The objective row is `obj`, maximised
//! (`OBJSENSE MAX`, read by HiGHS, Gurobi, CPLEX, SCIP and others).

use std::io::{self, Write};

use crate::lp::LinearProgram;

/// Writes `lp` with the given row and column names.
pub fn write_mps(
    lp: &LinearProgram,
    row_name: impl Fn(usize) -> String,
    col_name: impl Fn(usize) -> String,
    out: &mut impl Write,
) -> io::Result<()> {
    let rows: Vec<String> = (0..lp.num_rows()).map(|i| clean(&row_name(i))).collect();
    writeln!(out, "NAME chollima-plan")?;
    writeln!(out, "OBJSENSE\n    MAX")?;
    writeln!(out, "ROWS\n N obj")?;
    for (i, name) in rows.iter().enumerate() {
        let (lo, hi) = (lp.row_lower[i], lp.row_upper[i]);
        let kind = match (lo.is_finite(), hi.is_finite()) {
            (true, true) if lo == hi => "E",
            (true, _) => "G",
            (false, true) => "L",
            (false, false) => "N",
        };
        writeln!(out, " {kind} {name}")?;
    }
    writeln!(out, "COLUMNS")?;
    for j in 0..lp.num_cols() {
        let name = clean(&col_name(j));
        if lp.cost[j] != 0.0 {
            writeln!(out, "    {name} obj {}", lp.cost[j])?;
        }
        let (indices, values) = lp.column(j);
        for (&i, &v) in indices.iter().zip(values) {
            writeln!(out, "    {name} {} {v}", rows[i as usize])?;
        }
        if lp.cost[j] == 0.0 && indices.is_empty() {
            writeln!(out, "    {name} obj 0")?;
        }
    }
    writeln!(out, "RHS")?;
    for (i, name) in rows.iter().enumerate() {
        let (lo, hi) = (lp.row_lower[i], lp.row_upper[i]);
        let rhs = if lo.is_finite() { lo } else { hi };
        if rhs.is_finite() && rhs != 0.0 {
            writeln!(out, "    rhs {name} {rhs}")?;
        }
    }
    writeln!(out, "RANGES")?;
    for (i, name) in rows.iter().enumerate() {
        let (lo, hi) = (lp.row_lower[i], lp.row_upper[i]);
        if lo.is_finite() && hi.is_finite() && lo != hi {
            writeln!(out, "    rng {name} {}", hi - lo)?;
        }
    }
    writeln!(out, "BOUNDS")?;
    for j in 0..lp.num_cols() {
        let name = clean(&col_name(j));
        let (lo, hi) = (lp.col_lower[j], lp.col_upper[j]);
        match (lo.is_finite(), hi.is_finite()) {
            (true, true) if lo == hi => writeln!(out, " FX bnd {name} {lo}")?,
            (false, false) => writeln!(out, " FR bnd {name}")?,
            _ => {
                if !lo.is_finite() {
                    writeln!(out, " MI bnd {name}")?;
                } else if lo != 0.0 {
                    writeln!(out, " LO bnd {name} {lo}")?;
                }
                if hi.is_finite() {
                    writeln!(out, " UP bnd {name} {hi}")?;
                }
            }
        }
    }
    writeln!(out, "ENDATA")
}

fn clean(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_whitespace() { '~' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_kind_of_row_and_bound() {
        let mut lp = LinearProgram::with_rows(3);
        lp.row_lower = vec![0.0, f64::NEG_INFINITY, 1.0];
        lp.row_upper = vec![f64::INFINITY, 6.0, 2.0];
        lp.push_column(1.0, 0.0, f64::INFINITY, [(0, 3.0), (1, 1.0)]);
        lp.push_column(0.0, 0.5, 0.5, [(2, 2.0)]);
        lp.push_column(0.0, 0.0, 4.0, []);
        let mut out = Vec::new();
        write_mps(&lp, |i| format!("r{i} a b"), |j| format!("c{j}"), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in [
            " G r0~a~b",
            " L r1~a~b",
            " G r2~a~b",
            "    c0 obj 1",
            "    c0 r0~a~b 3",
            "    rhs r1~a~b 6",
            "    rng r2~a~b 1",
            " FX bnd c1 0.5",
            " UP bnd c2 4",
            "    c2 obj 0",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
