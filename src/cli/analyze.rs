//! `revgap analyze`: load, learn from the ledger, analyse, ask the model when told, and write
//! the report (or, with `--since-last`, what changed), keeping the run's snapshot.

use super::args::AnalyzeArgs;
use super::{
    EXIT_OUTPUT, Failure, check_config_fits, llm_client_and_runtime, load_config, load_dataset,
    refuse_output_over_input, stream_output, warn_skipped, write_output,
};
use crate::config::Config;
use crate::data::Dataset;
use crate::engine::{self, Analysis};
use crate::report::{self, ReportContext};

/// `revgap analyze`.
pub fn run_analyze(args: &AnalyzeArgs) -> Result<(), Failure> {
    refuse_output_over_input(args.out.as_deref(), Some(&args.data), args.db.as_deref())?;
    if args.format == report::Format::Parquet && args.out.is_none() {
        return Err(Failure::new(
            2,
            "--format parquet writes a binary file: expected --out FILE",
        ));
    }
    if !args.fields.is_empty()
        && !matches!(args.format, report::Format::Json | report::Format::Jsonl)
    {
        return Err(Failure::new(
            2,
            "--fields chooses the fields of JSON records: expected --format json or jsonl",
        ));
    }
    if args.all_customers && args.format == report::Format::Markdown {
        return Err(Failure::new(
            2,
            "--all-customers is for scoring pipelines: expected --format json, jsonl, csv or parquet",
        ));
    }
    let config = load_config(&args.data)?;
    let ledger = super::ledger_open::open_for_reading(args.db.as_deref())?;
    let learned = super::ledger_open::learned_recovery(ledger.as_ref(), &args.learning, &config)?;
    let started = std::time::Instant::now();
    let mut lister = None;
    let (dataset, analysis) = if args.stream {
        let streamed = streamed(args, &config, learned.is_some())?;
        lister = streamed.lister;
        (streamed.dataset, streamed.analysis)
    } else {
        let dataset = load_dataset(&args.data)?;
        check_config_fits(&config, &dataset)?;
        warn_skipped(&dataset);
        let analysis = engine::analyze_learned(&dataset, &config, learned);
        (dataset, analysis)
    };
    let analysis_ms = started.elapsed().as_millis() as u64;
    tracing::info!(elapsed_ms = analysis_ms, "analysis done");
    let listed: Vec<usize> = match args.top {
        Some(top) => analysis.ranking.iter().take(top).copied().collect(),
        None if args.all_customers => {
            let mut everyone = analysis.ranking.clone();
            everyone.extend((0..analysis.scores.len()).filter(|c| analysis.scores[*c].rank == 0));
            everyone
        }
        None => analysis.ranking.clone(),
    };
    let narratives = if args.batch.llm || args.batch.llm_dry_run {
        let enhanced: Vec<usize> = analysis
            .ranking
            .iter()
            .take(args.batch.llm_top)
            .copied()
            .collect();
        let plan = crate::narrative::batch::plan(&dataset, &analysis, &config, &enhanced);
        if args.batch.llm_dry_run {
            let endpoint = crate::narrative::client::resolve_endpoint(
                &config.llm,
                &args.batch.llm_args.overrides(),
            );
            let text = crate::narrative::batch::dry_run(&dataset, &plan, &config, &endpoint.model);
            return write_output(args.out.as_ref(), &text);
        }
        let (narratives, usage) = run_batch(args, &config, plan)?;
        if ledger.is_some() {
            super::ledger_open::record_usage(args.db.as_deref(), "analyze", &usage);
        }
        Some(narratives)
    } else {
        None
    };
    // A streamed run holds only its top customers: nothing to compare a next run with.
    let snapshots = (!args.no_snapshot && !args.stream)
        .then(crate::snapshot::directory)
        .flatten();
    let mut keep_snapshot = None;
    if let Some(dir) = &snapshots {
        let previous = crate::snapshot::read_history(dir, &dataset.source);
        if args.since_last {
            let previous = previous.map_err(|e| {
                Failure::new(
                    66,
                    format!("{}: cannot read the last snapshot: {e}", dir.display()),
                )
            })?;
            let text =
                since_last_report(args.format, dir, &dataset, &analysis, &config, &previous)?;
            return write_output(args.out.as_ref(), &text);
        }
        keep_snapshot = Some((dir.clone(), previous));
    } else if args.since_last {
        return Err(Failure::new(
            2,
            "--since-last needs a state directory: set REVGAP_STATE_DIR",
        ));
    }
    let metrics_section = match (&ledger, args.format) {
        (Some(ledger), report::Format::Markdown) => {
            success_metrics_section(ledger, &config, analysis_ms)?
        }
        _ => String::new(),
    };
    let context = ReportContext {
        dataset: &dataset,
        analysis: &analysis,
        config: &config,
        customers: &listed,
        generated_at: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        narratives: narratives.as_ref(),
    };
    let options = report::Options {
        pretty: args.pretty,
        // Asking the model for narratives is asking to see them.
        with_rationale: args.with_rationale || args.batch.llm,
        with_attributes: false,
        fields: report::json::RecordFields::of(&args.fields),
    };
    // The snapshot is written beside the report, not after it.
    std::thread::scope(|scope| {
        let kept = keep_snapshot.map(|(dir, previous)| {
            let (dataset, analysis) = (&dataset, &analysis);
            scope.spawn(move || {
                let kept = previous.and_then(|previous| {
                    crate::snapshot::write(&dir, &dataset.source, dataset, analysis, &previous)
                });
                // A snapshot that cannot be kept must not cost the user the report.
                if let Err(error) = kept {
                    eprintln!(
                        "revgap: warning: {}: this run's snapshot was not kept ({error}); --since-last will compare with an older run",
                        dir.display()
                    );
                }
            })
        });
        let written = write_report(args, &context, lister.as_ref(), options, &metrics_section);
        if let Some(handle) = kept {
            let _ = handle.join();
        }
        written
    })?;
    // The process ends next: let the OS reclaim the dataset instead of freeing it piecemeal.
    std::mem::forget(dataset);
    std::mem::forget(analysis);
    Ok(())
}

