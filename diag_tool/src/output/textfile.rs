//! `report --textfile DIR`: the Prometheus report written to `DIR/diag_tool.prom` for
//! node_exporter's textfile collector, which must never read half a file.

use std::io;
use std::path::Path;

/// The file name node_exporter's textfile collector reads in `DIR`.
pub const TEXTFILE: &str = "diag_tool.prom";

/// Writes `text` to `dir/diag_tool.prom` through a temporary file in the same directory and a
/// rename, so the collector never reads half a file; a failed write leaves no `diag_tool.prom`
/// behind that was not there before, and no temporary file.
pub fn write(dir: &Path, text: &str) -> io::Result<()> {
    // Not ending in `.prom`: the collector ignores it while it is being written.
    let tmp = dir.join(format!(".{TEXTFILE}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        io::Write::write_all(&mut file, text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, dir.join(TEXTFILE))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
