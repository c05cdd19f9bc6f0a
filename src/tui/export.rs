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
    // A unique name: two exports in the same second get -2, -3, … and never overwrite.
    let stem = format!("revgap-view-{}", stamp.replace([' ', ':'], "-"));
    let path = (1..)
        .map(|n| match n {
            1 => directory.join(format!("{stem}.{}", format.extension())),
            n => directory.join(format!("{stem}-{n}.{}", format.extension())),
        })
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| directory.join(format!("{stem}.{}", format.extension())));
    crate::atomic::write(&path, crate::atomic::Access::Private, text.as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
