#!/usr/bin/env python3
"""Side-by-side benchmarks: chollima against the Python tools on the same input, same run.

    python3 bench/run.py wiod        # WIOD 2011: chollima import + analyze (two commands, and one:
                                     # import --analyze) vs pymrio read + calc_all
    python3 bench/run.py generated   # 10^6 products, 10^7 nonzeros: chollima analyze vs scipy
    python3 bench/run.py plan        # plan LPs (alternatives, capacities, trade, land): chollima
                                     # plan (--plan-methods, default auto pdlp highs) vs highspy,
                                     # at --plan-products sizes, --plan-seed
    python3 bench/run.py years       # five-year plans: chollima plan vs highspy (--plan-products)
    python3 bench/run.py all         # wiod + generated

Options: --chollima PATH (default target/release/chollima), --repeat N, --products N, --inputs K.
Prints a Markdown table (paste into BENCHMARKS.md) and writes bench/out/results.json.
Needs: pip install pymrio pyarrow scipy pandas numpy (see bench/requirements.txt).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")


def run_measured(command, env=None):
    """Runs a command, returns (wall seconds, peak RSS in MiB) of that child alone."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(command)}")
    return wall, usage.ru_maxrss / 1024


def best_of(repeat, measure):
    samples = [measure() for _ in range(repeat)]
    walls = [s[0] for s in samples]
    return {"best": min(walls), "median": statistics.median(walls), "peak_mib": max(s[1] for s in samples)}


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1), "python": platform.python_version()}


# --- WIOD: chollima import + analyze against pymrio read + calc_all -------------------------

PYMRIO_WIOD = r"""
import sys, time, pandas as pd, pymrio
folder = sys.argv[1]
def split(labels):
    return pd.MultiIndex.from_tuples([tuple(s.split("_", 1)) for s in labels], names=["region", "sector"])
t0 = time.perf_counter()
Z = pd.read_csv(folder + "/Z.csv", index_col=0)
Y = pd.read_csv(folder + "/Y.csv", index_col=0)
x = pd.read_csv(folder + "/x.csv", index_col=0)
Z.index = Z.columns = split(Z.index)
Y.index = Z.index
Y.columns = pd.MultiIndex.from_tuples([tuple(s.split("_", 1)) for s in Y.columns], names=["region", "category"])
x.index = Z.index; x.columns = ["indout"]
io = pymrio.IOSystem(Z=Z, Y=Y, x=x)
t1 = time.perf_counter()
io.calc_all()
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def bench_wiod(args):
    folder = os.path.join(ROOT, "data", "wiod2013", "2011")
    tmp = tempfile.mkdtemp(prefix="chollima-bench-")
    try:
        package, out = os.path.join(tmp, "pkg"), os.path.join(tmp, "out")

        def chollima_once():
            w1, m1 = run_measured([args.chollima, "-q", "import", "iot", folder, "--out", package])
            w2, m2 = run_measured([args.chollima, "-q", "analyze", package, "--out", out])
            return (w1 + w2, max(m1, m2), w1, w2)

        def direct_once():
            shutil.rmtree(out, ignore_errors=True)
            return run_measured([args.chollima, "-q", "import", "iot", folder, "--analyze", out])

        # The two ways alternate, so a busy neighbour slows both alike.
        samples, direct = [], []
        for _ in range(args.repeat):
            samples.append(chollima_once())
            direct.append(direct_once())
        chollima = {
            "best": min(s[0] for s in samples),
            "median": statistics.median(s[0] for s in samples),
            "import_best": min(s[2] for s in samples),
            "analyze_best": min(s[3] for s in samples),
            "peak_mib": max(s[1] for s in samples),
        }
        one_command = {
            "best": min(s[0] for s in direct),
            "median": statistics.median(s[0] for s in direct),
            "peak_mib": max(s[1] for s in direct),
        }
        reads, calcs = [], []
        for _ in range(max(1, args.repeat // 2)):
            text = subprocess.run([sys.executable, "-c", PYMRIO_WIOD, folder], check=True, capture_output=True, text=True).stdout
            r, c = map(float, text.split())
            reads.append(r)
            calcs.append(c)
        pymrio = {"read_best": min(reads), "calc_all_best": min(calcs), "best": min(r + c for r, c in zip(reads, calcs))}
        return {
            "chollima": chollima,
            "one_command": one_command,
            "pymrio": pymrio,
            "ratio": pymrio["best"] / chollima["best"],
            "ratio_one_command": pymrio["best"] / one_command["best"],
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- generated: chollima analyze against the same work in scipy -----------------------------

SCIPY_ANALYZE = r"""
import sys, time, numpy as np, pyarrow as pa, pyarrow.csv as pc, pyarrow.compute as pcomp, scipy.sparse as sp
from scipy.sparse.linalg import bicgstab, LinearOperator
package, out, method = sys.argv[1], sys.argv[2], sys.argv[3]
tol = 1e-10
def read(name, types=None):
    return pc.read_csv(package + "/" + name, convert_options=pc.ConvertOptions(column_types=types or {}))
