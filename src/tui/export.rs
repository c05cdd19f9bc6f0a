//! Writing the explorer's current view (filtered and sorted) as CSV, JSON or markdown.

use super::state::Loaded;
use crate::report::{self, Format, ReportContext};
use std::path::{Path, PathBuf};

/// Writes `customers` (dataset indices, in view order) into `directory`; returns the path.
pub fn write_view(
    loaded: &Loaded,
    customers: &[u32],
    format: Format,
    directory: &Path,
    stamp: &str,
) -> Result<PathBuf, String> {
    let customers: Vec<usize> = customers.iter().map(|c| *c as usize).collect();
    let context = ReportContext {
        dataset: &loaded.dataset,
        analysis: &loaded.analysis,
        config: &loaded.analysis.config,
        customers: &customers,
        generated_at: stamp.to_string(),
        narratives: None,
    };
    let text = report::render(format, &context);
    let name = format!(
        "revgap-view-{}.{}",
        stamp.replace([' ', ':'], "-"),
        format.extension()
    );
    let path = directory.join(name);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