/// `analyze --stream`: the summary and top customers of a panel read part by part.
fn streamed(
    args: &AnalyzeArgs,
    config: &Config,
    learning: bool,
) -> Result<crate::stream::Streamed, Failure> {
    let refuse = |why: &str| Err(Failure::new(2, format!("--stream: {why}")));
    if learning {
        return refuse(
            "learned recovery is applied by value tier, which ranks every customer; expected --no-learning",
        );
    }
    let options = args.data.load_options().map_err(|m| Failure::new(2, m))?;
    // Markdown and --top list the best few; the other formats list everyone with a gap.
    let listing = match (args.top, args.format) {
        (Some(top), _) => crate::stream::Listing::Top(top),
        (None, report::Format::Markdown) => {
            crate::stream::Listing::Top(config.report.top_customers)
        }
        (None, _) if args.all_customers => crate::stream::Listing::All,
        (None, _) => crate::stream::Listing::Every,
    };
    let streamed = crate::stream::analyze(&options, config, listing, args.stream_part as usize)
        .map_err(|error| match error {
            crate::stream::StreamError::Data(error) => Failure::from(error),
            other => Failure::new(2, other.to_string()),
        })?;
    check_config_fits(config, &streamed.dataset)?;
    warn_skipped(&streamed.dataset);
    if let Some(note) = &streamed.regrouped {
        eprintln!("revgap: note: {note}");
    }
    tracing::info!(parts = streamed.parts, "streamed analysis");
    Ok(streamed)
}

/// Writes the report in the asked format (Parquet to its file, the others streamed).
fn write_report(
    args: &AnalyzeArgs,
    context: &ReportContext,
    lister: Option<&crate::stream::Lister>,
    options: report::Options,
    metrics_section: &str,
) -> Result<(), Failure> {
    // The listed customers: the context's own, or every part of a streamed panel.
    let mut parts = |each: &mut report::EachPart| match lister {
        Some(lister) => lister.list(&context.generated_at, each),
        None => each(context),
    };
    if let (report::Format::Parquet, Some(path)) = (args.format, args.out.as_ref()) {
        return crate::atomic::write_with(path, crate::atomic::Access::Shared, |out| {
            report::parquet::write_parts(context, &mut parts, options, out)
        })
        .map_err(|e| {
            Failure::new(
                EXIT_OUTPUT,
                format!("{}: cannot write report: {e}", path.display()),
            )
        });
    }
    stream_output(args.out.as_ref(), |out| {
        report::write_parts(args.format, context, &mut parts, options, out)?;
        out.write_all(metrics_section.as_bytes())
    })
}