products = read("products.csv", {"id": pa.string()})
ids = products.column("id")
n = len(ids)
techniques = read("techniques.csv", {"id": pa.string(), "product": pa.string()})
inputs = read("inputs.csv", {"technique": pa.string(), "input": pa.string(), "coefficient": pa.float64()})
targets = read("targets.csv", {"product": pa.string(), "quantity": pa.float64()})
# technique -> product index; inputs -> (row = input product, col = product made)
tech_product = pcomp.index_in(techniques.column("product"), value_set=ids).to_numpy()
tech_index = pcomp.index_in(inputs.column("technique"), value_set=techniques.column("id")).to_numpy()
rows = pcomp.index_in(inputs.column("input"), value_set=ids).to_numpy()
cols = tech_product[tech_index]
A = sp.csr_matrix((inputs.column("coefficient").to_numpy(), (rows, cols)), shape=(n, n))
AT = A.T.tocsr()
d = np.zeros(n)
np.add.at(d, pcomp.index_in(targets.column("product"), value_set=ids).to_numpy(), targets.column("quantity").to_numpy())
labour = np.zeros(n)
if "labour" in techniques.column_names:
    labour[tech_product] = techniques.column("labour").to_numpy()
t_read = time.perf_counter()
diag = 1.0 - A.diagonal()
def solve(M, b):
    if method == "neumann":
        x = b.copy(); term = b.copy()
        while True:
            term = M @ term
            x += term
            if np.linalg.norm(term) <= tol * np.linalg.norm(b):
                return x
    op = LinearOperator((n, n), matvec=lambda v: v - M @ v)
    pre = LinearOperator((n, n), matvec=lambda v: v / diag)
    x, info = bicgstab(op, b, rtol=tol, M=pre)
    assert info == 0, info
    return x
ones = np.ones(n)
x = solve(A, d); r = solve(A, ones); m = solve(AT, ones); v = solve(AT, labour)
total = m.sum()
t_solve = time.perf_counter()
table = pa.table({"product": ids, "gross_output": x, "final_demand": d, "output_multiplier": m,
                  "labour_value": v, "backward_linkage": m * n / total, "forward_linkage": r * n / total})
pc.write_csv(table, out)
t_write = time.perf_counter()
print(t_read, t_solve, t_write)
"""


def bench_generated(args):
    tmp = tempfile.mkdtemp(prefix="chollima-bench-")
    try:
        package = os.path.join(tmp, "generated")
        subprocess.run([args.chollima, "-q", "generate", "--products", str(args.products), "--inputs", str(args.inputs),
                        "--seed", "1", "--out", package], check=True)
        nnz = sum(1 for _ in open(os.path.join(package, "inputs.csv"))) - 1
        out = os.path.join(tmp, "out")
        chollima = best_of(args.repeat, lambda: run_measured([args.chollima, "-q", "analyze", package, "--out", out]))
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        chollima.update({"method": summary["method"], "iterations": summary["iterations"], "residual": summary["residual"],
                         "stages": summary["seconds"]})
        scipy = {}
        for method in ["bicgstab", "neumann"]:
            scipy[method] = best_of(max(1, args.repeat // 2), lambda: run_measured(
                [sys.executable, "-c", SCIPY_ANALYZE, package, os.path.join(tmp, "scipy.csv"), method]))
        best_scipy = min(s["best"] for s in scipy.values())
        return {"products": args.products, "nonzeros": nnz, "chollima": chollima, "scipy": scipy,
                "ratio": best_scipy / chollima["best"]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- Plans: chollima plan against highspy on the same LP ------------------------------------

HIGHSPY_PLAN = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
import compare_highspy
start = time.perf_counter()
# The peer as users run it: highspy with its default options, the LP built from the files.
lambdas = compare_highspy.solve(sys.argv[1], tight=False)
print("RESULT", lambdas, time.perf_counter() - start)
"""


