use axum::http::StatusCode;

use crate::both;
use crate::support::*;

both!(tampering_is_detected_and_named, async |app: &TestApp| {
    let mut c = app.login("specialist@demo").await;
    for _ in 0..3 {
        assert_eq!(c.get(&format!("/people/{}", app.peer_person)).await.status, StatusCode::OK);
    }
    assert!(app.verify_audit().await.is_ok());
    // The database itself refuses edits to the trail.
    let url = match &app.config {
        lantern_store::DbConfig::DataDir(d) => format!("sqlite://{}", d.join("lantern.db").display()),
        lantern_store::DbConfig::Url(u) => u.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let refused = sqlx::query("UPDATE audit_log SET reason = 'x' WHERE seq = 3").execute(&pool).await;
    assert!(refused.is_err(), "the trigger refuses edits");
    // Someone with raw database access goes around the trigger.
    match app.backend {
        Backend::Sqlite => {
            sqlx::query("DROP TRIGGER audit_no_update").execute(&pool).await.unwrap();
        }
        Backend::Postgres => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_no_update").execute(&pool).await.unwrap();
        }
    }
    sqlx::query("UPDATE audit_log SET reason = 'covered up' WHERE org_id = $1 AND seq = 3").bind(app.demo_org).execute(&pool).await.unwrap();
    pool.close().await;
    let err = app.verify_audit().await.unwrap_err();
    assert_eq!(err.seq, 3, "{err}");
    assert_eq!(err.org_id, app.demo_org);
});

both!(concurrent_writers_build_one_linear_chain, async |app: &TestApp| {
    // A second store on the same database stands for a second app server (or a CLI writer).
    let second = lantern_store::Store::open(&app.config, app.clock.clone(), lantern_store::OpenOptions::default()).await.unwrap();
    let mut tasks = vec![];
    for w in 0..8 {
        let s = if w % 2 == 0 { app.store.clone() } else { second.clone() };
        let org = app.demo_org;
        tasks.push(tokio::spawn(async move {
            for i in 0..15 {
                let e = lantern_store::audit::NewEntry {
                    org_id: org, ts_ms: i, actor_id: None, action: format!("test.write.{w}"), person_id: None,
                    object_type: "test".into(), object_id: i.to_string(), outcome: "ok".into(), ip: String::new(), reason: String::new(),
                };
                if i % 3 == 0 { s.record_view(e).await } else { s.record_event(e).await.unwrap() }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    second.flush_audit().await.unwrap();
    second.close().await;
    assert!(app.verify_audit().await.is_ok());
    let total: i64 = (0..8).map(|w| w).map(|_| 15).sum();
    let mut n = 0;
    for w in 0..8 {
        n += app.store.count_audit(app.demo_org, &format!("test.write.{w}"), None, None).await.unwrap();
    }
    assert_eq!(n, total, "no row lost, none duplicated");
});
