//! `chollima serve`: the plan office's HTTP server, and `--init-admin` for its first account.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::args::ServeArgs;

pub fn run(args: ServeArgs, quiet: bool) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if let Some(name) = &args.init_admin {
        let password = admin_password()?;
        runtime.block_on(chollima_server::init_admin(&args.database, name, &password))?;
        if !quiet {
            eprintln!(
                "created administrator `{name}` in {}; now run `chollima serve --database {}`",
                args.database, args.database
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let config = chollima_server::Config {
        escalation_seconds: args.escalate_after,
        title_streak: args.title_streak,
        requests_per_second: args.rate_limit,
        request_burst: args.burst,
    };
    let database = args.database.clone();
    runtime.block_on(chollima_server::serve(
        &args.database,
        args.listen,
        config,
        |address| {
            // The one line a script waits for (also with --quiet): where to connect.
            println!("listening on http://{address}");
            if !quiet {
                eprintln!(
                    "chollima plan office: database {database}; GET /api/health, GET /api/openapi.json; Ctrl-C stops"
                );
            }
        },
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// The first administrator's password: CHOLLIMA_ADMIN_PASSWORD, or the first line of stdin.
fn admin_password() -> Result<String> {
    if let Ok(password) = std::env::var("CHOLLIMA_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the administrator's password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!(
            "no password given: set CHOLLIMA_ADMIN_PASSWORD or write it on standard input (there is no default password)"
        );
    }
    Ok(password)
}
