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
/// under transparent huge pages every touched 2 MiB region is cleared whole (36 against 28 MiB
/// of huge pages on WIOD, 1 ms of its 25). See BENCHMARKS.md ("WIOD, sixth run").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mimalloc.h`; libmimalloc-sys does not name it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tunes mimalloc for a one-shot command (every command but `serve`), unless the user set
/// `MIMALLOC_PURGE_DELAY`: no purging of freed memory back to the OS, as the process ends soon,
/// and handing pages back only to fault them in again cost a few milliseconds of WIOD's 50
/// (BENCHMARKS.md).
///
/// mimalloc's own default already asks for transparent huge pages (`MIMALLOC_ALLOW_THP=0`
/// turns them off): one page fault per 2 MiB instead of per 4 KiB, and fewer TLB misses in the
/// scattered products.
fn tune_allocator() {
    let user_set = ["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    if !user_set {
        // SAFETY: sets one of mimalloc's options, a plain integer it reads when it next frees
        // memory; no memory is touched and no invariant of Rust is involved.
        #[allow(unsafe_code)]
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        }
    }
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    // A server lives on: it keeps mimalloc's default of handing freed memory back to the OS.
    if !matches!(cli.command, args::Command::Serve(_)) {
        tune_allocator();
    }
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
