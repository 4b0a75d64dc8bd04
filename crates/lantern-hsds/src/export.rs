//! Writers: HSDS 3.1 JSON and the 3.1 tabular data package.
//!
//! JSON layout: one file per top-level object type, each a JSON array of objects in the
//! normalized shape of [`Directory`]: `organizations.json`, `services.json`, `locations.json`,
//! `service_at_locations.json`, `taxonomies.json`, `taxonomy_terms.json`. Each object validates
//! against its HSDS 3.1 schema; the files read back with [`crate::read_path`].

use std::path::Path;

use serde::Serialize;

use crate::{io_err, HsdsError};

/// The JSON files written by [`write_json`], in order.
pub const JSON_FILES: [&str; 6] = [
    "organizations.json",
    "services.json",
    "locations.json",
    "service_at_locations.json",
    "taxonomies.json",
    "taxonomy_terms.json",
];

fn write_array<T: Serialize>(out: &Path, name: &str, items: &[T]) -> Result<(), HsdsError> {
    let path = out.join(name);
    let text = serde_json::to_vec_pretty(items).map_err(|e| HsdsError::Write { path: path.clone(), reason: e.to_string() })?;
    std::fs::write(&path, text).map_err(|e| io_err(&path, e))
}

/// Writes `dir` as HSDS 3.1 JSON into the folder `out` (created when missing).
pub fn write_json(dir: &crate::Directory, out: &Path) -> Result<(), HsdsError> {
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    write_array(out, JSON_FILES[0], &dir.organizations)?;
    write_array(out, JSON_FILES[1], &dir.services)?;
    write_array(out, JSON_FILES[2], &dir.locations)?;
    write_array(out, JSON_FILES[3], &dir.service_at_locations)?;
    write_array(out, JSON_FILES[4], &dir.taxonomies)?;
    write_array(out, JSON_FILES[5], &dir.taxonomy_terms)?;
    Ok(())
}

/// Writes `dir` as an HSDS 3.1 tabular data package (CSV files and `datapackage.json`) into `out`.
pub fn write_csv(dir: &crate::Directory, out: &Path) -> Result<(), HsdsError> {
    crate::csv3::write_dir(dir, out)
}
