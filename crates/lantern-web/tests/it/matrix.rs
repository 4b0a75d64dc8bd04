//! The role × route matrix, generated from the route table: every declared
//! route is called by every kind of caller, and the answer must match the
//! declaration. A new route is covered the moment it is declared.

use axum::http::StatusCode;
use lantern_domain::Role;
use lantern_web::routes::{self, Allow};

use crate::both;
use crate::support::*;

const CALLERS: &[(&str, Option<&str>)] = &[
    ("anonymous", None),
    ("peer", Some("peer@demo")),
    ("specialist", Some("specialist@demo")),
    ("supervisor", Some("supervisor@demo")),
    ("admin", Some("admin@demo")),
];

fn role_of(name: &str) -> Option<Role> {
    match name {
        "peer" => Some(Role::Peer),
        "specialist" => Some(Role::Specialist),
        "supervisor" => Some(Role::Supervisor),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

both!(every_role_on_every_route, async |app: &TestApp| {
    // A throwaway account for the account-management routes, so the matrix never locks out its own callers.
    let hasher = lantern_web::Hasher::new(lantern_web::HashCost::cheap());
    let mut checked = 0;
    for spec in routes::specs() {
        for (caller, email) in CALLERS {
            let throwaway = app
                .store
                .create_user(
                    &lantern_store::users::NewUser {
                        org_id: app.demo_org,
                        email: format!("tmp{checked}@demo"),
                        display_name: "Temp".into(),
                        credentials: String::new(),
                        roles: lantern_domain::Roles::empty().with(Role::Specialist),
                        password_hash: Some(hasher.hash_blocking(PASSWORD).unwrap()),
                        person_id: None,
                        active: true,
                    },
                    &Default::default(),
                )
                .await
                .unwrap();
            let id = if spec.path.starts_with("/admin/users/") { throwaway.id } else { app.peer_person };
            let path = spec.path.replace("{id}", &id.to_string()).replace("{token}", "not-a-real-token").replace("{provider}", "1").replace("{task}", "1").replace("{handoff}", "1").replace("{topic}", "ada");
            let mut c = match email {
                Some(e) => {
                    let c = app.login(e).await;
                    c
                }
                None => app.client(),
            };
            if let Some(_) = email {
                // Load a page to pick up this session's CSRF token.
                let home = if *caller == "peer" { "/me" } else { "/account" };
                c.get(home).await;
            }
            let r = match (spec.method, spec.api) {
                ("GET", _) => c.get(&path).await,
                ("POST", false) => c.post_form(&path, &[]).await,
                (m, true) => {
                    let token = c.csrf.clone();
                    c.json(m, &path, Some(serde_json::json!({})), &[("if-match", "\"v0\""), ("x-csrf-token", &token)]).await
                }
                (m, false) => panic!("unexpected page method {m}"),
            };
            let declared_ok = match spec.allow {
                Allow::Public => true,
                // The directory is not public unless the operator says so (tested in `directory`).
                Allow::Signed | Allow::Directory => email.is_some(),
                Allow::Roles(roles) => role_of(caller).is_some_and(|r| roles.contains(&r)),
            };
            let what = format!("{caller} {} {path} -> {} {}", spec.method, r.status, r.text.chars().take(200).collect::<String>());
            assert!(!r.status.is_server_error(), "server error: {what}");
            if declared_ok {
                if spec.allow != Allow::Public {
                    assert!(r.status != StatusCode::UNAUTHORIZED && r.status != StatusCode::FORBIDDEN, "allowed but refused: {what}");
                }
            } else if email.is_none() {
                if spec.api {
                    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_eq!(r.header("content-type"), "application/problem+json", "{what}");
                } else {
                    assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}");
                    assert!(r.location().starts_with("/login"), "{what}");
                }
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "role not declared but not refused: {what}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, routes::specs().len() * CALLERS.len());
    assert!(app.verify_audit().await.is_ok());
});

#[test]
fn every_route_is_declared_once() {
    let specs = routes::specs();
    let mut seen = std::collections::HashSet::new();
    for s in &specs {
        assert!(seen.insert((s.method, s.path)), "{} {} declared twice", s.method, s.path);
        assert_eq!(s.api, s.path.starts_with("/api/") || s.path.starts_with("/hsds/"), "{} is marked api={} ", s.path, s.api);
    }
    // Every API route except the document itself is in the OpenAPI document
    // (the HSDS routes follow the HSDS specification's own document).
    let doc = serde_json::to_value(lantern_web::api::openapi()).unwrap();
    // Operation ids are unique (an OpenAPI 3.1 rule that client generators rely on).
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_string()), "operationId {id} is used twice (again at {method} {path})");
            }
        }
    }
    for s in specs.iter().filter(|s| s.api && s.path != "/api/v1/openapi.json" && !s.path.starts_with("/hsds/")) {
        let m = s.method.to_lowercase();
        assert!(doc["paths"][s.path][&m].is_object(), "{} {} is missing from the OpenAPI document", s.method, s.path);
    }
}
