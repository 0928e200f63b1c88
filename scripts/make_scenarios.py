"""Writes the two historical scenarios under examples/ from the Brazilian table shipped there.

    python3 scripts/make_scenarios.py [--chollima target/release/chollima]

No input-output table of North Korea is public, so both scenarios borrow the structure (input
coefficients, labour per unit) of the IBGE 2019 table in examples/brazil-2019: a large economy
with its own agriculture, light industry, heavy industry and construction. Everything else
(targets, capacities, capital, trade, finance) is an assumption of this script, stated in each
scenario's SCENARIO.md; the numbers are deterministic (no randomness) so the files can be
re-created byte for byte.

- chollima-1957: the first Five-Year Plan (1957-1961): war-damaged plant, a portfolio of donors,
  food, clothing and housing in that order.
- upsurge-2009: the push to 2012 (2009-2012): more plant, one main partner and trading houses
  that earn hard currency.
"""
import argparse
import csv
import os
import subprocess
import tempfile

# Quantities in R$ billion and labour in thousands of persons (the labour coefficients stay
# as they are): numbers of order 1-10^5 keep the LP well scaled.
SCALE = 1000.0
MIN_COEFFICIENT = 1e-6
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "examples", "brazil-2019")


def read(name):
    with open(os.path.join(SOURCE, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def division(product):
    """The CNAE division (first two digits of the IBGE product code)."""
    return int(product[:2])


def need(product):
    """The basic need a product serves, as the plans of the 1950s grouped them."""
    d = division(product)
    if d in (1, 2, 3, 10, 11) or product == "56001":
        return "food"
    if d in (13, 14, 15):
        return "clothing"
    if product in ("41801", "68001", "68002", "36801", "35001"):
        return "housing"
    return "other"


def gross_output(chollima):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([chollima, "-q", "analyze", SOURCE, "--out", out], check=True)
        with open(os.path.join(out, "products.csv"), newline="") as f:
            return {r["product"]: float(r["gross_output"]) / SCALE for r in csv.DictReader(f)}


def scenario(name, x, s):
    """Writes one scenario package; `s` holds its assumptions."""
    out = os.path.join(ROOT, "examples", name)
    os.makedirs(out, exist_ok=True)
    products = read("products.csv")
    techniques = read("techniques.csv")
    targets = read("targets.csv")
    years = s["years"]
    # economy.toml
    labour0 = s["labour_share"] * sum(float(t["labour"]) * x[t["product"]] for t in techniques)
    labour = [round(labour0 * (1 + s["labour_growth"]) ** t, 3) for t in range(years)]
    with open(os.path.join(out, "economy.toml"), "w") as f:
        f.write("format = 1\n")
        f.write(f'name = "{s["title"]}"\n')
        f.write('unit = "stand-in value units (IBGE 2019 structure, R$ billion)"\n')
        f.write(f"base_year = {s['base_year']}\n\n[resources]\n")
        f.write(f"labour = [{', '.join(str(v) for v in labour)}]\n\n")
        f.write(f"[plan]\nyears = {years}\n")
        f.write('priorities = ["food", "clothing", "housing"]\n')
    # products.csv: trade terms
    rows = []
    for p in products:
        pid, d = p["id"], division(p["id"])
        imp = s["import_price"] if d in s["importable"] else ""
        exp = s["export_price"] if d in s["exportable"] else ""
        limit = round(s["export_limit_share"] * x[pid], 3) if exp else ""
        rows.append([pid, p["name"], imp, exp, limit])
    write(os.path.join(out, "products.csv"),
          ["id", "name", "import_price", "export_price", "export_limit"], rows)
    # techniques.csv: capacity from the plant left, depreciation
    rows = []
    for t in techniques:
        pid = t["product"]
        d = division(pid)
        share = next((v for divs, v in s["plant"] if d in divs), None)
        capacity = round(share * x[pid], 3) if share is not None else ""
        depreciation = s["depreciation"] if capacity != "" else ""
        rows.append([t["id"], pid, capacity, depreciation, t["labour"]])
    write(os.path.join(out, "techniques.csv"),
          ["id", "product", "capacity", "depreciation", "labour"], rows)
    # Input coefficients below 1e-6 (a millionth of a unit per unit: rounding dust of the
    # published table) are dropped; HiGHS ignores entries below 1e-9 anyway and then reports
    # plans it cannot verify ("unknown") on this table.
    inputs = [r for r in read("inputs.csv") if float(r["coefficient"]) >= MIN_COEFFICIENT]
    write(os.path.join(out, "inputs.csv"), ["technique", "input", "coefficient"],
          [[r["technique"], r["input"], r["coefficient"]] for r in inputs])
    # capital.csv: one unit of yearly capacity takes `capital_output` units of capital goods
    rows = []
    for t, pid, capacity, _, _ in [r for r in _rows(out, "techniques.csv")]:
        if capacity:
            for good, weight in s["capital_goods"]:
                rows.append([t, good, round(s["capital_output"] * weight, 6)])
    write(os.path.join(out, "capital.csv"), ["technique", "good", "coefficient"], rows)
    # targets.csv: the household bundle, scaled, by need; growing year by year
    household = {}
    for r in targets:
        if r["category"] == "households" and float(r["quantity"]) > 0:
            household[r["product"]] = household.get(r["product"], 0.0) + float(r["quantity"]) / SCALE
    for pid in ("41801",):  # new dwellings: the households' share of building
        household[pid] = household.get(pid, 0.0) + s["dwellings_share"] * x[pid]
    rows = []
    for year in range(1, years + 1):
        scale = s["consumption_scale"] * (1 + s["target_growth"]) ** (year - 1)
        for pid in sorted(household):
            rows.append([pid, need(pid), round(household[pid] * scale, 3), year])
    write(os.path.join(out, "targets.csv"), ["product", "category", "quantity", "year"], rows)
    # finance.csv
    rows = []
    for source, kind, reliability, amounts in s["finance"]:
        for year, amount in enumerate(amounts, start=1):
            if amount > 0:
                rows.append([source, kind, year, amount / SCALE, reliability])
    write(os.path.join(out, "finance.csv"), ["source", "kind", "year", "amount", "reliability"], rows)
    return out


def _rows(folder, name):
    with open(os.path.join(folder, name), newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return list(reader)


INDUSTRY = set(range(5, 34))
CAPITAL_GOODS = [("41801", 0.35), ("41802", 0.25), ("28003", 0.2), ("27001", 0.1), ("28002", 0.1)]

SCENARIOS = {
    "chollima-1957": {
        "title": "Chollima 1957: the first Five-Year Plan (stand-in structure: IBGE 2019)",
        "base_year": 1957, "years": 5,
        # Plant left after the war, as a share of the stand-in's 2019 output.
        "plant": [(INDUSTRY, 0.25), ({1, 2, 3}, 0.55), ({41}, 0.3), ({35, 36}, 0.3)],
        "depreciation": 0.05, "capital_output": 1.5, "capital_goods": CAPITAL_GOODS,
        "labour_share": 0.35, "labour_growth": 0.03,
        "consumption_scale": 0.5, "target_growth": 0.08, "dwellings_share": 0.05,
        "import_price": 1.2, "importable": {20, 26, 27, 28, 29, 30},
        "export_price": 0.8, "exportable": {5, 7, 24}, "export_limit_share": 0.3,
        # Aid fell as the 1954-56 reconstruction money ran out.
        "finance": [
            ("Soviet Union", "donor", 0.8, [9000, 7000, 5000, 3000, 2000]),
            ("China", "donor", 0.8, [6000, 5000, 4000, 3000, 2000]),
            ("East Germany", "donor", 0.7, [2500, 2000, 1500, 1000, 500]),
            ("Czechoslovakia", "donor", 0.7, [2000, 1500, 1000, 800, 500]),
            ("Poland", "donor", 0.6, [1500, 1000, 800, 500, 300]),
            ("Hungary, Romania, Bulgaria, Albania, Mongolia", "donor", 0.5, [1500, 1000, 800, 500, 300]),
        ],
    },
    "upsurge-2009": {
        "title": "Upsurge 2009: the push to 2012 (stand-in structure: IBGE 2019)",
        "base_year": 2009, "years": 4,
        "plant": [(INDUSTRY, 0.3), ({1, 2, 3}, 0.5), ({41}, 0.35), ({35, 36}, 0.3)],
        "depreciation": 0.06, "capital_output": 1.5, "capital_goods": CAPITAL_GOODS,
        "labour_share": 0.4, "labour_growth": 0.008,
        "consumption_scale": 0.14, "target_growth": 0.05, "dwellings_share": 0.06,
        "import_price": 1.3, "importable": {10, 19, 20, 26, 27, 28, 29, 30},
        "export_price": 0.9, "exportable": {5, 7, 24, 2}, "export_limit_share": 0.4,
        "finance": [
            ("China (main partner)", "donor", 0.9, [12000, 12000, 12000, 12000]),
            ("Trading house: minerals", "trading_house", 0.8, [3000, 3500, 4000, 4500]),
            ("Trading house: seafood", "trading_house", 0.7, [1500, 1500, 1800, 2000]),
            ("Trading house: processing on commission", "trading_house", 0.6, [1000, 1200, 1400, 1600]),
            ("Other partners", "other", 0.4, [1500, 1000, 1000, 1000]),
        ],
    },
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chollima", default=os.path.join(ROOT, "target", "release", "chollima"))
    args = parser.parse_args()
    x = gross_output(args.chollima)
    for name, s in SCENARIOS.items():
        print("wrote", scenario(name, x, s))


if __name__ == "__main__":
    main()
