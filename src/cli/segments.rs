//! `revgap segments` and `revgap cohorts`: the same loading and analysis as `analyze`, then a
//! segment summary or a cohort table.

use super::{
    CohortsArgs, Failure, SegmentsArgs, check_config_fits, load_config, load_dataset,
    refuse_output_over_input, warn_skipped, write_output,
};
use crate::engine;
use crate::report::segments::{render_cohorts, render_segments};
use crate::segment::{Dimension, extra_labels, summary};

/// `revgap segments --by DIM[,DIM...]`.
pub fn run_segments(args: &SegmentsArgs) -> Result<(), Failure> {
    refuse_parquet(args.format)?;
    refuse_output_over_input(args.out.as_deref(), Some(&args.data), None)?;
    let config = load_config(&args.data)?;
    let dataset = load_dataset(&args.data)?;
    check_config_fits(&config, &dataset)?;
    warn_skipped(&dataset);
    let dimensions: Vec<Dimension> = args
        .by
        .split(',')
        .map(|name| Dimension::parse(name, &dataset))
        .collect::<Result<_, _>>()
        .map_err(|message| Failure::new(2, message))?;
    let analysis = engine::analyze(&dataset, &config);
    // Extra columns not configured for every report are labelled here, on demand.
    let extra: Vec<_> = dimensions
        .iter()
        .filter(|d| analysis.segments.get(d).is_none())
        .filter_map(|d| extra_labels(&dataset, d.key()))
        .collect();
    let labels = summary::labels_for(&analysis.segments, &extra, &dimensions);
    if let Some(missing) = dimensions
        .iter()
        .find(|d| !labels.iter().any(|l| &l.dimension == *d))
    {
        return Err(Failure::new(
            2,
            format!(
                "the data have no '{}' segments (seasonality needs a seasonal profile: two years of weekly data)",
                missing.key()
            ),
        ));
    }
    let rows = summary::summarize(&labels, &analysis.segment_outcomes());
    let names: Vec<&str> = dimensions.iter().map(Dimension::key).collect();
    let text = render_segments(args.format, &names, &rows, dataset.unit);
    write_output(args.out.as_ref(), &text)
}

/// `revgap cohorts`.
pub fn run_cohorts(args: &CohortsArgs) -> Result<(), Failure> {
    refuse_parquet(args.format)?;
    refuse_output_over_input(args.out.as_deref(), Some(&args.data), None)?;
    let dataset = load_dataset(&args.data)?;
    warn_skipped(&dataset);
    let table = crate::segment::cohort::cohorts(&dataset, args.period);
    let text = render_cohorts(args.format, &table, args.metric, dataset.unit);
    write_output(args.out.as_ref(), &text)
}

/// Summaries are small tables: Parquet is for the per-customer report of `analyze`.
fn refuse_parquet(format: crate::report::Format) -> Result<(), Failure> {
    if format == crate::report::Format::Parquet {
        return Err(Failure::new(
            2,
            "--format parquet is for revgap analyze; expected markdown, json, jsonl or csv",
        ));
    }
    Ok(())
}