/// `analyze --since-last`: the changes since the last snapshot, then this run becomes it.
fn since_last_report(
    format: report::Format,
    dir: &std::path::Path,
    dataset: &Dataset,
    analysis: &Analysis,
    config: &Config,
    previous: &[crate::snapshot::Run],
) -> Result<String, Failure> {
    use crate::snapshot;
    let run = snapshot::write(dir, &dataset.source, dataset, analysis, previous).map_err(|e| {
        Failure::new(
            EXIT_OUTPUT,
            format!("{}: cannot keep the snapshot: {e}", dir.display()),
        )
    })?;
    let mut runs = previous.to_vec();
    runs.push(run.clone());
    let baseline = snapshot::baseline(dir, &dataset.source, &run.digest, &runs).map_err(|e| {
        Failure::new(
            66,
            format!("{}: cannot read the last snapshot: {e}", dir.display()),
        )
    })?;
    let mut changes = snapshot::changes(
        &baseline.entries,
        dataset,
        analysis,
        config.report.worsened_gap_share,
    );
    let since = baseline.since;
    changes.runs = runs;
    let source = crate::text::one_line(&dataset.source).into_owned();
    if matches!(format, report::Format::Json | report::Format::Jsonl) {
        let document = serde_json::json!({"source": source, "since": since, "changes": changes});
        return Ok(format!("{document}\n"));
    }
    let Some(since) = since else {
        return Ok(format!(
            "# What changed\n\nNo earlier run of {source} with different results (snapshots in {}): this run is the baseline for the next --since-last.\n",
            dir.display()
        ));
    };
    let share = config.report.worsened_gap_share * 100.0;
    let mut out = format!(
        "# What changed since {} (as of {})\n\n- **New gaps:** {}\n- **Worsened** (more severe, or the gap grew {share:.0} % or more): {}\n- **Recovered** (no gap now): {}\n- **Unchanged:** {}\n",
        since.taken_at,
        if since.as_of.is_empty() {
            "-"
        } else {
            &since.as_of
        },
        changes.new.len(),
        changes.worsened.len(),
        changes.recovered.len(),
        changes.unchanged
    );
    let series = |value: fn(&crate::snapshot::Run) -> f64| {
        let values: Vec<f64> = changes.runs.iter().map(value).collect();
        let shown: Vec<String> = values
            .iter()
            .rev()
            .take(6)
            .rev()
            .map(|v| format!("{v:.0}"))
            .collect();
        format!("{} {}", shown.join(" → "), snapshot::sparkline(&values))
    };
    out.push_str(&format!(
        "- **Customers with gaps across {} run(s):** {}\n- **Revenue gap per week across runs:** {}\n",
        changes.runs.len(),
        series(|r| r.customers_with_gaps as f64),
        series(|r| r.total_revenue_gap)
    ));
    let unit = dataset.unit;
    for (title, entries) in [
        ("New gaps", &changes.new),
        ("Worsened", &changes.worsened),
        ("Recovered", &changes.recovered),
    ] {
        if entries.is_empty() {
            continue;
        }
        let shown = entries.len().min(config.report.top_customers);
        out.push_str(&format!(
            "\n## {title} ({shown} of {})\n\n| customer | primary gap | severity | priority | gap per week |\n|---|---|---|---:|---:|\n",
            entries.len()
        ));
        for entry in &entries[..shown] {
            out.push_str(&format!(
                "| {} | {} | {} | {:.2} | {} |\n",
                crate::text::one_line(&entry.customer_id),
                entry.primary_gap,
                entry.severity,
                entry.priority,
                unit.amount(entry.gap)
            ));
        }
    }
    Ok(out)
}

/// The success metrics for the markdown report, when the ledger has measured campaigns
/// (empty otherwise). The backtest is `revgap metrics`'s: too slow to run on every report.
fn success_metrics_section(
    ledger: &crate::ledger::Ledger,
    config: &Config,
    analysis_ms: u64,
) -> Result<String, Failure> {
    let metrics = crate::outcome::metrics::from_ledger(ledger, config)
        .map_err(super::ledger_open::ledger_failure)?;
    if metrics.measured_campaigns == 0 {
        return Ok(String::new());
    }
    let mut section = String::from("\n");
    section.push_str(&crate::outcome::render::metrics_markdown(
        &metrics,
        &Err("`revgap metrics` runs the backtest".into()),
        &crate::outcome::render::System {
            timed: "this analysis",
            ms: analysis_ms,
        },
    ));
    Ok(section)
}

/// Runs the narrative batch on a small runtime of its own.
fn run_batch(
    args: &AnalyzeArgs,
    config: &Config,
    plan: Vec<(
        usize,
        crate::narrative::facts::Facts,
        Vec<crate::narrative::prompt::Message>,
    )>,
) -> Result<
    (
        std::collections::HashMap<usize, crate::narrative::generate::Generated>,
        crate::narrative::batch::LlmUsage,
    ),
    Failure,
> {
    use crate::narrative::generate::Source;
    let (client, runtime) = llm_client_and_runtime(config, &args.batch)?;
    let options = args.batch.options();
    let result = runtime.block_on(crate::narrative::batch::run(
        std::sync::Arc::new(client),
        config,
        plan,
        args.batch.llm_args.cache(),
        &options,
    ));
    let used = result
        .narratives
        .values()
        .filter(|g| g.source != Source::RuleBased)
        .count();
    eprintln!(
        "revgap: narratives: {used} generated and grounded, {} rule-based fallbacks ({} failed grounding); about {} tokens reserved",
        result.narratives.len() - used,
        result.grounding_failures,
        result.tokens_reserved
    );
    Ok((result.narratives, result.usage))
}
