//! `revgap campaign create | list | show | export`: the CLI over `campaign` and `ledger`.

use super::args::{
    CampaignCommand, CampaignCreateArgs, CampaignExportArgs, CampaignFormat, CampaignSendArgs,
    CampaignShowArgs, LedgerArgs,
};
use super::ledger_open::{
    learned_recovery, ledger_code, ledger_failure, open, open_campaigns, open_or_empty,
};
use super::{Failure, check_config_fits, load_config, load_dataset, warn_skipped, write_output};
use crate::campaign::{self, Selection};
use crate::ledger::LedgerError;
use std::fmt::Write as _;

pub fn run(command: &CampaignCommand) -> Result<(), Failure> {
    match command {
        CampaignCommand::Create(args) => create(args),
        CampaignCommand::List(args) => list(args),
        CampaignCommand::Show(args) => show(args),
        CampaignCommand::Export(args) => export(args),
        CampaignCommand::Send(args) => send(args),
        CampaignCommand::Measure(args) => super::measure::measure(args),
        CampaignCommand::SimulateOutcome(args) => super::measure::simulate(args),
    }
}

fn create(args: &CampaignCreateArgs) -> Result<(), Failure> {
    use campaign::create::{CreateError, Request};
    let Some(contacts_path) = args.data.contacts_or_beside(args.contacts.as_deref()) else {
        return Err(Failure::new(
            2,
            "campaign create needs --contacts FILE (customer_id,email,phone,timezone,language,email_opt_in,sms_opt_in), or contacts.csv beside the spend file",
        ));
    };
    let selection = match (&args.top, &args.customers_file, &args.filter) {
        (Some(top), _, _) => Selection::Top(*top),
        (None, Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::new(66, format!("{}: cannot read: {e}", path.display())))?;
            Selection::Ids(
                text.lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty() && *line != "customer_id")
                    .map(String::from)
                    .collect(),
            )
        }
        (None, None, Some(expression)) => Selection::Filter(expression.clone()),
        (None, None, None) => {
            return Err(Failure::new(
                2,
                "expected --top N, --customers-file IDS or --filter EXPR",
            ));
        }
    };
    let config = load_config(&args.data)?;
    let channels = (args.channels.is_some() || args.phone_share.is_some()).then(|| {
        let mut rules = config.outreach.channels.clone();
        if let Some(order) = &args.channels {
            rules.order = order.iter().map(|c| c.trim().to_string()).collect();
        }
        if let Some(share) = args.phone_share {
            rules.phone_top_share = share;
        }
        rules
    });
    let contacts = campaign::contacts::load(&contacts_path).map_err(|m| Failure::new(65, m))?;
    for problem in &contacts.problems {
        eprintln!("revgap: warning: {problem}");
    }
    let contacts = contacts.by_id;
    let request = Request {
        name: &args.name,
        salt: args.salt.as_deref(),
        control_share: args.control,
        selection,
        contacts: &contacts,
        channels,
        offer: args.offer.clone(),
        learning: !args.learning.no_learning,
        no_control: args.no_control,
        allow_overlap: args.allow_overlap,
    };
    let request_failure = |error: CreateError| match error {
        CreateError::Request(message) => Failure::new(2, message),
        error @ (CreateError::Selection(_) | CreateError::TooFewControls { .. }) => {
            Failure::new(65, error)
        }
        CreateError::Ledger(error) => ledger_failure(error),
    };
    // Checked before the data is loaded: a wrong flag fails at once.
    campaign::create::check_request(&request).map_err(request_failure)?;
    let mut ledger = open(&args.ledger)?;
    let dataset = load_dataset(&args.data)?;
    check_config_fits(&config, &dataset)?;
    warn_skipped(&dataset);
    let learned = learned_recovery(Some(&ledger), &args.learning, &config)?;
    let analysis = crate::engine::analyze_learned(&dataset, &config, learned);
    let batch = &args.batch;
    if batch.llm_dry_run {
        // A preview of what the model would be asked: planned, never stored.
        let prepared = campaign::create::prepare(&ledger, &dataset, &analysis, &config, &request)
            .map_err(request_failure)?;
        let addressees = campaign::addressees(
            &dataset,
            &prepared.plan.members,
            &contacts,
            &config.outreach,
        );
        let endpoint =
            crate::narrative::client::resolve_endpoint(&config.llm, &batch.llm_args.overrides());
        let text = campaign::writer::dry_run(
            &prepared.plan,
            &addressees,
            &config.outreach,
            &config.llm,
            &endpoint.model,
            batch.llm_top,
        );
        return write_output(None, &text);
    }
    let model = batch
        .llm
        .then(|| super::llm_client_and_runtime(&config, batch))
        .transpose()?;
    let mut usage = None;
    let created = campaign::create::create_drafted(
        &mut ledger,
        &dataset,
        &analysis,
        &config,
        &request,
        |addressees| {
            let Some((client, runtime)) = model else {
                // Template them from the addressees at hand, without looking anyone up again.
                return Ok(campaign::create::Drafted {
                    drafts: campaign::templates(addressees, &config.outreach),
                    ..Default::default()
                });
            };
            let (drafted, report) = runtime.block_on(campaign::writer::write(
                std::sync::Arc::new(client),
                &config.llm,
                batch.llm_args.cache(),
                &batch.options(),
                batch.llm_top,
                addressees,
                &config.outreach,
            ));
            eprintln!(
                "revgap: drafts: {} written by the model and passed, {} template after rejected or failed tries ({} tries kept with reasons), {} template without asking; about {} tokens reserved",
                report.from_model,
                report.fell_back,
                drafted.rejected.len(),
                report.not_asked,
                report.tokens_reserved
            );
            usage = Some(report.usage);
            Ok(drafted)
        },
    );
    // The model's tokens were spent whether or not the campaign could be stored.
    if let Some(usage) = &usage {
        ledger
            .record_llm_usage("campaign create", usage)
            .map_err(ledger_failure)?;
    }
    let created = created.map_err(request_failure)?;
    let campaign::create::Created {
        campaign_id,
        plan,
        follow_up,
        treated,
        control,
    } = created;
    for warning in &plan.warnings {
        eprintln!("revgap: warning: {warning}");
    }
    let text = match args.ledger.format {
        CampaignFormat::Json => {
            let document = serde_json::json!({
                "campaign_id": campaign_id,
                "name": args.name,
                "treated": treated,
                "control": control,
                "excluded": plan.excluded,
                "balance": plan.balance,
                "min_detectable_effect": plan.min_detectable_effect,
                "follow_up": follow_up,
                "warnings": plan.warnings,
                "learning": plan.learning,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            )
        }
        CampaignFormat::Text => {
            let mut out = format!(
                "campaign {campaign_id} {:?}: {treated} treated, {control} control (follow-up {follow_up})\n",
                crate::text::one_line(&args.name)
            );
            if !plan.excluded.is_empty() {
                let reasons: Vec<String> = plan
                    .excluded
                    .iter()
                    .map(|(r, n)| format!("{r} {n}"))
                    .collect();
                let _ = writeln!(out, "excluded before randomization: {}", reasons.join(", "));
            }
            let balance: Vec<String> = plan
                .balance
                .iter()
                .map(|(k, v)| format!("{k} {v:+.3}"))
                .collect();
            let _ = writeln!(
                out,
                "balance (standardized mean difference): {}",
                balance.join(", ")
            );
            let mde = &plan.min_detectable_effect;
            let _ = writeln!(
                out,
                "smallest detectable effect: {} per treated customer per week, {} over the {:.0}-week follow-up (α {}, power {})",
                crate::text::money(mde.per_treated_customer_weekly),
                crate::text::money(mde.total_over_follow_up),
                mde.follow_up_weeks,
                mde.alpha,
                mde.power
            );
            if let Some(learning) = &plan.learning {
                let _ = writeln!(
                    out,
                    "learning: channel and offer drawn by Thompson sampling for {} member(s) with a choice, from {} measured campaign(s) ({} cell(s) with enough treated members); the control share is fixed",
                    learning.sampled_members, learning.campaigns, learning.active_cells
                );
            }
            out
        }
    };
    write_output(None, &text)
}

