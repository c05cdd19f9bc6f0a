//! `revgap partial` and `revgap merge`: one partition of the customers analysed apart, and the
//! exact merge of the partials (the file format and the merge are the core's
//! `engine::partial_file`; this module reads flags, files and writes the outputs).

use super::args::{MergeArgs, MergeFormat, PartialArgs};
use super::{Failure, check_config_fits, load_config, load_dataset, warn_skipped};
use crate::engine::partial_file::{self, PartialFile};
use crate::report::merged as merged_report;

/// `revgap partial`: the partition's partial file, written atomically.
pub fn run_partial(args: &PartialArgs) -> Result<(), Failure> {
    let config = load_config(&args.data)?;
    // Only what depends on a customer's own weeks can be analysed apart.
    let refused = |needed| Failure::new(super::EXIT_CONFIG, format!("partial: {needed}"));
    crate::engine::partition::check_config(&config).map_err(refused)?;
    let dataset = load_dataset(&args.data)?;
    check_config_fits(&config, &dataset)?;
    warn_skipped(&dataset);
    let analysis = crate::engine::analyze(&dataset, &config);
    crate::engine::partition::check_season(&analysis, dataset.week_count()).map_err(|needed| {
        Failure::new(
            super::EXIT_CONFIG,
            format!("{}: partial: {needed}", dataset.source),
        )
    })?;
    let file = PartialFile::of(&analysis, &dataset.customer_ids, dataset.load.skipped_rows);
    super::stream_output(Some(&args.out), |writer| file.write(writer))
}

/// `revgap merge`: the whole run's summary and top list from the partials.
pub fn run_merge(args: &MergeArgs) -> Result<(), Failure> {
    let mut files = Vec::with_capacity(args.partials.len());
    for path in &args.partials {
        let name = crate::text::one_line(&path.display().to_string()).into_owned();
        let input = std::fs::File::open(path)
            .map_err(|e| Failure::new(66, format!("{name}: cannot read: {e}")))?;
        let file = PartialFile::read(input, &name).map_err(|e| Failure::new(65, e))?;
        files.push((name, file));
    }
    let merged = partial_file::merge(&files, args.top).map_err(|e| Failure::new(65, e))?;
    let text = match args.format {
        MergeFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&merged_report::json(&merged)).unwrap_or_default()
        ),
        MergeFormat::Markdown => merged_report::markdown(&merged),
        MergeFormat::Csv => merged_report::csv(&merged),
    };
    super::write_output(args.out.as_ref(), &text)
}
