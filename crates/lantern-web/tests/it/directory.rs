//! The directory in the app and the HSDS API, on both databases.

use axum::http::StatusCode;
use lantern_store::users::Who;

use crate::both;
use crate::support::*;

/// 60 synthetic listings (the same every run).
async fn seed(app: &TestApp) -> lantern_hsds::Directory {
    let dir = lantern_search::synth::hsds_directory(60, 3);
    app.store.directory_import(&dir, "test", "synthetic", 0, None, &Who::default(), &mut |_, _| {}).await.unwrap();
    dir
}

both!(the_hsds_api_pages_stably_and_is_private_until_made_public, async |app: &TestApp| {
    let dir = seed(app).await;
    // Not public by default: anonymous callers are told to sign in (problem+json).
    let mut anon = app.client();
    let r = anon.get("/hsds/services").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("content-type").contains("problem+json"));
    let mut s = app.login("specialist@demo").await;
    let root = s.get("/hsds/").await.json();
    assert_eq!(root["version"], "3.1");
    // Paging is stable and complete: pages do not overlap and add up to the total.
    let mut seen = std::collections::BTreeSet::new();
    for page in 1..=3 {
        let r = s.get(&format!("/hsds/services?page={page}&per_page=25")).await;
        assert_eq!(r.status, StatusCode::OK);
        let v = r.json();
        assert_eq!(v["total_items"], 60);
        assert_eq!(v["total_pages"], 3);
        assert_eq!(v["page_number"], page);
        assert_eq!(v["first_page"], page == 1);
        assert_eq!(v["last_page"], page == 3);
        for c in v["contents"].as_array().unwrap() {
            assert!(seen.insert(c["id"].as_str().unwrap().to_string()), "a service appears on two pages");
        }
    }
    assert_eq!(seen.len(), 60);
    let again = s.get("/hsds/services?page=2&per_page=25").await.json();
    let first_of_two = again["contents"][0]["id"].clone();
    assert_eq!(s.get("/hsds/services?page=2&per_page=25").await.json()["contents"][0]["id"], first_of_two, "same page, same order");
    // One service, fully nested; an unknown id is a 404 problem.
    let id = &dir.services[0].id;
    let one = s.get(&format!("/hsds/services/{id}")).await.json();
    assert_eq!(one["id"], id.as_str());
    assert!(one["schedules"].is_array() && one["phones"].is_array());
    let r = s.get("/hsds/services/00000000-0000-0000-0000-000000000000").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").contains("problem+json"));
    // Bad parameters are named.
    let r = s.get("/hsds/services?per_page=0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("per_page"));
    let r = s.get("/hsds/services?modified_after=yesterday").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("modified_after"));
    // search= ranks with the engine, typos included.
    let v = s.get("/hsds/services?search=fod+pantry&per_page=5").await.json();
    assert!(v["total_items"].as_i64().unwrap() >= 1);
    assert!(v["contents"][0]["name"].as_str().unwrap().contains("Food Pantry"), "{v}");
    // The operator opens the directory to the public.
    app.store.set_directory_settings(Some(true), None, None).await.unwrap();
    let r = anon.get("/hsds/services?per_page=5").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["contents"].as_array().unwrap().len(), 5);
    assert_eq!(anon.get("/hsds/taxonomy_terms").await.status, StatusCode::OK);
    assert_eq!(anon.get("/hsds/organizations").await.status, StatusCode::OK);
    assert_eq!(anon.get("/hsds/service_at_locations").await.status, StatusCode::OK);
});

both!(every_hsds_response_validates_against_the_official_schemas, async |app: &TestApp| {
    let Some(schemas) = hsds_schemas() else {
        eprintln!("skipped: the HSDS 3.1 schemas are not at ../shared/data/hsds/hsds-3.1-spec/schema");
        return;
    };
    seed(app).await;
    let mut s = app.login("specialist@demo").await;
    for (list, item_schema, one_schema) in [
        ("/hsds/services", "compiled/service_list.json", "compiled/service.json"),
        ("/hsds/organizations", "compiled/organization_list.json", "compiled/organization.json"),
        ("/hsds/service_at_locations", "compiled/service_at_location_list.json", "compiled/service_at_location.json"),
        ("/hsds/taxonomies", "taxonomy.json", "taxonomy.json"),
        ("/hsds/taxonomy_terms", "taxonomy_term.json", "taxonomy_term.json"),
    ] {
        let v = s.get(&format!("{list}?per_page=10")).await.json();
        for k in ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty"] {
            assert!(!v[k].is_null(), "{list}: {k} missing");
        }
        let item = validator(&schemas, item_schema);
        let one = validator(&schemas, one_schema);
        let contents = v["contents"].as_array().unwrap();
        assert!(!contents.is_empty(), "{list} is empty");
        for c in contents {
            let errors: Vec<String> = item.iter_errors(c).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(errors.is_empty(), "{list} item: {errors:?}");
        }
        for c in contents.iter().take(3) {
            let id = c["id"].as_str().unwrap();
            let full = s.get(&format!("{list}/{id}")).await.json();
            let errors: Vec<String> = one.iter_errors(&full).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(errors.is_empty(), "{list}/{id}: {errors:?}");
        }
    }
});

