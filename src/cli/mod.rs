//! The command line: `revgap analyze | generate` (headless). Exit codes are documented in the
//! README: 0 success, 2 usage, 65 bad input data, 66 input file unreadable, 73 output not
//! writable, 78 bad config.

mod args;
mod campaign;
mod measure;
mod segments;
mod tune;

pub use args::{
    AnalyzeArgs, BacktestArgs, Cli, CohortsArgs, Command, DataArgs, FitArgs, FitFormat,
    GenerateArgs, LlmArgs, SegmentsArgs, TuiArgs,
};

use crate::config::Config;
use crate::data::{self, Dataset};
use crate::engine::{self, Analysis};
use crate::report::{self, ReportContext};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// A failure with the exit code it maps to; `message` is one line.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<data::DataError> for Failure {
    fn from(error: data::DataError) -> Self {
        Self::new(error.exit_code(), error.to_string())
    }
}

pub const EXIT_CONFIG: i32 = 78;
pub const EXIT_OUTPUT: i32 = 73;

/// Loads the configuration named by `--config` (or the defaults), then applies the data
/// flags that override it (`--baseline`, `--churn-model`).
pub fn load_config(args: &DataArgs) -> Result<Config, Failure> {
    let mut config = match &args.config {
        Some(path) => {
            Config::from_toml_file(path).map_err(|e| Failure::new(EXIT_CONFIG, e.to_string()))?
        }
        None => Config::default(),
    };
    if let Some(baseline) = args.baseline {
        config.windows.baseline = baseline;
    }
    if let Some(churn_model) = args.churn_model {
        config.model.churn_model = churn_model;
    }
    Ok(config)
}

/// Checks the configuration's windows against the loaded data (exit 78 when they do not fit).
pub fn check_config_fits(config: &Config, dataset: &Dataset) -> Result<(), Failure> {
    config
        .check_data_weeks(dataset.week_count())
        .map_err(|message| Failure::new(EXIT_CONFIG, format!("invalid config: {message}")))
}

/// Loads the dataset the data flags name, with a spinner on an interactive stderr.
pub fn load_dataset(args: &DataArgs) -> Result<Dataset, Failure> {
    let options = args.load_options().map_err(|m| Failure::new(2, m))?;
    let spinner = indicatif::ProgressBar::new_spinner();
    if std::io::stderr().is_terminal() {
        spinner.set_message("loading data");
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    } else {
        spinner.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = std::time::Instant::now();
    let loaded = data::load(&options);
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "data loaded"
    );
    spinner.finish_and_clear();
    Ok(loaded?)
}

/// Tells stderr what a lenient load skipped (stdout stays the report alone).
pub fn warn_skipped(dataset: &Dataset) {
    let load = &dataset.load;
    let skipped = load.skipped_rows + load.skipped_customer_rows;
    if skipped == 0 {
        return;
    }
    let reasons = load.reasons();
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "revgap: warning: skipped {skipped} bad row(s) ({reasons}); use --strict to stop at the first"
    );
    for problem in &load.first_problems {
        let _ = writeln!(stderr, "revgap: warning: {problem}");
    }
}

