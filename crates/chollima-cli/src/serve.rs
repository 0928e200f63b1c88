//! `chollima serve`: the plan office's HTTP server, and `--init-admin` for its first account;
//! `chollima office-plan`: a plan as the office takes it.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::args::{OfficePlanArgs, ServeArgs};

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

/// Writes the body of `POST /api/plans` for a plan folder.
pub fn office_plan(args: OfficePlanArgs, quiet: bool) -> Result<ExitCode> {
    let lines = chollima_engine::office_plan(&args.plan, &args.package)?;
    let name = args.name.clone().unwrap_or_else(|| {
        args.plan
            .file_name()
            .map_or_else(|| "plan".to_owned(), |n| n.to_string_lossy().into_owned())
    });
    let body = serde_json::json!({
        "name": name,
        "periods": args.periods,
        "period_unit": args.period_unit,
        "lines": lines,
    });
    let text = serde_json::to_string_pretty(&body)?;
    match &args.out {
        Some(path) => std::fs::write(path, text + "\n")
            .with_context(|| format!("writing {}", path.display()))?,
        None => println!("{text}"),
    }
    if !quiet {
        eprintln!(
            "{} techniques over {} {}s; send it with POST /api/plans",
            lines.len(),
            args.periods,
            args.period_unit
        );
    }
    Ok(ExitCode::SUCCESS)
}
