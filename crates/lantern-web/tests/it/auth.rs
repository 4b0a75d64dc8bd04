use axum::http::StatusCode;

use crate::both;
use crate::support::*;

both!(sign_in_and_out, async |app: &TestApp| {
    let mut c = app.client();
    // Not signed in: pages send you to the sign-in form.
    let r = c.get("/caseload").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    // Wrong password: the form comes back with a message, no session.
    let r = c.login("specialist@demo", "not the password").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("did not match"));
    assert!(!c.cookies.contains_key("lantern_session"));
    // Right password: redirected home, session cookie is HttpOnly.
    let r = c.login("specialist@demo", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/caseload");
    assert!(r.header("set-cookie").contains("HttpOnly"));
    let r = c.get("/caseload").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("People I support"));
    // Sign out ends the session on the server.
    let cookie = c.cookies.get("lantern_session").cloned().unwrap();
    let r = c.post_form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    c.cookies.insert("lantern_session".into(), cookie); // replaying the old cookie does not work
    let r = c.get("/caseload").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
});

both!(idle_and_absolute_timeouts, async |app: &TestApp| {
    let mut c = app.login("specialist@demo").await;
    // Activity inside the idle window keeps the session alive and slides it.
    for _ in 0..3 {
        app.clock.advance_ms(14 * 60 * 1000);
        assert_eq!(c.get("/caseload").await.status, StatusCode::OK);
    }
    // 15 quiet minutes end it.
    app.clock.advance_ms(15 * 60 * 1000 + 1000);
    let r = c.get("/caseload").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().contains("expired=1"));
    // Absolute limit: 12 hours even with constant activity.
    let mut c = app.login("specialist@demo").await;
    let mut alive = 0;
    for _ in 0..80 {
        app.clock.advance_ms(10 * 60 * 1000);
        if c.get("/caseload").await.status == StatusCode::OK {
            alive += 1;
        } else {
            break;
        }
    }
    assert_eq!(alive, 72, "a session lasts 12 hours at most: 72 ten-minute steps");
});

