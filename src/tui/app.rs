//! The explorer's runtime: terminal setup and restore, the event loop, and background work.
//!
//! One channel carries every message (keys, resizes, analysis results, export results). The
//! loop drains it, updates the state, runs the returned commands, and draws only when
//! something changed, at most `max_fps` times a second, inside synchronized output. Nothing
//! ticks while idle; a 100 ms tick runs only while the data is loading.

use super::keymap::Keymap;
use super::state::{AppState, Loaded, Phase};
use super::update::{Command, LlmUpdate, Msg, update};
use super::{export, logging, user_config, view};
use crate::cli::{Failure, TuiArgs, load_config};
use crate::config::Config;
use crate::data::{self, LoadOptions, Progress, ProgressHandle};
use crate::engine;
use crate::narrative::cache::Cache;
use crate::narrative::client::LlmClient;
use crate::narrative::facts::Facts;
use crate::narrative::generate::{self, Request};
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// What commands need besides the state: the LLM client, the cache, running requests.
struct Services {
    llm: Option<Arc<LlmClient>>,
    llm_config: crate::config::LlmConfig,
    cache: Option<Cache>,
    requests: HashMap<u64, tokio::task::AbortHandle>,
    /// The campaign ledger, if the platform has a place for it.
    ledger: Option<std::path::PathBuf>,
    /// The contacts file campaigns made here use.
    contacts: std::path::PathBuf,
    /// The ledger analyses learn from (none with `--no-learning`).
    learn_from: Option<std::path::PathBuf>,
    /// Where snapshots are kept (none: what changed is not shown), and whether this load
    /// keeps one.
    snapshots: Option<(std::path::PathBuf, bool)>,
    /// Where views are remembered (none with `--no-remember` or without a state directory).
    views: Option<std::path::PathBuf>,
    /// The configuration before any tuning remembered or done here.
    base_config: Config,
    /// Clicks and the wheel are captured (the user config's `ui.mouse`).
    mouse: bool,
    /// The data files, by kind, for export sidecars.
    data_files: std::collections::BTreeMap<String, String>,
    /// The newest list request: older walks stop when it moves.
    list_latest: Arc<std::sync::atomic::AtomicU64>,
}

/// Runs the explorer on the data the flags name.
pub fn run(tui_args: &TuiArgs) -> std::result::Result<(), Failure> {
    let started = Instant::now();
    let (user, mut notices) = user_config::load();
    let args = &with_default_files(&tui_args.data, &user.data);
    // Fail on a bad command line or engine config before the screen changes.
    let base_config = load_config(args)?;
    let mut options = args.load_options().map_err(|m| Failure {
        code: 2,
        message: m,
    })?;
    let progress = Arc::new(Progress::default());
    options.format.progress = ProgressHandle(Some(progress.clone()));
    let log_path = logging::init();
    let source = describe_source(&options);
    let views = (!tui_args.no_remember)
        .then(super::remember::directory)
        .flatten();
    let remembered = views
        .as_deref()
        .map(|dir| super::remember::load(dir, &source));
    let mut config = base_config.clone();
    let mut tuned = false;
    if let Some(remembered) = &remembered {
        match remembered
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|r| r.tuned_config(&base_config))
        {
            Ok(Some(tuned_config)) => {
                config = tuned_config;
                tuned = true;
            }
            Ok(None) => {}
            Err(problem) => {
                notices.push(format!("remembered view not used: {problem}"));
            }
        }
    }
    let (keymap, key_problems) = Keymap::default().with_overrides(&user.keys);
    notices.extend(key_problems);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (llm, llm_problem) = match LlmClient::new(&config.llm, &tui_args.llm.overrides()) {
        Ok(client) => (Some(Arc::new(client)), None),
        Err(error) => {
            tracing::info!(%error, "generated narratives unavailable");
            (None, Some(error.to_string()))
        }
    };
    let services = Services {
        llm_config: config.llm.clone(),
        llm: llm.clone(),
        cache: tui_args.llm.cache(),
        requests: HashMap::new(),
        list_latest: Arc::default(),
        // Results under thresholds tuned here are not a run of the data's own settings.
        snapshots: crate::snapshot::directory().map(|dir| (dir, !tui_args.no_snapshot && !tuned)),
        views,
        base_config,
        mouse: user.ui.mouse,
        data_files: data_files_of(&options),
        ledger: tui_args.db.clone().or_else(crate::ledger::default_path),
        learn_from: (!tui_args.learning.no_learning)
            .then(|| tui_args.db.clone().or_else(crate::ledger::default_path))
            .flatten(),
        contacts: tui_args.contacts.clone().unwrap_or_else(|| {
            // Beside the spend file, as `generate` writes them.
            let spend = match &options.spend {
                data::SpendSource::Weekly(path) | data::SpendSource::Transactions(path, _) => path,
            };
            spend
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("contacts.csv")
        }),
    };
    let mut state = AppState::new(source, config, keymap, user.ui.color && !no_color);
    if let Some(Ok(remembered)) = &remembered {
        remembered.view.apply(&mut state);
    }
    if tuned {
        state.status =
            Some("thresholds tuned in an earlier session are in use (t to see them)".into());
    }
    state.notices = notices;
    state.llm_unavailable = llm_problem;
    tracing::info!(log = ?log_path, "explorer starting");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: 1,
            message: format!("cannot start the runtime: {e}"),
        })?;
    let outcome = runtime.block_on(event_loop(
        state,
        services,
        options,
        progress,
        user.ui.max_fps,
        started,
    ));
    // Quit is immediate: a load or analysis still running is abandoned, not waited for
    // (dropping the runtime would block until its blocking tasks finish).
    runtime.shutdown_background();
    match outcome {
        Ok(Some(signal)) => std::process::exit(128 + signal),
        Ok(None) => Ok(()),
        Err(error) => Err(Failure {
            code: 1,
            message: format!("{error:#}"),
        }),
    }
}

