//! `chollima`: the command line over the engine.
//!
//! Flags are parsed in two stages (ripgrep's habit): clap reads the raw arguments into
//! [`args`], and each command resolves them into the engine's settings before any work starts,
//! so a bad combination fails before anything is read. Data goes to files or stdout; progress,
//! logs and errors go to stderr. Exit codes: 0 success, 1 failure of the machine (a disk, a
//! write), 2 bad input (a malformed package or table, a non-productive table, bad flags).

mod args;
mod commands;
mod import;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use chollima_engine::EngineError;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let quiet = cli.quiet;
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => report(&error, quiet),
    }
}

/// Prints an error with its diagnostics and hint, and picks the exit code.
fn report(error: &anyhow::Error, quiet: bool) -> ExitCode {
    let engine = error.downcast_ref::<EngineError>();
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    if let Some(engine) = engine {
        if let Some(diagnostics) = engine.diagnostics() {
            for d in diagnostics
                .iter()
                .filter(|d| !quiet || d.severity == chollima_engine::Severity::Error)
            {
                eprintln!("{d}");
            }
        }
        if let Some(hint) = engine.hint() {
            eprintln!("hint: {hint}");
        }
    }
    match engine {
        Some(e) if !e.is_bad_input() => ExitCode::from(1),
        Some(_) => ExitCode::from(2),
        None => ExitCode::from(1),
    }
}
