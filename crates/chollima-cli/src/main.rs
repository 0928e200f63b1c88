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
mod serve;

use std::process::ExitCode;

use clap::Parser;

use chollima_engine::EngineError;

/// mimalloc instead of the system allocator: a one-shot process touches fresh memory for every
/// large buffer, and the system allocator's page faults were a third of reading a table. Its v2
/// line, not v3: v3 places each thread's pages of each size class in regions of their own, and
/// under transparent huge pages (mimalloc's default; `MIMALLOC_ALLOW_THP=0` turns them off)
/// every touched 2 MiB region is cleared whole (36 against 28 MiB of huge pages on WIOD, 1 ms
/// of its 25). mimalloc's own defaults serve as they are: turning its purging of freed memory
/// off, which paid under v3, changed nothing on WIOD under v2 and cost 0.1-0.2 s and 50 MB on
/// the 10^6 analysis. See BENCHMARKS.md ("WIOD, sixth run").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
