//! Reading, writing and validating packages: fixtures, round trips and malformed input.

use std::path::{Path, PathBuf};

use chollima_model::{ResourceAmount, Severity};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn reads_every_part_of_the_single_year_fixture() {
    let loaded = read(&fixture("kantorovich")).unwrap_or_else(|e| panic!("{e}: {e:?}"));
    let e = &loaded.economy;
    assert!(loaded.diagnostics.is_empty(), "{}", loaded.diagnostics);
    assert_eq!(
        e.manifest.name,
        "Three goods, two techniques for steel, trade"
    );
    assert_eq!(e.manifest.resources.len(), 3);
    assert_eq!(
        e.manifest.resources[1].amount,
        ResourceAmount::Constant(50.0)
    );
    assert_eq!(
        e.manifest.plan_settings().priorities,
        vec!["food", "clothing"]
    );
    assert_eq!(e.products.label(0), "Grain, milled");
    assert_eq!(
        e.products.import_price.as_ref().unwrap(),
        &vec![Some(2.5), None, Some(4.0)]
    );
    assert_eq!(e.products.export_limit.as_ref().unwrap()[0], Some(100.0));
    let steel = e.product_index("steel").unwrap() as u32;
    assert_eq!(
        e.techniques.product.iter().filter(|&&p| p == steel).count(),
        2
    );
    let bessemer = e.technique_index("bessemer").unwrap();
    assert_eq!(e.techniques.output[bessemer], 2.0);
    assert_eq!(
        e.techniques.capacity[e.technique_index("mill").unwrap()],
        Some(300.0)
    );
    assert_eq!(e.techniques.resource_use[0][bessemer], 7.0);
    assert_eq!(e.inputs.get(steel as usize, bessemer), 0.015);
    assert_eq!(e.inputs.nnz(), 6);
    assert_eq!(e.demand_in_year(1), vec![100.0, 50.0, 20.0]);
}

#[test]
fn reads_the_multi_year_parts() {
    let loaded = read(&fixture("five-year")).unwrap_or_else(|e| panic!("{e}: {e:?}"));
    let e = &loaded.economy;
    assert_eq!(e.manifest.plan_settings().years, 5);
    assert_eq!(e.manifest.resources[0].amount.in_year(3), 104.0);
    assert_eq!(e.techniques.depreciation, vec![0.05, 0.1]);
    let capital = e.capital.as_ref().unwrap();
    assert_eq!(capital.get(1, 0), 1.5);
    assert_eq!(e.demand_in_year(4), vec![30.0, 0.0]);
    assert_eq!(e.demand_in_year(5), vec![35.0, 0.0]);
    let finance = e.finance.as_ref().unwrap();
    assert_eq!(finance.len(), 3);
    assert_eq!(finance[1].source, "China, People's Republic");
    assert_eq!(finance[2].kind, chollima_model::FinanceKind::TradingHouse);
    // Expected foreign exchange: amount times reliability, rows without a year every year.
    assert_eq!(e.expected_finance(1), Some(30.0 + 36.0));
    assert_eq!(e.expected_finance(2), Some(30.0));
    assert_eq!(e.expected_finance(3), Some(55.0));
}

#[test]
fn written_packages_read_back_identical() {
    for name in ["kantorovich", "five-year"] {
        let original = read(&fixture(name)).unwrap().economy;
        let dir = tempfile::tempdir().unwrap();
        write(&original, dir.path()).unwrap();
        let again = read(dir.path())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"))
            .economy;
        assert_eq!(again, original, "{name}");
    }
}

/// Copies the `kantorovich` fixture, replaces or removes files, validates, and checks that each
/// expected text appears in the report (which must contain errors).
fn check_errors(changes: &[(&str, Option<&[u8]>)], expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture("kantorovich")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    for (file, content) in changes {
        let path = dir.path().join(file);
        match content {
            Some(bytes) => std::fs::write(path, bytes).unwrap(),
            None => std::fs::remove_file(path).unwrap(),
        }
    }
    let report = validate(dir.path());
    assert!(report.has_errors(), "no errors for {changes:?}");
    assert!(read(dir.path()).is_err());
    let text = report.to_string();
    for e in expected {
        assert!(text.contains(e), "expected {e:?} in:\n{text}");
    }
}

