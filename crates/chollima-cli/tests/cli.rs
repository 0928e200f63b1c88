//! Whole-command tests: the real `chollima` binary in temporary folders.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn chollima(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chollima"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data(relative: &str) -> String {
    root().join("data").join(relative).display().to_string()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts success and returns stderr.
fn ok(output: Output) -> String {
    let text = stderr(&output);
    assert!(
        output.status.success(),
        "failed ({:?}):\n{text}",
        output.status.code()
    );
    text
}

/// Reads a CSV with a header into rows of strings.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    (
        header,
        lines
            .map(|l| l.split(',').map(str::to_owned).collect())
            .collect(),
    )
}

/// `products.csv` of an analysis as product -> column -> value.
fn products(out: &Path) -> HashMap<String, HashMap<String, f64>> {
    let (header, rows) = read_csv(&out.join("products.csv"));
    rows.into_iter()
        .map(|row| {
            let values = header
                .iter()
                .zip(&row)
                .skip(1)
                .map(|(h, v)| (h.clone(), v.parse().unwrap()))
                .collect();
            (row[0].clone(), values)
        })
        .collect()
}

#[test]
fn ons_leontief_inverse_equals_the_published_one() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("ons");
    let out = dir.path().join("out");
    ok(chollima(&[
        "-q",
        "import",
        "ons",
        &data("uk_ons_2010"),
        "--out",
        package.to_str().unwrap(),
    ]));
    ok(chollima(&[
        "-q",
        "analyze",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--inverse",
    ]));
    let (ours_header, ours) = read_csv(&out.join("leontief_inverse.csv"));
    let (published_header, published) =
        read_csv(&root().join("data/uk_ons_2010/L_pxp_published.csv"));
    let column: HashMap<&str, usize> = ours_header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let row: HashMap<&str, &Vec<String>> = ours.iter().map(|r| (r[0].as_str(), r)).collect();
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for published_row in published.iter().filter(|r| r[0] != "Total") {
        let ours_row = row[published_row[0].as_str()];
        for (j, name) in published_header
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, n)| *n != "Total")
        {
            let expected: f64 = published_row[j].parse().unwrap();
            let got: f64 = ours_row[column[name.as_str()]].parse().unwrap();
            worst = worst.max((got - expected).abs() / expected.abs().max(1e-300));
            compared += 1;
        }
    }
    assert_eq!(compared, 127 * 127);
    assert!(worst < 1e-9, "largest relative difference {worst}");
}

#[test]
fn analysis_of_two_goods_matches_the_closed_form() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for method in ["sparse-lu", "dense-lu", "iterative"] {
        ok(chollima(&[
            "-q",
            "analyze",
            fixture("leontief-2x2").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--method",
            method,
        ]));
        // A = [[0.1, 0.2], [0.3, 0.4]] (the mill makes 2 per activity), labour per unit (0.5, 0.25).
        let det = 0.9 * 0.6 - 0.2 * 0.3;
        let l = [[0.6 / det, 0.2 / det], [0.3 / det, 0.9 / det]];
        let p = products(&out);
        let close = |x: f64, y: f64| {
            assert!(
                (x - y).abs() < 1e-10 * y.abs().max(1.0),
                "{method}: {x} vs {y}"
            )
        };
        close(p["grain"]["gross_output"], l[0][0] * 3.0 + l[0][1] * 2.0);
        close(p["steel"]["gross_output"], l[1][0] * 3.0 + l[1][1] * 2.0);
        close(p["steel"]["output_multiplier"], l[0][1] + l[1][1]);
        close(p["grain"]["labour_value"], 0.5 * l[0][0] + 0.25 * l[1][0]);
        let total: f64 = l.iter().flatten().sum();
        close(
            p["grain"]["backward_linkage"],
            2.0 * (l[0][0] + l[1][0]) / total,
        );
        close(
            p["grain"]["forward_linkage"],
            2.0 * (l[0][0] + l[0][1]) / total,
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["method"], method);
        assert!(summary["residual"].as_f64().unwrap() < 1e-10);
    }
}

