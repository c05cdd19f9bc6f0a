//! The command line (headless): dispatch, and what every command shares (config and data
//! loading, output). Commands live in their own modules: `analyze`, `model` (fit, backtest),
//! `campaign`, `measure`, `segments`, `tune`. Exit codes are documented in the README: 0
//! success, 2 usage, 65 bad input data, 66 input file unreadable, 73 output not writable, 78
//! bad config.

mod analyze;
mod campaign;
mod ledger_open;
mod measure;
mod model;
mod partition;
mod segments;
mod suppress;
mod tune;

pub use analyze::run_analyze;
pub use model::{backtest_report, run_backtest, run_fit};

/// The arguments, where the commands' modules look for them.
use crate::front::args;
pub use crate::front::args::{
    AnalyzeArgs, BacktestArgs, Cli, CohortsArgs, Command, DataArgs, FitArgs, FitFormat,
    GenerateArgs, LlmArgs, LlmBatchArgs, SegmentsArgs, TuiArgs,
};
pub use crate::front::{EXIT_CONFIG, EXIT_OUTPUT, Failure, check_config_fits, load_config};

use crate::config::Config;
use crate::data::{self, Dataset};
use chrono::Datelike;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Loads the dataset the data flags name, with a progress bar (bytes read of the file, rate,
/// time left) on an interactive stderr.
pub fn load_dataset(args: &DataArgs) -> Result<Dataset, Failure> {
    let mut options = crate::front::load::options(args)?;

    let progress = std::sync::Arc::new(data::Progress::default());
    options.format.progress = data::ProgressHandle(Some(progress.clone()));
    let bar = indicatif::ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} loading {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = std::time::Instant::now();
    let (finished, wait) = std::sync::mpsc::channel::<()>();
    let loaded = std::thread::scope(|scope| {
        // The loader counts bytes as it reads; this shows them until it is done (the channel
        // closes then, so the load is never kept waiting for a tick).
        if !bar.is_hidden() {
            let (bar, progress) = (bar.clone(), progress.clone());
            scope.spawn(move || {
                use std::sync::atomic::Ordering::Relaxed;
                let tick = std::time::Duration::from_millis(100);
                while wait.recv_timeout(tick) == Err(std::sync::mpsc::RecvTimeoutError::Timeout) {
                    bar.set_length(progress.bytes_total.load(Relaxed));
                    bar.set_position(progress.bytes_read.load(Relaxed));
                }
            });
        }
        let loaded = crate::front::load::load(&options, None);
        drop(finished);
        loaded
    });
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "data loaded"
    );
    bar.finish_and_clear();
    Ok(loaded?)
}