#[test]
fn malformed_packages_are_reported_with_locations() {
    check_errors(
        &[("products.csv", Some(b""))],
        &["products.csv:1: the file is empty"],
    );
    check_errors(&[("inputs.csv", None)], &["inputs.csv: file not found"]);
    check_errors(
        &[(
            "products.csv",
            Some(b"id,name\ngrain,G\ncloth\nsteel,S,extra\ngrain,again\n"),
        )],
        &[
            "products.csv:3:2: row has 1 fields but the header has 2",
            "products.csv:4:3: row has 3 fields",
            "products.csv:5:1: product `grain` is defined twice (first on line 2)",
            "techniques.csv:3:2: technique `mill` makes unknown product `cloth`",
        ],
    );
    check_errors(
        &[(
            "techniques.csv",
            Some(b"id,product,capacity,water\nfarm,grain,-3,1\nmill,cloth,abc,0\n"),
        )],
        &[
            "techniques.csv:1:4: column `water` is not a technique column nor a resource in economy.toml",
            "techniques.csv:2:3: `capacity` is -3, outside 0 or more",
            "techniques.csv:3:3: `capacity` is `abc`, not a number",
        ],
    );
    check_errors(
        &[("techniques.csv", Some(b"product,capacity\ngrain,1\n"))],
        &["techniques.csv:1: required column `id` is missing"],
    );
    check_errors(
        &[(
            "targets.csv",
            Some(b"product,category,quantity\nrice,food,1\ngrain,,2\ngrain,food,-1\n"),
        )],
        &[
            "targets.csv:2:1: target for unknown product `rice`",
            "targets.csv:3:2: empty `category`",
            "targets.csv:4:3: `quantity` is -1, outside 0 or more",
        ],
    );
    check_errors(
        &[(
            "economy.toml",
            Some(b"format = 2\nname = 'x'\n[resources]\nlabour = 'lots'\n"),
        )],
        &[
            "economy.toml:1:1: format is 2",
            "economy.toml:4:1: resource `labour` = \"lots\" is not a number",
        ],
    );
    check_errors(
        &[("economy.toml", Some(b"format = 1\nname = \n"))],
        &["economy.toml:2:8: not valid TOML"],
    );
    check_errors(
        &[(
            "inputs.csv",
            Some(b"technique,input,coefficient\nfarm,gr\xe4in,0.1\n"),
        )],
        &["inputs.csv:2:2: text is not valid UTF-8"],
    );
    check_errors(
        &[("products.csv", Some(b"\xff\xfei\x00d\x00\n\x00"))],
        &["products.csv:1: the file is UTF-16, not UTF-8"],
    );
    check_errors(
        &[(
            "finance.csv",
            Some(b"source,kind,amount,reliability,year\naid,gift,10,0.5,\naid,donor,-1,1.5,\n,donor,5,0.5,3\n"),
        )],
        &[
            "finance.csv:2:2: `kind` is `gift`",
            "finance.csv:3:3: `amount` is -1, outside 0 or more",
            "finance.csv:3:4: `reliability` is 1.5, outside 0..1",
            "finance.csv:4:1: empty `source`",
            "finance.csv:4:5: `year` is 3, outside 1..1",
        ],
    );
    check_errors(
        &[("finance.csv", Some(b"source,kind,amount\naid,donor,1\n"))],
        &["finance.csv:1: required column `reliability` is missing"],
    );
    check_errors(
        &[(
            "economy.toml",
            Some(b"format = 1\nname='x'\n[resources]\nlabour = [1, 2]\n"),
        )],
        &["resource `labour` lists 2 amounts but the plan has 1 years"],
    );
}

#[test]
fn warnings_do_not_block_reading() {
    let dir = tempfile::tempdir().unwrap();
    let economy = read(&fixture("kantorovich")).unwrap().economy;
    write(&economy, dir.path()).unwrap();
    std::fs::write(
        dir.path().join("products.csv"),
        "id,colour\ngrain,gold\ncloth,red\nsteel,grey\n",
    )
    .unwrap();
    let loaded = read(dir.path()).unwrap();
    let text = loaded.diagnostics.to_string();
    assert!(
        text.contains("products.csv:1:2: unknown column `colour` is ignored"),
        "{text}"
    );
    assert_eq!(loaded.diagnostics.count(Severity::Error), 0);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Arbitrary bytes in any package file give diagnostics, never a panic.
        #[test]
        fn arbitrary_file_contents_never_panic(file in 0usize..5, bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let names = ["economy.toml", "products.csv", "techniques.csv", "inputs.csv", "targets.csv"];
            let dir = tempfile::tempdir().unwrap();
            let economy = read(&fixture("kantorovich")).unwrap().economy;
            write(&economy, dir.path()).unwrap();
            std::fs::write(dir.path().join(names[file]), &bytes).unwrap();
            let _ = validate(dir.path());
        }

        /// Truncating a valid file anywhere gives a report or a smaller valid package, never a panic.
        #[test]
        fn truncated_files_never_panic(file in 0usize..5, cut in 0usize..200) {
            let names = ["economy.toml", "products.csv", "techniques.csv", "inputs.csv", "targets.csv"];
            let dir = tempfile::tempdir().unwrap();
            let economy = read(&fixture("kantorovich")).unwrap().economy;
            write(&economy, dir.path()).unwrap();
            let path = dir.path().join(names[file]);
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..cut.min(bytes.len())]).unwrap();
            let _ = validate(dir.path());
        }

        /// Written numbers read back bit for bit.
        #[test]
        fn coefficients_round_trip_exactly(values in proptest::collection::vec(0.0f64..1e12, 1..20)) {
            let mut economy = read(&fixture("kantorovich")).unwrap().economy;
            let n = economy.inputs.nnz();
            for (i, v) in economy.inputs.values_mut().iter_mut().enumerate() {
                *v = values[i % values.len()] / (1.0 + i as f64 / n as f64);
            }
            let dir = tempfile::tempdir().unwrap();
            write(&economy, dir.path()).unwrap();
            let again = read(dir.path()).unwrap().economy;
            prop_assert_eq!(again.inputs, economy.inputs);
        }
    }
}

#[test]
fn demand_files_are_read_and_checked() {
    let products = read(&fixture("kantorovich")).unwrap().economy.products.ids;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demand.csv");
    std::fs::write(&path, "product,quantity,note\nsteel,-2.5,x\ngrain,4,y\n").unwrap();
    let (demand, warnings) = read_demand(&path, &products).unwrap();
    assert_eq!(demand, vec![4.0, 0.0, -2.5]);
    assert!(warnings.to_string().contains("column `note` is ignored"));
    std::fs::write(
        &path,
        "product,quantity\nrice,1\ngrain,x\ngrain,1\ngrain,2\n",
    )
    .unwrap();
    let errors = read_demand(&path, &products).unwrap_err().to_string();
    for e in [
        "demand.csv:2:1: unknown product `rice`",
        "demand.csv:3:2: `quantity` is `x`",
        "demand.csv:5:1: product `grain` appears again (first on line 3)",
    ] {
        assert!(errors.contains(e), "{e} in {errors}");
    }
}
