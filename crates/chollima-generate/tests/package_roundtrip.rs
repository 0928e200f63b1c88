//! Generated economies are valid packages: written with `chollima-package` and read back, they
//! come out equal, bit for bit, with no diagnostics at all.

use chollima_generate::{GenerateConfig, generate};

fn round_trip(config: &GenerateConfig) {
    let economy = generate(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    chollima_package::write(&economy, dir.path()).unwrap();
    let diagnostics = chollima_package::validate(dir.path());
    assert!(diagnostics.is_empty(), "{config:?}:\n{diagnostics}");
    let read = chollima_package::read(dir.path()).unwrap().economy;
    assert!(read == economy, "{config:?} reads back different");
}

#[test]
fn plain_economies_read_back_equal() {
    round_trip(&GenerateConfig {
        products: 500,
        inputs: 8,
        seed: 1,
        ..Default::default()
    });
    round_trip(&GenerateConfig {
        products: 1,
        inputs: 0,
        seed: 2,
        ..Default::default()
    });
}

#[test]
fn economies_with_every_option_read_back_equal() {
    round_trip(&GenerateConfig {
        products: 2000,
        inputs: 10,
        seed: 3,
        alternatives: 0.3,
        capacities: 0.5,
        trade: 0.2,
        years: 5,
        land: true,
        priorities: true,
        ..Default::default()
    });
    round_trip(&GenerateConfig {
        products: 3,
        inputs: 2,
        seed: 4,
        trade: 1.0,
        years: 2,
        ..Default::default()
    });
}
