#!/usr/bin/env python3
"""Two or more chollima binaries on WIOD's one command (`import iot --analyze`), interleaved.

    python3 bench/ab_wiod.py OLD_BINARY NEW_BINARY [--rounds 50]

One-shot timings on a shared VM move by 10-20 % within minutes; running the binaries in turn,
round after round, exposes them to the same neighbours, so their differences show where a
best-of-N of each, taken minutes apart, would drown them. Prints per binary: the best wall time,
the mean of the fastest quarter, the median, the peak RSS (median and max) and the median CPU
time (user + system).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--table", default=os.path.join(ROOT, "data", "wiod2013", "2011"))
    args = parser.parse_args()
    out = tempfile.mkdtemp(prefix="chollima-ab-")
    samples = {b: [] for b in args.binaries}
    try:
        for _ in range(args.rounds):
            for binary in args.binaries:
                shutil.rmtree(os.path.join(out, "a"), ignore_errors=True)
                start = time.perf_counter()
                process = subprocess.Popen([binary, "-q", "import", "iot", args.table, "--analyze", os.path.join(out, "a")])
                _, status, usage = os.wait4(process.pid, 0)
                wall = time.perf_counter() - start
                if status != 0:
                    raise SystemExit(f"{binary} failed ({status})")
                samples[binary].append((wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    for binary, runs in samples.items():
        walls = sorted(s[0] for s in runs)
        fastest = walls[: max(1, len(walls) // 4)]
        rss = [s[1] for s in runs]
        print(
            f"{binary}: best {walls[0] * 1e3:.1f} ms, fastest quarter {statistics.mean(fastest) * 1e3:.1f} ms, "
            f"median {statistics.median(walls) * 1e3:.1f} ms, RSS {statistics.median(rss):.0f}-{max(rss):.0f} MiB, "
            f"CPU {statistics.median(s[2] for s in runs) * 1e3:.1f} ms"
        )


if __name__ == "__main__":
    main()