fn data_files_of(options: &LoadOptions) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    let (kind, path) = match &options.spend {
        data::SpendSource::Weekly(path) => ("weekly", path),
        data::SpendSource::Transactions(path, _) => ("transactions", path),
    };
    files.insert(kind.to_string(), path.display().to_string());
    if let Some(customers) = &options.customers {
        files.insert("customers".to_string(), customers.display().to_string());
    }
    files
}

fn describe_source(options: &LoadOptions) -> String {
    match &options.spend {
        data::SpendSource::Weekly(path) | data::SpendSource::Transactions(path, _) => {
            path.display().to_string()
        }
    }
}

/// Signals that end the process; each restores the terminal first.
struct EndingSignals {
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

impl EndingSignals {
    fn install() -> Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            terminate: signal(SignalKind::terminate()).wrap_err("installing SIGTERM")?,
            hangup: signal(SignalKind::hangup()).wrap_err("installing SIGHUP")?,
            quit: signal(SignalKind::quit()).wrap_err("installing SIGQUIT")?,
        })
    }

    /// The number of the next ending signal.
    async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.terminate.recv() => libc::SIGTERM,
            _ = self.hangup.recv() => libc::SIGHUP,
            _ = self.quit.recv() => libc::SIGQUIT,
        }
    }
}

