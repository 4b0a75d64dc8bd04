//! Open Referral HSDS 3.1: the community directory's data model, its readers and writers.
//!
//! * [`model`]: the HSDS 3.1 objects as serde types, field names exactly as in the 3.1 schemas.
//! * [`Directory`]: a whole directory, one list per top-level object (organizations, services,
//!   locations, service_at_locations, taxonomies, taxonomy_terms). Children that HSDS nests
//!   (phones, schedules, addresses, languages…) stay nested in their owner; the links between
//!   top-level objects are ids (`service.organization_id`, `service_at_location.service_id`…).
//!   [`nest`] builds the fully nested shapes the HSDS API serves.
//! * [`read_path`]: reads HSDS 3.x JSON (API pages, arrays, single objects, a folder of them),
//!   HSDS 3.x CSV data packages and HSDS 1.x/2.x (and Ohana) CSV data packages, mapped into 3.1.
//!   Every rejected row is named with its file, line, field and reason ([`Rejection`]).
//! * [`export`]: writes HSDS 3.1 JSON (one file per object type) or a 3.1 CSV data package ([`csv3`]).
//!
//! Ids that are not UUIDs become `uuid5(NAMESPACE_URL, "<table>/<source id>")`, e.g.
//! `services/160` ([`map_id`]); the source key is kept in [`Directory::source_ids`].
//!
//! The crate does no I/O other than reading and writing the paths it is given.

pub mod csv1;
pub mod csv3;
pub mod export;
pub mod json;
pub mod model;
pub mod nest;
pub mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use model::*;

/// A whole directory in HSDS 3.1 terms, normalized: one list per top-level object.
///
/// Organizations carry their phones, contacts, programs, funding, identifiers and websites;
/// services carry phones, schedules, languages, cost options, contacts, service areas,
/// required documents, funding and attributes (taxonomy links); locations carry addresses,
/// phones, schedules, languages, accessibility and contacts. Services and locations are not
/// nested inside organizations, nor locations inside service_at_locations: see [`nest`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    pub organizations: Vec<Organization>,
    pub services: Vec<Service>,
    pub locations: Vec<Location>,
    pub service_at_locations: Vec<ServiceAtLocation>,
    pub taxonomies: Vec<Taxonomy>,
    pub taxonomy_terms: Vec<TaxonomyTerm>,
    /// Object id → source key (`"services/160"`) for objects whose source id was not a UUID.
    pub source_ids: BTreeMap<String, String>,
}

/// How many objects of each kind a directory holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub organizations: usize,
    pub services: usize,
    pub locations: usize,
    pub service_at_locations: usize,
    pub taxonomies: usize,
    pub taxonomy_terms: usize,
    pub addresses: usize,
    pub phones: usize,
    pub schedules: usize,
    pub languages: usize,
    pub contacts: usize,
    pub accessibility: usize,
    pub cost_options: usize,
    pub attributes: usize,
}

impl Counts {
    /// `(plural label, count)` pairs in a stable order, for reports.
    pub fn labelled(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("organizations", self.organizations),
            ("services", self.services),
            ("locations", self.locations),
            ("service_at_locations", self.service_at_locations),
            ("taxonomies", self.taxonomies),
            ("taxonomy_terms", self.taxonomy_terms),
            ("addresses", self.addresses),
            ("phones", self.phones),
            ("schedules", self.schedules),
            ("languages", self.languages),
            ("contacts", self.contacts),
            ("accessibility", self.accessibility),
            ("cost_options", self.cost_options),
            ("attributes", self.attributes),
        ]
    }
}