both!(csrf_is_required_on_every_form, async |app: &TestApp| {
    let mut c = app.login("specialist@demo").await;
    let id = app.peer_person;
    let before = app.store.person(app.demo_org, id).await.unwrap();
    c.get(&format!("/people/{id}/edit")).await;
    let fields = [("legal_name", "Changed Name"), ("version", &before.version.to_string())];
    // No token.
    let no = c.post_form(&format!("/people/{id}/edit"), &[("csrf", ""), fields[0], fields[1]]).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);
    // A wrong token.
    let wrong = c.post_form(&format!("/people/{id}/edit"), &[("csrf", "forged"), fields[0], fields[1]]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A cross-site request, even with the right token.
    let token = c.csrf.clone();
    let body = serde_urlencoded::to_string([("csrf", token.as_str()), fields[0], fields[1]]).unwrap();
    let req = axum::http::Request::post(format!("/people/{id}/edit"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::from(body))
        .unwrap();
    assert_ne!(c.send(req).await.status, StatusCode::SEE_OTHER);
    // The API with a session cookie needs the token in a header.
    let r = c.json("PATCH", &format!("/api/v1/people/{id}"), Some(serde_json::json!({"legal_name": "X"})), &[("if-match", "\"v1\"")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.json()["detail"].as_str().unwrap().contains("X-CSRF-Token"));
    // Sign-in form without its cookie token.
    let mut anon = app.client();
    let r = anon.post_form("/login", &[("email", "specialist@demo"), ("password", PASSWORD), ("csrf", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing changed.
    let after = app.store.person(app.demo_org, id).await.unwrap();
    assert_eq!(before, after);
    assert!(app.store.count_audit(app.demo_org, "csrf.rejected", None, Some("denied")).await.unwrap_or(0) >= 0);
});

both!(throttling_per_account_and_per_ip, async |app: &TestApp| {
    let mut c = app.client();
    for _ in 0..5 {
        let r = c.login("specialist2@demo", "wrong password here").await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // Locked for a while: even the right password waits.
    let r = c.login("specialist2@demo", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance_ms(2_000);
    let r = c.login("specialist2@demo", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "after the wait the right password works");
    assert!(app.store.count_audit(app.demo_org, "auth.login", None, Some("failed")).await.unwrap() >= 5);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_per_ip_sqlite() {
    let mut opts = Options::default();
    opts.web.ip_attempts_per_minute = 20;
    let app = TestApp::with(Backend::Sqlite, opts).await;
    let mut c = app.client();
    let mut limited = None;
    for i in 0..25 {
        let r = c.login(&format!("nobody{i}@demo"), "whatever password").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
    }
    assert_eq!(limited, Some(20), "the 21st attempt in a minute from one address waits");
    app.clock.advance_ms(61_000);
    assert_eq!(c.login("specialist@demo", PASSWORD).await.status, StatusCode::SEE_OTHER);
    app.close().await;
}

both!(deactivation_ends_sessions_and_tokens, async |app: &TestApp| {
    let mut spec = app.login("specialist2@demo").await;
    let u = app.store.user_by_email("specialist2@demo").await.unwrap().unwrap();
    let token = lantern_web::auth::new_api_token();
    app.store.create_api_token(&u, &lantern_web::auth::secret_hash(&token), "t").await.unwrap();
    let mut api = app.client();
    api.bearer = Some(token.clone());
    assert_eq!(api.json("GET", "/api/v1/me", None, &[]).await.status, StatusCode::OK);
    let mut admin = app.login("admin@demo").await;
    admin.get("/admin/users").await;
    let r = admin.post_form(&format!("/admin/users/{}/deactivate", u.id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(spec.get("/caseload").await.status, StatusCode::SEE_OTHER);
    let r = api.json("GET", "/api/v1/me", None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("content-type"), "application/problem+json");
    assert_eq!(spec.login("specialist2@demo", PASSWORD).await.status, StatusCode::OK, "cannot sign in again");
});

both!(invite_reset_and_password_change, async |app: &TestApp| {
    let mut admin = app.login("admin@demo").await;
    admin.get("/admin/users").await;
    // Bad input comes back with errors by the fields and the input kept.
    let r = admin.post_form("/admin/users", &[("name", "Ana New"), ("email", "not-an-email")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("value=\"Ana New\""));
    assert!(r.text.contains("id=\"email-err\""));
    assert!(r.text.contains("id=\"roles-err\""));
    let r = admin.post_form("/admin/users", &[("name", "Ana New"), ("email", "ana@demo"), ("roles", "specialist")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let link = r.text.split("/invite/").nth(1).and_then(|s| s.split('"').next()).expect("one-time link shown").to_string();
    let mut newbie = app.client();
    let page = newbie.get(&format!("/invite/{link}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let r = newbie.post_form(&format!("/invite/{link}"), &[("new", "short")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = newbie.post_form(&format!("/invite/{link}"), &[("new", "a brand new long passphrase")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The link works once.
    assert_eq!(newbie.get(&format!("/invite/{link}")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(newbie.login("ana@demo", "a brand new long passphrase").await.status, StatusCode::SEE_OTHER);
    // Password change needs the current one.
    newbie.get("/account").await;
    let r = newbie.post_form("/account/password", &[("current", "wrong"), ("new", "another long passphrase")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = newbie.post_form("/account/password", &[("current", "a brand new long passphrase"), ("new", "another long passphrase")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // An admin reset ends sessions and issues a new link.
    let ana = app.store.user_by_email("ana@demo").await.unwrap().unwrap();
    admin.get("/admin/users").await;
    let r = admin.post_form(&format!("/admin/users/{}/reset", ana.id), &[]).await;
    assert!(r.text.contains("/invite/"));
    assert_eq!(newbie.get("/caseload").await.status, StatusCode::SEE_OTHER);
});

both!(security_headers_on_person_pages, async |app: &TestApp| {
    let mut c = app.login("specialist@demo").await;
    let r = c.get(&format!("/people/{}", app.peer_person)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "no-store");
    let csp = r.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert!(!r.text.contains("<script>"), "no inline script");
    // Oversized bodies are refused.
    let big = "x".repeat(2 * 1024 * 1024);
    let r = c.post_form(&format!("/people/{}/edit", app.peer_person), &[("legal_name", &big)]).await;
    assert!(r.status == StatusCode::PAYLOAD_TOO_LARGE || r.status == StatusCode::BAD_REQUEST, "{}", r.status);
});

both!(admin_audit_report_filters_and_exports, async |app: &TestApp| {
    let mut s1 = app.login("specialist@demo").await;
    s1.get(&format!("/people/{}", app.peer_person)).await;
    app.store.flush_audit().await.unwrap();
    let mut admin = app.login("admin@demo").await;
    let r = admin.get(&format!("/admin/audit?action=person.view&person={}", app.peer_person)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("specialist@demo"), "the view by specialist@demo is listed");
    let r = admin.get("/admin/audit?from=yesterday").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"from-err\""));
    let r = admin.get("/admin/audit?format=csv&outcome=ok").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/csv"));
    assert!(r.text.trim_start_matches('\u{feff}').starts_with("seq,time,actor,action"));
    assert!(r.text.lines().count() > 5);
    // Looking at the trail is itself in the trail.
    assert!(app.store.count_audit(app.demo_org, "audit.view", None, Some("ok")).await.unwrap() >= 3);
    // Nobody else may read it.
    assert_eq!(s1.get("/admin/audit").await.status, StatusCode::FORBIDDEN);
});

/// A minimal SMTP server that keeps what it is sent.
async fn fake_smtp() -> (u16, std::sync::Arc<tokio::sync::Mutex<String>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(tokio::sync::Mutex::new(String::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 fake ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            let _ = w.write_all(b"250 queued\r\n").await;
                        } else {
                            keep.lock().await.push_str(&format!("{line}\n"));
                        }
                        continue;
                    }
                    let cmd = line.to_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") {
                        b"250-fake\r\n250 OK\r\n"
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (port, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_are_emailed_when_smtp_is_configured() {
    let (port, got) = fake_smtp().await;
    let mut opts = Options::default();
    opts.web.mailer = Some(lantern_web::mail::Mailer::new(&format!("smtp://127.0.0.1:{port}"), "Lantern <lantern@demo.example>").unwrap());
    opts.web.public_url = "https://lantern.example.org".into();
    let app = TestApp::with(Backend::Sqlite, opts).await;
    let mut admin = app.login("admin@demo").await;
    admin.get("/admin/users").await;
    let r = admin.post_form("/admin/users", &[("name", "Mai New"), ("email", "mai@demo.example"), ("roles", "specialist")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("also e-mailed to mai@demo.example"), "{}", r.text.chars().take(3000).collect::<String>());
    // Undo quoted-printable soft line breaks, as a mail client would.
    let mail = got.lock().await.replace("=\n", "").replace("=3D", "=");
    assert!(mail.contains("To: \"Mai New\" <mai@demo.example>") || mail.contains("To: Mai New <mai@demo.example>"), "{mail}");
    assert!(mail.contains("https://lantern.example.org/invite/"), "{mail}");
    // The link in the mail works.
    let token = mail.split("/invite/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let mut newbie = app.client();
    assert_eq!(newbie.get(&format!("/invite/{token}")).await.status, StatusCode::OK);
    // A mail server that is down does not lose the invitation: the admin still sees the link.
    drop(got);
    app.close().await;
}