fn list(args: &LedgerArgs) -> Result<(), Failure> {
    // No default ledger yet: no campaigns (a mistyped --db is an error).
    let campaigns = open_or_empty(args.db.as_deref())?
        .campaigns()
        .map_err(ledger_failure)?;
    let text = match args.format {
        CampaignFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({ "campaigns": campaigns }))
                .unwrap_or_default()
        ),
        CampaignFormat::Text => {
            let mut out = String::from(
                "id  name                            status    treated  control  follow-up\n",
            );
            for c in &campaigns {
                let _ = writeln!(
                    out,
                    "{:<3} {:<31} {:<9} {:>7}  {:>7}  {}",
                    c.campaign_id,
                    crate::text::one_line(&c.name),
                    c.status,
                    c.treated,
                    c.control,
                    c.follow_up
                );
            }
            out
        }
    };
    write_output(None, &text)
}

fn show(args: &CampaignShowArgs) -> Result<(), Failure> {
    let ledger = open_campaigns(args.ledger.db.as_deref())?;
    let campaign = ledger.campaign(args.id).map_err(ledger_failure)?;
    let members = ledger.members(args.id).map_err(ledger_failure)?;
    let excluded = ledger.exclusions(args.id).map_err(ledger_failure)?;
    let overlaps = ledger.overlaps(args.id).map_err(ledger_failure)?;
    let drafts = ledger.drafts(args.id).map_err(ledger_failure)?;
    let rejected = ledger.rejected_drafts(args.id).map_err(ledger_failure)?;
    let text = match args.ledger.format {
        CampaignFormat::Json => {
            let members: Vec<serde_json::Value> = members
                .iter()
                .map(|m| {
                    let drafts: Vec<&crate::ledger::StoredDraft> =
                        drafts.get(&m.customer_id).into_iter().flatten().collect();
                    serde_json::json!({
                        "customer_id": m.customer_id,
                        "arm": m.arm.key(),
                        "stratum": m.stratum,
                        "bucket": m.bucket,
                        "channel": m.channel,
                        "offer": m.offer,
                        "planned_channel": m.planned_channel,
                        "planned_offer": m.planned_offer,
                        "segment": m.segment,
                        "drafts": drafts,
                        "rejected_drafts": rejected.get(&m.customer_id).cloned().unwrap_or_default(),
                    })
                })
                .collect();
            let document = serde_json::json!({
                "campaign_id": campaign.campaign_id,
                "name": campaign.name,
                "status": campaign.status,
                "created_at": campaign.created_at,
                "follow_up": campaign.follow_up,
                "salt": campaign.salt,
                "control_share": campaign.control_bp as f64 / 10_000.0,
                "analysis": serde_json::from_str::<serde_json::Value>(&campaign.analysis).unwrap_or_default(),
                "excluded": excluded.iter().cloned().collect::<std::collections::BTreeMap<String, i64>>(),
                "measurable": campaign.measurable(),
                "overlaps": overlaps,
                "members": members,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            )
        }
        CampaignFormat::Text => {
            let mut out = format!(
                "campaign {} {:?} ({}): {} treated, {} control, follow-up {}\n",
                campaign.campaign_id,
                crate::text::one_line(&campaign.name),
                campaign.status,
                campaign.treated,
                campaign.control,
                campaign.follow_up
            );
            if !campaign.measurable() {
                out.push_str("no control group (--no-control): it cannot be measured\n");
            }
            for overlap in &overlaps {
                let _ = writeln!(
                    out,
                    "overlap: {} member(s) also in campaign {} {:?} while its window is open",
                    overlap.shared_members,
                    overlap.campaign_id,
                    crate::text::one_line(&overlap.name)
                );
            }
            for m in &members {
                let _ = writeln!(
                    out,
                    "{:<12} {:<8} {:<12} {}",
                    crate::text::one_line(&m.customer_id),
                    m.arm.key(),
                    m.stratum,
                    m.channel.as_deref().unwrap_or("-")
                );
            }
            out
        }
    };
    write_output(None, &text)
}

fn export(args: &CampaignExportArgs) -> Result<(), Failure> {
    super::refuse_output_over_input(Some(&args.out), None, args.db.as_deref())?;
    let mut ledger = open(&LedgerArgs {
        db: args.db.clone(),
        format: CampaignFormat::Text,
    })?;
    let campaign = ledger.campaign(args.id).map_err(ledger_failure)?;
    let members = ledger.members(args.id).map_err(ledger_failure)?;
    let drafts = ledger.drafts(args.id).map_err(ledger_failure)?;
    let blocked = campaign::suppress::Blocklist::from_ledger(&ledger).map_err(ledger_failure)?;
    let written = crate::handoff::export::write(
        &args.out,
        args.preset,
        &campaign,
        &members,
        &drafts,
        &blocked,
    )
    .map_err(|e| super::output_failure(&args.out, "the export", &e))?;
    ledger
        .advance_status(args.id, "exported")
        .map_err(ledger_failure)?;
    if written.held_back > 0 {
        eprintln!(
            "revgap: warning: {} treated member(s) held back: no draft that passed the checker",
            written.held_back
        );
    }
    let mut left_out = Vec::new();
    if written.other_channel > 0 {
        left_out.push(format!(
            "{} on channels this preset does not carry",
            written.other_channel
        ));
    }
    if written.no_address > 0 {
        left_out.push(format!(
            "{} without the address this platform needs",
            written.no_address
        ));
    }
    if written.suppressed > 0 {
        left_out.push(format!("{} on the suppression list", written.suppressed));
    }
    let other = if left_out.is_empty() {
        String::new()
    } else {
        format!(" (left out: {})", left_out.join(", "))
    };
    eprintln!(
        "revgap: wrote {} treated member(s) of campaign {} to {}{other}",
        written.members,
        campaign.campaign_id,
        args.out.display()
    );
    Ok(())
}

fn send(args: &CampaignSendArgs) -> Result<(), Failure> {
    use crate::handoff::smtp::{self, SmtpError};
    use crate::handoff::webhook::{self, SendError};
    use crate::handoff::{Outcome, Retry, SendPolicy};
    // Everything that can be checked without the ledger fails first, before a claim is made.
    match (&args.webhook, &args.smtp) {
        (Some(url), _) => {
            webhook::endpoint(url).map_err(|e| Failure::new(2, e.to_string()))?;
        }
        (None, Some(url))
            if smtp::sends_credentials_in_the_clear(url) && !args.smtp_insecure_auth =>
        {
            return Err(Failure::new(
                2,
                SmtpError::InsecureAuth(smtp::redacted(url)).to_string(),
            ));
        }
        _ => {}
    }
    let mut ledger = open(&LedgerArgs {
        db: args.db.clone(),
        format: CampaignFormat::Text,
    })?;
    let policy = SendPolicy::new(
        Retry {
            attempts: args.attempts,
            ..Retry::default()
        },
        args.deadline,
    );
    let outcome: Outcome = match (&args.webhook, &args.smtp) {
        (Some(url), _) => webhook::send(&mut ledger, args.id, url, &policy).map_err(|error| {
            let code = match &error {
                SendError::NoSecret | SendError::BadSecret | SendError::BadUrl(_) => 2,
                SendError::Ledger(LedgerError::NoCampaign(_)) => 2,
                SendError::Ledger(error) => ledger_code(error),
            };
            Failure::new(code, crate::text::one_line(&error.to_string()).into_owned())
        })?,
        (None, Some(url)) => {
            smtp::send(&mut ledger, args.id, url, args.smtp_insecure_auth, &policy).map_err(
                |error| {
                    let code = match &error {
                        SmtpError::BadUrl(_)
                        | SmtpError::BadSender(_)
                        | SmtpError::InsecureAuth(_) => 2,
                        SmtpError::Ledger(error) => ledger_code(error),
                    };
                    Failure::new(code, crate::text::one_line(&error.to_string()).into_owned())
                },
            )?
        }
        (None, None) => return Err(Failure::new(2, "expected --webhook URL or --smtp URL")),
    };
    if outcome.delivered_now + outcome.delivered_before + outcome.delivered_elsewhere > 0 {
        ledger
            .advance_status(args.id, "sent")
            .map_err(ledger_failure)?;
    }
    eprintln!("{}", send_report(args.id, &outcome));
    let reason = outcome
        .last_error
        .as_deref()
        .map(|error| format!(": {error}"))
        .unwrap_or_default();
    if let Some(stopped) = &outcome.stopped {
        return Err(Failure::new(
            if *stopped == crate::handoff::Stop::Gone {
                69
            } else {
                75
            },
            format!(
                "sending stopped: {stopped}; {} member(s) not delivered{reason} (re-run to retry; delivered ones are never sent again)",
                outcome.pending
            ),
        ));
    }
    if outcome.pending > 0 {
        return Err(Failure::new(
            75,
            format!(
                "{} member(s) not delivered after {} attempt(s) each{reason}; re-run to retry (delivered ones are never sent again)",
                outcome.pending, args.attempts
            ),
        ));
    }
    if outcome.refused > 0 {
        return Err(Failure::new(
            76,
            format!(
                "{} member(s) refused for good by the relay{reason} (see campaign show)",
                outcome.refused
            ),
        ));
    }
    Ok(())
}

/// The one line a send ends with.
fn send_report(campaign_id: i64, outcome: &crate::handoff::Outcome) -> String {
    let mut report = format!(
        "revgap: campaign {campaign_id}: {} delivered now, {} before, {} pending, {} held back (no passing draft)",
        outcome.delivered_now, outcome.delivered_before, outcome.pending, outcome.held_back
    );
    if outcome.delivered_elsewhere > 0 {
        report += &format!(
            ", {} delivered by another sender running at the same time",
            outcome.delivered_elsewhere
        );
    }
    if outcome.held_elsewhere > 0 {
        report += &format!(
            " ({} of the pending still held by another sender)",
            outcome.held_elsewhere
        );
    }
    if outcome.other_channel > 0 {
        report += &format!(", {} on other channels", outcome.other_channel);
    }
    if outcome.refused > 0 {
        report += &format!(", {} refused", outcome.refused);
    }
    if outcome.suppressed > 0 {
        report += &format!(", {} on the suppression list", outcome.suppressed);
    }
    report
}
