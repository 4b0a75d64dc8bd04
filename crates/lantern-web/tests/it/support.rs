//! Test support: a fresh app per test on SQLite or PostgreSQL, demo data made
//! by the project itself, and a small cookie-keeping HTTP client that drives
//! the real router in-process.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use lantern_domain::{Role, Roles};
use lantern_store::demo::{DemoOptions, DemoPasswords};
use lantern_store::users::{NewUser, Who};
use lantern_store::{DbConfig, FakeClock, OpenOptions, Store};
use lantern_web::{AppState, HashCost, Hasher, WebConfig};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub store: Store,
    pub router: Router,
    pub clock: Arc<FakeClock>,
    pub backend: Backend,
    pub config: DbConfig,
    /// A person on specialist@demo's caseload who is also peer@demo.
    pub peer_person: i64,
    pub demo_org: i64,
    /// The second organization and one of its people.
    pub other_org: i64,
    pub other_person: i64,
    _dir: Option<TempDir>,
    pg_db: Option<String>,
}

pub struct TempDir(pub std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir(tag: &str) -> TempDir {
    let p = std::env::temp_dir().join(format!("lantern-test-{tag}-{}-{}", std::process::id(), lantern_web::auth::new_secret().chars().take(8).collect::<String>()));
    std::fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

pub fn pg_base_url() -> String {
    std::env::var("LANTERN_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Creates a fresh PostgreSQL database for one test, or fails with how to start PostgreSQL.
pub async fn fresh_pg_database() -> (String, String) {
    use sqlx::Connection;
    let base = pg_base_url();
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL tests need a server at {base} ({e}).\nStart it with `pg_ctlcluster 15 main start` (see `pg_lsclusters`), \
             or run `bash scripts/test.sh`, which starts it; set LANTERN_TEST_PG_URL to use another server."
        ),
    };
    let name = format!("lantern_t_{}", lantern_web::auth::new_secret().chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect::<String>().to_lowercase());
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    let mut url = url::Url::parse(&base).expect("LANTERN_TEST_PG_URL is a URL");
    url.set_path(&format!("/{name}"));
    (url.to_string(), name)
}

pub struct Options {
    pub web: WebConfig,
    pub people: usize,
    /// Bulk signed notes for the demo organization (0: the small set).
    pub encounters: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { web: WebConfig { ip_attempts_per_minute: 100_000, ..WebConfig::default() }, people: 12, encounters: 0 }
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::with(backend, Options::default()).await
    }

    pub async fn with(backend: Backend, opts: Options) -> TestApp {
        let clock = Arc::new(FakeClock::new(jiff::Timestamp::now().as_millisecond()));
        let (config, dir, pg_db) = match backend {
            Backend::Sqlite => {
                let d = temp_dir("db");
                (DbConfig::DataDir(d.0.clone()), Some(d), None)
            }
            Backend::Postgres => {
                let (url, name) = fresh_pg_database().await;
                (DbConfig::Url(url), None, Some(name))
            }
        };
        let store = Store::open(&config, clock.clone(), OpenOptions::default()).await.expect("open store");
        let hasher = Hasher::new(HashCost::cheap());
        let hash = hasher.hash_blocking(PASSWORD).unwrap();
        let as_of = lantern_store::people::today_in("America/New_York", clock.now_ms_pub());
        let summary = store
            .generate_demo(&DemoOptions { people: opts.people, seed: 7, as_of, main_caseload: opts.people / 2, encounters: opts.encounters }, &DemoPasswords { staff_hash: hash.clone() }, |_| {})
            .await
            .expect("demo data");
        // A second organization, to prove nothing crosses the boundary.
        let other = store.create_org("Other Harbor Peer Network", "other", "America/Chicago", false).await.unwrap();
        let os = store
            .create_user(
                &NewUser { org_id: other.id, email: "specialist@other".into(), display_name: "Other Specialist".into(), credentials: "CPS".into(), roles: Roles::empty().with(Role::Specialist).with(Role::Supervisor), password_hash: Some(hash.clone()), person_id: None, active: true },
                &Who::default(),
            )
            .await
            .unwrap();
        let profile = lantern_domain::person::parse_profile(&lantern_domain::person::ProfileInput { legal_name: "Quinn Otherorg".into(), ..Default::default() }, as_of).unwrap();
        let other_person = store
            .create_person(&lantern_store::people::NewPerson { org_id: other.id, profile, stage: lantern_domain::enrollment::Stage::Engaged, since: as_of, primary_specialist_id: Some(os.id), care_team: vec![] }, &Who::default())
            .await
            .unwrap();
        let state = AppState::new(store.clone(), hasher, opts.web).unwrap();
        TestApp {
            router: lantern_web::app(state),
            store,
            clock,
            backend,
            config,
            peer_person: summary.peer_person_id,
            demo_org: summary.org_id,
            other_org: other.id,
            other_person,
            _dir: dir,
            pg_db,
        }
    }

    pub fn client(&self) -> Client {
        Client { router: self.router.clone(), cookies: HashMap::new(), csrf: String::new(), bearer: None }
    }

    pub async fn login(&self, email: &str) -> Client {
        let mut c = self.client();
        let r = c.login(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "sign-in as {email} failed: {}", r.text);
        c
    }

    pub async fn user_id(&self, email: &str) -> i64 {
        self.store.user_by_email(email).await.unwrap().unwrap().id
    }

    /// A person on specialist@demo's caseload that specialist2 cannot see.
    pub async fn person_only_on_specialist1(&self) -> i64 {
        let s1 = self.user_id("specialist@demo").await;
        let s2 = self.user_id("specialist2@demo").await;
        for id in 1..500 {
            let Ok(p) = self.store.person(self.demo_org, id).await else { continue };
            if p.primary_specialist_id == Some(s1) {
                let facts = self
                    .store
                    .person_facts(&lantern_domain::policy::Actor { user_id: lantern_domain::UserId(s2), org_id: lantern_domain::OrgId(self.demo_org), roles: Roles::empty().with(Role::Specialist), person_id: None }, id)
                    .await
                    .unwrap();
                if !facts.on_care_team && !facts.is_primary {
                    return id;
                }
            }
        }
        panic!("no person found only on specialist@demo's caseload");
    }

    pub async fn verify_audit(&self) -> Result<(), lantern_domain::audit::ChainBreak> {
        self.store.flush_audit().await.unwrap();
        self.store.verify_audit(|_| {}).await.unwrap().map(|_| ())
    }

    pub async fn close(self) {
        self.store.close().await;
        if let Some(name) = &self.pg_db {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_base_url()).await {
                let _ = sqlx::Executor::execute(&mut conn, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
            }
        }
    }
}

/// Lets tests read the fake clock through the trait.
pub trait ClockExt {
    fn now_ms_pub(&self) -> i64;
}
impl ClockExt for FakeClock {
    fn now_ms_pub(&self) -> i64 {
        lantern_store::Clock::now_ms(self)
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    }
}

/// A browser-like client: keeps cookies and the page's CSRF token.
pub struct Client {
    router: Router,
    pub cookies: HashMap<String, String>,
    pub csrf: String,
    pub bearer: Option<String>,
}

pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl Client {
    pub async fn send(&mut self, req: Request<Body>) -> Resp {
        let mut req = req;
        if !self.cookies.is_empty() {
            let c = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req.headers_mut().insert(header::COOKIE, c.parse().unwrap());
        }
        if let Some(t) = &self.bearer {
            req.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {t}").parse().unwrap());
        }
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        for sc in headers.get_all(header::SET_COOKIE) {
            let s = sc.to_str().unwrap();
            let (kv, attrs) = s.split_once(';').unwrap_or((s, ""));
            let (k, v) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        if let Some(t) = hidden_field(&text, "csrf") {
            self.csrf = t;
        }
        Resp { status, headers, text }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(Request::get(path).body(Body::empty()).unwrap()).await
    }

    /// Posts a form, adding the current CSRF token unless one is given.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut pairs: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            pairs.push(("csrf".into(), self.csrf.clone()));
        }
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        self.send(Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body)).unwrap()).await
    }

    pub async fn json(&mut self, method: &str, path: &str, body: Option<serde_json::Value>, extra: &[(&str, &str)]) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        self.send(req).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        let page = self.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        self.post_form("/login", &[("email", email), ("password", password), ("next", "")]).await
    }
}

/// Runs a test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::support::TestApp::new($crate::support::Backend::Sqlite).await;
                ($body)(&app).await;
                app.close().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::support::TestApp::new($crate::support::Backend::Postgres).await;
                ($body)(&app).await;
                app.close().await;
            }
        }
    };
}
