//! Bad input gives an `ImportError` listing every problem with file, line, column and hint;
//! arbitrary or mangled bytes never make an importer panic.

use std::path::{Path, PathBuf};

use chollima_import::*;
use proptest::prelude::*;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn problems(err: ImportError) -> String {
    match err {
        ImportError::Invalid(report) => {
            assert!(
                report
                    .iter()
                    .all(|d| d.severity != chollima_model::Severity::Error
                        || d.hint.is_some()
                        || d.message.contains("more")),
                "{report}"
            );
            report.to_string()
        }
        other => panic!("expected Invalid, got {other}"),
    }
}

#[test]
fn every_problem_of_a_bad_table_is_listed() {
    let text = problems(import_iot(&fixture("bad_iot"), &IotOptions::default()).unwrap_err());
    let dir = fixture("bad_iot");
    for want in [
        format!(
            "error: {}:3:3: `five` is not a number",
            dir.join("Z.csv").display()
        ),
        format!(
            "error: {}:4:4: this row has 3 fields, the header has 4",
            dir.join("Z.csv").display()
        ),
        format!(
            "error: {}:4:2: `x` is not a number",
            dir.join("Y.csv").display()
        ),
        format!(
            "error: {}:3:1: row 2 is `s9`, but Z's row 2 is `s2`",
            dir.join("x.csv").display()
        ),
    ] {
        assert!(text.contains(&want), "missing `{want}` in\n{text}");
    }
}

#[test]
fn missing_files_are_all_listed() {
    let text =
        problems(import_iot(Path::new("/nonexistent/folder"), &IotOptions::default()).unwrap_err());
    for file in ["Z.csv", "Y.csv", "x.csv"] {
        assert!(
            text.contains(&format!("/nonexistent/folder/{file}: file not found")),
            "{text}"
        );
    }
    let text = problems(import_ons(Path::new("/nonexistent"), &OnsOptions::default()).unwrap_err());
    assert!(
        text.contains("A_pxp.csv: file not found")
            && text.contains("iot_domestic_pxp.csv: file not found"),
        "{text}"
    );
    let text = problems(
        import_supply_use(
            &[PathBuf::from("/nonexistent/Make.csv")],
            &SupplyUseOptions::default(),
        )
        .unwrap_err(),
    );
    assert!(text.contains("file not found"), "{text}");
}

fn write_iot(dir: &Path, z: &[u8], y: &[u8], x: &[u8]) {
    std::fs::write(dir.join("Z.csv"), z).unwrap();
    std::fs::write(dir.join("Y.csv"), y).unwrap();
    std::fs::write(dir.join("x.csv"), x).unwrap();
}

#[test]
fn non_square_z_label_mismatch_and_encoding() {
    let dir = tempfile::tempdir().unwrap();
    write_iot(
        dir.path(),
        b"row,a,b,c\na,1,2,3\nb,1,2,3\n",
        b"row,hh\na,1\nb,1\n",
        b"row,x\na,5\nb,5\n",
    );
    let text = problems(import_iot(dir.path(), &IotOptions::default()).unwrap_err());
    assert!(
        text.contains("Z is not square: 2 rows and 3 columns"),
        "{text}"
    );
    write_iot(
        dir.path(),
        b"row,a,b\na,1,2\nc,1,2\n",
        b"row,hh\na,1\nb,1\n",
        b"row,x\na,5\nb,5\n",
    );
    let text = problems(import_iot(dir.path(), &IotOptions::default()).unwrap_err());
    assert!(
        text.contains(":1:3: column 2 is `b` but row 2 is `c`"),
        "{text}"
    );
    write_iot(
        dir.path(),
        b"row,a,b\na,1,2\n\xe9,1,2\n",
        b"row,hh\na,1\nb,1\n",
        b"row,x\na,5\nb,5\n",
    );
    let text = problems(import_iot(dir.path(), &IotOptions::default()).unwrap_err());
    assert!(
        text.contains("Z.csv:3:1: this label is not valid UTF-8"),
        "{text}"
    );
    write_iot(
        dir.path(),
        b"\xff\xfer\x00o\x00w\x00",
        b"row,hh\na,1\n",
        b"row,x\na,5\n",
    );
    let text = problems(import_iot(dir.path(), &IotOptions::default()).unwrap_err());
    assert!(text.contains("the file is UTF-16"), "{text}");
}

