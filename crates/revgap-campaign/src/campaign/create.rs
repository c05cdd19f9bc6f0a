//! Making a campaign, one implementation for `campaign create` and the explorer: check the
//! request, plan it (eligibility, then randomization), draft it, and store it in one ledger
//! transaction. Nothing is written when any step fails.

use super::contacts::Contact;
use super::{Inputs, Plan, Selection};
use crate::ledger::{Arm, Ledger, LedgerError, NewCampaign, StoredDraft};
use revgap_core::config::{ChannelRules, Config};
use revgap_core::data::Dataset;
use revgap_core::engine::Analysis;
use std::collections::HashMap;

/// What the analyst asked for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub name: &'a str,
    /// Default: the name.
    pub salt: Option<&'a str>,
    /// Share held out as control (0.05–0.50).
    pub control_share: f64,
    pub selection: Selection,
    pub contacts: &'a HashMap<String, Contact>,
    /// The campaign's channel rules (default: the config's).
    pub channels: Option<ChannelRules>,
    /// A catalog offer id for every treated member (default: the offer fitting each gap).
    pub offer: Option<String>,
    /// Choose channel and offer from what the ledger's measured campaigns taught (Thompson
    /// sampling); `false` keeps the configured order and the first fitting offer.
    pub learning: bool,
    /// No control group at all: every eligible customer is treated and the campaign is marked
    /// unmeasurable (`--no-control`); `control_share` is not used.
    pub no_control: bool,
    /// Keep customers who are in another campaign whose measurement window is still open
    /// (both campaigns' reports then name the overlap).
    pub allow_overlap: bool,
}

/// What was stored.
#[derive(Debug, Clone)]
pub struct Created {
    pub campaign_id: i64,
    pub plan: Plan,
    pub follow_up: String,
    pub treated: usize,
    pub control: usize,
}

/// Why nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The request itself is wrong (a flag's value, a name in use).
    #[error("{0}")]
    Request(String),
    /// The data cannot make this campaign (an empty selection, no one contactable).
    #[error(transparent)]
    Selection(#[from] super::PlanError),
    /// Too few control members to measure anything (and `--no-control` not given).
    #[error(
        "{treated} treated and {controls} control: fewer than {minimum} control members (outcome.min_control), so {detectable}; select more customers, raise --control, or pass --no-control to make an unmeasurable campaign"
    )]
    TooFewControls {
        treated: usize,
        controls: usize,
        minimum: usize,
        /// What the campaign could still detect, in words.
        detectable: String,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Checks the parts of a request that need no data, so a caller can fail before loading any.
pub fn check_request(request: &Request<'_>) -> Result<u64, CreateError> {
    let control_bp = (request.control_share * 10_000.0).round();
    if request.no_control {
        // Checked below like any request; the share is not used.
    } else if !(request.control_share.is_finite()
        && super::CONTROL_BP_RANGE.contains(&(control_bp as u64)))
    {
        return Err(CreateError::Request(format!(
            "control share {}: expected a share from 0.05 to 0.50",
            request.control_share
        )));
    }
    if request.name.trim().is_empty() || request.name.chars().any(revgap_core::text::is_unsafe_char)
    {
        return Err(CreateError::Request(
            "campaign name: expected a non-empty, printable name".into(),
        ));
    }
    if let Some(rules) = &request.channels
        && let Some(problem) = rules.problems("channels").into_iter().next()
    {
        return Err(CreateError::Request(problem));
    }
    Ok(if request.no_control {
        0
    } else {
        control_bp as u64
    })
}

/// Drafts for the treated members: the ones to store (one per member and channel, passed or
/// not), and the rejected tries on the way.
#[derive(Debug, Clone, Default)]
pub struct Drafted {
    pub drafts: Vec<(String, StoredDraft)>,
    pub rejected: Vec<(String, StoredDraft)>,
}

/// A planned campaign, not stored yet.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub plan: Plan,
    salt: String,
    control_bp: u64,
    channels: ChannelRules,
}

