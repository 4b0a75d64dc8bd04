//! The community directory store on both databases: import (idempotent, all-or-nothing),
//! paging and filters, visibility of private listings, verification and stale listings.

use lantern_hsds::model::*;
use lantern_hsds::{map_id, Directory};
use lantern_store::directory::{PageReq, ServiceFilter, TermFilter, Viewer};
use lantern_store::users::Who;
use lantern_store::StoreError;

use crate::both;
use crate::support::*;

/// A small synthetic directory: `n` services, each at its own location, two taxonomy terms.
fn sample(n: usize) -> Directory {
    let mut d = Directory::default();
    let tax = map_id("taxonomies", "t");
    d.taxonomies.push(Taxonomy { id: tax.clone(), name: "Needs".into(), description: "Service categories".into(), ..Default::default() });
    let food = map_id("taxonomy_terms", "food");
    let housing = map_id("taxonomy_terms", "housing");
    for (id, name) in [(&food, "Food"), (&housing, "Housing")] {
        d.taxonomy_terms.push(TaxonomyTerm { id: id.clone(), name: name.into(), description: name.into(), taxonomy_id: Some(tax.clone()), ..Default::default() });
    }
    let org = map_id("organizations", "1");
    d.organizations.push(Organization { id: org.clone(), name: "Harbor Community Services".into(), description: "Neighbors helping neighbors".into(), ..Default::default() });
    for i in 0..n {
        let sid = map_id("services", &i.to_string());
        let lid = map_id("locations", &i.to_string());
        let term = if i % 2 == 0 { &food } else { &housing };
        d.services.push(Service {
            id: sid.clone(),
            organization_id: Some(org.clone()),
            name: format!("Service {i}"),
            status: "active".into(),
            attributes: vec![lantern_hsds::csv1::term_attribute(&sid, term)],
            ..Default::default()
        });
        d.locations.push(Location {
            id: lid.clone(),
            location_type: "physical".into(),
            organization_id: Some(org.clone()),
            latitude: Some(25.7 + i as f64 / 100.0),
            longitude: Some(-80.2),
            addresses: vec![Address {
                id: map_id("addresses", &i.to_string()),
                location_id: Some(lid.clone()),
                address_1: format!("{i} Bay Street"),
                city: "Miami".into(),
                state_province: "FL".into(),
                postal_code: if i < 3 { "33125".into() } else { "33130".into() },
                country: "US".into(),
                address_type: "physical".into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        d.service_at_locations.push(ServiceAtLocation { id: map_id("service_at_location", &i.to_string()), service_id: Some(sid), location_id: Some(lid), ..Default::default() });
    }
    d
}

both!(directory_import_is_idempotent_and_pages_are_stable, async |app: &TestApp| {
    let store = &app.store;
    let dir = sample(7);
    let s = store.directory_import(&dir, "test", "test", 0, None, &Who::default(), &mut |_, _| {}).await.unwrap();
    assert_eq!((s.created, s.updated, s.unchanged), (1 + 1 + 2 + 7 + 7 + 7, 0, 0));
    let again = store.directory_import(&dir, "test", "test", 0, None, &Who::default(), &mut |_, _| {}).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 25));
    // One change is recorded as one update.
    let mut changed = dir.clone();
    changed.services[3].description = Some("Now open on Saturdays".into());
    let third = store.directory_import(&changed, "test", "test", 0, None, &Who::default(), &mut |_, _| {}).await.unwrap();
    assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 24));
    let changes = store.directory_import_changes(third.run_id).await.unwrap();
    assert_eq!(changes.iter().filter(|c| c.2 == "updated").map(|c| c.1.clone()).collect::<Vec<_>>(), vec![dir.services[3].id.clone()]);

    // Paging: stable order by id, totals, no overlap.
    let p1 = store.directory_services(Viewer::Public, &ServiceFilter::default(), PageReq { page: 1, per_page: 3 }).await.unwrap();
    let p3 = store.directory_services(Viewer::Public, &ServiceFilter::default(), PageReq { page: 3, per_page: 3 }).await.unwrap();
    assert_eq!((p1.total_items, p1.total_pages(), p1.items.len(), p3.items.len()), (7, 3, 3, 1));
    let mut all: Vec<String> = dir.services.iter().map(|s| s.id.clone()).collect();
    all.sort();
    assert_eq!(p1.items.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), all[..3].to_vec());
    assert_eq!(p3.items[0].id, all[6]);
    // Filters.
    let food = map_id("taxonomy_terms", "food");
    let by_term = store.directory_services(Viewer::Public, &ServiceFilter { taxonomy_term_ids: vec![food.clone()], ..Default::default() }, PageReq::default()).await.unwrap();
    assert_eq!(by_term.total_items, 4);
    let by_pc = store.directory_services(Viewer::Public, &ServiceFilter { postcode: Some("33125".into()), ..Default::default() }, PageReq::default()).await.unwrap();
    assert_eq!(by_pc.total_items, 3);
    let later = store.directory_services(Viewer::Public, &ServiceFilter { modified_after_ms: Some(app.clock.now_ms_pub() + 1), ..Default::default() }, PageReq::default()).await.unwrap();
    assert_eq!(later.total_items, 0);
    let terms = store.directory_taxonomy_terms(Viewer::Public, &TermFilter { top_only: true, ..Default::default() }, PageReq::default()).await.unwrap();
    assert_eq!(terms.total_items, 2);
    let sals = store.directory_service_at_locations(Viewer::Public, &ServiceFilter::default(), PageReq::default()).await.unwrap();
    assert_eq!(sals.total_items, 7);
    assert!(sals.items.iter().all(|s| s.location.is_some()));
    // A full service nests its organization, locations and terms.
    let full = store.directory_service(Viewer::Public, &dir.services[0].id).await.unwrap();
    assert_eq!(full.organization.as_ref().unwrap().name, "Harbor Community Services");
    assert_eq!(full.service_at_locations[0].location.as_ref().unwrap().addresses[0].postal_code, "33125");
    assert_eq!(full.attributes[0].taxonomy_term.as_ref().unwrap().name, "Food");
    // Everything a search index needs.
    let records = store.directory_search_records().await.unwrap();
    assert_eq!(records.len(), 7);
    assert!(records.iter().all(|r| r.organization_name == "Harbor Community Services" && r.last_verified.is_some() && r.owner_org_id.is_none()));
    // Export gives the same directory back.
    let mut exported = store.directory_export(Viewer::Public).await.unwrap();
    let mut expected = changed.clone();
    exported.sort();
    expected.sort();
    assert_eq!(exported.services, expected.services);
    assert_eq!(exported.counts(), expected.counts());
});