/// Runs the app until quit; returns the ending signal's number when one ended it.
async fn event_loop(
    mut state: AppState,
    mut services: Services,
    options: LoadOptions,
    progress: Arc<Progress>,
    max_fps: u32,
    started: Instant,
) -> Result<Option<i32>> {
    let mut signals = EndingSignals::install()?;
    let mut ending_signal = None;
    // color-eyre first, then ratatui::init (which wraps the panic hook to restore the screen).
    let _ = color_eyre::install();
    let mut terminal = ratatui::init();
    if services.mouse {
        capture_mouse()?;
    }
    let size = terminal.size().wrap_err("reading the terminal size")?;
    state.width = size.width;
    state.height = size.height;
    let (sender, mut receiver) = unbounded_channel();
    spawn_input_reader(sender.clone());
    start_loading(
        options,
        state.config.clone(),
        (services.learn_from.clone(), services.snapshots.clone()),
        state.generation,
        sender.clone(),
    );

    let frame_time = Duration::from_secs_f64(1.0 / f64::from(max_fps.clamp(1, 240)));
    let mut last_frame: Option<Instant> = None;
    let mut dirty = true;
    let result: Result<()> = loop {
        if dirty && last_frame.is_none_or(|t| t.elapsed() >= frame_time) {
            let frame_started = Instant::now();
            if let Err(error) = draw(&mut terminal, &state) {
                break Err(error);
            }
            if last_frame.is_none() {
                tracing::info!(ms = started.elapsed().as_millis() as u64, "first frame");
                // Diagnostic used by the end-to-end test of terminal restoration on panic.
                if std::env::var_os("REVGAP_PANIC_AFTER_FIRST_FRAME").is_some() {
                    panic!("deliberate panic (REVGAP_PANIC_AFTER_FIRST_FRAME)");
                }
            }
            tracing::trace!(us = frame_started.elapsed().as_micros() as u64, "frame");
            last_frame = Some(Instant::now());
            dirty = false;
        }
        if state.quit {
            break Ok(());
        }
        let loading = state.loaded.is_none() && matches!(state.phase, Phase::Working { .. });
        let streaming = state.active_request.is_some();
        let wait = if dirty {
            Some(frame_time.saturating_sub(last_frame.map_or(Duration::ZERO, |t| t.elapsed())))
        } else if loading || streaming {
            Some(Duration::from_millis(100))
        } else {
            None
        };
        let message = match next_message(&mut receiver, &mut signals, wait).await {
            Ok(message) => message,
            Err(signal) => {
                tracing::info!(signal, "ending on a signal");
                ending_signal = Some(signal);
                break Ok(());
            }
        };
        let mut messages: Vec<Msg> = message.into_iter().collect();
        while let Ok(more) = receiver.try_recv() {
            messages.push(more);
        }
        if streaming {
            messages.push(Msg::Tick);
        }
        if loading {
            messages.push(Msg::Progress {
                generation: state.generation,
                progress: progress.fraction(),
                what: "loading data".into(),
            });
        }
        for message in messages {
            let is_key = matches!(message, Msg::Key(_));
            for command in update(&mut state, message) {
                if let Err(error) =
                    run_command(command, &mut state, &mut services, &mut terminal, &sender)
                {
                    state.status = Some(format!("{error:#}"));
                }
            }
            dirty = true;
            if is_key && state.quit {
                break;
            }
        }
    };
    release_mouse(services.mouse);
    ratatui::restore();
    if let Some(dir) = &services.views {
        let remembered = super::remember::Remembered::of(&state, &services.base_config);
        if let Err(problem) = super::remember::save(dir, &state.source, &remembered) {
            tracing::warn!(%problem, "the view was not remembered");
        }
    }
    // The process ends next: the OS reclaims the data at once, where freeing a million
    // customers piece by piece would hold the quit up.
    std::mem::forget(state);
    result.map(|()| ending_signal)
}

/// The command line's data files, or the user config's when the command line names none.
fn with_default_files(
    args: &crate::cli::DataArgs,
    files: &user_config::DataFiles,
) -> crate::cli::DataArgs {
    let mut args = args.clone();
    if args.weekly.is_none() && args.transactions.is_none() && args.customers.is_none() {
        args.weekly = files.weekly.clone();
        args.transactions = files.transactions.clone();
        args.customers = files.customers.clone();
    }
    args
}

/// Waits for a message, for `wait` at most (forever when `None`); Ctrl-C from outside the
/// terminal (SIGINT) becomes a quit; SIGTERM, SIGHUP and SIGQUIT are `Err(signal)`.
async fn next_message(
    receiver: &mut UnboundedReceiver<Msg>,
    signals: &mut EndingSignals,
    wait: Option<Duration>,
) -> std::result::Result<Option<Msg>, i32> {
    let quit = || {
        Msg::Key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('c'),
            crossterm::event::KeyModifiers::CONTROL,
        ))
    };
    let sleep = async {
        match wait {
            Some(wait) => tokio::time::sleep(wait).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        message = receiver.recv() => Ok(message),
        _ = sleep => Ok(None),
        _ = tokio::signal::ctrl_c() => Ok(Some(quit())),
        signal = signals.next() => Err(signal),
    }
}

