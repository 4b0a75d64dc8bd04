//! Browser test for supervision (keyboard only, every page axe-clean): the
//! supervisor opens a session from the proposed agenda, adds a reflection and
//! signs; the specialist signs in, signs too, and the session is locked.
//!
//! The helpers are a copy of `browser.rs`'s (to be replaced by `browser_kit`
//! when it lands on main). Set LANTERN_AXE_JS to use another axe-core copy.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::*;

struct Driver(Child);
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn find(env: &str, candidates: &[&str]) -> Option<String> {
    if let Ok(p) = std::env::var(env) {
        return Some(p);
    }
    candidates.iter().find(|c| std::path::Path::new(c).exists()).map(|c| c.to_string())
}

fn axe_source() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = std::env::var("LANTERN_AXE_JS").map(std::path::PathBuf::from).unwrap_or_else(|_| root.join(".test-tools/node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("axe-core not found at {} ({e}); run `bash scripts/test.sh`, which installs it", path.display()))
}

async fn axe_clean(c: &Client, axe: &str, page: &str) {
    c.execute(axe, vec![]).await.expect("inject axe-core");
    let script = "var done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
           .then(function (r) { done(JSON.stringify(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })
              .map(function (v) { return v.id + ': ' + v.nodes.map(function (n) { return n.target.join(' '); }).join(', '); }))); });";
    let out = c.execute_async(script, vec![]).await.expect("run axe-core");
    let list: Vec<String> = serde_json::from_str(out.as_str().unwrap_or("[]")).unwrap();
    assert!(list.is_empty(), "axe-core found serious/critical problems on {page}: {list:#?}");
}

/// Presses Tab until the focused element matches `css`, as a keyboard user would.
/// A page that is still loading (stale element) is waited for, not a failure.
async fn tab_to(c: &Client, css: &str) {
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

async fn type_here(c: &Client, text: &str) {
    c.active_element().await.unwrap().send_keys(text).await.unwrap();
}

async fn press_enter(c: &Client) {
    c.active_element().await.unwrap().send_keys(&Key::Enter.to_string()).await.unwrap();
}

/// Signs in on the login form with the keyboard.
async fn sign_in(c: &Client, email: &str) {
    tab_to(c, "#email").await;
    type_here(c, email).await;
    tab_to(c, "#password").await;
    type_here(c, PASSWORD).await;
    press_enter(c).await;
}

async fn wait_for_path(c: &Client, prefix: &str) -> String {
    for _ in 0..50 {
        let u = c.current_url().await.unwrap();
        if u.path().starts_with(prefix) {
            return u.path().to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected to arrive at {prefix}, still at {}", c.current_url().await.unwrap());
}

async fn main_text(c: &Client) -> String {
    c.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

async fn wait_for_text(c: &Client, text: &str) -> String {
    let mut body = String::new();
    for _ in 0..50 {
        body = main_text(c).await;
        if body.contains(text) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {text:?} on the page: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervision_session_is_opened_and_signed_by_both_by_keyboard() {
    let chromedriver = find("CHROMEDRIVER", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
        .expect("chromedriver not found: install Debian's chromium-driver (scripts/test.sh does) or set CHROMEDRIVER");
    let chromium = find("CHROMIUM", &["/usr/bin/chromium", "/usr/lib/chromium/chromium"]).expect("chromium not found: install Debian's chromium (scripts/test.sh does) or set CHROMIUM");
    let axe = axe_source();

    let app = TestApp::new(Backend::Sqlite).await;
    let s1 = app.user_id("specialist@demo").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    let port = free_port();
    let _driver = Driver(Command::new(&chromedriver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start chromedriver"));
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

    // The supervisor opens a session for Robin from "My growth" → Supervision.
    c.goto(&format!("{base}/login")).await.unwrap();
    sign_in(&c, "supervisor@demo").await;
    wait_for_path(&c, "/caseload").await;
    tab_to(&c, "nav a[href='/growth']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/growth").await;
    axe_clean(&c, &axe, "/growth (supervisor)").await;
    tab_to(&c, "main a[href='/supervision']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/supervision").await;
    axe_clean(&c, &axe, "/supervision").await;
    tab_to(&c, &format!("#s-p-{s1}")).await;
    type_here(&c, " ").await;
    tab_to(&c, "form[action='/supervision'] button[type='submit']").await;
    press_enter(&c).await;
    let path = {
        let mut p = String::new();
        for _ in 0..50 {
            p = c.current_url().await.unwrap().path().to_string();
            if p.starts_with("/supervision/") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        p
    };
    assert!(path.starts_with("/supervision/"), "the session opened: {path}");
    let body = wait_for_text(&c, "Agenda").await;
    assert!(body.contains("Boundary question") && body.contains("Growth goal"), "the proposed agenda: {body}");
    axe_clean(&c, &axe, "/supervision/{id}").await;
    // A reflection, then the supervisor signs.
    tab_to(&c, "#i-body").await;
    type_here(&c, "We talked about meeting people at our own recovery meetings.").await;
    tab_to(&c, "form[action$='/items'] button[type='submit']").await;
    press_enter(&c).await;
    wait_for_text(&c, "Added to the session.").await;
    axe_clean(&c, &axe, "/supervision/{id} after adding").await;
    tab_to(&c, "form[action$='/sign'] button[type='submit']").await;
    press_enter(&c).await;
    let body = wait_for_text(&c, "Your signature is saved.").await;
    assert!(body.contains("Still to sign: Robin Specialist"), "{body}");

    // Robin signs in, finds the session, and signs: it is locked.
    tab_to(&c, "form[action='/logout'] button").await;
    press_enter(&c).await;
    wait_for_path(&c, "/login").await;
    sign_in(&c, "specialist@demo").await;
    wait_for_path(&c, "/caseload").await;
    tab_to(&c, "nav a[href='/growth']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/growth").await;
    axe_clean(&c, &axe, "/growth (specialist)").await;
    tab_to(&c, "main a[href='/supervision']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/supervision").await;
    tab_to(&c, &format!("a[href='{path}']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &path).await;
    wait_for_text(&c, "We talked about meeting people").await;
    tab_to(&c, "form[action$='/sign'] button[type='submit']").await;
    press_enter(&c).await;
    let body = wait_for_text(&c, "this session is locked").await;
    assert!(body.contains("Sam Supervisor") && body.contains("Robin Specialist"), "{body}");
    axe_clean(&c, &axe, "/supervision/{id} locked").await;
    // Robin's self-care check-in page is reachable and clean too.
    c.goto(&format!("{base}/growth/self-care")).await.unwrap();
    axe_clean(&c, &axe, "/growth/self-care").await;

    c.close().await.unwrap();
    app.close().await;
}
