//! `report --json`: the report pretty-printed, keys in the order of the documented schema
//! (`assets/report.schema.json`, `schema_version` 1).

use crate::report::Report;

pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report).map(|json| json + "\n")
}