fn draw(terminal: &mut ratatui::DefaultTerminal, state: &AppState) -> Result<()> {
    let mut stdout = std::io::stdout();
    crossterm::queue!(stdout, BeginSynchronizedUpdate)?;
    terminal.draw(|frame| view::render(state, frame))?;
    crossterm::queue!(stdout, EndSynchronizedUpdate)?;
    stdout.flush()?;
    Ok(())
}

/// Reads terminal events on a thread of its own (crossterm's read blocks).
fn spawn_input_reader(sender: UnboundedSender<Msg>) {
    std::thread::spawn(move || {
        loop {
            let message = match crossterm::event::read() {
                Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => Msg::Key(key),
                Ok(Event::Resize(width, height)) => Msg::Resize(width, height),
                // Clicks and the wheel only: pointer motion would flood the loop.
                Ok(Event::Mouse(mouse))
                    if matches!(
                        mouse.kind,
                        crossterm::event::MouseEventKind::Down(_)
                            | crossterm::event::MouseEventKind::ScrollDown
                            | crossterm::event::MouseEventKind::ScrollUp
                    ) =>
                {
                    Msg::Mouse(mouse)
                }
                Ok(_) => continue,
                Err(error) => {
                    tracing::warn!(%error, "terminal input ended");
                    return;
                }
            };
            if sender.send(message).is_err() {
                return;
            }
        }
    });
}

/// Loads and analyses off the UI thread.
fn start_loading(
    options: LoadOptions,
    config: Config,
    (learn_from, snapshots): (
        Option<std::path::PathBuf>,
        Option<(std::path::PathBuf, bool)>,
    ),
    generation: u64,
    sender: UnboundedSender<Msg>,
) {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let result = data::load(&options)
            .map_err(|e| e.to_string())
            .and_then(|dataset| {
                config
                    .check_data_weeks(dataset.week_count())
                    .map(|()| dataset)
                    .map_err(|m| format!("invalid config: {m}"))
            })
            .map(|dataset| {
                let analysis = analyze(&dataset, &config, learn_from.as_deref());
                Loaded {
                    dataset: Arc::new(dataset),
                    analysis: Arc::new(analysis),
                }
            });
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            ok = result.is_ok(),
            "loaded"
        );
        let loaded = result.as_ref().ok().cloned();
        let _ = sender.send(Msg::Analysed { generation, result });
        // What changed comes after the first screen: it reads and writes the snapshots.
        if let (Some(loaded), Some((dir, keep))) = (loaded, snapshots) {
            let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
            let share = analysis.config.report.worsened_gap_share;
            let result = super::changes::load(&dir, keep, dataset, analysis, share)
                .map_err(|e| format!("{}: {e}", dir.display()));
            let _ = sender.send(Msg::Changes { generation, result });
        }
    });
}

/// The analysis with what the ledger taught; a ledger that cannot be read teaches nothing
/// (the log says why) rather than keeping the explorer from opening.
fn analyze(
    dataset: &data::Dataset,
    config: &Config,
    learn_from: Option<&std::path::Path>,
) -> engine::Analysis {
    let learned = crate::outcome::learn::learned_at(learn_from, config).unwrap_or_else(|error| {
        tracing::warn!(%error, "not learning from the ledger");
        None
    });
    engine::analyze_learned(dataset, config, learned)
}

