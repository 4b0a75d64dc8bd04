//! Regression tests for problems a fresh-eyes review found.

use axum::http::StatusCode;

use crate::both;
use crate::support::*;

both!(deactivation_kills_open_links_and_resets_revoke_tokens, async |app: &TestApp| {
    let mut admin = app.login("admin@demo").await;
    let s2 = app.store.user_by_email("specialist2@demo").await.unwrap().unwrap();
    let token = lantern_web::auth::new_api_token();
    app.store.create_api_token(&s2, &lantern_web::auth::secret_hash(&token), "sync").await.unwrap();
    admin.get("/admin/users").await;
    let r = admin.post_form(&format!("/admin/users/{}/reset", s2.id), &[]).await;
    let link = r.text.split("/invite/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    // The reset revoked the API token.
    let mut api = app.client();
    api.bearer = Some(token);
    assert_eq!(api.json("GET", "/api/v1/me", None, &[]).await.status, StatusCode::UNAUTHORIZED);
    // Deactivating kills the open link: it cannot bring the account back.
    admin.get("/admin/users").await;
    admin.post_form(&format!("/admin/users/{}/deactivate", s2.id), &[]).await;
    let mut c = app.client();
    assert_eq!(c.get(&format!("/invite/{link}")).await.status, StatusCode::BAD_REQUEST);
    let u = app.store.user(s2.id).await.unwrap();
    assert!(!u.active && u.deactivated);
    let page = admin.get("/admin/users").await;
    assert!(page.text.contains("Deactivated"));
    // A new link for a deactivated account is refused.
    let r = admin.post_form(&format!("/admin/users/{}/reset", s2.id), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
});

both!(a_person_added_by_a_supervisor_stays_visible, async |app: &TestApp| {
    let mut sup = app.login("supervisor@demo").await;
    sup.get("/people/new").await;
    let r = sup.post_form("/people", &[("legal_name", "Élodie Ünal")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = r.location();
    assert_eq!(sup.get(&loc).await.status, StatusCode::OK, "{loc}");
    // Name search understands accents.
    let r = sup.get("/caseload?q=%C3%A9lodie").await;
    assert!(r.text.contains("Élodie Ünal"), "search for élodie finds Élodie");
    let r = sup.get("/caseload?q=%C3%BCnal").await;
    assert!(r.text.contains("Élodie Ünal"));
});

both!(sign_in_limits_count_failures_only_and_do_not_reveal_accounts, async |app: &TestApp| {
    // Many successful sign-ins from one address are fine (a clinic at shift start).
    for _ in 0..25 {
        app.login("specialist@demo").await;
    }
    // After five failures, a real account and an unknown address answer alike.
    let mut c = app.client();
    for email in ["specialist2@demo", "nobody-here@demo"] {
        for _ in 0..5 {
            assert_eq!(c.login(email, "wrong wrong wrong").await.status, StatusCode::OK);
        }
        let r = c.login(email, "wrong wrong wrong").await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{email} waits");
    }
});

both!(next_parameter_cannot_leave_the_site, async |app: &TestApp| {
    let mut c = app.client();
    c.get("/login").await;
    for bad in ["/\t/evil.example/x", "//evil.example", "/a\nb", "https://evil.example", "/\\evil"] {
        let r = c.post_form("/login", &[("email", "specialist@demo"), ("password", PASSWORD), ("next", bad)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{bad:?}");
        assert_eq!(r.location(), "/caseload", "{bad:?} is ignored");
        c = app.client();
        c.get("/login").await;
    }
    // An expired session on a form post does not send you back to the form's target.
    let mut s = app.login("specialist@demo").await;
    s.get("/account").await;
    app.clock.advance_ms(16 * 60 * 1000);
    let r = s.post_form("/account/password", &[("current", "x"), ("new", "y")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!r.location().contains("next="), "{}", r.location());
});

both!(care_teams_hold_active_staff_only, async |app: &TestApp| {
    let id = app.person_only_on_specialist1().await;
    let peer = app.store.user_by_email("peer@demo").await.unwrap().unwrap();
    let s1 = app.user_id("specialist@demo").await;
    let mut sup = app.login("supervisor@demo").await;
    sup.get(&format!("/people/{id}")).await;
    assert_eq!(sup.post_form(&format!("/people/{id}/team"), &[("action", "add"), ("user", &peer.id.to_string())]).await.status, StatusCode::BAD_REQUEST);
    sup.get(&format!("/people/{id}")).await;
    assert_eq!(sup.post_form(&format!("/people/{id}/team"), &[("action", "add"), ("user", &s1.to_string())]).await.status, StatusCode::BAD_REQUEST, "already primary");
    assert!(app.store.care_team(app.demo_org, id).await.unwrap().is_empty());
});

both!(password_change_guesses_are_limited_and_tokens_revocable, async |app: &TestApp| {
    let mut c = app.login("specialist@demo").await;
    c.get("/account").await;
    for _ in 0..5 {
        assert_eq!(c.post_form("/account/password", &[("current", "guess guess"), ("new", "another long passphrase")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(c.post_form("/account/password", &[("current", PASSWORD), ("new", "another long passphrase")]).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Tokens are listed on the account page and can be revoked there.
    let u = app.store.user_by_email("specialist@demo").await.unwrap().unwrap();
    let token = lantern_web::auth::new_api_token();
    let tid = app.store.create_api_token(&u, &lantern_web::auth::secret_hash(&token), "laptop sync").await.unwrap();
    let page = c.get("/account").await;
    assert!(page.text.contains("laptop sync"));
    assert_eq!(c.post_form(&format!("/account/tokens/{tid}/revoke"), &[]).await.status, StatusCode::SEE_OTHER);
    let mut api = app.client();
    api.bearer = Some(token);
    assert_eq!(api.json("GET", "/api/v1/me", None, &[]).await.status, StatusCode::UNAUTHORIZED);
    // Someone else's token id is simply not found.
    let other = app.store.user_by_email("specialist2@demo").await.unwrap().unwrap();
    let t2 = app.store.create_api_token(&other, &lantern_web::auth::secret_hash("x"), "theirs").await.unwrap();
    c.get("/account").await;
    assert_eq!(c.post_form(&format!("/account/tokens/{t2}/revoke"), &[]).await.status, StatusCode::NOT_FOUND);
});