/// Checks the request against the ledger and plans it (eligibility, then randomization).
pub fn prepare(
    ledger: &Ledger,
    dataset: &Dataset,
    analysis: &Analysis,
    config: &Config,
    request: &Request<'_>,
) -> Result<Prepared, CreateError> {
    let control_bp = check_request(request)?;
    if let Some(id) = ledger.campaign_named(request.name)? {
        return Err(CreateError::Request(format!(
            "a campaign named {:?} exists already (id {id}); choose another name",
            revgap_core::text::one_line(request.name)
        )));
    }
    let salt = request.salt.unwrap_or(request.name).to_string();
    let suppressed = ledger.suppressed()?;
    let blocked = super::suppress::Blocklist::from_ledger(ledger)?;
    let today = chrono::Local::now().date_naive().to_string();
    let busy = if request.allow_overlap {
        HashMap::new()
    } else {
        ledger.busy_customers(&today)?
    };
    let holdout_bp = (config.outreach.global_holdout * 10_000.0).round() as u64;
    let global_holdout =
        (holdout_bp > 0).then_some((config.outreach.global_holdout_salt.as_str(), holdout_bp));
    let channels = request
        .channels
        .clone()
        .unwrap_or_else(|| config.outreach.channels.clone());
    let offer = match &request.offer {
        None => None,
        Some(id) => Some(
            config
                .outreach
                .offers
                .iter()
                .find(|o| &o.id == id)
                .ok_or_else(|| {
                    CreateError::Request(format!(
                        "unknown offer {:?}: the catalog ([[outreach.offers]]) has {}",
                        revgap_core::text::one_line(id),
                        config
                            .outreach
                            .offers
                            .iter()
                            .map(|o| o.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?,
        ),
    };
    let learned = if request.learning {
        Some(crate::outcome::learn::from_ledger(
            ledger,
            crate::outcome::learn::Learning::from_config(config),
        )?)
    } else {
        None
    };
    // Sampling needs something measured; before that, the plan is the configured one.
    let sampler = learned
        .as_ref()
        .filter(|table| table.campaigns > 0)
        .map(|table| crate::outcome::thompson::Sampler::new(table, config.outcome.prior_strength));
    let inputs = Inputs {
        sampler: sampler.as_ref(),
        offer,
        contacts: request.contacts,
        suppressed: &suppressed,
        blocked: &blocked,
        busy: &busy,
        global_holdout,
        salt: &salt,
        control_bp,
        outreach: &config.outreach,
        channels: &channels,
    };
    let mut plan = super::plan(dataset, analysis, &request.selection, &inputs)
        .map_err(CreateError::Selection)?;
    let controls = plan
        .members
        .iter()
        .filter(|m| m.arm == Arm::Control)
        .count();
    let minimum = config.outcome.min_control;
    if request.no_control {
        plan.warnings =
            vec!["no control group (--no-control): this campaign cannot be measured".to_string()];
    } else if controls < minimum {
        let treated = plan.members.len() - controls;
        let effect = &plan.min_detectable_effect;
        let detectable = if controls >= 2 && effect.per_treated_customer_weekly.is_finite() {
            format!(
                "the smallest effect it could detect is {} per treated customer per week",
                revgap_core::text::money(effect.per_treated_customer_weekly)
            )
        } else {
            "it could detect no effect at all".to_string()
        };
        return Err(CreateError::TooFewControls {
            treated,
            controls,
            minimum,
            detectable,
        });
    }
    Ok(Prepared {
        plan,
        salt,
        control_bp,
        channels,
    })
}

/// Stores a prepared campaign and its drafts in one transaction.
pub fn store(
    ledger: &mut Ledger,
    dataset: &Dataset,
    analysis: &Analysis,
    config: &Config,
    request: &Request<'_>,
    prepared: Prepared,
    drafted: &Drafted,
) -> Result<Created, CreateError> {
    let now = chrono::Local::now();
    let follow_up = (now.date_naive() + chrono::Days::new(super::FOLLOW_UP_DAYS)).to_string();
    // Members stay out of other campaigns until the longest follow-up window has passed.
    let window_weeks = config.outcome.windows.iter().copied().max().unwrap_or(0) as u64;
    let window_ends = (now.date_naive() + chrono::Days::new(7 * window_weeks)).to_string();
    let analysis_json = serde_json::json!({
        "source": dataset.source,
        "as_of": dataset.as_of.map(|d| d.to_string()),
        "churn_model": analysis.churn_model,
        "baseline": analysis.summary.baseline_kind.map(|k| k.key()),
        "channels": prepared.channels,
        // What the drafts were held to, and who sends them (`campaign send --smtp`).
        "outreach": config.outreach,
        "learning": prepared.plan.learning,
        "measurable": !request.no_control,
        "overlap_allowed": request.allow_overlap,
    })
    .to_string();
    let plan = prepared.plan;
    let excluded: Vec<(String, i64)> = plan.excluded.clone().into_iter().collect();
    let campaign_id = ledger.create_campaign(&NewCampaign {
        name: request.name,
        salt: &prepared.salt,
        control_bp: prepared.control_bp as i64,
        created_at: now.to_rfc3339(),
        follow_up: follow_up.clone(),
        analysis: analysis_json,
        window_ends,
        members: &plan.members,
        excluded: &excluded,
        drafts: &drafted.drafts,
        rejected: &drafted.rejected,
    })?;
    let treated = plan
        .members
        .iter()
        .filter(|m| m.arm == Arm::Treated)
        .count();
    let control = plan.members.len() - treated;
    Ok(Created {
        campaign_id,
        plan,
        follow_up,
        treated,
        control,
    })
}

/// Plans the campaign, drafts it from templates, and stores it.
pub fn create(
    ledger: &mut Ledger,
    dataset: &Dataset,
    analysis: &Analysis,
    config: &Config,
    request: &Request<'_>,
) -> Result<Created, CreateError> {
    create_drafted(ledger, dataset, analysis, config, request, |addressees| {
        Ok(Drafted {
            drafts: super::templates(addressees, &config.outreach),
            ..Drafted::default()
        })
    })
}

/// The one way a campaign is made, by the command line and the explorer alike: checks the
/// request, plans the campaign against the ledger, has `draft` write the treated members'
/// messages (templates, or the model's checked drafts), and stores plan and drafts in one
/// transaction. Nothing is stored when any step fails.
pub fn create_drafted(
    ledger: &mut Ledger,
    dataset: &Dataset,
    analysis: &Analysis,
    config: &Config,
    request: &Request<'_>,
    draft: impl FnOnce(&[super::Addressee<'_>]) -> Result<Drafted, CreateError>,
) -> Result<Created, CreateError> {
    check_request(request)?;
    let prepared = prepare(ledger, dataset, analysis, config, request)?;
    let addressees = super::addressees(
        dataset,
        &prepared.plan.members,
        request.contacts,
        &config.outreach,
    );
    let drafted = draft(&addressees)?;
    drop(addressees);
    store(
        ledger, dataset, analysis, config, request, prepared, &drafted,
    )
}
