//! What diag_tool prints or writes, from the report and the findings of the checks: text for
//! people, JSON, the Prometheus exposition format, and `check`'s status line with its
//! performance data. Prometheus and perfdata both come from the one metrics table.

pub mod json;
pub mod metrics;
pub mod perfdata;
pub mod prometheus;
pub mod text;
pub mod textfile;
