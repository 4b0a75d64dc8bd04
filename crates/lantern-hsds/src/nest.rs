//! Builds the fully nested HSDS 3.1 shapes (as the HSDS API serves them) from normalized objects.

use crate::model::*;

/// A full service: the service with its organization (without the organization's own
/// nested lists of locations) and its service_at_locations, each with its location embedded,
/// and each attribute with its taxonomy term.
pub fn service_full(
    service: &Service,
    organization: Option<&Organization>,
    service_at_locations: &[(ServiceAtLocation, Option<Location>)],
    terms: &dyn Fn(&str) -> Option<TaxonomyTerm>,
) -> Service {
    let mut s = service.clone();
    s.organization = organization.map(|o| Box::new(o.clone()));
    s.service_at_locations = service_at_locations
        .iter()
        .map(|(sal, loc)| {
            let mut sal = sal.clone();
            sal.location = loc.clone().map(Box::new);
            sal
        })
        .collect();
    for a in &mut s.attributes {
        if let Some(tid) = &a.taxonomy_term_id {
            a.taxonomy_term = terms(tid).map(Box::new);
        }
    }
    s
}

/// A full service_at_location: with its location, and its service's id.
pub fn service_at_location_full(sal: &ServiceAtLocation, location: Option<&Location>) -> ServiceAtLocation {
    let mut s = sal.clone();
    s.location = location.map(|l| Box::new(l.clone()));
    s
}

/// A full organization: with its locations (and, when given, its services as the HSDS API's
/// `full_service` option does not exist in the schema: services are not nested here).
pub fn organization_full(org: &Organization, locations: &[Location]) -> Organization {
    let mut o = org.clone();
    o.locations = locations.to_vec();
    o
}

/// A taxonomy term with its taxonomy embedded as `taxonomy_detail`.
pub fn taxonomy_term_full(term: &TaxonomyTerm, taxonomy: Option<&Taxonomy>) -> TaxonomyTerm {
    let mut t = term.clone();
    t.taxonomy_detail = taxonomy.map(|x| Box::new(x.clone()));
    t
}
