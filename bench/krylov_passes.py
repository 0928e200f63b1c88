"""How many products with A each Krylov method needs on a package's four analysis systems.

    python3 bench/krylov_passes.py PACKAGE [--tolerance 1e-11]

Counts the matrix products of scipy's BiCGSTAB and GMRES(40), and the terms of the Neumann
series, to a relative residual of --tolerance, for (I - A) x = d, (I - A) r = 1,
(I - A)' m = 1 and (I - A)' v = labour. The analysis is bound by passes over A, so this tells
whether another method would need fewer (BENCHMARKS.md: it would not).
"""
import argparse

import numpy as np
import pyarrow as pa
import pyarrow.compute as pcomp
import pyarrow.csv as pc
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, bicgstab, gmres


def read(package, name, types):
    return pc.read_csv(f"{package}/{name}", convert_options=pc.ConvertOptions(column_types=types))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package")
    parser.add_argument("--tolerance", type=float, default=1e-11)
    args = parser.parse_args()
    products = read(args.package, "products.csv", {"id": pa.string()})
    ids = products.column("id")
    n = len(ids)
    techniques = read(args.package, "techniques.csv", {"id": pa.string(), "product": pa.string()})
    inputs = read(args.package, "inputs.csv",
                  {"technique": pa.string(), "input": pa.string(), "coefficient": pa.float64()})
    targets = read(args.package, "targets.csv", {"product": pa.string(), "quantity": pa.float64()})
    made = pcomp.index_in(techniques.column("product"), value_set=ids).to_numpy()
    technique = pcomp.index_in(inputs.column("technique"), value_set=techniques.column("id")).to_numpy()
    rows = pcomp.index_in(inputs.column("input"), value_set=ids).to_numpy()
    a = sp.csr_matrix((inputs.column("coefficient").to_numpy(), (rows, made[technique])), shape=(n, n))
    d = np.zeros(n)
    np.add.at(d, pcomp.index_in(targets.column("product"), value_set=ids).to_numpy(),
              targets.column("quantity").to_numpy())
    labour = np.zeros(n)
    if "labour" in techniques.column_names:
        labour[made] = techniques.column("labour").to_numpy()
    at = a.T.tocsr()
    for name, m, b in [("gross output", a, d), ("row sums", a, np.ones(n)),
                       ("multipliers", at, np.ones(n)), ("labour values", at, labour)]:
        if not b.any():
            continue
        count = [0]

        def product(v, m=m):
            count[0] += 1
            return v - m @ v

        op = LinearOperator((n, n), matvec=product)
        counts = {}
        for method, solve in [("bicgstab", bicgstab), ("gmres(40)", lambda o, b, **k: gmres(o, b, restart=40, **k))]:
            count[0] = 0
            x, _ = solve(op, b, rtol=args.tolerance, x0=b.copy())
            residual = np.linalg.norm(b - op.matvec(x)) / np.linalg.norm(b)
            counts[method] = f"{count[0] - 1} products (residual {residual:.1e})"
        x, term, terms = b.copy(), b.copy(), 0
        while np.linalg.norm(term) > args.tolerance * np.linalg.norm(b):
            term = m @ term
            x += term
            terms += 1
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f", Neumann {terms} terms")


if __name__ == "__main__":
    main()