fn run_command(
    command: Command,
    state: &mut AppState,
    services: &mut Services,
    terminal: &mut ratatui::DefaultTerminal,
    sender: &UnboundedSender<Msg>,
) -> Result<()> {
    match command {
        Command::Analyze { generation, config } => {
            let Some(loaded) = &state.loaded else {
                return Ok(());
            };
            let dataset = loaded.dataset.clone();
            let sender = sender.clone();
            let learn_from = services.learn_from.clone();
            let marks = state.changes.clone();
            tokio::task::spawn_blocking(move || {
                let analysis = analyze(&dataset, &config, learn_from.as_deref());
                // Tuned results against the same baseline (no snapshot: they are not a run).
                let changes = marks.map(|marks| {
                    super::changes::ChangeMarks::compare(
                        marks.baseline.clone(),
                        marks.since.clone(),
                        marks.runs.clone(),
                        &dataset,
                        &analysis,
                        analysis.config.report.worsened_gap_share,
                    )
                });
                let loaded = Loaded {
                    dataset,
                    analysis: Arc::new(analysis),
                };
                let _ = sender.send(Msg::Analysed {
                    generation,
                    result: Ok(loaded),
                });
                if let Some(marks) = changes {
                    let _ = sender.send(Msg::Changes {
                        generation,
                        result: Ok(marks),
                    });
                }
            });
        }
        Command::Cohorts(period) => {
            let Some(loaded) = state.loaded.clone() else {
                return Ok(());
            };
            let sender = sender.clone();
            tokio::task::spawn_blocking(move || {
                let table = crate::segment::cohort::cohorts(&loaded.dataset, period);
                let _ = sender.send(Msg::Cohorts(table));
            });
        }
        Command::Export(format) => {
            let Some(loaded) = state.loaded.clone() else {
                return Ok(());
            };
            let customers = super::campaigns::chosen(state);
            let narratives = export::finished_narratives(state);
            let stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
            let mut record =
                export::ExportRecord::of(state, &services.base_config, &services.data_files, stamp);
            let sender = sender.clone();
            tokio::task::spawn_blocking(move || {
                let result = export::write_view(
                    &loaded,
                    &customers,
                    format,
                    std::path::Path::new("."),
                    &narratives,
                    &mut record,
                )
                .map(|path| {
                    format!(
                        "exported {} customers to {} (what produced it: {}.settings.toml)",
                        record.rows,
                        path.display(),
                        path.display()
                    )
                });
                let _ = sender.send(Msg::Exported(result));
            });
        }
        Command::Generate { request, customer } => {
            let (Some(loaded), Some(client)) = (&state.loaded, services.llm.clone()) else {
                return Ok(());
            };
            let insight = loaded.analysis.insight(&loaded.dataset, customer);
            let facts = Facts::of(&loaded.dataset, &insight, &loaded.analysis.config);
            let (llm_config, cache, sender, ledger) = (
                services.llm_config.clone(),
                services.cache.clone(),
                sender.clone(),
                services.ledger.clone(),
            );
            let task = tokio::spawn(async move {
                let (events, mut received) = unbounded_channel();
                let asked = Request::new(&facts, cache.as_ref());
                let prompt_tokens =
                    u64::from(crate::narrative::prompt::estimate_tokens(&asked.messages));
                let answer = generate::narrate(&client, &llm_config, &asked, events);
                tokio::pin!(answer);
                let forward = |update| {
                    let _ = sender.send(Msg::Llm {
                        request,
                        customer,
                        update,
                    });
                };
                let generated = loop {
                    tokio::select! {
                        Some(event) = received.recv() => forward(LlmUpdate::Event(event)),
                        generated = &mut answer => break generated,
                    }
                };
                while let Ok(event) = received.try_recv() {
                    forward(LlmUpdate::Event(event));
                }
                let usage = crate::narrative::batch::LlmUsage::of_one(
                    generated.source,
                    prompt_tokens,
                    generated.completion.as_ref(),
                );
                forward(LlmUpdate::Finished(Box::new(generated)));
                record_usage(ledger, usage);
            });
            services.requests.retain(|_, handle| !handle.is_finished());
            services.requests.insert(request, task.abort_handle());
        }
        Command::GenerateBatch { request, customers } => {
            let (Some(loaded), Some(client)) = (&state.loaded, services.llm.clone()) else {
                return Ok(());
            };
            let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
            let plan =
                crate::narrative::batch::plan(dataset, analysis, &analysis.config, &customers);
            let (llm_config, cache, sender, ledger) = (
                services.llm_config.clone(),
                services.cache.clone(),
                sender.clone(),
                services.ledger.clone(),
            );
            // The budget and concurrency `analyze --llm` uses by default.
            let options = crate::cli::LlmBatchArgs::default().options();
            let task = tokio::spawn(async move {
                use crate::narrative::batch;
                let mut facts_of = HashMap::new();
                let mut jobs = Vec::new();
                for (customer, facts, messages) in plan {
                    facts_of.insert(customer, facts);
                    jobs.push((customer, messages));
                }
                let mut started = batch::start_all(client, &llm_config, jobs, cache, &options);
                let send = |customer: usize, answer| {
                    if let Some(facts) = facts_of.get(&customer) {
                        let generated = generate::verdict(answer, facts);
                        let _ = sender.send(Msg::BatchItem {
                            request,
                            customer,
                            generated: Box::new(generated),
                        });
                    }
                };
                let refused = started.refused.len();
                for (customer, no_answer) in started.refused.drain(..) {
                    send(customer, Err(no_answer));
                }
                let mut usage = batch::LlmUsage::default();
                while let Some(joined) = started.tasks.join_next().await {
                    if let Ok((customer, answer, prompt_tokens)) = joined {
                        usage += batch::usage_of(&answer, prompt_tokens);
                        send(customer, answer);
                    }
                }
                let _ = sender.send(Msg::BatchFinished { request, refused });
                record_usage(ledger, usage);
            });
            services.requests.retain(|_, handle| !handle.is_finished());
            services.requests.insert(request, task.abort_handle());
        }
        Command::Cancel(request) => {
            // Aborting drops the stream, which closes the HTTP connection.
            if let Some(handle) = services.requests.remove(&request) {
                handle.abort();
            }
        }
        Command::CreateCampaign { name, customers } => {
            let Some(loaded) = state.loaded.clone() else {
                return Ok(());
            };
            let (ledger, contacts, sender) = (
                services.ledger.clone(),
                services.contacts.clone(),
                sender.clone(),
            );
            let learning = services.learn_from.is_some();
            tokio::task::spawn_blocking(move || {
                let result =
                    create_campaign(ledger, &contacts, &loaded, &name, &customers, learning);
                let _ = sender.send(Msg::CampaignCreated(result));
            });
        }
        Command::LoadCampaigns => {
            let (ledger, sender) = (services.ledger.clone(), sender.clone());
            tokio::task::spawn_blocking(move || {
                let result = read_ledger(ledger.as_deref(), |ledger| ledger.campaigns());
                let _ = sender.send(Msg::Campaigns(result));
            });
        }
        Command::LoadHistory(customer) => {
            let Some(loaded) = &state.loaded else {
                return Ok(());
            };
            let id = loaded.dataset.customer_ids[customer].to_string();
            let (ledger, sender) = (services.ledger.clone(), sender.clone());
            tokio::task::spawn_blocking(move || {
                let memberships = read_ledger(ledger.as_deref(), |ledger| ledger.history(&id));
                let _ = sender.send(Msg::History(super::campaigns::History {
                    customer,
                    memberships,
                }));
            });
        }
        Command::LoadMetrics => {
            let (ledger, sender, config) = (
                services.ledger.clone(),
                sender.clone(),
                state.config.clone(),
            );
            tokio::task::spawn_blocking(move || {
                let result = read_ledger(ledger.as_deref(), |ledger| {
                    crate::outcome::metrics::from_ledger(ledger, &config)
                });
                let _ = sender.send(Msg::Metrics(result));
            });
        }
        Command::BuildList(request) => {
            let Some(loaded) = state.loaded.clone() else {
                return Ok(());
            };
            let sender = sender.clone();
            super::list_index::start(
                request,
                loaded,
                state.orders.clone(),
                services.list_latest.clone(),
                move |message| {
                    let _ = sender.send(message);
                },
            );
        }
        Command::Views(request) => {
            let result = super::remember::run(services.views.as_deref(), request);
            let _ = sender.send(Msg::Views(result));
        }
        Command::PrepareOrders => {
            let Some(loaded) = state.loaded.clone() else {
                return Ok(());
            };
            let orders = state.orders.clone();
            tokio::task::spawn_blocking(move || orders.prepare_all(&loaded));
        }
        Command::Suspend => {
            release_mouse(services.mouse);
            suspend(terminal)?;
            if services.mouse {
                capture_mouse()?;
            }
        }
        Command::Copy(text) => {
            // OSC 52 asks the terminal (local or at the far end of SSH) to set its clipboard.
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
            let mut stdout = std::io::stdout();
            write!(stdout, "\x1b]52;c;{encoded}\x07").wrap_err("writing to the terminal")?;
            stdout.flush().wrap_err("writing to the terminal")?;
        }
    }
    Ok(())
}