/// `revgap analyze`.
pub fn run_analyze(args: &AnalyzeArgs) -> Result<(), Failure> {
    refuse_output_over_input(args.out.as_deref(), &args.data)?;
    if args.format == report::Format::Parquet && args.out.is_none() {
        return Err(Failure::new(
            2,
            "--format parquet writes a binary file: expected --out FILE",
        ));
    }
    let config = load_config(&args.data)?;
    let dataset = load_dataset(&args.data)?;
    check_config_fits(&config, &dataset)?;
    warn_skipped(&dataset);
    let mut ledger = campaign::open_for_reading(args.db.as_deref())?;
    let learned = campaign::learned_recovery(ledger.as_ref(), &args.learning, &config)?;
    let started = std::time::Instant::now();
    let analysis = engine::analyze_learned(&dataset, &config, learned);
    let analysis_ms = started.elapsed().as_millis() as u64;
    tracing::info!(elapsed_ms = analysis_ms, "analysis done");
    let listed: Vec<usize> = match args.top {
        Some(top) => analysis.ranking.iter().take(top).copied().collect(),
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
        if let Some(ledger) = ledger.as_mut() {
            ledger
                .record_llm_usage("analyze", &usage)
                .map_err(campaign::ledger_failure)?;
        }
        Some(narratives)
    } else {
        None
    };
    let snapshots = (!args.no_snapshot)
        .then(crate::snapshot::directory)
        .flatten();
    let mut keep_snapshot = None;
    if let Some(dir) = &snapshots {
        let previous = crate::snapshot::read(dir, &dataset.source, args.since_last);
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
        let written = write_report(args, &context, options, &metrics_section);
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

/// Writes the report in the asked format (Parquet to its file, the others streamed).
fn write_report(
    args: &AnalyzeArgs,
    context: &ReportContext,
    options: report::Options,
    metrics_section: &str,
) -> Result<(), Failure> {
    if let (report::Format::Parquet, Some(path)) = (args.format, args.out.as_ref()) {
        return crate::atomic::write_with(path, crate::atomic::Access::Shared, |out| {
            report::parquet::write(context, options, out)
        })
        .map_err(|e| {
            Failure::new(
                EXIT_OUTPUT,
                format!("{}: cannot write report: {e}", path.display()),
            )
        });
    }
    stream_output(args.out.as_ref(), |out| {
        report::write(args.format, context, options, out)?;
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
    previous: &crate::snapshot::Snapshot,
) -> Result<String, Failure> {
    use crate::snapshot;
    let mut changes = snapshot::changes(
        previous,
        dataset,
        analysis,
        config.report.worsened_gap_share,
    );
    let run = snapshot::write(dir, &dataset.source, dataset, analysis, previous).map_err(|e| {
        Failure::new(
            EXIT_OUTPUT,
            format!("{}: cannot keep the snapshot: {e}", dir.display()),
        )
    })?;
    let since = previous.history.last().cloned();
    changes.runs = previous.history.clone();
    changes.runs.push(run);
    let source = crate::text::one_line(&dataset.source).into_owned();
    if matches!(format, report::Format::Json | report::Format::Jsonl) {
        let document = serde_json::json!({"source": source, "since": since, "changes": changes});
        return Ok(format!("{document}\n"));
    }
    let Some(since) = since else {
        return Ok(format!(
            "# What changed\n\nNo earlier run of {source} (snapshots in {}): this run is the baseline for the next --since-last.\n",
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
    let metrics =
        crate::outcome::metrics::from_ledger(ledger, config).map_err(campaign::ledger_failure)?;
    if metrics.measured_campaigns == 0 {
        return Ok(String::new());
    }
    let mut section = String::from("\n");
    section.push_str(&measure::metrics_markdown(
        &metrics,
        &Err("`revgap metrics` runs the backtest".into()),
        &measure::System {
            timed: "this analysis",
            ms: analysis_ms,
        },
    ));
    Ok(section)
}

/// The model client of a batch and a small runtime of its own to run it on.
pub fn llm_client_and_runtime(
    config: &Config,
    batch: &args::LlmBatchArgs,
) -> Result<(crate::narrative::client::LlmClient, tokio::runtime::Runtime), Failure> {
    let client = crate::narrative::client::LlmClient::new(&config.llm, &batch.llm_args.overrides())
        .map_err(|e| Failure::new(EXIT_CONFIG, format!("--llm: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(1, format!("cannot start the runtime: {e}")))?;
    Ok((client, runtime))
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

/// Writes a finished output to the file or stdout (a closed pipe is not an error).
/// `--out` naming one of the inputs would replace the data with the report: refused before
/// anything is read.
pub(crate) fn refuse_output_over_input(
    out: Option<&std::path::Path>,
    data: &DataArgs,
) -> Result<(), Failure> {
    let Some(out) = out else { return Ok(()) };
    let same = |input: &PathBuf| match (std::fs::canonicalize(out), std::fs::canonicalize(input)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let inputs = [
        &data.weekly,
        &data.transactions,
        &data.customers,
        &data.config,
    ];
    match inputs.into_iter().flatten().find(|input| same(input)) {
        Some(input) => Err(Failure::new(
            2,
            format!(
                "--out {} is an input file ({}); expected a different output path",
                out.display(),
                input.display()
            ),
        )),
        None => Ok(()),
    }
}

pub(crate) fn write_output(out: Option<&PathBuf>, text: &str) -> Result<(), Failure> {
    stream_output(out, |writer| writer.write_all(text.as_bytes()))
}

/// Streams an output to `--out FILE` (atomically: the old file stays whole until the new one
/// is complete and synced) or to stdout. A write error is one line with exit 73; a reader
/// that closed the pipe early (`| head`) ends the output quietly with success, as Unix tools
/// do.
pub(crate) fn stream_output(
    out: Option<&PathBuf>,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    match out {
        Some(path) => {
            crate::atomic::write_with(path, crate::atomic::Access::Shared, |out| fill(out)).map_err(
                |e| {
                    Failure::new(
                        EXIT_OUTPUT,
                        format!("{}: cannot write report: {e}", path.display()),
                    )
                },
            )
        }
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            fill(&mut stdout)
                .and_then(|()| stdout.flush())
                .or_else(|e| {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| Failure::new(EXIT_OUTPUT, format!("stdout: {e}")))
        }
    }
}

/// Renders a report with the current local time as its generation time.
pub fn render_report_with(
    format: report::Format,
    dataset: &Dataset,
    analysis: &Analysis,
    config: &Config,
    customers: &[usize],
    narratives: Option<&std::collections::HashMap<usize, crate::narrative::generate::Generated>>,
) -> String {
    let context = ReportContext {
        dataset,
        analysis,
        config,
        customers,
        generated_at: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        narratives,
    };
    report::render(format, &context)
}

/// `revgap generate`.
pub fn run_generate(args: &GenerateArgs) -> Result<(), Failure> {
    let seasonal_start = || {
        // Seasonal data end in late January (2026-01-24), where the January dip would fool a
        // baseline that ignores the season.
        let end = chrono::NaiveDate::from_ymd_opt(2026, 1, 24).unwrap_or_default();
        end - chrono::Days::new(7 * (args.weeks.max(1) as u64 - 1))
    };
    let options = data::generate::GenerateOptions {
        customers: args.customers,
        weeks: args.weeks,
        seed: args.seed,
        start: match (args.seasonal, args.start) {
            (true, None) => seasonal_start(),
            (_, start) => start.unwrap_or(data::generate::GenerateOptions::default().start),
        },
        seasonal: args.seasonal,
    };
    if args.seasonal && args.weeks < 104 {
        return Err(Failure::new(
            2,
            format!(
                "--seasonal needs --weeks 104 or more (two years), found {}",
                args.weeks
            ),
        ));
    }
    if options.weeks == 0 || options.customers == 0 {
        return Err(Failure::new(
            2,
            "--customers and --weeks must be at least 1",
        ));
    }
    data::generate::write_sample(&options, &args.out).map_err(|e| {
        Failure::new(
            EXIT_OUTPUT,
            format!("{}: cannot write sample: {e}", args.out.display()),
        )
    })?;
    eprintln!(
        "revgap: wrote {} customers × {} weeks to {}",
        options.customers,
        options.weeks,
        args.out.display()
    );
    Ok(())
}

/// Sends `tracing` events to stderr when `REVGAP_LOG` is set (e.g. `REVGAP_LOG=info`);
/// headless commands only, the explorer logs to a file.
pub fn init_stderr_logging() {
    if let Ok(filter) = std::env::var("REVGAP_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
}

/// `revgap fit`.
pub fn run_fit(args: &FitArgs) -> Result<(), Failure> {
    use crate::model::{bgnbd, gamma_gamma, summary};
    let mut data_args = args.data.clone();
    // The holdout is needed too: do not cut the data at the calibration end.
    data_args.as_of = None;
    let dataset = load_dataset(&data_args)?;
    warn_skipped(&dataset);
    let calibration_end = crate::data::day_number(args.calibration_end);
    let summaries: Vec<summary::CustomerSummary> =
        summary::from_dataset(&dataset, calibration_end, i32::MAX)
            .into_iter()
            .flatten()
            .collect();
    let rows = summary::compress(summaries.iter().map(|s| (f64::from(s.x), s.t_x, s.t)));
    let bgnbd = bgnbd::fit_checked(&rows).map_err(|e| Failure::new(65, format!("BG/NBD: {e}")))?;
    let pairs: Vec<(f64, f64)> = summaries
        .iter()
        .map(|s| (f64::from(s.x), s.mean_repeat_spend))
        .collect();
    // Spend without heterogeneity is no reason to withhold the purchase model: the spend
    // model is reported as not fitted, with why.
    let spend = gamma_gamma::fit(&pairs).map_err(|e| format!("Gamma-Gamma: {e}"));
    let repeat_customers = summaries.iter().filter(|s| s.x > 0).count();
    let text = match args.format {
        FitFormat::Json => {
            let document = serde_json::json!({
                "calibration_end": args.calibration_end.to_string(),
                "customers": summaries.len(),
                "repeat_customers": repeat_customers,
                "distinct_rows": rows.len(),
                "bgnbd": {
                    "r": bgnbd.params.r, "alpha": bgnbd.params.alpha, "a": bgnbd.params.a, "b": bgnbd.params.b,
                    "log_likelihood": bgnbd.log_likelihood,
                    "std_errors": bgnbd.std_errors,
                },
                "gamma_gamma": spend.as_ref().ok().map(|spend| serde_json::json!({
                    "p": spend.params.p, "q": spend.params.q, "gamma": spend.params.gamma,
                    "log_likelihood": spend.log_likelihood,
                    "std_errors": spend.std_errors,
                })),
                "gamma_gamma_warning": spend.as_ref().err(),
            });
            let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
            text.push('\n');
            text
        }
        FitFormat::Text => {
            let se = |value: Option<f64>| value.map_or("n/a".to_string(), |v| format!("{v:.6}"));
            let b = &bgnbd.params;
            let bse = bgnbd.std_errors;
            let spend_line = match &spend {
                Ok(spend) => {
                    let (g, gse) = (&spend.params, spend.std_errors);
                    format!(
                        "p {:.7} (se {})  q {:.7} (se {})  gamma {:.7} (se {})  LL {:.6}",
                        g.p,
                        se(gse.map(|s| s.p)),
                        g.q,
                        se(gse.map(|s| s.q)),
                        g.gamma,
                        se(gse.map(|s| s.gamma)),
                        spend.log_likelihood,
                    )
                }
                Err(why) => format!("not fitted ({why})"),
            };
            format!(
                "calibration end {}: {} customers, {} with repeat purchases\n\
                 BG/NBD       r {:.7} (se {})  alpha {:.7} (se {})  a {:.7} (se {})  b {:.7} (se {})  LL {:.6}\n\
                 Gamma-Gamma  {spend_line}\n",
                args.calibration_end,
                summaries.len(),
                repeat_customers,
                b.r,
                se(bse.map(|s| s.r)),
                b.alpha,
                se(bse.map(|s| s.alpha)),
                b.a,
                se(bse.map(|s| s.a)),
                b.b,
                se(bse.map(|s| s.b)),
                bgnbd.log_likelihood,
            )
        }
    };
    write_output(None, &text)
}

/// The calibration-trained churn probability for each case (see `model::churn`), or `None`
/// when it cannot be trained.
fn learned_churn(
    full: &Dataset,
    cases: &[crate::model::backtest::Case],
    summaries: &[Option<crate::model::summary::CustomerSummary>],
    calibration_end: i32,
    horizon_weeks: f64,
    model: &crate::model::bgnbd::Params,
) -> Option<Vec<f64>> {
    use crate::model::churn;
    let purchases = crate::model::summary::Purchases::of(full);
    let logistic = churn::train(
        &purchases,
        summaries,
        calibration_end,
        horizon_weeks,
        Some(*model),
    )?;
    Some(
        cases
            .iter()
            .map(|c| logistic.probability(&churn::features(&c.summary, model)))
            .collect(),
    )
}

/// `revgap backtest`.
pub fn run_backtest(args: &BacktestArgs) -> Result<(), Failure> {
    let (report, config) = backtest_report(args)?;
    print_backtest(args, &report, &config)
}

/// The backtest: detect on the calibration period, score against the holdout.
pub fn backtest_report(
    args: &BacktestArgs,
) -> Result<(crate::model::backtest::Report, Config), Failure> {
    use crate::model::{backtest, bgnbd, gamma_gamma, summary};
    let config = load_config(&args.fit.data)?;
    let mut full_args = args.fit.data.clone();
    full_args.as_of = None;
    let full = load_dataset(&full_args)?;
    let calibration_end = crate::data::day_number(args.fit.calibration_end);
    let holdout_end = calibration_end + (7.0 * args.horizon_weeks).round() as i32;
    let summaries = summary::from_dataset(&full, calibration_end, holdout_end);
    // The rules see only the calibration period.
    let mut cut_args = args.fit.data.clone();
    cut_args.as_of = Some(args.fit.calibration_end);
    let cut = load_dataset(&cut_args)?;
    check_config_fits(&config, &cut)?;
    let analysis = engine::analyze(&cut, &config);
    let cut_index = crate::data::CustomerIndex::of(&cut.customer_ids);
    let mut cases = Vec::new();
    for (customer, summary) in summaries.iter().enumerate() {
        let Some(summary) = summary else { continue };
        let Some(position) = cut_index.find(&full.customer_ids[customer]) else {
            continue;
        };
        let score = &analysis.scores[position];
        let profile = crate::engine::SpendProfile::of(cut.weeks_of(position), &config);
        cases.push(backtest::Case {
            summary: *summary,
            rule_points: score.churn_points,
            rule_has_gap: score.has_gap(),
            rule_risk_points: config.churn.risk_points,
            calibration_weekly_spend: summary.calibration_spend / summary.t.max(1.0),
            recent_weekly_spend: profile.recent_avg,
            forecast: analysis
                .season
                .forecast(
                    position,
                    cut.weeks_of(position),
                    &config,
                    args.horizon_weeks.round() as usize,
                    config.model.interval,
                )
                .map(|f| (f.expected, f.low, f.high)),
        });
    }
    let rows = summary::compress(
        cases
            .iter()
            .map(|c| (f64::from(c.summary.x), c.summary.t_x, c.summary.t)),
    );
    let model = bgnbd::fit(&rows).map_err(|e| Failure::new(65, format!("BG/NBD: {e}")))?;
    let bgnbd_warning = bgnbd::check(&model).err().map(|e| format!("BG/NBD: {e}"));
    if let Some(warning) = &bgnbd_warning {
        eprintln!("revgap: warning: {warning}; analyze uses the rules on such data");
    }
    let pairs: Vec<(f64, f64)> = cases
        .iter()
        .map(|c| (f64::from(c.summary.x), c.summary.mean_repeat_spend))
        .collect();
    let spend = gamma_gamma::fit(&pairs).ok();
    let learned = learned_churn(
        &full,
        &cases,
        &summaries,
        calibration_end,
        args.horizon_weeks,
        &model.params,
    );
    let mut report = backtest::run(
        &cases,
        &model.params,
        spend.as_ref().map(|f| &f.params),
        learned.as_deref(),
        args.horizon_weeks,
        config.gaps.declining_revenue_pct,
    );
    report.bgnbd_warning = bgnbd_warning;
    Ok((report, config))
}

fn print_backtest(
    args: &BacktestArgs,
    report: &crate::model::backtest::Report,
    config: &Config,
) -> Result<(), Failure> {
    let text = match args.fit.format {
        FitFormat::Json => {
            let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
            text.push('\n');
            text
        }
        FitFormat::Text => format!(
            "holdout: {} customers, {} made no purchase in {} weeks\n\
             spend forecast ({} customers): {:.1} % inside the {:.0} % interval, MAE {:.2} (naive last-4-weeks {:.2})\n\
             AUC for \"no purchase in the holdout\": rules {:.4}, model {:.4} (BG/NBD P(no purchase) {:.4}, -E[X] {:.4}), recency alone {:.4}\n\
             churn flag precision/recall: rules {:.3}/{:.3} ({} flagged), model {:.3}/{:.3} ({} flagged)\n\
             gap flag vs actual decline ({} declines): precision {:.3}, recall {:.3}\n\
             holdout purchases MAE/RMSE: model {:.3}/{:.3}, rules {:.3}/{:.3}\n\
             holdout spend MAE/RMSE: model {:.2}/{:.2}, rules {:.2}/{:.2}\n",
            report.holdout_customers,
            report.holdout_churned,
            report.holdout_weeks,
            report.forecast_customers,
            100.0 * report.forecast_coverage,
            100.0 * config.model.interval,
            report.mae_spend_forecast,
            report.mae_spend_rules,
            report.auc_rules,
            report.auc_model,
            report.auc_bgnbd_no_purchase,
            report.auc_bgnbd_expected_purchases,
            report.auc_recency,
            report.rules_churn_flag.precision,
            report.rules_churn_flag.recall,
            report.rules_churn_flag.flagged,
            report.model_churn_flag.precision,
            report.model_churn_flag.recall,
            report.model_churn_flag.flagged,
            report.actual_declines,
            report.rules_gap_flag_vs_decline.precision,
            report.rules_gap_flag_vs_decline.recall,
            report.mae_purchases_model,
            report.rmse_purchases_model,
            report.mae_purchases_rules,
            report.rmse_purchases_rules,
            report.mae_spend_model,
            report.rmse_spend_model,
            report.mae_spend_rules,
            report.rmse_spend_rules,
        ),
    };
    write_output(None, &text)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Some(Command::Analyze(args)) => {
            init_stderr_logging();
            run_analyze(&args)
        }
        Some(Command::Generate(args)) => {
            init_stderr_logging();
            run_generate(&args)
        }
        Some(Command::Fit(args)) => {
            init_stderr_logging();
            run_fit(&args)
        }
        Some(Command::Backtest(args)) => {
            init_stderr_logging();
            run_backtest(&args)
        }
        Some(Command::Segments(args)) => {
            init_stderr_logging();
            segments::run_segments(&args)
        }
        Some(Command::Campaign(command)) => campaign::run(&command),
        Some(Command::Learn(args::LearnCommand::Show(args))) => measure::learn_show(&args),
        Some(Command::Tune(args)) => tune::run(&args),
        Some(Command::Metrics(args)) => {
            init_stderr_logging();
            measure::metrics(&args)
        }
        Some(Command::Cohorts(args)) => {
            init_stderr_logging();
            segments::run_cohorts(&args)
        }
        Some(Command::Tui(args)) => {
            if !std::io::stdout().is_terminal() {
                return Err(Failure::new(
                    2,
                    "the explorer needs a terminal; use `revgap analyze` for a report",
                ));
            }
            crate::tui::run(&args)
        }
        None if std::io::stdout().is_terminal() => crate::tui::run(&TuiArgs::default()),
        None => {
            // Piped or redirected: the report is what fits, not a screen.
            init_stderr_logging();
            run_analyze(&AnalyzeArgs::default())
        }
    }
}