def bench_plan(args):
    rows = []
    for products in args.plan_products:
        tmp = tempfile.mkdtemp(prefix="chollima-plan-bench-")
        try:
            package = os.path.join(tmp, "plan")
            subprocess.run([args.chollima, "-q", "generate", "--products", str(products), "--inputs", "10",
                            "--seed", str(args.plan_seed), "--alternatives", "0.3", "--capacities", "0.3",
                            "--trade", "0.1",
                            "--land", "--out", package], check=True)
            row = {"products": products, "seed": args.plan_seed}
            for method in args.plan_methods:
                gap = 1e-6 if method == "highs" else args.plan_gap
                out = os.path.join(tmp, method)
                command = [args.chollima, "-q", "plan", package, "--out", out, "--method", method,
                           "--gap", str(gap), "--time-limit", str(args.plan_timeout)]
                start = time.perf_counter()
                process = subprocess.Popen(command)
                _, status, usage = os.wait4(process.pid, 0)
                wall = time.perf_counter() - start
                with open(os.path.join(out, "summary.json")) as f:
                    summary = json.load(f)
                row[method] = {"seconds": wall, "peak_mib": usage.ru_maxrss / 1024, "status": summary["status"],
                               "lambda": summary["lambda"], "gap": summary["gap"], "exit": status >> 8}
            try:
                if args.highspy_timeout <= 0:
                    raise subprocess.TimeoutExpired("highspy", 0)
                run = subprocess.run([sys.executable, "-c", HIGHSPY_PLAN, package, os.path.join(ROOT, "scripts")],
                                     capture_output=True, text=True, timeout=args.highspy_timeout)
                line = [l for l in run.stdout.splitlines() if l.startswith("RESULT")][-1]
                row["highspy"] = {"seconds": float(line.split()[-1]), "result": line}
            except subprocess.TimeoutExpired:
                row["highspy"] = {"seconds": None, "result": f"did not finish in {args.highspy_timeout} s"}
            rows.append(row)
            hp = row["highspy"]["seconds"]
            first = row[args.plan_methods[0]]
            ratio = f"{hp / first['seconds']:.1f}x" if hp else "-"
            cells = " | ".join(
                f"{m} {row[m]['seconds']:.2f} s, {row[m]['peak_mib']:.0f} MiB ({row[m]['status']}, "
                f"lambda {row[m]['lambda']}, gap {row[m]['gap']:.2g})" for m in args.plan_methods)
            print(f"| plan, {products} products, seed {args.plan_seed} | {cells} | "
                  f"highspy {hp if hp else row['highspy']['result']} | {ratio} |", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


HIGHSPY_YEARS = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
from compare_highspy_years import solve_years
start = time.perf_counter()
result = solve_years(sys.argv[1])
print("RESULT", result if isinstance(result, str) else {g: sum(v) for g, v in result.items()}, time.perf_counter() - start)
"""


def bench_years(args):
    """Five-year plans: chollima (--years-method; HiGHS under auto) against highspy on the script's own LP."""
    rows = []
    for products in args.plan_products:
        tmp = tempfile.mkdtemp(prefix="chollima-years-bench-")
        try:
            package = os.path.join(tmp, "plan")
            subprocess.run([args.chollima, "-q", "generate", "--products", str(products), "--inputs", "10",
                            "--seed", "21", "--alternatives", "0.3", "--capacities", "0.3", "--trade", "0.1",
                            "--land", "--years", "5", "--out", package], check=True)
            out = os.path.join(tmp, "out")
            command = [args.chollima, "-q", "plan", package, "--out", out, "--time-limit", str(args.plan_timeout),
                       "--method", args.years_method]
            if args.years_method == "pdlp":
                command += ["--gap", str(args.plan_gap)]
            start = time.perf_counter()
            process = subprocess.Popen(command)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            with open(os.path.join(out, "summary.json")) as f:
                summary = json.load(f)
            sums = {g: sum(v for v in values if v is not None) for g, values in summary["lambda"].items()}
            row = {"products": products, "chollima": {"seconds": wall, "peak_mib": usage.ru_maxrss / 1024,
                                                      "status": summary["status"], "sums": sums,
                                                      "gap": summary["gap"]}}
            try:
                run = subprocess.run([sys.executable, "-c", HIGHSPY_YEARS, package, os.path.join(ROOT, "scripts")],
                                     capture_output=True, text=True, timeout=args.plan_timeout)
                line = [l for l in run.stdout.splitlines() if l.startswith("RESULT")][-1]
                row["highspy"] = {"seconds": float(line.split()[-1]), "result": line}
            except subprocess.TimeoutExpired:
                row["highspy"] = {"seconds": None, "result": f"did not finish in {args.plan_timeout} s"}
            rows.append(row)
            hp = row["highspy"]["seconds"]
            c = row["chollima"]
            ratio = f"{hp / c['seconds']:.1f}x" if hp else "-"
            print(f"| five-year plan, {products} products | chollima {c['seconds']:.2f} s, {c['peak_mib']:.0f} MiB "
                  f"({c['status']}, gap {c['gap']}, sums {sums}) | highspy {hp if hp else row['highspy']['result']} "
                  f"({row['highspy']['result']}) | {ratio} |", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["wiod", "generated", "plan", "years", "all"])
    parser.add_argument("--plan-products", type=int, nargs="+", default=[10_000])
    parser.add_argument("--plan-gap", type=float, default=1e-6, help="gap asked of every method but highs")
    parser.add_argument("--plan-methods", nargs="+", default=["auto", "pdlp", "highs"],
                        help="chollima's methods for the plans; the ratio is highspy over the first")
    parser.add_argument("--plan-seed", type=int, default=21, help="seed of the generated plans")
    parser.add_argument("--highspy-timeout", type=float, default=600.0,
                        help="seconds highspy gets per plan (0: do not run it)")
    parser.add_argument("--years-method", default="auto", choices=["auto", "highs", "pdlp"],
                        help="chollima's method for the five-year plans")
    parser.add_argument("--plan-timeout", type=float, default=600.0, help="seconds per solver and size")
    parser.add_argument("--chollima", default=os.path.join(ROOT, "target", "release", "chollima"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--inputs", type=int, default=10)
    args = parser.parse_args()
    if not os.path.exists(args.chollima):
        raise SystemExit(f"{args.chollima} not found: run `cargo build --release` first")
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    if args.which in ("wiod", "all"):
        results["wiod"] = w = bench_wiod(args)
        print(f"| WIOD 2011 (1435 sectors) | chollima import + analyze {w['chollima']['best']:.3f} s "
              f"(import {w['chollima']['import_best']:.3f}, analyze {w['chollima']['analyze_best']:.3f}) | "
              f"pymrio read {w['pymrio']['read_best']:.3f} s + calc_all {w['pymrio']['calc_all_best']:.3f} s | "
              f"{w['ratio']:.1f}x |")
        print(f"| WIOD 2011 (1435 sectors), one command | chollima import --analyze {w['one_command']['best']:.3f} s "
              f"(median {w['one_command']['median']:.3f}), {w['one_command']['peak_mib']:.0f} MiB | "
              f"pymrio {w['pymrio']['best']:.3f} s | {w['ratio_one_command']:.1f}x |")
    if args.which in ("generated", "all"):
        results["generated"] = g = bench_generated(args)
        s = g["scipy"]
        print(f"| generated {g['products']} products, {g['nonzeros']} nonzeros | chollima analyze {g['chollima']['best']:.2f} s, "
              f"{g['chollima']['peak_mib']:.0f} MiB ({g['chollima']['method']}) | scipy bicgstab {s['bicgstab']['best']:.2f} s "
              f"({s['bicgstab']['peak_mib']:.0f} MiB), neumann {s['neumann']['best']:.2f} s | {g['ratio']:.1f}x |")
    if args.which == "plan":
        results["plan"] = bench_plan(args)
    if args.which == "years":
        results["years"] = bench_years(args)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results["machine"]))


if __name__ == "__main__":
    main()
