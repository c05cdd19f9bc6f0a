//! The explorer's runtime: terminal setup and restore, the event loop, and loading the data
//! (the commands `update` returns are carried out in `commands`).
//!
//! One channel carries every message (keys, resizes, analysis results, export results). The
//! loop drains it, updates the state, runs the returned commands, and draws only when
//! something changed, at most `max_fps` times a second, inside synchronized output. Nothing
//! ticks while idle; a 100 ms tick runs only while the data is loading.

use super::commands::{Services, analyze, run_command};
use super::keymap::Keymap;
use super::state::{AppState, Loaded, Phase};
use super::terminal::{capture_mouse, release_mouse};
use super::update::{Msg, update};
use super::{logging, user_config, view};
use crate::config::Config;
use crate::data::{self, LoadOptions, Progress, ProgressHandle};
use crate::front::args::TuiArgs;
use crate::front::{Failure, load_config};
use crate::narrative::client::LlmClient;
use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, KeyEventKind};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Runs the explorer on the data the flags name.
pub fn run(tui_args: &TuiArgs) -> std::result::Result<(), Failure> {
    let started = Instant::now();
    // The loop ends on SIGTERM and SIGHUP itself, restoring the terminal first; an atomic
    // write's temporary file is still removed on them.
    crate::atomic::ending_signals_handled_elsewhere();
    let (user, mut notices) = user_config::load();
    let args = &with_default_files(&tui_args.data, &user.data);
    // Fail on a bad command line or engine config before the screen changes.
    let base_config = load_config(args)?;
    let mut options = crate::front::load::options(args)?;
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
        contacts: {
            // Beside the spend file, as `generate` writes them (the rule every command uses).
            let spend = match &options.spend {
                data::SpendSource::Weekly(path) | data::SpendSource::Transactions(path, _) => path,
            };
            tui_args.contacts.clone().unwrap_or_else(|| {
                spend
                    .parent()
                    .unwrap_or(std::path::Path::new(""))
                    .join("contacts.csv")
            })
        },
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
            if let Err(error) = draw(&mut terminal, &mut state) {
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
    args: &crate::front::args::DataArgs,
    files: &user_config::DataFiles,
) -> crate::front::args::DataArgs {
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

fn draw(terminal: &mut ratatui::DefaultTerminal, state: &mut AppState) -> Result<()> {
    let mut stdout = std::io::stdout();
    crossterm::queue!(stdout, BeginSynchronizedUpdate)?;
    let mut measured = None;
    terminal.draw(|frame| measured = Some(view::render(state, frame)))?;
    state.measured = measured.unwrap_or_default();
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
        let result = crate::front::load::load(&options, Some(&config))
            .map_err(|e| e.to_string())
            .map(|dataset| {
                // The status bar counts them; the log keeps the reasons and first places.
                for line in crate::front::load::skipped_lines(&dataset) {
                    tracing::warn!("{line}");
                }
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
