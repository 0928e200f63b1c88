//! The plan office through real HTTP: SQLite always, PostgreSQL where CHOLLIMA_TEST_POSTGRES
//! names a database (`.ci/run` starts one; the PostgreSQL tests are `#[ignore]`d otherwise and
//! show as such).

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

struct Office {
    base: String,
    http: Client,
    _task: tokio::task::JoinHandle<()>,
}

const ADMIN_PASSWORD: &str = "first administrator";
const PASSWORD: &str = "a long enough password";

impl Office {
    async fn start(database: &str, escalation_seconds: i64) -> Office {
        chollima_server::init_admin(database, "root", ADMIN_PASSWORD)
            .await
            .expect("first administrator");
        let config = chollima_server::Config {
            escalation_seconds,
            requests_per_second: 10_000.0,
            request_burst: 10_000.0,
            ..Default::default()
        };
        let (sender, receiver) = tokio::sync::oneshot::channel::<SocketAddr>();
        let database = database.to_owned();
        let task = tokio::spawn(async move {
            chollima_server::serve(&database, "127.0.0.1:0".parse().unwrap(), config, |a| {
                sender.send(a).unwrap();
            })
            .await
            .expect("server runs");
        });
        let address = receiver.await.expect("server started");
        Office {
            base: format!("http://{address}"),
            http: Client::new(),
            _task: task,
        }
    }