impl Directory {
    /// Counts of every object kind, nested ones included.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            organizations: self.organizations.len(),
            services: self.services.len(),
            locations: self.locations.len(),
            service_at_locations: self.service_at_locations.len(),
            taxonomies: self.taxonomies.len(),
            taxonomy_terms: self.taxonomy_terms.len(),
            ..Counts::default()
        };
        for o in &self.organizations {
            c.phones += o.phones.len();
            c.contacts += o.contacts.len();
            c.attributes += o.attributes.len();
        }
        for s in &self.services {
            c.phones += s.phones.len();
            c.schedules += s.schedules.len();
            c.languages += s.languages.len();
            c.contacts += s.contacts.len();
            c.cost_options += s.cost_options.len();
            c.attributes += s.attributes.len();
        }
        for l in &self.locations {
            c.addresses += l.addresses.len();
            c.phones += l.phones.len();
            c.schedules += l.schedules.len();
            c.languages += l.languages.len();
            c.contacts += l.contacts.len();
            c.accessibility += l.accessibility.len();
            c.attributes += l.attributes.len();
        }
        for s in &self.service_at_locations {
            c.phones += s.phones.len();
            c.schedules += s.schedules.len();
            c.contacts += s.contacts.len();
            c.attributes += s.attributes.len();
        }
        c
    }

    /// Sorts every top-level list by id, so equal directories compare equal whatever the input order.
    pub fn sort(&mut self) {
        self.organizations.sort_by(|a, b| a.id.cmp(&b.id));
        self.services.sort_by(|a, b| a.id.cmp(&b.id));
        self.locations.sort_by(|a, b| a.id.cmp(&b.id));
        self.service_at_locations.sort_by(|a, b| a.id.cmp(&b.id));
        self.taxonomies.sort_by(|a, b| a.id.cmp(&b.id));
        self.taxonomy_terms.sort_by(|a, b| a.id.cmp(&b.id));
    }

    /// The taxonomy term ids a service is linked to through its attributes.
    pub fn service_term_ids(service: &Service) -> Vec<String> {
        let mut ids: Vec<String> = service
            .attributes
            .iter()
            .filter_map(|a| a.taxonomy_term_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// One rejected row (or file), named with its file, line, field and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// File name as given in the package (e.g. `services.csv`).
    pub file: String,
    /// 1-based line where the row starts (0 when the whole file is concerned).
    pub line: u64,
    /// The column or JSON field concerned (`-` for the whole row).
    pub field: String,
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.field, self.reason)
    }
}

/// Errors of reading or writing HSDS data.
#[derive(Debug, thiserror::Error)]
pub enum HsdsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Unrecognized { path: PathBuf, reason: String },
    /// Rows were rejected and `skip_invalid` was off (or the problem concerns a whole file).
    #[error("{} row(s) rejected, nothing imported; first: {}", .0.len(), .0.first().map(|r| r.to_string()).unwrap_or_default())]
    Rejected(Vec<Rejection>),
    #[error("writing {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

pub(crate) fn io_err(path: &Path, source: std::io::Error) -> HsdsError {
    HsdsError::Io { path: path.to_path_buf(), source }
}

/// What was read, in which format, and what was left out.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub directory: Directory,
    pub format: SourceFormat,
    /// Rows rejected (only non-empty when `skip_invalid` was set).
    pub rejected: Vec<Rejection>,
    /// Things worth knowing that are not errors (e.g. rows linked to nothing, files ignored).
    pub notices: Vec<String>,
}

/// The kind of input [`read_path`] recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// HSDS 3.x JSON (API pages, arrays or single objects).
    Json3,
    /// HSDS 3.x tabular data package (CSV).
    Csv3,
    /// HSDS 1.x / 2.x or Ohana CSV data package.
    Csv1,
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceFormat::Json3 => "HSDS 3.x JSON",
            SourceFormat::Csv3 => "HSDS 3.x CSV data package",
            SourceFormat::Csv1 => "HSDS 1.x/2.x CSV data package",
        })
    }
}

/// Options for [`read_path`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Report and skip rejected rows instead of failing the whole read.
    pub skip_invalid: bool,
}

