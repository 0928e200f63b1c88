//! `import`: a published table in, an economy package out, with the importer's report; or,
//! with an analysis folder, the table analysed straight away, without the package's text in
//! between (what pymrio users do: read a table, `calc_all`).

use std::path::{Path, PathBuf};

use chollima_import::{
    Assumption, Imported, IotOptions, LabourSource, LabourTable, MtxOptions, OnsOptions,
    PymrioOptions, SeaVariable, SupplyUseOptions, WiodNiotOptions,
};
use chollima_model::Diagnostics;

use crate::observer::timed;
use crate::{AnalyzeOptions, AnalyzeReport, EngineError, Observer};

/// The kinds of table `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// A folder with `Z.csv`, `Y.csv`, `x.csv` (the WIOD 2013 layout).
    Iot,
    /// The UK ONS input-output analytical tables.
    Ons,
    /// Make and use tables: BEA (detail, summary) or IBGE.
    SupplyUse,
    /// A Matrix Market file holding `A` (a second source: the demand vector).
    Mtx,
    /// A folder written by pymrio's `save_all` (text format).
    Pymrio,
    /// A WIOD 2016 national table (`usaiot.csv`) for one year.
    WiodNiot,
}

/// Options of `import`; each format reads the ones that apply to it.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// A `column,category` CSV mapping final-demand columns to target categories.
    pub category_mapping: Option<PathBuf>,
    pub assumption: Assumption,
    /// Employment by industry: IBGE `value_added_and_employment.csv` or a WIOD SEA file.
    pub labour: Option<PathBuf>,
    pub labour_variable: SeaVariable,
    /// The year to take from multi-year tables (WIOD NIOT, SEA, BEA summary folders).
    pub year: Option<i32>,
    pub name: Option<String>,
    /// Matrix Market: product ids, one per line (`id` or `id,name`).
    pub labels: Option<PathBuf>,
}

/// What `import` did.
#[derive(Debug)]
pub struct ImportReport {
    pub products: usize,
    pub nonzeros: usize,
    /// Everything the importer handled, changed or dropped.
    pub report: Diagnostics,
    pub timings: Vec<(String, f64)>,
    /// The package folder written, if one was asked for.
    pub package: Option<PathBuf>,
    /// The analysis, if one was asked for.
    pub analysis: Option<AnalyzeReport>,
}

/// Where `import` puts what it read: a package folder, an analysis, or both.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportDestination<'a> {
    /// The package folder to write.
    pub package: Option<&'a Path>,
    /// The folder for the analysis of the imported economy, and how to analyse it.
    pub analysis: Option<(&'a Path, &'a AnalyzeOptions)>,
}

/// Imports `sources` as `format`, then writes the package and/or analyses the economy, as
/// `destination` says (both at once when both are asked for).
pub fn import(
    format: ImportFormat,
    sources: &[PathBuf],
    options: &ImportOptions,
    destination: ImportDestination,
    observer: &dyn Observer,
) -> Result<ImportReport, EngineError> {
    if destination.package.is_none() && destination.analysis.is_none() {
        return Err(EngineError::Refused {
            message: "nothing to do with the imported table".into(),
            hint: "give a package folder to write (--out) or a folder for its analysis (--analyze)"
                .into(),
        });
    }
    let mut timings = Vec::new();
    let mut imported = timed(observer, &mut timings, "importing", || {
        read_sources(format, sources, options)
    })?;
    if let Some(path) = &options.labour {
        let table = labour_table(path, options)?;
        let source = LabourSource {
            table,
            industries: imported.industries.clone(),
        };
        chollima_import::attach_labour(&mut imported.economy, &source, &mut imported.report)?;
    }
    if let Some(name) = &options.name {
        imported.economy.manifest.name = name.clone();
    }
    let products = imported.economy.products.len();
    let nonzeros = imported.economy.inputs.nnz();
    let analysis = if let (None, Some((out, options))) = (destination.package, destination.analysis)
    {
        // Nothing else needs the economy: the analysis takes `A` out of it instead of a copy.
        Some(crate::analyze::analyze_owned(
            imported.economy,
            Diagnostics::new(),
            Vec::new(),
            out,
            options,
            observer,
        )?)
    } else {
        let economy = &imported.economy;
        let write = || match destination.package {
            Some(out) => {
                let start = std::time::Instant::now();
                chollima_package::write(economy, out)?;
                Ok::<_, EngineError>(Some(start.elapsed().as_secs_f64()))
            }
            None => Ok(None),
        };
        let analyse = || {
            destination
                .analysis
                .map(|(out, options)| {
                    crate::analyze::analyze_economy(economy, out, options, observer)
                })
                .transpose()
        };
        let (written, analysis) = rayon::join(write, analyse);
        if let Some(seconds) = written? {
            timings.push(("writing".into(), seconds));
        }
        analysis?
    };
    Ok(ImportReport {
        products,
        nonzeros,
        report: imported.report,
        timings,
        package: destination.package.map(Path::to_owned),
        analysis,
    })
}

