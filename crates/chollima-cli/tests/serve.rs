//! `chollima serve` as a process: the first administrator from the command line, and no
//! acknowledged report lost when the server is killed with SIGKILL in a stream of reports.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

fn chollima() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chollima"))
}

/// Starts `chollima serve` on a free port; returns the process and its base URL.
fn start(database: &str) -> (Child, String) {
    let mut child = chollima()
        .args(["serve", "--database", database, "--listen", "127.0.0.1:0"])
        .args(["--rate-limit", "100000", "--burst", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chollima serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line names the address: {line:?}"))
        .to_owned();
    (child, address)
}

fn login(http: &Client, base: &str, name: &str, password: &str) -> String {
    let r = http
        .post(format!("{base}/api/login"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn init_admin(database: &str) {
    let out = chollima()
        .args(["serve", "--database", database, "--init-admin", "root"])
        .env("CHOLLIMA_ADMIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_default_password_and_the_first_administrator_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("office.db").display().to_string();
    // Without a password there is no account.
    let out = chollima()
        .args(["serve", "--database", &database, "--init-admin", "root"])
        .env_remove("CHOLLIMA_ADMIN_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no password given"));
    init_admin(&database);
    let (mut server, base) = start(&database);
    let http = Client::new();
    let health: Value = http
        .get(format!("{base}/api/health"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["status"], "ok");
    let r = http
        .post(format!("{base}/api/login"))
        .json(&json!({"name": "admin", "password": "admin"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    login(&http, &base, "root", PASSWORD);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_server_killed_in_a_stream_of_reports_loses_none_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("office.db").display().to_string();
    init_admin(&database);
    let (mut server, base) = start(&database);
    let http = Client::new();
    let root = login(&http, &base, "root", PASSWORD);
    let send = |path: &str, token: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .unwrap()
    };
    assert!(send("/api/users", &root, json!({"name": "leader", "password": PASSWORD, "role": "team_leader", "enterprise": "farm", "team": "t1"})).status().is_success());
    let organisation = json!({
        "enterprises": [{"id": "farm", "technique": "wheat", "share": 1.0}],
        "teams": [{"id": "t1", "enterprise": "farm", "share": 1.0}]
    });
    let r = http
        .put(format!("{base}/api/organisation"))
        .bearer_auth(&root)
        .json(&organisation)
        .send()
        .unwrap();
    assert!(r.status().is_success());
    let plan = json!({"name": "p", "periods": 12, "lines": [{"technique": "wheat", "product": "grain", "activity": 1.0e9}]});
    assert!(send("/api/plans", &root, plan).status().is_success());
    let leader = login(&http, &base, "leader", PASSWORD);

    // A stream of reports; the server is killed while it flows.
    let acknowledged = Arc::new(Mutex::new(Vec::<u64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let streamer = {
        let (acknowledged, stop, base, leader) = (
            acknowledged.clone(),
            stop.clone(),
            base.clone(),
            leader.clone(),
        );
        std::thread::spawn(move || {
            let http = Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let body = json!({"team": "t1", "period": 1, "quantity": 1.0, "idempotency_key": format!("r{i}")});
                match http
                    .post(format!("{base}/api/reports"))
                    .bearer_auth(&leader)
                    .json(&body)
                    .send()
                {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        acknowledged.lock().unwrap().push(i)
                    }
                    Ok(r) => panic!("report {i} refused: {}", r.status()),
                    Err(_) => break,
                }
            }
        })
    };
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 300 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    streamer.join().unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 300,
        "the stream flowed before the kill"
    );

    // Restarted on the same database, every acknowledged report is there: resent with its key,
    // each comes back as a duplicate of the stored one.
    let (mut server, base) = start(&database);
    let leader = login(&http, &base, "leader", PASSWORD);
    for &i in &acknowledged {
        let body =
            json!({"team": "t1", "period": 1, "quantity": 1.0, "idempotency_key": format!("r{i}")});
        let r = http
            .post(format!("{base}/api/reports"))
            .bearer_auth(&leader)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "acknowledged report r{i} was lost"
        );
        assert_eq!(r.json::<Value>().unwrap()["duplicate"], true);
    }
    let rows: Value = http
        .get(format!("{base}/api/fulfilment?level=team&as_of=1"))
        .bearer_auth(&leader)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let stored = rows[0]["actual"].as_f64().unwrap();
    let count = acknowledged.len() as f64;
    assert!(
        stored >= count && stored <= count + 1.0,
        "stored {stored}, acknowledged {count}"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