/// Reads an HSDS directory from `path`: a `.json` file, a folder of JSON files, or a folder
/// holding a CSV data package (3.x, or 1.x/2.x/Ohana, recognised by its file names).
///
/// Without `skip_invalid`, any rejected row fails the read with [`HsdsError::Rejected`] listing
/// every rejection; with it, rejected rows are left out and listed in [`Loaded::rejected`].
pub fn read_path(path: &Path, opts: ReadOptions) -> Result<Loaded, HsdsError> {
    let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
    let loaded = if meta.is_file() {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") if path.file_name().is_some_and(|n| n == "datapackage.json") => {
                let dir = path.parent().unwrap_or(Path::new("."));
                return read_path(dir, opts);
            }
            Some("json") => json::read_files(&[path.to_path_buf()], opts)?,
            _ => {
                return Err(HsdsError::Unrecognized {
                    path: path.to_path_buf(),
                    reason: "expected a .json file or a folder holding an HSDS data package".into(),
                })
            }
        }
    } else {
        let mut csvs = Vec::new();
        let mut jsons = Vec::new();
        let entries = std::fs::read_dir(path).map_err(|e| io_err(path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_err(path, e))?;
            let p = entry.path();
            if !p.is_file() {
                continue;
            }
            match p.extension().and_then(|e| e.to_str()) {
                Some("csv") => csvs.push(p),
                Some("json") if p.file_name().is_some_and(|n| n != "datapackage.json") => jsons.push(p),
                _ => {}
            }
        }
        let names: Vec<String> = csvs
            .iter()
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
            .collect();
        let has = |n: &str| names.iter().any(|x| x == n);
        if !csvs.is_empty() {
            if has("service_at_location") || has("schedules") || has("cost_options") || has("taxonomy_terms") {
                csv3::read_dir(path, opts)?
            } else if has("organizations") || has("services") || has("locations") {
                csv1::read_dir(path, opts)?
            } else {
                return Err(HsdsError::Unrecognized {
                    path: path.to_path_buf(),
                    reason: "no organizations.csv, services.csv or locations.csv here".into(),
                });
            }
        } else if !jsons.is_empty() {
            jsons.sort();
            json::read_files(&jsons, opts)?
        } else {
            return Err(HsdsError::Unrecognized {
                path: path.to_path_buf(),
                reason: "no .csv or .json files here".into(),
            });
        }
    };
    Ok(loaded)
}

/// UUID namespace used for source ids that are not UUIDs (RFC 4122 `NAMESPACE_URL`).
pub const ID_NAMESPACE: uuid::Uuid = uuid::Uuid::NAMESPACE_URL;

/// The HSDS 3.1 id for a source id: the UUID itself (lower case) when it is one, otherwise
/// `uuid5(NAMESPACE_URL, "<table>/<source id>")`, e.g. `map_id("services", "160")`.
pub fn map_id(table: &str, source_id: &str) -> String {
    match uuid::Uuid::parse_str(source_id.trim()) {
        Ok(u) => u.hyphenated().to_string(),
        Err(_) => uuid::Uuid::new_v5(&ID_NAMESPACE, format!("{table}/{}", source_id.trim()).as_bytes())
            .hyphenated()
            .to_string(),
    }
}

/// True when `s` is a UUID in any of its usual spellings.
pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// Collects rejections while reading, honouring `skip_invalid`.
#[derive(Debug, Default)]
pub(crate) struct Rejections {
    pub list: Vec<Rejection>,
}

impl Rejections {
    pub fn push(&mut self, file: &str, line: u64, field: &str, reason: impl Into<String>) {
        self.list.push(Rejection { file: file.to_owned(), line, field: field.to_owned(), reason: reason.into() });
    }

    pub fn finish(self, opts: ReadOptions) -> Result<Vec<Rejection>, HsdsError> {
        if !self.list.is_empty() && !opts.skip_invalid {
            return Err(HsdsError::Rejected(self.list));
        }
        Ok(self.list)
    }
}
