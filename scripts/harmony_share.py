#!/usr/bin/env python3
"""Cockshott's harmony against the LP optimum: the share of lambda* that `chollima plan --method
harmony` reaches, per generated economy, next to HiGHS's exact lambda (issue 3).

Every generated economy has a hub good (energy, used by about 95 % of techniques) and pure
intermediates (about 40 % of products have no target): the two structures on which Cockshott's
published code diverged to NaN.

    cargo build --release -p chollima-cli
    python3 scripts/harmony_share.py [--products N] [--iterations K]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "chollima")

INSTANCES = [
    ("one technique per product", []),
    ("alternatives, labour and land", ["--alternatives", "0.5", "--land"]),
    ("capacities", ["--capacities", "0.3"]),
    ("trade", ["--trade", "0.3"]),
    ("every feature", ["--alternatives", "0.3", "--capacities", "0.3", "--trade", "0.1", "--land"]),
]


def plan(package, out, method, gap):
    start = time.perf_counter()
    run = subprocess.run([BINARY, "-q", "plan", package, "--out", out, "--method", method,
                          "--gap", str(gap)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    return summary, seconds, run.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=31)
    args = parser.parse_args()
    print(f"{'economy':32} {'lambda*':>12} {'harmony':>12} {'share':>7} {'gap':>9} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in INSTANCES:
            package = os.path.join(tmp, name.replace(" ", "-").replace(",", ""))
            subprocess.run([BINARY, "generate", "--products", str(args.products), "--inputs", "10",
                            "--seed", str(args.seed), "--out", package] + flags,
                           check=True, capture_output=True)
            exact, _, _ = plan(package, package + "-highs", "highs", 1e-9)
            harmony, seconds, code = plan(package, package + "-harmony", "harmony", 1e-6)
            want, got = exact["lambda"]["all"], harmony["lambda"]["all"]
            share = got / want if got is not None and want else float("nan")
            # The certificates must hold: the harmony plan is feasible, the optimum within its gap.
            assert got is None or got <= want * (1 + 1e-8), (name, got, want)
            gap = harmony["gap"]
            print(f"{name:32} {want:12.8f} {got if got is not None else float('nan'):12.8f} "
                  f"{share:7.1%} {gap:9.2e} {seconds:8.2f}")


if __name__ == "__main__":
    main()