fn hsds_schemas() -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/hsds/hsds-3.1-spec/schema");
    p.exists().then(|| p.canonicalize().unwrap())
}

struct LocalFiles;

impl jsonschema::Retrieve for LocalFiles {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        Ok(serde_json::from_slice(&std::fs::read(uri.path().as_str())?)?)
    }
}

fn validator(dir: &std::path::Path, name: &str) -> jsonschema::Validator {
    let path = dir.join(name).canonicalize().unwrap();
    let mut schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    schema["$id"] = serde_json::Value::String(format!("file://{}", path.display()));
    jsonschema::options().with_draft(jsonschema::Draft::Draft202012).with_retriever(LocalFiles).build(&schema).unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

both!(a_specialist_finds_a_resource_checks_it_and_private_listings_stay_private, async |app: &TestApp| {
    let dir = seed(app).await;
    let mut s = app.login("specialist@demo").await;
    let page = s.get("/directory?q=fod+pantry&open_now=&cost=any").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Food Pantry"), "typo-tolerant search on the page");
    assert!(page.text.contains("read for"), "the result says why it matched");
    // The API understands filters in plain words and says so.
    let v = s.get("/api/v1/resources/search?q=food+pantry+spanish+free").await.json();
    let understood = v["understood"].as_array().unwrap();
    assert!(understood.iter().any(|u| u.as_str().unwrap().contains("Spanish") || u.as_str().unwrap().contains("spanish")), "{v}");
    for r in v["results"].as_array().unwrap() {
        assert!(r["languages"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("Spanish")), "{r}");
    }
    // Distance: nearest first from a ZIP the directory knows.
    let v = s.get("/api/v1/resources/search?q=shelter&near=33125&sort=distance").await.json();
    let d: Vec<f64> = v["results"].as_array().unwrap().iter().map(|r| r["distance_miles"].as_f64().unwrap()).collect();
    assert!(!d.is_empty() && d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    // Bad input gets a clear answer.
    for (q, word) in [("near=abc", "near"), ("sort=sideways", "sort"), ("within_miles=5", "within_miles"), ("cost=cheap", "cost"), ("page=0", "page")] {
        let r = s.get(&format!("/api/v1/resources/search?q=food&{q}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}");
        assert!(r.text.contains(word), "{q}: {}", r.text);
    }
    let r = s.get("/directory?q=food&near=99999").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("99999"));
    // A private listing of this organization: its staff find it, nobody else does.
    let mut private = dir.services[0].clone();
    private.id = "7d1d0f3c-59a4-4c55-9d55-5a0e7c6b1a11".into();
    private.name = "Harbor Peer Warmline".into();
    private.organization_id = Some("5ebfad74-3285-4e3e-9d7b-9c4a5f6e7d81".into());
    private.organization = Some(Box::new(lantern_hsds::Organization {
        id: "5ebfad74-3285-4e3e-9d7b-9c4a5f6e7d81".into(),
        name: "Harbor Peer Network".into(),
        description: "Our own peer-run warmline.".into(),
        ..Default::default()
    }));
    private.service_at_locations.clear();
    private.attributes.clear();
    for p in &mut private.phones {
        p.id = "2b8c7a41-0f52-4b0b-8a4e-6f1d2c3b4a55".into();
        p.service_id = Some(private.id.clone());
    }
    for (i, x) in private.schedules.iter_mut().enumerate() {
        x.id = format!("3c9d8b52-1063-4c1c-9b5f-7a2e3d4c5b{:02}", i);
        x.service_id = Some(private.id.clone());
    }
    for (i, x) in private.languages.iter_mut().enumerate() {
        x.id = format!("4dae9c63-2174-4d2d-8c6a-8b3f4e5d6c{:02}", i);
        x.service_id = Some(private.id.clone());
    }
    app.store.directory_save_private(app.demo_org, &private, &Who { actor_id: Some(app.user_id("admin@demo").await), ip: String::new() }).await.unwrap();
    // The index notices the change at its next check (every few seconds).
    app.clock.advance_ms(5_000);
    let mine = s.get("/api/v1/resources/search?q=warmline").await.json();
    assert_eq!(mine["results"][0]["name"], "Harbor Peer Warmline", "{mine}");
    let mut other = app.login("specialist@other").await;
    let theirs = other.get("/api/v1/resources/search?q=warmline").await.json();
    assert!(theirs["results"].as_array().unwrap().iter().all(|r| r["name"] != "Harbor Peer Warmline"));
    assert_eq!(other.get(&format!("/directory/services/{}", private.id)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/hsds/services/{}", private.id)).await.status, StatusCode::NOT_FOUND);
    // Checking a listing: nothing ticked is refused; ticked is recorded with who and when.
    let id = &dir.services[1].id;
    let svc = s.get(&format!("/directory/services/{id}")).await;
    assert_eq!(svc.status, StatusCode::OK);
    let r = s.post_form(&format!("/directory/services/{id}/verify"), &[("note", "called")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s.post_form(&format!("/directory/services/{id}/verify"), &[("confirmed", "phone"), ("confirmed", "hours"), ("note", "Called; they answered.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let svc = s.get(&r.location()).await;
    assert!(svc.text.contains("Called; they answered.") && svc.text.contains("Test Specialist") || svc.text.contains("Called; they answered."));
    assert!(app.store.count_audit(app.demo_org, "directory.verify", None, Some("ok")).await.unwrap() >= 1);
    // The stale page lists listings nobody checked lately, for supervisors and admins.
    let mut admin = app.login("admin@demo").await;
    let stale = admin.get("/admin/directory/stale").await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(s.get("/admin/directory/stale").await.status, StatusCode::FORBIDDEN);
    // From a person's page to a referral: the directory offers "Refer" for that person.
    let pid = app.peer_person;
    let page = s.get(&format!("/directory?q=food+pantry&for={pid}")).await;
    assert!(page.text.contains(&format!("/refer?person={pid}")));
    let r = s.get(&format!("/directory/services/{id}/refer?person={pid}")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with(&format!("/people/{pid}/referrals/new?service=")));
    let other_person = app.other_person;
    assert_eq!(s.get(&format!("/directory/services/{id}/refer?person={other_person}")).await.status, StatusCode::NOT_FOUND);
});

both!(an_admin_adds_a_private_listing_that_only_their_staff_find, async |app: &TestApp| {
    seed(app).await;
    let mut admin = app.login("admin@demo").await;
    let form = admin.get("/admin/directory/listings").await;
    assert_eq!(form.status, StatusCode::OK);
    // Bad input: no name, a ZIP that is not one, closing before opening, a made-up day.
    let r = admin
        .post_form("/admin/directory/listings", &[("name", ""), ("organization", "Harbor Peer Network"), ("postal_code", "331"), ("days", "MO,XX"), ("opens", "17:00"), ("closes", "09:00")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["l-name-err", "l-postal_code-err", "l-days-err", "l-closes-err"] {
        assert!(r.text.contains(&format!("id=\"{f}\"")), "{f} missing");
    }
    assert!(r.text.contains("Harbor Peer Network"), "what was typed is kept");
    let r = admin
        .post_form("/admin/directory/listings", &[
            ("name", "Harbor Peer Warmline"), ("organization", "Harbor Peer Network"), ("description", "A peer to talk to in the evening."),
            ("phone", "305-555-0177"), ("address_1", "12 Bay Rd"), ("city", "Miami"), ("state", "FL"), ("postal_code", "33125"),
            ("days", "MO,TU,WE,TH,FR"), ("opens", "17:00"), ("closes", "23:00"), ("languages", "English, Spanish"),
        ])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let path = r.location();
    assert!(path.starts_with("/directory/services/"));
    // Their specialist finds it at once; another organization never does.
    let mut s = app.login("specialist@demo").await;
    let v = s.get("/api/v1/resources/search?q=warmline+spanish").await.json();
    assert_eq!(v["results"][0]["name"], "Harbor Peer Warmline", "{v}");
    assert!(s.get(&path).await.text.contains("Only your organization sees this listing"));
    let mut other = app.login("specialist@other").await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    let v = other.get("/api/v1/resources/search?q=warmline").await.json();
    assert!(v["results"].as_array().unwrap().iter().all(|r| r["name"] != "Harbor Peer Warmline"));
    assert!(admin.get("/admin/directory/listings").await.text.contains("Harbor Peer Warmline"));
    assert!(app.store.count_audit(app.demo_org, "directory.private.create", None, Some("ok")).await.unwrap() >= 1);
});
