use axum::http::StatusCode;
use lantern_domain::{Role, Roles};

use crate::both;
use crate::support::*;

both!(crisis_event_escalates_to_the_right_supervisor_only, async |app: &TestApp| {
    let id = app.person_only_on_specialist1().await;
    // A supervisor in the same organization who leads a different team.
    let hasher = lantern_web::Hasher::new(lantern_web::HashCost::cheap());
    let other_sup = app
        .store
        .create_user(
            &lantern_store::users::NewUser {
                org_id: app.demo_org, email: "othersup@demo".into(), display_name: "Other Supervisor".into(), credentials: String::new(),
                roles: Roles::empty().with(Role::Supervisor), password_hash: Some(hasher.hash_blocking(PASSWORD).unwrap()), person_id: None, active: true,
            },
            &Default::default(),
        )
        .await
        .unwrap();
    let team = app.store.create_team(app.demo_org, "Eastside").await.unwrap();
    app.store.add_team_member(team, other_sup.id, true).await.unwrap();

    let mut s1 = app.login("specialist@demo").await;
    let form = s1.get(&format!("/people/{id}/crisis/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("988"), "the crisis protocol is shown");
    // Bad input: nothing described, a future date.
    let r = s1.post_form(&format!("/people/{id}/crisis"), &[("occurred_on", "2999-01-01"), ("what_happened", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"c-what_happened-err\"") && r.text.contains("id=\"c-occurred_on-err\""));
    let today = app.store.today(app.demo_org).await.unwrap().checked_sub(jiff::Span::new().days(1)).unwrap().to_string(); // yesterday: never in the future
    let r = s1
        .post_form(&format!("/people/{id}/crisis"), &[("occurred_on", &today), ("occurred_time", "00:05"), ("what_happened", "Said he had a plan; we called 988 together."), ("follow_up_due", &today)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(1500).collect::<String>());
    let event_path = r.location().split('?').next().unwrap().to_string();
    // The team's supervisor sees it at once, on their home page and in the crisis view.
    let mut sup = app.login("supervisor@demo").await;
    let home = sup.get("/caseload").await;
    assert!(home.text.contains("1 open crisis event"), "banner on the supervisor's home page");
    assert!(sup.get("/crisis").await.text.contains(&event_path));
    // A supervisor of another team does not; nor does another specialist; the peer cannot look.
    let mut other = app.login("othersup@demo").await;
    assert!(!other.get("/crisis").await.text.contains(&event_path));
    assert_eq!(other.get(&event_path).await.status, StatusCode::NOT_FOUND);
    let mut s2 = app.login("specialist2@demo").await;
    assert!(!s2.get("/crisis").await.text.contains(&event_path));
    let mut peer = app.login("peer@demo").await;
    assert_eq!(peer.get("/crisis").await.status, StatusCode::FORBIDDEN);
    // Closing needs a follow-up note.
    sup.get(&event_path).await;
    let r = sup.post_form(&format!("{event_path}/close"), &[("closing_note", " ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = sup.post_form(&format!("{event_path}/close"), &[("closing_note", "Checked in next morning; he is safe and with his sister.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!sup.get("/caseload").await.text.contains("open crisis event"));
    assert_eq!(app.store.count_audit(app.demo_org, "crisis.create", Some(id), Some("ok")).await.unwrap(), 1);
    assert_eq!(app.store.count_audit(app.demo_org, "crisis.close", Some(id), Some("ok")).await.unwrap(), 1);
});

both!(saved_text_that_signals_risk_brings_the_crisis_prompt, async |app: &TestApp| {
    let id = app.peer_person;
    let mut c = app.login("specialist@demo").await;
    let page = c.get(&format!("/people/{id}/edit")).await;
    let version = hidden_field(&page.text, "version").unwrap();
    let r = c
        .post_form(&format!("/people/{id}/edit"), &[("legal_name", "Jordan Example"), ("what_doesnt_help", "Lately she says she doesn't want to wake up anymore."), ("version", &version)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.location();
    assert!(to.starts_with(&format!("/people/{id}/crisis/prompt")), "{to}");
    let prompt = c.get(&to).await;
    assert_eq!(prompt.status, StatusCode::OK);
    assert!(prompt.text.contains("988"));
    let r = c.post_form(&format!("/people/{id}/crisis/prompt"), &[("choice", "log_event")]).await;
    assert!(r.location().contains("/crisis/new?source=language_prompt"));
    assert_eq!(app.store.count_audit(app.demo_org, "crisis.prompt_shown", Some(id), Some("ok")).await.unwrap(), 1);
    assert_eq!(app.store.count_audit(app.demo_org, "crisis.prompt_choice", Some(id), Some("ok")).await.unwrap(), 1);
    // Negated or idiomatic wording saves straight through.
    let page = c.get(&format!("/people/{id}/edit")).await;
    let version = hidden_field(&page.text, "version").unwrap();
    let r = c.post_form(&format!("/people/{id}/edit"), &[("legal_name", "Jordan Example"), ("what_helps", "Denies SI. Dying to see her daughter graduate."), ("version", &version)]).await;
    assert_eq!(r.location(), format!("/people/{id}?saved=1"));
});

both!(a_note_that_signals_risk_brings_the_crisis_prompt_and_suggestions, async |app: &TestApp| {
    let id = app.peer_person;
    let mut c = app.login("specialist@demo").await;
    let form = c.get(&format!("/people/{id}/notes/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("data-language-check"), "narrative fields carry the assistant");
    let today = app.store.today(app.demo_org).await.unwrap().checked_sub(jiff::Span::new().days(1)).unwrap().to_string(); // yesterday: never in the future
    let r = c
        .post_form(
            &format!("/people/{id}/notes"),
            &[("kind", "individual"), ("modality", "phone"), ("date", &today), ("start", "00:05"), ("end", "00:20"),
              ("what_we_did", "Talked by phone; he is an addict and said he has a plan to take all his pills tonight."), ("action", "save")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(1500).collect::<String>());
    assert!(r.location().starts_with(&format!("/people/{id}/crisis/prompt?level=urgent")), "{}", r.location());
    // Back on the draft (JavaScript off), the wording suggestions show next to the form.
    let notes = app.store.notes(app.demo_org, &lantern_store::encounters::NoteFilter { person_id: Some(id), limit: 5, ..Default::default() }).await.unwrap();
    let draft = notes.iter().find(|n| n.content.narrative.what_we_did.contains("pills")).expect("the draft was saved");
    let page = c.get(&format!("/notes/{}", draft.id)).await;
    assert!(page.text.contains("Wording suggestions"), "shown without JavaScript");
    assert!(page.text.contains("person with a substance use disorder"));
});
