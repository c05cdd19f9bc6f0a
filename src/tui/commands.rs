//! Carries out the commands `update` returns: the analysis, exports, cohorts and list
//! walks in the background, model requests (streamed and batched) and their cancelling, ledger
//! reads and campaign making, and the terminal's own actions (suspend, clipboard). Every
//! result comes back to the loop as a message.

use super::export;
use super::state::{AppState, Loaded};
use super::terminal::{capture_mouse, release_mouse, suspend};
use super::update::{Command, LlmUpdate, Msg};
use crate::config::Config;
use crate::data;
use crate::engine;
use crate::narrative::cache::Cache;
use crate::narrative::client::LlmClient;
use crate::narrative::facts::Facts;
use crate::narrative::generate::{self, Request};
use color_eyre::eyre::{Result, WrapErr};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// What commands need besides the state: the LLM client, the cache, running requests.
pub(super) struct Services {
    pub(super) llm: Option<Arc<LlmClient>>,
    pub(super) llm_config: crate::config::LlmConfig,
    pub(super) cache: Option<Cache>,
    pub(super) requests: HashMap<u64, tokio::task::AbortHandle>,
    /// The campaign ledger, if the platform has a place for it.
    pub(super) ledger: Option<std::path::PathBuf>,
    /// The contacts file campaigns made here use.
    pub(super) contacts: std::path::PathBuf,
    /// The ledger analyses learn from (none with `--no-learning`).
    pub(super) learn_from: Option<std::path::PathBuf>,
    /// Where snapshots are kept (none: what changed is not shown), and whether this load
    /// keeps one.
    pub(super) snapshots: Option<(std::path::PathBuf, bool)>,
    /// Where views are remembered (none with `--no-remember` or without a state directory).
    pub(super) views: Option<std::path::PathBuf>,
    /// The configuration before any tuning remembered or done here.
    pub(super) base_config: Config,
    /// Clicks and the wheel are captured (the user config's `ui.mouse`).
    pub(super) mouse: bool,
    /// The data files, by kind, for export sidecars.
    pub(super) data_files: std::collections::BTreeMap<String, String>,
    /// The newest list request: older walks stop when it moves.
    pub(super) list_latest: Arc<std::sync::atomic::AtomicU64>,
}

/// The analysis with what the ledger taught; a ledger that cannot be read teaches nothing
/// (the log says why) rather than keeping the explorer from opening.
pub(super) fn analyze(
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

/// Carries out one command: background work reports back on `sender` as a message.
pub(super) fn run_command(
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
            let options = crate::front::args::LlmBatchArgs::default().options();
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
        Command::LoadCampaign(campaign_id) => {
            let (ledger, sender, config) = (
                services.ledger.clone(),
                sender.clone(),
                state.config.clone(),
            );
            tokio::task::spawn_blocking(move || {
                let result = read_ledger(ledger.as_deref(), |ledger| {
                    let campaign = ledger.campaign(campaign_id)?;
                    let roster = ledger.roster(campaign_id)?;
                    let result = crate::outcome::metrics::result_of(ledger, &campaign, &config)?;
                    Ok(Some(Box::new(super::campaigns::CampaignDetail {
                        campaign,
                        roster,
                        result,
                        scroll: 0,
                    })))
                })
                .and_then(|found| found.ok_or_else(|| "there is no ledger".to_string()));
                let _ = sender.send(Msg::Campaign(result));
            });
        }
        Command::ExportCampaign(detail) => {
            let sender = sender.clone();
            tokio::task::spawn_blocking(move || {
                let stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
                let result = export::write_campaign(&detail, std::path::Path::new("."), &stamp)
                    .map(|path| {
                        format!(
                            "exported {} members of campaign {} to {}",
                            detail.roster.len(),
                            detail.campaign.campaign_id,
                            path.display()
                        )
                    });
                let _ = sender.send(Msg::Exported(result));
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
                move |generation, list, complete| {
                    let _ = sender.send(Msg::ListBuilt {
                        generation,
                        list,
                        complete,
                    });
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
        Some(path) if path.exists() => crate::ledger::Ledger::open_read_only(path)
            .and_then(|ledger| read(&ledger))
            .map_err(|e| crate::text::one_line(&e.to_string()).into_owned()),
        _ => Ok(T::default()),
    }
}

/// Makes a campaign of `customers` as `campaign create --customers-file` would, through the
/// same orchestrator (template drafts, the default control share); the summary line, or why
/// not.
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
    let loaded_contacts = campaign::contacts::load(contacts).map_err(|e| e.to_string())?;
    for problem in &loaded_contacts.problems {
        tracing::warn!(%problem, "contact left out");
    }
    let left_out = loaded_contacts.problems.len();
    let contacts = loaded_contacts.by_id;
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
        no_control: false,
        allow_overlap: false,
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
    let addresses = if left_out > 0 {
        format!("; {left_out} contact address(es) invalid and left out, see the log")
    } else {
        String::new()
    };
    Ok(format!(
        "campaign {} {:?}: {} treated, {} control, {excluded} excluded (follow-up {}; L lists campaigns){addresses}",
        created.campaign_id,
        crate::text::one_line(name),
        created.treated,
        created.control,
        created.follow_up
    ))
}