    /// Posts bulk reports as CSV.
    async fn send_csv(&self, token: &str, csv: impl Into<String>) -> reqwest::Response {
        self.http
            .post(self.url("/api/reports/bulk"))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.into())
            .send()
            .await
            .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn login(&self, name: &str, password: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/login"))
            .json(&json!({"name": name, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login {name}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let builder = match method {
            "GET" => self.http.get(self.url(path)),
            "PUT" => self.http.put(self.url(path)),
            _ => self.http.post(self.url(path)),
        };
        let builder = builder.bearer_auth(token);
        let builder = match body {
            Some(b) => builder.json(&b),
            None => builder,
        };
        let r = builder.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

fn plan() -> Value {
    json!({
        "name": "Five-Year Plan, year 1",
        "periods": 12,
        "lines": [
            {"technique": "wheat", "product": "grain", "category": "food", "activity": 1200.0, "capacity": 1800.0, "weight": 2.0},
            {"technique": "loom", "product": "cloth", "category": "clothing", "activity": 240.0, "weight": 10.0}
        ]
    })
}

fn organisation() -> Value {
    json!({
        "enterprises": [
            {"id": "farm", "technique": "wheat", "share": 1.0},
            {"id": "mill", "technique": "loom", "share": 1.0}
        ],
        "teams": [
            {"id": "f1", "enterprise": "farm", "share": 0.5},
            {"id": "f2", "enterprise": "farm", "share": 0.5},
            {"id": "m1", "enterprise": "mill", "share": 1.0}
        ]
    })
}

/// The office set up: accounts of every role, the plan and the organisation. Returns tokens
/// by role name.
async fn set_up(office: &Office) -> std::collections::HashMap<&'static str, String> {
    let root = office.login("root", ADMIN_PASSWORD).await;
    let accounts = [
        (
            "planner",
            json!({"name": "planner", "password": PASSWORD, "role": "planner"}),
        ),
        (
            "manager",
            json!({"name": "manager", "password": PASSWORD, "role": "enterprise_manager", "enterprise": "farm"}),
        ),
        (
            "leader",
            json!({"name": "leader", "password": PASSWORD, "role": "team_leader", "enterprise": "farm", "team": "f1"}),
        ),
        (
            "miller",
            json!({"name": "miller", "password": PASSWORD, "role": "team_leader", "enterprise": "mill", "team": "m1"}),
        ),
        (
            "observer",
            json!({"name": "observer", "password": PASSWORD, "role": "observer"}),
        ),
    ];
    let mut tokens = std::collections::HashMap::new();
    for (key, body) in accounts {
        let (status, _) = office.send("POST", "/api/users", &root, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED);
        tokens.insert(key, office.login(key, PASSWORD).await);
    }
    tokens.insert("root", root);
    let (status, body) = office
        .send(
            "PUT",
            "/api/organisation",
            &tokens["planner"],
            Some(organisation()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = office
        .send("POST", "/api/plans", &tokens["planner"], Some(plan()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["quotas"], 36, "{body}");
    tokens
}

fn report(team: &str, period: u32, quantity: f64, key: &str) -> Value {
    json!({"team": team, "period": period, "quantity": quantity, "idempotency_key": key})
}

async fn whole_office(database: &str) {
    let office = Office::start(database, 1).await;
    let health = office
        .http
        .get(office.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let doc: Value = office
        .http
        .get(office.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/reports",
        "/api/fulfilment",
        "/api/alerts/{id}/acknowledge",
        "/api/reports/bulk",
        "/api/replan",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let t = set_up(&office).await;

    // Quotas: f1 gets half of 1200 over 12 months.
    let (_, quotas) = office
        .send("GET", "/api/quotas?period=1", &t["leader"], None)
        .await;
    let quotas = quotas.as_array().unwrap();
    assert_eq!(quotas.len(), 1, "a team leader sees their own team");
    assert_eq!(quotas[0]["quota"], 50.0);
    assert_eq!(quotas[0]["capacity"], 75.0);

    // A report, its retry, and a clash of keys.
    let (s, first) = office
        .send(
            "POST",
            "/api/reports",
            &t["leader"],
            Some(report("f1", 1, 60.0, "k1")),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (s, again) = office
        .send(
            "POST",
            "/api/reports",
            &t["leader"],
            Some(report("f1", 1, 60.0, "k1")),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        again["period_total"], 60.0,
        "the retry was not counted twice"
    );
    let (s, _) = office
        .send(
            "POST",
            "/api/reports",
            &t["leader"],
            Some(report("f1", 1, 61.0, "k1")),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // Refused reports, none stored.
    for (body, status) in [
        (
            report("f1", 1, -1.0, "bad1"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            report("nobody", 1, 1.0, "bad2"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            report("f1", 13, 1.0, "bad3"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            report("f1", 0, 1.0, "bad4"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            report("f1", 1, 15.1, "bad5"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (report("f2", 1, 1.0, "bad6"), StatusCode::FORBIDDEN),
        (
            json!({"team": "f1", "period": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (report("f1", 1, 1.0, ""), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (s, b) = office
            .send("POST", "/api/reports", &t["leader"], Some(body.clone()))
            .await;
        assert_eq!(s, status, "{body} -> {b}");
        assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let malformed = office
        .http
        .post(office.url("/api/reports"))
        .bearer_auth(&t["leader"])
        .header("content-type", "application/json")
        .body("{\"team\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let (_, f1) = office
        .send("GET", "/api/fulfilment?level=team", &t["leader"], None)
        .await;
    assert_eq!(f1.as_array().unwrap().len(), 1);
    assert_eq!(f1[0]["actual"], 60.0, "nothing refused was stored: {f1}");

    // Bulk CSV for the enterprise: all or nothing.
    let csv_bad = "team,period,quantity,idempotency_key\nf2,1,40,b1\nf2,1,x,b2\nm1,1,5,b3\n";
    let r = office.send_csv(&t["manager"], csv_bad).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let problems: Value = r.json().await.unwrap();
    assert!(
        problems["problems"][0]
            .as_str()
            .unwrap()
            .contains("line 3, column 3"),
        "{problems}"
    );
    let csv_foreign = "team,period,quantity,idempotency_key\nf2,1,40,b1\nm1,1,5,b3\n";
    let r = office.send_csv(&t["manager"], csv_foreign).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "m1 is not the manager's"
    );
    let csv_good = "team,period,quantity,idempotency_key\nf2,1,40,b1\nf2,2,52,b2\n";
    let r = office.send_csv(&t["manager"], csv_good).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["stored"], 2);

    // Twelve months of the mill: over-fulfilment three months in a row wins the title, then a
    // collapse raises an alert.
    for (period, quantity) in [
        (1, 21.0),
        (2, 22.0),
        (3, 21.0),
        (4, 20.0),
        (5, 20.5),
        (6, 4.0),
        (7, 20.0),
    ] {
        let (s, b) = office
            .send(
                "POST",
                "/api/reports",
                &t["miller"],
                Some(report("m1", period, quantity, &format!("m{period}"))),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, closed) = office
        .send("POST", "/api/periods/6/close", &t["planner"], None)
        .await;
    assert_eq!(s, StatusCode::OK, "{closed}");
    let (_, titles) = office
        .send("GET", "/api/titles", &t["observer"], None)
        .await;
    assert!(
        titles
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["team"] == "m1" && x["period"] == 3),
        "{titles}"
    );
    let (_, alerts) = office.send("GET", "/api/alerts", &t["miller"], None).await;
    let alert = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["team"] == "m1" && a["period"] == 6)
        .cloned()
        .unwrap_or_else(|| panic!("an alert for m1's collapse in period 6: {alerts}"));
    assert_eq!(alert["kind"], "outlier");
    let (_, farm_alerts) = office.send("GET", "/api/alerts", &t["leader"], None).await;
    assert!(
        farm_alerts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["team"] == "f1"),
        "a leader sees their team's alerts"
    );
    // Unacknowledged, it climbs (the escalation interval is 1 s here).
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (_, alerts) = office
        .send("GET", "/api/alerts", &t["observer"], None)
        .await;
    let level = alerts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == alert["id"])
        .unwrap()["level"]
        .clone();
    assert_ne!(level, "team", "escalated: {alerts}");
    let path = format!("/api/alerts/{}/acknowledge", alert["id"].as_str().unwrap());
    assert_eq!(
        office.send("POST", &path, &t["leader"], None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office.send("POST", &path, &t["observer"], None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office.send("POST", &path, &t["miller"], None).await.0,
        StatusCode::NO_CONTENT
    );

    // Monitoring at every level, with the forecast; the ranking.
    for level in ["team", "enterprise", "product", "category", "nation"] {
        let (s, rows) = office
            .send(
                "GET",
                &format!("/api/fulfilment?level={level}"),
                &t["planner"],
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(!rows.as_array().unwrap().is_empty(), "{level}");
    }
    let (_, m1) = office
        .send(
            "GET",
            "/api/fulfilment?level=team&as_of=3",
            &t["planner"],
            None,
        )
        .await;
    let m1 = m1
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "m1")
        .unwrap()
        .clone();
    assert!((m1["fulfilment"].as_f64().unwrap() - 64.0 / 60.0).abs() < 1e-12);
    assert!(m1["forecast"].as_f64().is_some());
    assert_eq!(
        office
            .send("GET", "/api/fulfilment?level=nation", &t["leader"], None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office
            .send("GET", "/api/fulfilment?level=galaxy", &t["planner"], None)
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (_, ranking) = office
        .send("GET", "/api/ranking", &t["observer"], None)
        .await;
    assert_eq!(ranking.as_array().unwrap().len(), 3);

    // The audit log has every change, and only an administrator reads it.
    assert_eq!(
        office
            .send("GET", "/api/audit", &t["planner"], None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, log) = office
        .send("GET", "/api/audit?limit=1000", &t["root"], None)
        .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    for action in [
        "init_admin",
        "create_user",
        "load_plan",
        "set_organisation",
        "report",
        "acknowledge_alert",
        "close_period",
        "escalate_alert",
    ] {
        assert!(actions.contains(&action), "{action} audited");
    }
    assert_eq!(
        actions.iter().filter(|a| **a == "report").count(),
        1 + 2 + 7
    );
}

/// Every role against every endpoint that changes data: the status each must get.
async fn authorisation_matrix(database: &str) {
    let office = Office::start(database, 3600).await;
    let t = set_up(&office).await;
    let roles = ["root", "planner", "manager", "leader", "observer"];
    let cases: Vec<(&str, &str, Value, [StatusCode; 5])> = vec![
        (
            "POST",
            "/api/users",
            json!({"name": "x{role}", "password": PASSWORD, "role": "observer"}),
            [
                StatusCode::CREATED,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
            ],
        ),
        (
            "POST",
            "/api/plans",
            plan(),
            [
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
            ],
        ),
        (
            "PUT",
            "/api/organisation",
            organisation(),
            [
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
            ],
        ),
        (
            "POST",
            "/api/reports",
            report("f1", 1, 1.0, "key-{role}"),
            [
                StatusCode::CREATED,
                StatusCode::FORBIDDEN,
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::FORBIDDEN,
            ],
        ),
        (
            "POST",
            "/api/reports",
            report("m1", 1, 1.0, "mill-{role}"),
            [
                StatusCode::CREATED,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
            ],
        ),
        (
            "POST",
            "/api/periods/1/close",
            Value::Null,
            [
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
            ],
        ),
        (
            "POST",
            "/api/replan",
            json!({"as_of": 1}),
            [
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
                StatusCode::FORBIDDEN,
            ],
        ),
    ];
    for (method, path, body, expected) in &cases {
        for (role, want) in roles.iter().zip(expected) {
            let body = (!body.is_null())
                .then(|| serde_json::from_str(&body.to_string().replace("{role}", role)).unwrap());
            let (got, answer) = office.send(method, path, &t[role], body).await;
            assert_eq!(got, *want, "{role} {method} {path}: {answer}");
        }
    }
    // Bulk reports: managers and administrators only.
    for (role, want) in roles.iter().zip([
        StatusCode::CREATED,
        StatusCode::FORBIDDEN,
        StatusCode::CREATED,
        StatusCode::FORBIDDEN,
        StatusCode::FORBIDDEN,
    ]) {
        let csv = format!("team,period,quantity,idempotency_key\nf2,2,1,bulk-{role}\n");
        let r = office.send_csv(&t[role], csv).await;
        assert_eq!(r.status(), want, "{role} bulk");
    }
    // Acknowledging: make an alert, then try every role.
    for period in 1..=6u32 {
        let quantity = if period == 6 { 1.0 } else { 20.0 };
        office
            .send(
                "POST",
                "/api/reports",
                &t["root"],
                Some(report("m1", period, quantity, &format!("a{period}"))),
            )
            .await;
    }
    office
        .send("POST", "/api/periods/6/close", &t["planner"], None)
        .await;
    let (_, alerts) = office.send("GET", "/api/alerts", &t["root"], None).await;
    let id = alerts[0]["id"].as_str().expect("an alert").to_owned();
    let path = format!("/api/alerts/{id}/acknowledge");
    for (role, want) in [
        ("observer", StatusCode::FORBIDDEN),
        ("leader", StatusCode::FORBIDDEN),
        ("manager", StatusCode::FORBIDDEN),
        ("planner", StatusCode::NO_CONTENT),
    ] {
        assert_eq!(
            office.send("POST", &path, &t[role], None).await.0,
            want,
            "{role} acknowledges"
        );
    }
    // No token, a bad token.
    let r = office
        .http
        .post(office.url("/api/reports"))
        .json(&report("f1", 1, 1.0, "anon"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        office
            .send(
                "POST",
                "/api/reports",
                "not-a-token",
                Some(report("f1", 1, 1.0, "bad"))
            )
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let r = office
        .http
        .post(office.url("/api/login"))
        .json(&json!({"name": "root", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn limits(database: &str) {
    chollima_server::init_admin(database, "root", ADMIN_PASSWORD)
        .await
        .unwrap();
    let config = chollima_server::Config {
        requests_per_second: 1.0,
        request_burst: 3.0,
        ..Default::default()
    };
    let (sender, receiver) = tokio::sync::oneshot::channel::<SocketAddr>();
    let db = database.to_owned();
    tokio::spawn(async move {
        chollima_server::serve(&db, "127.0.0.1:0".parse().unwrap(), config, |a| {
            sender.send(a).unwrap()
        })
        .await
        .unwrap();
    });
    let base = format!("http://{}", receiver.await.unwrap());
    let http = Client::new();
    let statuses: Vec<StatusCode> = futures_statuses(&http, &format!("{base}/api/health"), 5).await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        2,
        "{statuses:?}"
    );
    // A body over the limit is refused before it is read.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let big = "x".repeat(chollima_server::api::JSON_LIMIT + 1);
    let r = http
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

async fn futures_statuses(http: &Client, url: &str, n: usize) -> Vec<StatusCode> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(http.get(url).send().await.unwrap().status());
    }
    out
}

fn sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("office.db").display().to_string();
    (dir, path)
}

/// A fresh PostgreSQL database for one test, from CHOLLIMA_TEST_POSTGRES (a server URL whose
/// user may create databases).
async fn postgres(name: &str) -> String {
    let base = std::env::var("CHOLLIMA_TEST_POSTGRES").expect(
        "CHOLLIMA_TEST_POSTGRES names a PostgreSQL server (scripts/start_postgres.sh starts one)",
    );
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&base)
        .await
        .expect("PostgreSQL answers");
    pool.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await
        .unwrap();
    pool.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    pool.close().await;
    let (server, _) = base.rsplit_once('/').expect("URL ends with /DATABASE");
    format!("{server}/{name}")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_office_on_sqlite() {
    let (_dir, db) = sqlite();
    whole_office(&db).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_role_against_every_change_on_sqlite() {
    let (_dir, db) = sqlite();
    authorisation_matrix(&db).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rates_and_body_sizes_are_limited() {
    let (_dir, db) = sqlite();
    limits(&db).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: set CHOLLIMA_TEST_POSTGRES (.ci/run starts one)"]
async fn the_whole_office_on_postgres() {
    whole_office(&postgres("chollima_office_test").await).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: set CHOLLIMA_TEST_POSTGRES (.ci/run starts one)"]
async fn every_role_against_every_change_on_postgres() {
    authorisation_matrix(&postgres("chollima_office_roles").await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_administrator_of_the_same_name_is_refused() {
    let (_dir, db) = sqlite();
    chollima_server::init_admin(&db, "root", ADMIN_PASSWORD)
        .await
        .unwrap();
    let again = chollima_server::init_admin(&db, "root", ADMIN_PASSWORD).await;
    assert!(again.unwrap_err().to_string().contains("already exists"));
    let short = chollima_server::init_admin(&db, "other", "short").await;
    assert!(short.unwrap_err().to_string().contains("at least 10"));
}

/// Guards the batching writer: the same report sent many times at once is stored once, and
/// concurrent reports for one team never pass its capacity together.
async fn concurrent_reports(database: &str) {
    let office = Office::start(database, 3600).await;
    let t = set_up(&office).await;
    let sends = (0..20).map(|_| {
        office.send(
            "POST",
            "/api/reports",
            &t["leader"],
            Some(report("f1", 2, 3.0, "same")),
        )
    });
    let answers = futures_all(sends).await;
    assert_eq!(
        answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count(),
        1,
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == StatusCode::OK).count(),
        19
    );
    // f1's capacity is 75 a month: 30 reports of 3 at once, only 25 fit.
    let sends = (0..30).map(|i| {
        office.send(
            "POST",
            "/api/reports",
            &t["leader"],
            Some(report("f1", 3, 3.0, &format!("c{i}"))),
        )
    });
    let answers = futures_all(sends).await;
    assert_eq!(
        answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count(),
        25
    );
    assert_eq!(
        answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::UNPROCESSABLE_ENTITY)
            .count(),
        5
    );
    let (_, rows) = office
        .send(
            "GET",
            "/api/fulfilment?level=team&as_of=3",
            &t["leader"],
            None,
        )
        .await;
    assert_eq!(rows[0]["actual"], 3.0 + 75.0);
}

/// Awaits all of `futures`, polled together so the requests are in flight at once.
async fn futures_all<F: std::future::Future<Output = (StatusCode, Value)>>(
    futures: impl Iterator<Item = F>,
) -> Vec<(StatusCode, Value)> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut results: Vec<Option<(StatusCode, Value)>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_reports_are_counted_once_and_within_capacity_on_sqlite() {
    let (_dir, db) = sqlite();
    concurrent_reports(&db).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: set CHOLLIMA_TEST_POSTGRES (.ci/run starts one)"]
async fn concurrent_reports_are_counted_once_and_within_capacity_on_postgres() {
    concurrent_reports(&postgres("chollima_office_concurrent").await).await;
}

/// Re-planning from actuals: the remaining periods get new quotas, the closed ones keep theirs.
async fn replanning(database: &str) {
    let office = Office::start(database, 3600).await;
    let t = set_up(&office).await;
    // f1 (plan 600 a year, 50 a month, capacity 75) makes 70 in month 1 and 30 in month 2.
    for (period, quantity) in [(1, 60.0), (1, 10.0), (2, 30.0)] {
        let key = format!("r{period}-{quantity}");
        let (s, b) = office
            .send(
                "POST",
                "/api/reports",
                &t["leader"],
                Some(report("f1", period, quantity, &key)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    assert_eq!(
        office
            .send("POST", "/api/replan", &t["leader"], Some(json!({})))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office
            .send(
                "POST",
                "/api/replan",
                &t["planner"],
                Some(json!({"as_of": 12}))
            )
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let (s, answer) = office
        .send("POST", "/api/replan", &t["planner"], Some(json!({})))
        .await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    assert_eq!(answer["as_of"], 2);
    assert_eq!(answer["quotas"], 3 * 10);
    let quota = |rows: &Value, period: u64| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|q| q["period"] == period)
            .unwrap()["quota"]
            .as_f64()
            .unwrap()
    };
    let (_, rows) = office
        .send("GET", "/api/quotas?team=f1", &t["leader"], None)
        .await;
    assert_eq!(quota(&rows, 1), 50.0, "closed periods keep their quotas");
    assert!((quota(&rows, 3) - 500.0 / 10.0).abs() < 1e-9, "{rows}");
    let rest: f64 = (3..=12).map(|p| quota(&rows, p)).sum();
    assert!((rest + 100.0 - 600.0).abs() < 1e-9);
    // A new plan for the last ten months, broken down to the same organisation.
    let lines = json!({"as_of": 2, "lines": [
        {"technique": "wheat", "product": "grain", "category": "food", "activity": 1000.0, "capacity": 1500.0},
        {"technique": "loom", "product": "cloth", "category": "clothing", "activity": 200.0}
    ]});
    let (s, answer) = office
        .send("POST", "/api/replan", &t["planner"], Some(lines))
        .await;
    assert_eq!(s, StatusCode::OK, "{answer}");
    let (_, rows) = office
        .send("GET", "/api/quotas?team=f1", &t["leader"], None)
        .await;
    assert!(
        (quota(&rows, 3) - 1000.0 * 0.5 / 10.0).abs() < 1e-9,
        "{rows}"
    );
    assert_eq!(quota(&rows, 2), 50.0);
    let (_, log) = office.send("GET", "/api/audit", &t["root"], None).await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|l| l["action"] == "replan")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replanning_from_actuals_on_sqlite() {
    let (_dir, db) = sqlite();
    replanning(&db).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: set CHOLLIMA_TEST_POSTGRES (.ci/run starts one)"]
async fn replanning_from_actuals_on_postgres() {
    replanning(&postgres("chollima_office_replan").await).await;
}