fn one_source(format: &str, sources: &[PathBuf]) -> Result<PathBuf, EngineError> {
    match sources {
        [one] => Ok(one.clone()),
        _ => Err(EngineError::Refused {
            message: format!(
                "the {format} importer reads one source, {} were given",
                sources.len()
            ),
            hint: format!("run `chollima import {format} SOURCE --out PKG`"),
        }),
    }
}

fn read_sources(
    format: ImportFormat,
    sources: &[PathBuf],
    options: &ImportOptions,
) -> Result<Imported, EngineError> {
    let mapping = options.category_mapping.clone();
    let name = options.name.clone();
    let imported = match format {
        ImportFormat::Iot => chollima_import::import_iot(
            &one_source("iot", sources)?,
            &IotOptions {
                category_mapping: mapping,
                name,
                ..IotOptions::default()
            },
        )?,
        ImportFormat::Ons => chollima_import::import_ons(
            &one_source("ons", sources)?,
            &OnsOptions {
                category_mapping: mapping,
                name,
                ..OnsOptions::default()
            },
        )?,
        ImportFormat::SupplyUse => chollima_import::import_supply_use(
            sources,
            &SupplyUseOptions {
                assumption: options.assumption,
                year: options.year,
                category_mapping: mapping,
                name,
                ..SupplyUseOptions::default()
            },
        )?,
        ImportFormat::Mtx => {
            let (matrix, demand) = match sources {
                [a] => (a.clone(), None),
                [a, d] => (a.clone(), Some(d.clone())),
                _ => {
                    return Err(EngineError::Refused {
                        message: format!(
                            "the mtx importer reads A and optionally a demand vector, {} sources were given",
                            sources.len()
                        ),
                        hint: "run `chollima import mtx A.mtx [DEMAND.mtx] --out PKG`".into(),
                    });
                }
            };
            chollima_import::import_mtx(
                &matrix,
                &MtxOptions {
                    labels: options.labels.clone(),
                    demand,
                    name,
                    ..MtxOptions::default()
                },
            )?
        }
        ImportFormat::Pymrio => chollima_import::import_pymrio(
            &one_source("pymrio", sources)?,
            &PymrioOptions {
                category_mapping: mapping,
                name,
                ..PymrioOptions::default()
            },
        )?,
        ImportFormat::WiodNiot => {
            let year = options.year.ok_or_else(|| EngineError::Refused {
                message: "a WIOD national table holds 2000-2014: which year?".into(),
                hint: "add --year 2014 (or another year the table has)".into(),
            })?;
            chollima_import::import_wiod_niot(
                &one_source("wiod-niot", sources)?,
                year,
                &WiodNiotOptions {
                    category_mapping: mapping,
                    name,
                },
            )?
        }
    };
    Ok(imported)
}

/// IBGE's employment file is recognised by its name; anything else is read as WIOD SEA.
fn labour_table(path: &Path, options: &ImportOptions) -> Result<LabourTable, EngineError> {
    let is_ibge = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("value_added_and_employment"));
    if is_ibge {
        return Ok(LabourTable::Ibge {
            path: path.to_owned(),
        });
    }
    let year = options.year.ok_or_else(|| EngineError::Refused {
        message: format!(
            "{} is read as WIOD Socio-Economic Accounts, which hold several years",
            path.display()
        ),
        hint: "add --year YEAR to pick one".into(),
    })?;
    Ok(LabourTable::WiodSea {
        path: path.to_owned(),
        year,
        variable: options.labour_variable,
    })
}