#[test]
fn matrix_market_refusals_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.mtx");
    std::fs::write(
        &path,
        "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 2\n",
    )
    .unwrap();
    let text = problems(import_mtx(&path, &MtxOptions::default()).unwrap_err());
    assert!(
        text.contains("a `pattern` matrix has no real values"),
        "{text}"
    );
    std::fs::write(
        &path,
        "%%MatrixMarket matrix coordinate real general\n2 3 2\n1 2 0.5\n3 1 x\n",
    )
    .unwrap();
    let text = problems(import_mtx(&path, &MtxOptions::default()).unwrap_err());
    assert!(
        text.contains("entry (3, 1) is outside the 2 x 3 matrix")
            && text.contains("A is 2 x 3: not square"),
        "{text}"
    );
}

fn mangle(bytes: &[u8], edits: &[(usize, u8)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for &(at, b) in edits {
        if out.is_empty() {
            break;
        }
        let i = at % out.len();
        match b % 4 {
            0 => out[i] = b,
            1 => {
                out.remove(i);
            }
            2 => out.insert(i, b),
            _ => out.insert(i, [b',', b'\n', b'"', b'-'][usize::from(b) % 4]),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(z in proptest::collection::vec(any::<u8>(), 0..400), y in proptest::collection::vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        write_iot(dir.path(), &z, &y, &z);
        let _ = import_iot(dir.path(), &IotOptions::default());
        let path = dir.path().join("a.mtx");
        std::fs::write(&path, &z).unwrap();
        let _ = import_mtx(&path, &MtxOptions { demand: Some(dir.path().join("Y.csv")), ..Default::default() });
    }

    #[test]
    fn mangled_tables_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..12)) {
        let dir = tempfile::tempdir().unwrap();
        let src = fixture("small_iot");
        let read = |name: &str| std::fs::read(src.join(name)).unwrap();
        write_iot(dir.path(), &mangle(&read("Z.csv"), &edits), &mangle(&read("Y.csv"), &edits[1..]), &read("x.csv"));
        let _ = import_iot(dir.path(), &IotOptions::default());

        let make = std::fs::read(fixture("make_use_2x2/Make_2x2.csv")).unwrap();
        let uses = std::fs::read(fixture("make_use_2x2/Use_2x2.csv")).unwrap();
        std::fs::write(dir.path().join("Make.csv"), mangle(&make, &edits)).unwrap();
        std::fs::write(dir.path().join("Use.csv"), mangle(&uses, &edits[edits.len() / 2..])).unwrap();
        let sources = [dir.path().join("Make.csv"), dir.path().join("Use.csv")];
        for assumption in [Assumption::IndustryTechnology, Assumption::CommodityTechnology] {
            let _ = import_supply_use(&sources, &SupplyUseOptions { assumption, ..Default::default() });
        }

        let mtx = std::fs::read(fixture("mtx/a.mtx")).unwrap();
        std::fs::write(dir.path().join("a.mtx"), mangle(&mtx, &edits)).unwrap();
        let _ = import_mtx(&dir.path().join("a.mtx"), &MtxOptions::default());

        let pdir = dir.path().join("pymrio");
        std::fs::create_dir(&pdir).unwrap();
        for name in ["x.txt", "Y.txt", "A.txt", "file_parameters.json"] {
            let bytes = std::fs::read(fixture("pymrio_test").join(name)).unwrap();
            let bytes = if name == "A.txt" || name == "file_parameters.json" { mangle(&bytes, &edits) } else { bytes };
            std::fs::write(pdir.join(name), bytes).unwrap();
        }
        let _ = import_pymrio(&pdir, &PymrioOptions::default());
    }
}
