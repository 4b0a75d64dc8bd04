//! The tools every browser test shares: start the app on a free port, start
//! chromedriver and headless Chromium, move with the keyboard, check a page
//! with axe-core. Each flow lives in its own file (`browser*.rs`).
//!
//! Needs Debian's `chromium` and `chromium-driver` and the npm `axe-core`
//! package; `scripts/test.sh` installs them. Without them a browser test fails
//! with a message saying so (it never passes silently).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::support::*;

/// A running app, chromedriver and Chromium session. Dropping it stops chromedriver.
pub(crate) struct Browser {
    pub c: Client,
    /// `http://127.0.0.1:PORT` of the app under test.
    pub base: String,
    /// axe-core's source, for [`axe_clean`].
    pub axe: String,
    _driver: Driver,
}

impl Browser {
    /// Serves `app`'s router on a free port and opens headless Chromium on it.
    pub(crate) async fn start(app: &TestApp) -> Browser {
        let chromedriver = find("CHROMEDRIVER", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
            .expect("chromedriver not found: install Debian's chromium-driver (scripts/test.sh does) or set CHROMEDRIVER");
        let chromium = find("CHROMIUM", &["/usr/bin/chromium", "/usr/lib/chromium/chromium"]).expect("chromium not found: install Debian's chromium (scripts/test.sh does) or set CHROMIUM");
        let axe = axe_source();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app.router.clone();
        tokio::spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        let port = free_port();
        let driver = Driver(Command::new(&chromedriver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start chromedriver"));
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--window-size=1280,900"]
            }
        });
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.as_object().unwrap().clone());
        let mut client = None;
        for _ in 0..50 {
            match builder.connect(&format!("http://127.0.0.1:{port}")).await {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        let c = client.expect("chromedriver did not start");
        let base = format!("http://{addr}");
        Browser { c, base, axe, _driver: driver }
    }

    /// Ends the Chromium session (chromedriver stops when this is dropped).
    pub(crate) async fn close(self) {
        self.c.clone().close().await.unwrap();
    }

    /// Opens `path` and checks it with axe-core.
    pub(crate) async fn visit_clean(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
        axe_clean(&self.c, &self.axe, path).await;
    }
}

pub(crate) struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) fn find(env: &str, candidates: &[&str]) -> Option<String> {
    if let Ok(p) = std::env::var(env) {
        return Some(p);
    }
    candidates.iter().find(|c| std::path::Path::new(c).exists()).map(|c| c.to_string())
}

pub(crate) fn axe_source() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = std::env::var("LANTERN_AXE_JS").map(std::path::PathBuf::from).unwrap_or_else(|_| root.join(".test-tools/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core not found at {} ({e}); run `bash scripts/test.sh`, which installs it", path.display()))
}

pub(crate) async fn axe_clean(c: &Client, axe: &str, page: &str) {
    c.execute(axe, vec![]).await.expect("inject axe-core");
    let script = "var done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
           .then(function (r) { done(JSON.stringify(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })
              .map(function (v) { return v.id + ': ' + v.nodes.map(function (n) { return n.target.join(' '); }).join(', '); }))); });";
    let out = c.execute_async(script, vec![]).await.expect("run axe-core");
    let list: Vec<String> = serde_json::from_str(out.as_str().unwrap_or("[]")).unwrap();
    assert!(list.is_empty(), "axe-core found serious/critical problems on {page}: {list:#?}");
}

/// Checks a page with the given axe-core rules only, at every impact (for
/// moderate rules such as `landmark-unique` that `axe_clean` lets pass).
pub(crate) async fn axe_rules_clean(c: &Client, axe: &str, rules: &[&str], page: &str) {
    c.execute(axe, vec![]).await.expect("inject axe-core");
    let script = "var done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'rule', values: arguments[0]}})
           .then(function (r) { done(JSON.stringify(r.violations.map(function (v) { return v.id + ': ' + v.nodes.map(function (n) { return n.target.join(' '); }).join(', '); }))); });";
    let out = c.execute_async(script, vec![json!(rules)]).await.expect("run axe-core");
    let list: Vec<String> = serde_json::from_str(out.as_str().unwrap_or("[]")).unwrap();
    assert!(list.is_empty(), "axe-core rules {rules:?} failed on {page}: {list:#?}");
}

/// Presses Tab until the focused element matches `css`, as a keyboard user would.
/// A page that is still loading (stale element) is waited for, not a failure.
pub(crate) async fn tab_to(c: &Client, css: &str) {
    for _ in 0..120 {
        let matches = c
            .execute("return document.readyState === 'complete' && document.activeElement && document.activeElement.matches(arguments[0]);", vec![json!(css)])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if matches {
            return;
        }
        let sent = match c.active_element().await {
            Ok(active) => active.send_keys(&Key::Tab.to_string()).await.is_ok(),
            Err(_) => false,
        };
        if !sent {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("could not reach {css} with the Tab key");
}

pub(crate) async fn type_here(c: &Client, text: &str) {
    c.active_element().await.unwrap().send_keys(text).await.unwrap();
}

pub(crate) async fn press_enter(c: &Client) {
    c.active_element().await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
}

/// Signs in on the login form with the keyboard.
pub(crate) async fn sign_in(c: &Client, email: &str) {
    tab_to(c, "#email").await;
    type_here(c, email).await;
    tab_to(c, "#password").await;
    type_here(c, PASSWORD).await;
    press_enter(c).await;
}

pub(crate) async fn wait_for_path(c: &Client, prefix: &str) -> String {
    for _ in 0..50 {
        let u = c.current_url().await.unwrap();
        if u.path().starts_with(prefix) {
            return u.path().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected to arrive at {prefix}, still at {}", c.current_url().await.unwrap());
}