/// Tells stderr what a lenient load skipped (stdout stays the report alone).
pub fn warn_skipped(dataset: &Dataset) {
    let mut stderr = std::io::stderr().lock();
    for line in crate::front::load::skipped_lines(dataset) {
        let _ = writeln!(stderr, "revgap: warning: {line}");
    }
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

/// Registers every file the command reads or keeps (the data files its flags name, or the
/// default `data/` files; the config; the ledger it would open, default or `--db`), so no
/// write of this process can replace one, then refuses `--out` when it is one of them
/// (resolving links), before anything is read.
pub(crate) fn refuse_output_over_input(
    out: Option<&std::path::Path>,
    data: Option<&DataArgs>,
    ledger: Option<&std::path::Path>,
) -> Result<(), Failure> {
    if let Some(data) = data {
        // Flags that do not resolve fail in the load, with their own message.
        if let Ok(options) = data.load_options() {
            options.protect_inputs();
        }
        if let Some(config) = &data.config {
            crate::atomic::protect(config, "the config file");
        }
    }
    if let Some(path) = ledger
        .map(std::path::Path::to_path_buf)
        .or_else(crate::ledger::default_path)
    {
        crate::atomic::protect_database(&path, "the ledger");
    }
    match out {
        Some(out) => crate::atomic::check_target(out)
            .map_err(|refused| Failure::new(2, format!("--out {refused}"))),
        None => Ok(()),
    }
}

/// Writes a finished output to the file or stdout (a closed pipe is not an error).
pub(crate) fn write_output(out: Option<&PathBuf>, text: &str) -> Result<(), Failure> {
    stream_output(out, |writer| writer.write_all(text.as_bytes()))
}

/// A write that failed: exit 2 when the target is a file the command reads (nothing was
/// written), else exit 73.
pub(crate) fn output_failure(
    path: &std::path::Path,
    what: &str,
    error: &std::io::Error,
) -> Failure {
    let code = if error.kind() == std::io::ErrorKind::InvalidInput {
        2
    } else {
        EXIT_OUTPUT
    };
    Failure::new(
        code,
        format!("{}: cannot write {what}: {error}", path.display()),
    )
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
            crate::atomic::write_with(path, crate::atomic::Access::Shared, |out| fill(out))
                .map_err(|e| output_failure(path, "report", &e))
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

/// The largest sample `generate` makes: a century of weeks, a hundred million customers.
const GENERATE_MAX_WEEKS: usize = 5_200;
const GENERATE_MAX_CUSTOMERS: usize = 100_000_000;

/// `revgap generate`.
pub fn run_generate(args: &GenerateArgs) -> Result<(), Failure> {
    use args::GenerateShape;
    let shape = if args.seasonal {
        GenerateShape::Seasonal
    } else {
        args.shape
    };
    let weeks = args.weeks.unwrap_or(match shape {
        GenerateShape::Original => 12,
        _ => 104,
    });
    let customers = args.customers.unwrap_or(match shape {
        GenerateShape::Retail => 1_000,
        _ => 200,
    });
    if !(1..=GENERATE_MAX_WEEKS).contains(&weeks)
        || !(1..=GENERATE_MAX_CUSTOMERS).contains(&customers)
    {
        return Err(Failure::new(
            2,
            format!(
                "--customers {customers} --weeks {weeks}: expected 1 to {GENERATE_MAX_CUSTOMERS} customers and 1 to {GENERATE_MAX_WEEKS} weeks"
            ),
        ));
    }
    if shape == GenerateShape::Seasonal && weeks < 104 {
        return Err(Failure::new(
            2,
            format!("--shape seasonal needs --weeks 104 or more (two years), found {weeks}"),
        ));
    }
    let span = chrono::Days::new(7 * (weeks as u64 - 1));
    // Every date written must read back: years 0001 to 9999.
    let first_day = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
    let last_day = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    let start = match (shape, args.start) {
        (_, Some(start)) => start,
        (GenerateShape::Original, None) if args.end.is_none() => {
            data::generate::GenerateOptions::default().start
        }
        _ => {
            // The last Saturday-to-Friday week that ends by --end (default yesterday; seasonal
            // data end in late January, where the January dip would fool a baseline that
            // ignores the season: the week of 2026-01-24).
            let end = args.end.unwrap_or_else(|| match shape {
                GenerateShape::Seasonal => {
                    chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap_or_default()
                }
                _ => chrono::Local::now().date_naive() - chrono::Days::new(1),
            });
            let friday = end
                - chrono::Days::new(u64::from(
                    (end.weekday().num_days_from_monday() + 7 - 4) % 7,
                ));
            let last_week = friday - chrono::Days::new(6);
            last_week.checked_sub_days(span).unwrap_or(first_day)
        }
    };
    let end = start.checked_add_days(span).filter(|end| *end <= last_day);
    let Some(end) = end.filter(|_| start >= first_day) else {
        return Err(Failure::new(
            2,
            format!(
                "--start {start} with --weeks {weeks}: the weeks would run past 9999-12-31; expected them to end by then"
            ),
        ));
    };
    let options = data::generate::GenerateOptions {
        customers,
        weeks,
        seed: args.seed,
        start,
        seasonal: shape == GenerateShape::Seasonal,
        retail: shape == GenerateShape::Retail,
    };
    tracing::debug!(%start, %end, "sample span");
    data::generate::write_sample(&options, &args.out).map_err(|e| {
        Failure::new(
            EXIT_OUTPUT,
            format!("{}: cannot write sample: {e}", args.out.display()),
        )
    })?;
    eprintln!(
        "revgap: wrote {} customers × {} weeks ({start} to {}) to {}",
        options.customers,
        options.weeks,
        end + chrono::Days::new(6),
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
        Some(Command::Suppress(command)) => suppress::run(&command),
        Some(Command::Tune(args)) => tune::run(&args),
        Some(Command::Partial(args)) => {
            init_stderr_logging();
            partition::run_partial(&args)
        }
        Some(Command::Merge(args)) => partition::run_merge(&args),
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