#[test]
fn a_demand_file_replaces_the_targets() {
    let dir = tempfile::tempdir().unwrap();
    let demand = dir.path().join("demand.csv");
    std::fs::write(&demand, "product,quantity\nsteel,1\n").unwrap();
    let out = dir.path().join("out");
    ok(chollima(&[
        "-q",
        "analyze",
        fixture("leontief-2x2").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--demand",
        demand.to_str().unwrap(),
    ]));
    let det = 0.9 * 0.6 - 0.2 * 0.3;
    let p = products(&out);
    assert!((p["grain"]["gross_output"] - 0.2 / det).abs() < 1e-12);
    assert_eq!(p["grain"]["final_demand"], 0.0);
}

#[test]
fn wiod_import_reports_its_zero_output_sectors_and_analyses() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("wiod");
    let report = ok(chollima(&[
        "import",
        "iot",
        &data("wiod2013/2011"),
        "--out",
        package.to_str().unwrap(),
    ]));
    let zero_output = report
        .lines()
        .filter(|l| l.contains("zero") && l.contains("output"))
        .count();
    assert!(
        zero_output >= 22,
        "the 22 zero-output sectors are reported:\n{report}"
    );
    let validation = chollima(&["validate", package.to_str().unwrap()]);
    assert!(validation.status.success(), "{}", stderr(&validation));
    let out = dir.path().join("out");
    ok(chollima(&[
        "-q",
        "analyze",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let p = products(&out);
    assert_eq!(p.len(), 1435);
    // A sector with zero output still has a multiplier of at least 1 (its own unit).
    assert!(p.values().all(|r| r["output_multiplier"] >= 1.0 - 1e-12));

    // One command, the table analysed in memory: the same numbers as through the package's
    // text, since the package round-trips every f64 exactly.
    let direct = dir.path().join("direct");
    ok(chollima(&[
        "-q",
        "import",
        "iot",
        &data("wiod2013/2011"),
        "--analyze",
        direct.to_str().unwrap(),
    ]));
    assert_eq!(
        std::fs::read(direct.join("products.csv")).unwrap(),
        std::fs::read(out.join("products.csv")).unwrap()
    );
    assert!(
        !direct.join("inputs.csv").exists(),
        "no package without --out"
    );
    let neither = chollima(&["import", "iot", &data("wiod2013/2011")]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(stderr(&neither).contains("--out"), "{}", stderr(&neither));
}

#[test]
fn generated_economies_are_deterministic_and_analysable() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        ok(chollima(&[
            "-q",
            "generate",
            "--products",
            "2000",
            "--inputs",
            "8",
            "--seed",
            "42",
            "--out",
            out.to_str().unwrap(),
        ]));
    }
    for file in [
        "economy.toml",
        "products.csv",
        "techniques.csv",
        "inputs.csv",
        "targets.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    let out = dir.path().join("out");
    ok(chollima(&[
        "-q",
        "analyze",
        a.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(products(&out).len(), 2000);
}

/// Copies the 2x2 fixture, applies `change`, and checks that `command` exits with 2 and that
/// stderr (or stdout for validate) names every expected text, without a panic.
fn check_bad_input(command: &str, change: impl FnOnce(&Path), expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("pkg");
    std::fs::create_dir(&package).unwrap();
    for entry in std::fs::read_dir(fixture("leontief-2x2")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), package.join(entry.file_name())).unwrap();
    }
    change(&package);
    let out = dir.path().join("out");
    let output = match command {
        "validate" => chollima(&["validate", package.to_str().unwrap()]),
        _ => chollima(&[
            "analyze",
            package.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(2), "{command}:\n{text}");
    assert!(!text.contains("panicked"), "{text}");
    for e in expected {
        assert!(text.contains(e), "expected {e:?} in:\n{text}");
    }
}

fn write(file: &'static str, content: &'static [u8]) -> impl FnOnce(&Path) {
    move |dir: &Path| std::fs::write(dir.join(file), content).unwrap()
}

#[test]
fn malformed_packages_exit_2_with_located_errors() {
    for command in ["validate", "analyze"] {
        check_bad_input(
            command,
            write(
                "inputs.csv",
                b"technique,input,coefficient\nfarm,grain,0.1\nfarm,ste",
            ),
            &["inputs.csv:3:3: row has 2 fields but the header has 3"],
        );
        check_bad_input(
            command,
            write("inputs.csv", b"technique,coefficient\nfarm,0.1\n"),
            &["inputs.csv:1: required column `input` is missing"],
        );
        check_bad_input(
            command,
            write(
                "inputs.csv",
                b"technique,input,coefficient\nfarm,grain,0.1,7\n",
            ),
            &["inputs.csv:2:4: row has 4 fields but the header has 3"],
        );
        check_bad_input(
            command,
            write(
                "inputs.csv",
                b"technique,input,coefficient\nfarm,grain,0,1\n",
            ),
            &["inputs.csv:2:4: row has 4 fields"],
        );
        check_bad_input(
            command,
            write(
                "inputs.csv",
                b"technique,input,coefficient\nfarm,grain,1O\n",
            ),
            &["inputs.csv:2:3: `coefficient` is `1O`, not a number"],
        );
        check_bad_input(
            command,
            write("techniques.csv", b"id,product\nfarm,grain\nmill,iron\n"),
            &["techniques.csv:3:2: technique `mill` makes unknown product `iron`"],
        );
        check_bad_input(
            command,
            write(
                "inputs.csv",
                b"technique,input,coefficient\nfarm,grain,0.1\nfarm,grain,0.2\n",
            ),
            &["inputs.csv:3:1: pair (farm, grain) appears again (first on line 2)"],
        );
        check_bad_input(
            command,
            write("products.csv", b""),
            &["products.csv:1: the file is empty"],
        );
        check_bad_input(
            command,
            write(
                "targets.csv",
                b"product,category,quantity\nstee\xefl,food,1\n",
            ),
            &["targets.csv:2:1: text is not valid UTF-8"],
        );
        check_bad_input(
            command,
            write("economy.toml", b"format = 1\nname = \"x\"\n[resources\n"),
            &["economy.toml:3:", "not valid TOML"],
        );
        check_bad_input(
            command,
            |dir| std::fs::remove_file(dir.join("techniques.csv")).unwrap(),
            &["techniques.csv: file not found"],
        );
    }
    // Valid as a package, but A is not productive (the farm uses 1.2 grain per grain).
    check_bad_input(
        "analyze",
        write(
            "inputs.csv",
            b"technique,input,coefficient\nfarm,grain,1.2\nmill,steel,0.8\n",
        ),
        &["not productive", "grain (1.2000)", "hint:"],
    );
}

#[test]
fn bad_flags_and_missing_folders_exit_2() {
    let output = chollima(&["analyze", "/nonexistent/package", "--out", "/tmp/never"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a folder"),
        "{}",
        stderr(&output)
    );
    let output = chollima(&["generate", "--products", "0", "--out", "/tmp/never"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let output = chollima(&["analyze", fixture("leontief-2x2").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "clap usage errors exit 2");
}

#[test]
fn shipped_examples_equal_a_fresh_import() {
    let dir = tempfile::tempdir().unwrap();
    let brazil = dir.path().join("brazil");
    let labour = data("ibge_brazil_68/2019/value_added_and_employment.csv");
    ok(chollima(&[
        "-q",
        "import",
        "supply-use",
        &data("ibge_brazil_68/2019"),
        "--labour",
        &labour,
        "--out",
        brazil.to_str().unwrap(),
    ]));
    let uk = dir.path().join("uk");
    ok(chollima(&[
        "-q",
        "import",
        "ons",
        &data("uk_ons_2010"),
        "--out",
        uk.to_str().unwrap(),
    ]));
    for (fresh, shipped) in [(brazil, "brazil-2019"), (uk, "uk-ons-2010")] {
        for file in [
            "economy.toml",
            "products.csv",
            "techniques.csv",
            "inputs.csv",
            "targets.csv",
        ] {
            let shipped_bytes =
                std::fs::read(root().join("examples").join(shipped).join(file)).unwrap();
            assert!(
                std::fs::read(fresh.join(file)).unwrap() == shipped_bytes,
                "examples/{shipped}/{file} differs from a fresh import"
            );
        }
    }
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn the_plan_of_two_goods_is_the_closed_form_ray() {
    // leontief-2x2: x* = (I - A)^-1 t = (2.2, 2.7) / 0.48, labour l x* with l = (0.5, 0.25).
    let x = [2.2 / 0.48, 2.7 / 0.48];
    let lambda = 100.0 / (0.5 * x[0] + 0.25 * x[1]);
    let dir = tempfile::tempdir().unwrap();
    for method in ["auto", "highs", "simplex"] {
        let out = dir.path().join(method);
        let mps = dir.path().join(format!("{method}.mps"));
        let package = fixture("leontief-2x2");
        ok(chollima(&[
            "plan",
            package.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--method",
            method,
            "--export-mps",
            mps.to_str().unwrap(),
        ]));
        let s = summary(&out);
        assert_eq!(s["status"], "optimal");
        let got = s["lambda"]["all"].as_f64().unwrap();
        assert!(
            (got - lambda).abs() < 1e-9 * lambda,
            "{method}: {got} vs {lambda}"
        );
        assert!(s["gap"].as_f64().unwrap() < 1e-9);
        assert_eq!(s["binding"], serde_json::json!(["labour"]));
        assert_eq!(
            s["method"],
            if method == "auto" {
                "closed-form"
            } else {
                method
            }
        );
        let (header, rows) = read_csv(&out.join("products.csv"));
        assert_eq!(
            header,
            [
                "product",
                "supply",
                "target",
                "fulfilment",
                "imports",
                "exports",
                "shadow_price",
                "labour_value"
            ]
        );
        for row in &rows {
            let fulfilment: f64 = row[3].parse().unwrap();
            assert!((fulfilment - lambda).abs() < 1e-8, "{row:?}");
        }
        // The mill makes 2 per unit of activity.
        let (_, techniques) = read_csv(&out.join("techniques.csv"));
        let mill = techniques.iter().find(|r| r[0] == "mill").unwrap();
        let activity: f64 = mill[2].parse().unwrap();
        assert!((activity - lambda * x[1] / 2.0).abs() < 1e-8 * activity);
        let text = std::fs::read_to_string(&mps).unwrap();
        assert!(
            text.contains("OBJSENSE") && text.contains(" L r:labour"),
            "{text}"
        );
    }
}

#[test]
fn an_infeasible_plan_exits_3_with_what_is_short() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("pkg");
    std::fs::create_dir(&package).unwrap();
    for entry in std::fs::read_dir(fixture("leontief-2x2")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, package.join(path.file_name().unwrap())).unwrap();
    }
    let toml = package.join("economy.toml");
    let text = std::fs::read_to_string(&toml).unwrap() + "\n[plan]\nfloor = 30\n";
    std::fs::write(&toml, text).unwrap();
    let out = dir.path().join("out");
    let run = chollima(&[
        "plan",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    // At lambda = 30 labour needs 30 * 3.6979... = 110.94 of 100 hours.
    let needed = 30.0 * (0.5 * 2.2 / 0.48 + 0.25 * 2.7 / 0.48) - 100.0;
    let s = summary(&out);
    assert_eq!(s["status"], "infeasible");
    let shortage = &s["diagnosis"]["shortages"][0];
    assert_eq!(shortage["what"], "labour");
    assert!((shortage["short_by"].as_f64().unwrap() - needed).abs() < 1e-6);
    assert!(stderr(&run).contains("labour short by"), "{}", stderr(&run));
}

#[test]
fn the_kantorovich_fixture_plans_in_priority_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let package = root().join("crates/chollima-package/tests/fixtures/kantorovich");
    ok(chollima(&[
        "-q",
        "plan",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let s = summary(&out);
    let groups: Vec<&String> = s["lambda"].as_object().unwrap().keys().collect();
    assert_eq!(groups, ["clothing", "food", "rest"]); // JSON objects list keys sorted
    for (group, value) in s["lambda"].as_object().unwrap() {
        let value = value.as_f64().unwrap();
        assert!(value >= 0.0, "{group} {value}");
        if group != "rest" {
            assert!(value <= 1.0 + 1e-9, "{group} {value}");
        }
    }
    assert!(s["gap"].as_f64().unwrap() < 1e-6, "{s}");
}

/// Runs `chollima -q plan PACKAGE --out OUT --method METHOD --gap GAP` (expecting success) and
/// returns its summary.
fn plan_summary(package: &Path, out: &Path, method: &str, gap: &str) -> serde_json::Value {
    ok(chollima(&[
        "-q",
        "plan",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--method",
        method,
        "--gap",
        gap,
    ]));
    summary(out)
}

#[test]
fn the_first_order_method_matches_highs_within_its_certified_gap() {
    let dir = tempfile::tempdir().unwrap();
    let package = root().join("crates/chollima-package/tests/fixtures/kantorovich");
    let run =
        |method: &str, gap: &str| plan_summary(&package, &dir.path().join(method), method, gap);
    let exact = run("highs", "1e-6");
    let first_order = run("pdlp", "1e-7");
    assert_eq!(first_order["status"], "near_optimal", "{first_order}");
    assert_eq!(first_order["method"], "pdlp");
    assert!(
        first_order["gap"].as_f64().unwrap() <= 1e-7,
        "{first_order}"
    );
    // Every stage says how many iterations it took: the first-order method's (at least one
    // here), HiGHS's simplex iterations.
    for stage in first_order["stages"].as_array().unwrap() {
        assert!(
            stage["iterations"].as_u64().is_some_and(|i| i > 0),
            "{stage}"
        );
    }
    for stage in exact["stages"].as_array().unwrap() {
        assert!(stage["iterations"].as_u64().is_some(), "{stage}");
    }
    for (group, value) in exact["lambda"].as_object().unwrap() {
        let (want, got) = (
            value.as_f64().unwrap(),
            first_order["lambda"][group].as_f64().unwrap(),
        );
        assert!(
            (want - got).abs() <= 1e-6 * want.max(1.0),
            "{group}: {got} vs {want}"
        );
    }
}

#[test]
fn merit_orders_plan_within_their_certified_gap() {
    let dir = tempfile::tempdir().unwrap();
    // Alternatives with labour and land: both bind, so the optimum mixes techniques and the
    // merit plan stops short of it, within the gap it certifies.
    let package = dir.path().join("economy");
    ok(chollima(&[
        "generate",
        "--products",
        "300",
        "--inputs",
        "8",
        "--seed",
        "5",
        "--alternatives",
        "0.5",
        "--land",
        "--out",
        package.to_str().unwrap(),
    ]));
    let run = |method: &str| plan_summary(&package, &dir.path().join(method), method, "1e-2");
    let (exact, merit) = (run("highs"), run("merit"));
    assert_eq!(merit["method"], "merit");
    assert_eq!(merit["status"], "near_optimal", "{merit}");
    let gap = merit["gap"].as_f64().unwrap();
    assert!(gap <= 1e-2, "{merit}");
    let (want, got) = (
        exact["lambda"]["all"].as_f64().unwrap(),
        merit["lambda"]["all"].as_f64().unwrap(),
    );
    assert!(got <= want * (1.0 + 1e-8) && want <= got + gap * want.max(1.0) * 1.000001);
}

#[test]
fn a_gap_outside_zero_to_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let package = root().join("crates/chollima-package/tests/fixtures/kantorovich");
    let output = chollima(&[
        "plan",
        package.to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
        "--gap",
        "1.5",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--gap 1.5"), "{}", stderr(&output));
}

/// The sum over years of a group's lambdas in a multi-year summary.json.
fn sum_of_lambdas(summary: &serde_json::Value, group: &str) -> f64 {
    summary["lambda"][group]
        .as_array()
        .expect("one value per year")
        .iter()
        .map(|l| l.as_f64().unwrap())
        .sum()
}

/// A generated five-year economy (seed 21) with alternatives, capacities, trade and land.
fn five_year_economy(dir: &Path, name: &str, products: &str) -> PathBuf {
    let package = dir.join(name);
    let options =
        "--inputs 6 --seed 21 --alternatives 0.3 --capacities 0.4 --trade 0.2 --land --years 5";
    let mut args = vec!["-q", "generate", "--products", products];
    args.extend(options.split(' '));
    args.extend(["--out", package.to_str().unwrap()]);
    ok(chollima(&args));
    package
}

#[test]
fn five_year_plans_write_a_row_per_year_and_technique() {
    let dir = tempfile::tempdir().unwrap();
    let package = five_year_economy(dir.path(), "five", "60");
    let out = dir.path().join("plan");
    let summary = plan_summary(&package, &out, "auto", "1e-6");
    assert_eq!(summary["status"], "optimal", "{summary}");
    assert_eq!(summary["years"], 5);
    let lambdas = summary["lambda"]["all"]
        .as_array()
        .expect("one value per year");
    assert_eq!(lambdas.len(), 5);
    assert!(lambdas.iter().all(|l| l.as_f64().unwrap() > 0.0));
    let (header, years) = read_csv(&out.join("years.csv"));
    assert_eq!(&header[..3], ["year", "group", "lambda"]);
    assert_eq!(years.len(), 5);
    let (header, rows) = read_csv(&out.join("techniques.csv"));
    assert_eq!(
        header,
        [
            "technique",
            "product",
            "year",
            "activity",
            "capacity",
            "investment"
        ]
    );
    let (_, techniques) = read_csv(&package.join("techniques.csv"));
    assert_eq!(rows.len(), techniques.len() * 5);
    assert!(
        rows.iter()
            .any(|r| r[5].parse::<f64>().is_ok_and(|v| v > 0.0)),
        "some capacity is built"
    );
    // The first-order method plans several years too: a certified plan, never better than
    // the exact one, within its gap of it when it says near_optimal.
    let exact = sum_of_lambdas(&summary, "all");
    let first_order_out = dir.path().join("pdlp");
    let first_order = chollima(&[
        "-q",
        "plan",
        package.to_str().unwrap(),
        "--out",
        first_order_out.to_str().unwrap(),
        "--method",
        "pdlp",
        "--gap",
        "0.05",
        "--time-limit",
        "60",
    ]);
    let code = first_order.status.code();
    assert!(
        matches!(code, Some(0) | Some(3)),
        "{}",
        stderr(&first_order)
    );
    let certified = self::summary(&first_order_out);
    assert_eq!(certified["method"], "pdlp", "{certified}");
    for stage in certified["stages"].as_array().unwrap() {
        assert!(stage["iterations"].as_u64().is_some(), "{stage}");
    }
    let found = sum_of_lambdas(&certified, "all");
    assert!(found <= exact * (1.0 + 1e-7), "{found} > {exact}");
    if code == Some(0) {
        assert_eq!(certified["status"], "near_optimal", "{certified}");
        assert!(
            found >= exact * (1.0 - 0.05) - 1e-9,
            "{found} against {exact}"
        );
    }
    // Merit and harmony plan single periods only: a clear refusal, exit 2.
    let refused = chollima(&[
        "plan",
        package.to_str().unwrap(),
        "--out",
        dir.path().join("merit").to_str().unwrap(),
        "--method",
        "merit",
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--method"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn stress_withdraws_the_least_reliable_source_and_costs_fulfilment() {
    let dir = tempfile::tempdir().unwrap();
    let package = five_year_economy(dir.path(), "aid", "300");
    let out = dir.path().join("plain");
    let refused = chollima(&[
        "plan",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--stress",
    ]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "no finance.csv: {}",
        stderr(&refused)
    );
    assert!(
        stderr(&refused).contains("finance.csv"),
        "{}",
        stderr(&refused)
    );

    std::fs::write(
        package.join("finance.csv"),
        "source,kind,year,amount,reliability\n\
         Soviet Union,donor,,500,0.6\n\
         China,donor,,300,0.9\n\
         Korea General Trading,trading_house,,200,1\n",
    )
    .unwrap();
    let text = ok(chollima(&[
        "plan",
        package.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--stress",
    ]));
    assert!(
        text.contains("foreign_exchange"),
        "the unused budget is reported:\n{text}"
    );
    // Each year spends no more foreign exchange than finance.csv leads it to expect.
    let (header, years) = read_csv(&out.join("years.csv"));
    let fx = header.iter().position(|h| h == "foreign_exchange").unwrap();
    for row in &years {
        assert!(row[fx].parse::<f64>().unwrap() <= 500.0 * 0.6 + 300.0 * 0.9 + 200.0 + 1e-6);
    }
    let stress: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stress.json")).unwrap()).unwrap();
    assert_eq!(stress["withdrawn"]["source"], "Soviet Union");
    let costs: Vec<f64> = stress["groups"][0]["cost"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_f64().unwrap())
        .collect();
    assert_eq!(costs.len(), 5);
    // Less money never helps; on this economy foreign exchange binds, so it hurts.
    assert!(costs.iter().all(|&c| c >= -1e-9), "{costs:?}");
    assert!(costs.iter().sum::<f64>() > 1e-4, "{costs:?}");
}

/// Re-planning from year 3 with the plan's own first two years as actuals must find the same
/// remaining lambdas: the original continuation is feasible for the re-plan, and a better one
/// would have made a better whole plan.
#[test]
fn rolling_horizon_from_the_plans_own_actuals_keeps_its_remaining_years() {
    let dir = tempfile::tempdir().unwrap();
    let package = five_year_economy(dir.path(), "rolling", "200");
    let whole = dir.path().join("whole");
    let first = plan_summary(&package, &whole, "auto", "1e-6");
    let lambdas: Vec<f64> = first["lambda"]["all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (header, rows) = read_csv(&whole.join("techniques.csv"));
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (t, y, a, v) = (
        column("technique"),
        column("year"),
        column("activity"),
        column("investment"),
    );
    let mut actuals = String::from("technique,year,activity,investment\n");
    for r in rows.iter().filter(|r| r[y].parse::<u32>().unwrap() < 3) {
        actuals.push_str(&format!("{},{},{},{}\n", r[t], r[y], r[a], r[v]));
    }
    let actuals_path = dir.path().join("actuals.csv");
    std::fs::write(&actuals_path, actuals).unwrap();
    let rest = dir.path().join("rest");
    let replan = || {
        chollima(&[
            "plan",
            package.to_str().unwrap(),
            "--out",
            rest.to_str().unwrap(),
            "--from-year",
            "3",
            "--actuals",
            actuals_path.to_str().unwrap(),
        ])
    };
    ok(replan());
    let again = summary(&rest);
    assert_eq!(again["first_year"], 3);
    let remaining: Vec<f64> = again["lambda"]["all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(remaining.len(), 3);
    let (whole_sum, rest_sum) = (
        lambdas[2..].iter().sum::<f64>(),
        remaining.iter().sum::<f64>(),
    );
    assert!(
        (whole_sum - rest_sum).abs() <= 1e-6 * whole_sum,
        "{lambdas:?} {remaining:?}"
    );
    let (_, years) = read_csv(&rest.join("years.csv"));
    assert_eq!(years[0][0], "3", "years keep the original plan's numbers");

    // Bad actuals: named with file, line and column; exit 2.
    std::fs::write(
        &actuals_path,
        "technique,year,activity,investment\nnobody,1,1,0\nt0,3,1,0\nt0,1,-2,0\n",
    )
    .unwrap();
    let bad = replan();
    assert_eq!(bad.status.code(), Some(2));
    let text = stderr(&bad);
    for expected in [
        "actuals.csv:2:1: unknown technique `nobody`",
        "actuals.csv:3:2:",
        "actuals.csv:4:3: `activity` is -2",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
}

/// The two historical scenarios run on a fresh checkout, with priorities, capital, finance and
/// a stress test.
#[test]
fn the_historical_scenarios_plan_on_a_fresh_checkout() {
    let dir = tempfile::tempdir().unwrap();
    for (name, years) in [("chollima-1957", 5), ("upsurge-2009", 4)] {
        let out = dir.path().join(name);
        let package = root().join("examples").join(name);
        ok(chollima(&[
            "-q",
            "plan",
            package.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--stress",
        ]));
        let s = summary(&out);
        assert_eq!(s["status"], "optimal", "{name}: {s}");
        assert_eq!(s["years"], years);
        for group in ["food", "clothing", "housing", "rest"] {
            assert_eq!(
                s["lambda"][group].as_array().unwrap().len(),
                years,
                "{name} {group}"
            );
        }
        // Each stage says how tightly it held the earlier sums: none for the first, HiGHS's
        // 1e-9 or, retried, 1e-7 for the others.
        let stages = s["stages"].as_array().unwrap();
        assert!(
            stages[0]["earlier_sums_held_within"].is_null(),
            "{name}: {s}"
        );
        for stage in &stages[1..] {
            let held = stage["earlier_sums_held_within"].as_f64().unwrap();
            assert!(held == 1e-9 || held == 1e-7, "{name}: {stage}");
        }
        assert!(out.join("stress.json").exists());
    }
}

#[test]
fn a_plan_becomes_the_office_plan_with_categories_and_prices() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("pkg");
    let plan = dir.path().join("plan");
    let (p, o) = (package.to_str().unwrap(), plan.to_str().unwrap());
    ok(chollima(&[
        "-q",
        "generate",
        "--products",
        "60",
        "--inputs",
        "4",
        "--seed",
        "3",
        "--priorities",
        "--out",
        p,
    ]));
    ok(chollima(&["-q", "plan", p, "--out", o]));
    let json_path = dir.path().join("office.json");
    ok(chollima(&[
        "-q",
        "office-plan",
        o,
        "--package",
        p,
        "--periods",
        "4",
        "--out",
        json_path.to_str().unwrap(),
    ]));
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(body["periods"], 4);
    let lines = body["lines"].as_array().unwrap();
    let (_, rows) = read_csv(&plan.join("techniques.csv"));
    assert_eq!(lines.len(), rows.len());
    assert!(lines.iter().any(|l| l["category"] == "food"), "{lines:?}");
    assert!(lines.iter().all(|l| l["weight"].as_f64().is_some()));
    let activity: f64 = lines.iter().map(|l| l["activity"].as_f64().unwrap()).sum();
    assert!(activity > 0.0);
    // A folder that is not a plan: located errors, exit 2.
    std::fs::write(plan.join("techniques.csv"), "technique,product\nt1,p1\n").unwrap();
    let out = chollima(&["office-plan", o, "--package", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("techniques.csv:1:1"),
        "{}",
        stderr(&out)
    );
}
