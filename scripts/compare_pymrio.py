#!/usr/bin/env python3
"""Compare chollima's input-output analysis of WIOD with pymrio's, to 1e-9 relative.

Usage: python3 scripts/compare_pymrio.py [--chollima target/release/chollima] [--year 2011]

What it does, independently on both sides:
  pymrio 0.7: IOSystem(Z, Y, x) from data/wiod2013/YEAR, calc_all(); gross output
              L @ Y.sum(axis=1) and output multipliers L.sum(axis=0).
  chollima:   `chollima import iot data/wiod2013/YEAR`, then `chollima analyze` with the same
              final demand (Y.sum(axis=1), written as a demand file, because the package's
              targets cannot hold the 10 negative row totals of WIOD 2011; see docs/import.md).
It also checks that the package's targets sum to Y.sum(axis=1) for every product whose total
is not negative. Exit status 0 when every figure agrees to the tolerance, 1 otherwise.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import pymrio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def split_labels(labels):
    """'AUS_c1' -> ('AUS', 'c1'); 'AUS_c37_hh' -> ('AUS', 'c37_hh')."""
    return pd.MultiIndex.from_tuples([tuple(s.split("_", 1)) for s in labels], names=["region", "sector"])


def pymrio_results(folder):
    Z = pd.read_csv(os.path.join(folder, "Z.csv"), index_col=0)
    Y = pd.read_csv(os.path.join(folder, "Y.csv"), index_col=0)
    x = pd.read_csv(os.path.join(folder, "x.csv"), index_col=0)
    Z.index = Z.columns = split_labels(Z.index)
    Y.index = Z.index
    Y.columns = pd.MultiIndex.from_tuples([tuple(s.split("_", 1)) for s in Y.columns], names=["region", "category"])
    x.index = Z.index
    x.columns = ["indout"]
    io = pymrio.IOSystem(Z=Z, Y=Y, x=x)
    io.calc_all()
    y = Y.sum(axis=1)
    gross = pymrio.calc_x_from_L(io.L, y)
    gross = np.asarray(gross).reshape(-1)
    multipliers = io.L.sum(axis=0).to_numpy()
    labels = ["_".join(t) for t in Z.index]
    return labels, y.to_numpy(), gross, multipliers


def relative_difference(a, b):
    scale = np.maximum(np.abs(b), 1e-300)
    return np.max(np.abs(a - b) / np.where(np.abs(b) > 0, scale, 1.0))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chollima", default=os.path.join(ROOT, "target", "release", "chollima"))
    parser.add_argument("--year", default="2011")
    parser.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args()
    folder = os.path.join(ROOT, "data", "wiod2013", args.year)
    labels, y, gross, multipliers = pymrio_results(folder)

    with tempfile.TemporaryDirectory() as tmp:
        package = os.path.join(tmp, "wiod")
        out = os.path.join(tmp, "out")
        demand = os.path.join(tmp, "demand.csv")
        pd.DataFrame({"product": labels, "quantity": y}).to_csv(demand, index=False)
        subprocess.run([args.chollima, "-q", "import", "iot", folder, "--out", package], check=True)
        subprocess.run([args.chollima, "-q", "analyze", package, "--out", out, "--demand", demand], check=True)
        ours = pd.read_csv(os.path.join(out, "products.csv"), dtype={"product": str}).set_index("product").loc[labels]
        targets = pd.read_csv(os.path.join(package, "targets.csv"), dtype={"product": str})
        target_totals = targets.groupby("product")["quantity"].sum().reindex(labels).fillna(0.0).to_numpy()

    checks = {
        "gross output": relative_difference(ours["gross_output"].to_numpy(), gross),
        "output multipliers": relative_difference(ours["output_multiplier"].to_numpy(), multipliers),
    }
    nonnegative = y >= 0
    checks["targets = Y row sums (non-negative rows)"] = relative_difference(target_totals[nonnegative], y[nonnegative])
    failed = False
    for name, diff in checks.items():
        ok = diff <= args.tolerance
        failed |= not ok
        print(f"{name:45s} max relative difference {diff:.3e}  {'ok' if ok else 'FAIL'}")
    print(f"{(~nonnegative).sum()} products have a negative final-demand total; their targets are empty (see the import report)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