/// Counts the model's use in an existing ledger only: the explorer never creates one for it.
fn record_usage(ledger: Option<std::path::PathBuf>, usage: crate::narrative::batch::LlmUsage) {
    tokio::task::spawn_blocking(move || {
        let recorded = ledger
            .as_deref()
            .map(crate::ledger::Ledger::open_existing)
            .transpose()
            .and_then(|found| match found.flatten() {
                Some(mut ledger) => ledger.record_llm_usage("explorer", &usage),
                None => Ok(()),
            });
        if let Err(error) = recorded {
            tracing::warn!(%error, "model use not recorded");
        }
    });
}

/// Reads from the ledger; a ledger not made yet reads as empty (and is not created).
fn read_ledger<T: Default>(
    path: Option<&std::path::Path>,
    read: impl FnOnce(&crate::ledger::Ledger) -> std::result::Result<T, crate::ledger::LedgerError>,
) -> std::result::Result<T, String> {
    match path {
        Some(path) if path.exists() => crate::ledger::Ledger::open(path)
            .and_then(|ledger| read(&ledger))
            .map_err(|e| crate::text::one_line(&e.to_string()).into_owned()),
        _ => Ok(T::default()),
    }
}

/// Makes a campaign of `customers` as `campaign create --customers-file` would (template
/// drafts, the default control share); the summary line, or why not.
fn create_campaign(
    ledger: Option<std::path::PathBuf>,
    contacts: &std::path::Path,
    loaded: &Loaded,
    name: &str,
    customers: &[u32],
    learning: bool,
) -> std::result::Result<String, String> {
    use crate::campaign::{self, Selection, create};
    let path = ledger.ok_or("no data directory for the ledger; start with --db PATH")?;
    let contacts = campaign::contacts::load(contacts)?;
    let mut ledger = crate::ledger::Ledger::open(&path).map_err(|e| e.to_string())?;
    let ids = customers
        .iter()
        .map(|c| loaded.dataset.customer_ids[*c as usize].to_string())
        .collect();
    let request = create::Request {
        name,
        salt: None,
        control_share: campaign::DEFAULT_CONTROL_SHARE,
        selection: Selection::Ids(ids),
        contacts: &contacts,
        channels: None,
        offer: None,
        learning,
    };
    let analysis = &loaded.analysis;
    let created = create::create(
        &mut ledger,
        &loaded.dataset,
        analysis,
        &analysis.config,
        &request,
    )
    .map_err(|e| crate::text::one_line(&e.to_string()).into_owned())?;
    let excluded: i64 = created.plan.excluded.values().sum();
    tracing::info!(
        campaign = created.campaign_id,
        "campaign made in the explorer"
    );
    Ok(format!(
        "campaign {} {:?}: {} treated, {} control, {excluded} excluded (follow-up {}; L lists campaigns)",
        created.campaign_id,
        crate::text::one_line(name),
        created.treated,
        created.control,
        created.follow_up
    ))
}

/// Asks the terminal for clicks and wheel turns, and makes a panic give them back (ratatui's
/// own hook restores the rest of the terminal).
fn capture_mouse() -> Result<()> {
    crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture)
        .wrap_err("enabling the mouse")?;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        release_mouse(true);
        previous(info);
    }));
    Ok(())
}

/// Gives the mouse back to the terminal.
fn release_mouse(captured: bool) {
    if captured {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
}

/// Ctrl-Z: give the terminal back, stop, and take it again on `fg`.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    ratatui::restore();
    // SAFETY: raise only sends a signal to this process; SIGTSTP stops it until SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    // A fresh terminal has no previous frame, so the next draw repaints everything.
    // (`Terminal::clear` would ask the terminal for the cursor position, and the input
    // thread would swallow the answer.)
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    Ok(())
}
