//! Load on the plan office over loopback: sustained reports per second and latency.
//!
//!     cargo build --release
//!     cargo run --release -p chollima-server --example load -- [--teams 10000] [--clients 64] [--seconds 20] [--database postgres://...]
//!
//! Starts `target/release/chollima serve` (or `$CHOLLIMA_BIN`) on a fresh SQLite file (or the
//! given database), loads a plan with `--teams` work teams in enterprises of 100, creates one
//! enterprise manager per enterprise, and has `--clients` concurrent clients send single
//! reports (`POST /api/reports`) for random teams for `--seconds`. Prints one JSON line:
//! reports per second, p50, p99 and the largest latency in milliseconds, and refusals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const PASSWORD: &str = "load test password";

fn argument(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() {
    let teams: usize = argument("--teams", "10000").parse().expect("--teams N");
    let clients: usize = argument("--clients", "64").parse().expect("--clients N");
    let seconds: u64 = argument("--seconds", "20").parse().expect("--seconds S");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let default_db = dir.path().join("office.db").display().to_string();
    let database = argument("--database", &default_db);
    let binary = std::env::var("CHOLLIMA_BIN").unwrap_or_else(|_| "target/release/chollima".into());

    let status = Command::new(&binary)
        .args([
            "-q",
            "serve",
            "--database",
            &database,
            "--init-admin",
            "root",
        ])
        .env("CHOLLIMA_ADMIN_PASSWORD", PASSWORD)
        .status()
        .expect("chollima runs");
    assert!(status.success(), "--init-admin failed");
    let mut server = Command::new(&binary)
        .args([
            "-q",
            "serve",
            "--database",
            &database,
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--rate-limit", "1000000", "--burst", "1000000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("chollima serve starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address")
        .to_owned();

    let http = reqwest::Client::new();
    let login = |name: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r: Value = http
                .post(format!("{base}/api/login"))
                .json(&json!({"name": name, "password": PASSWORD}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["token"].as_str().expect("token").to_owned()
        }
    };
    let root = login("root".into()).await;
    let enterprises = teams.div_ceil(100);
    let mut organisation_enterprises = Vec::new();
    let mut organisation_teams = Vec::new();
    let mut lines = Vec::new();
    for e in 0..enterprises {
        let members = (teams - e * 100).min(100);
        lines.push(json!({"technique": format!("t{e}"), "product": format!("p{e}"), "category": "food", "activity": 1.0e12}));
        organisation_enterprises
            .push(json!({"id": format!("e{e}"), "technique": format!("t{e}"), "share": 1.0}));
        for k in 0..members {
            organisation_teams.push(json!({"id": format!("e{e}-{k}"), "enterprise": format!("e{e}"), "share": 1.0 / members as f64}));
        }
    }
    let put = http
        .put(format!("{base}/api/organisation"))
        .bearer_auth(&root)
        .json(&json!({"enterprises": organisation_enterprises, "teams": organisation_teams}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.text().await.unwrap());
    let plan = http
        .post(format!("{base}/api/plans"))
        .bearer_auth(&root)
        .json(&json!({"name": "load", "periods": 12, "lines": lines}))
        .send()
        .await
        .unwrap();
    assert!(plan.status().is_success(), "{}", plan.text().await.unwrap());
    let mut managers = Vec::new();
    for e in 0..enterprises.min(clients) {
        let r = http
            .post(format!("{base}/api/users"))
            .bearer_auth(&root)
            .json(&json!({"name": format!("m{e}"), "password": PASSWORD, "role": "enterprise_manager", "enterprise": format!("e{e}")}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        managers.push((e, login(format!("m{e}")).await));
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (e, token) = managers[c % managers.len()].clone();
        let members = (teams - e * 100).min(100);
        let (http, base, latencies, refused) = (
            http.clone(),
            base.clone(),
            latencies.clone(),
            refused.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut i: u64 = 0;
            while Instant::now() < deadline {
                i += 1;
                let team = format!("e{e}-{}", (i as usize * 7 + c) % members);
                let body = json!({"team": team, "period": 1 + (i % 12), "quantity": 1.0, "idempotency_key": format!("c{c}-{i}")});
                let sent = Instant::now();
                let r = http.post(format!("{base}/api/reports")).bearer_auth(&token).json(&body).send().await;
                let ms = sent.elapsed().as_secs_f64() * 1e3;
                match r {
                    Ok(r) if r.status().is_success() => mine.push(ms),
                    _ => {
                        refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            latencies.lock().unwrap().extend(mine);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut l = latencies.lock().unwrap().clone();
    l.sort_by(f64::total_cmp);
    let pick = |q: f64| l[((l.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{}",
        json!({
            "teams": teams, "clients": clients, "seconds": elapsed,
            "reports": l.len(), "reports_per_second": l.len() as f64 / elapsed,
            "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": pick(1.0),
            "refused": refused.load(std::sync::atomic::Ordering::Relaxed),
            "database": if database == default_db { "sqlite" } else { "postgres" },
        })
    );
    server.kill().ok();
    server.wait().ok();
}