both!(directory_private_listings_verification_and_staleness, async |app: &TestApp| {
    let store = &app.store;
    let dir = sample(2);
    store.directory_import(&dir, "test", "test", 0, None, &Who::default(), &mut |_, _| {}).await.unwrap();
    let who = Who { actor_id: None, ip: "127.0.0.1".into() };
    // A private listing of the demo organization, with a new organization and location.
    let sid = "6d1c2f0e-4b7a-4c1e-9a51-0c9d7a3e2b11".to_string();
    let listing = Service {
        id: sid.clone(),
        name: "Open Door peer circle".into(),
        status: "active".into(),
        organization: Some(Box::new(Organization { id: "0f3a8c52-8d64-4d1b-bb0e-4a0f3b5c6d7e".into(), name: "Open Door (our program)".into(), description: "Our own groups".into(), ..Default::default() })),
        service_at_locations: vec![ServiceAtLocation {
            id: "9b2e4d6f-1a3c-4e5f-8a7b-6c5d4e3f2a1b".into(),
            location: Some(Box::new(Location { id: "2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a3b5c7d".into(), location_type: "virtual".into(), ..Default::default() })),
            ..Default::default()
        }],
        ..Default::default()
    };
    store.directory_save_private(app.demo_org, &listing, &who).await.unwrap();
    // The owning organization sees it; the other organization and the public do not.
    assert_eq!(store.directory_service(Viewer::Org(app.demo_org), &sid).await.unwrap().name, "Open Door peer circle");
    assert!(matches!(store.directory_service(Viewer::Org(app.other_org), &sid).await, Err(StoreError::NotFound)));
    assert!(matches!(store.directory_service(Viewer::Public, &sid).await, Err(StoreError::NotFound)));
    let own = store.directory_services(Viewer::Org(app.demo_org), &ServiceFilter::default(), PageReq::default()).await.unwrap();
    let public = store.directory_services(Viewer::Public, &ServiceFilter::default(), PageReq::default()).await.unwrap();
    assert_eq!((own.total_items, public.total_items), (3, 2));
    assert_eq!(store.directory_export(Viewer::Public).await.unwrap().counts().services, 2);
    // The other organization cannot take over the listing's ids, nor a community id.
    assert!(matches!(store.directory_save_private(app.other_org, &listing, &who).await, Err(StoreError::NotFound)));
    let mut hijack = listing.clone();
    hijack.id = dir.services[0].id.clone();
    hijack.organization = None;
    hijack.organization_id = Some(dir.organizations[0].id.clone());
    hijack.service_at_locations.clear();
    assert!(matches!(store.directory_save_private(app.demo_org, &hijack, &who).await, Err(StoreError::NotFound)));
    // Updating it is audited as an update; a nameless service is refused.
    let mut renamed = listing.clone();
    renamed.name = "Open Door peer circle (evenings)".into();
    store.directory_save_private(app.demo_org, &renamed, &who).await.unwrap();
    let mut nameless = listing.clone();
    nameless.name = " ".into();
    assert!(matches!(store.directory_save_private(app.demo_org, &nameless, &who).await, Err(StoreError::Invalid(_))));
    assert!(store.verify_audit(|_| {}).await.unwrap().is_ok());

    // Freshness: everything was verified today; 30 days later all of it is stale.
    assert!(store.stale_services(Viewer::Org(app.demo_org), 30).await.unwrap().is_empty());
    app.clock.advance_ms(31 * 86_400_000);
    let stale = store.stale_services(Viewer::Org(app.demo_org), 30).await.unwrap();
    assert_eq!(stale.len(), 3);
    assert_eq!(store.stale_services(Viewer::Public, 30).await.unwrap().len(), 2);
    store.verify_service(app.demo_org, &dir.services[0].id, "phone number and hours", "Called the front desk", &who).await.unwrap();
    let stale = store.stale_services(Viewer::Org(app.demo_org), 30).await.unwrap();
    assert_eq!(stale.len(), 2);
    assert!(!stale.iter().any(|s| s.id == dir.services[0].id));
    let v = store.service_verifications(Viewer::Public, &dir.services[0].id).await.unwrap();
    assert_eq!((v.len(), v[0].confirmed.as_str(), v[0].note.as_str()), (1, "phone number and hours", "Called the front desk"));
    // Another organization cannot verify a private listing it cannot see.
    assert!(matches!(store.verify_service(app.other_org, &sid, "hours", "", &who).await, Err(StoreError::NotFound)));
    assert!(matches!(store.verify_service(app.demo_org, &sid, " ", "", &who).await, Err(StoreError::Invalid(_))));
});
