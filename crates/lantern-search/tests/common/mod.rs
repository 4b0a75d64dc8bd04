pub mod miami;

use std::collections::HashMap;

/// The Miami package read with `lantern-hsds` and converted with
/// `from_hsds`, plus a map from the HSDS id back to the source id ("160").
pub fn miami_hsds() -> Result<(Vec<lantern_search::ServiceDoc>, HashMap<String, String>), String> {
    let dir = miami::data_dir();
    if !dir.join("services.csv").exists() {
        return Err(format!("skipped: the Miami HSDS package is not at {}", dir.display()));
    }
    let loaded = lantern_hsds::read_path(&dir, lantern_hsds::ReadOptions { skip_invalid: true })
        .map_err(|e| format!("reading {}: {e}", dir.display()))?;
    let source: HashMap<String, String> = loaded
        .directory
        .source_ids
        .iter()
        .filter_map(|(id, key)| key.strip_prefix("services/").map(|s| (id.clone(), s.to_string())))
        .collect();
    let docs = lantern_search::from_hsds(&loaded.directory, "America/New_York", None);
    Ok((docs, source))
}
