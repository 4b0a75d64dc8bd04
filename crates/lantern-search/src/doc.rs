//! The engine's own input: one searchable service listing.

use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

/// One service as the engine sees it. Callers (the HSDS store, tests,
/// generators) fill it; the engine never reads files or databases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceDoc {
    /// Stable id (an HSDS service id, or the source id).
    pub id: String,
    pub name: String,
    pub alternate_name: Option<String>,
    pub description: String,
    pub organization_name: String,
    pub taxonomy: Vec<TaxonomyTerm>,
    pub eligibility: Option<String>,
    /// Languages as written by the source ("Spanish", "Creole (limited)",
    /// "English and Spanish"); the engine recognizes language names in them.
    pub languages: Vec<String>,
    pub cost: Cost,
    /// Accessibility tags as written by the source ("Handicap accessible",
    /// "wheelchair", "ramp", "elevator", "braille", "asl" ...).
    pub accessibility: Vec<String>,
    pub locations: Vec<DocLocation>,
    /// Weekly opening intervals; a weekday without intervals is closed.
    pub schedule: Vec<Interval>,
    /// Dates on which the service is closed (holidays).
    pub closed_dates: Vec<Date>,
    /// IANA time zone of the organization, e.g. `America/New_York`.
    pub time_zone: String,
    pub last_verified: Option<Date>,
    /// `None`: the community directory (everyone sees it); `Some(org)`: a
    /// private listing only that organization's staff see.
    pub owner_org: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxonomyTerm {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cost {
    Free,
    SlidingScale,
    Fee,
    #[default]
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocLocation {
    pub name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub postal_code: Option<String>,
}

/// An opening interval on one weekday. `closes <= opens` means the interval
/// runs past midnight into the next day (`22:00–06:00`); `00:00–00:00` is
/// open all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub weekday: Weekday,
    pub opens: Time,
    pub closes: Time,
}
