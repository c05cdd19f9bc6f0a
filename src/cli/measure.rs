//! `revgap campaign measure | simulate-outcome`: the CLI over `outcome` and the ledger.

use super::args::{CampaignMeasureArgs, CampaignSimulateArgs, LedgerArgs, MeasureFormat};
use super::ledger_open::{ledger_failure, open, open_campaigns, open_or_empty};
use super::{Failure, load_config, load_dataset, warn_skipped, write_output};
use crate::ledger::{Arm, Campaign};
use crate::outcome::estimate::{self, WindowEstimate};
use crate::outcome::render::{GapDetection, System, markdown, metrics_markdown};
use crate::outcome::{follow_up, synthetic};
use std::fmt::Write as _;

fn ledger_args(db: &Option<std::path::PathBuf>) -> LedgerArgs {
    LedgerArgs {
        db: db.clone(),
        format: super::args::CampaignFormat::Text,
    }
}

/// The first follow-up day: `--from`, else the day after the campaign's as-of date.
fn follow_up_start(
    campaign: &Campaign,
    from: Option<chrono::NaiveDate>,
) -> Result<chrono::NaiveDate, Failure> {
    match from.or_else(|| campaign.as_of().and_then(|d| d.succ_opt())) {
        Some(day) => Ok(day),
        None => Err(Failure::new(
            2,
            format!(
                "campaign {} records no as-of date; pass --from DATE (the first follow-up day)",
                campaign.campaign_id
            ),
        )),
    }
}

pub fn measure(args: &CampaignMeasureArgs) -> Result<(), Failure> {
    let mut ledger = open(&ledger_args(&args.db))?;
    let campaign = ledger.campaign(args.id).map_err(ledger_failure)?;
    let delivered = ledger.delivered_times(args.id).map_err(ledger_failure)?;
    if campaign.status == "created" && delivered.is_empty() {
        return Err(Failure::new(
            2,
            format!(
                "campaign {} has not been sent or exported yet (campaign send or campaign export first): nothing to measure",
                args.id
            ),
        ));
    }
    if !campaign.measurable() {
        return Err(Failure::new(
            2,
            format!(
                "campaign {} has no control group (made with --no-control): it cannot be measured",
                args.id
            ),
        ));
    }
    let config = load_config(&args.data)?;
    let windows = args
        .windows
        .clone()
        .unwrap_or_else(|| config.outcome.windows.clone());
    if windows.is_empty() || windows.iter().any(|w| !(1..=104).contains(w)) {
        return Err(Failure::new(
            2,
            "--windows: expected weeks from 1 to 104, e.g. 2,4,8",
        ));
    }
    let start = follow_up_start(&campaign, args.from)?;
    let members = ledger.members(args.id).map_err(ledger_failure)?;
    let dataset = load_dataset(&args.data)?;
    warn_skipped(&dataset);
    let read =
        follow_up::read(&dataset, &members, start, &windows).map_err(|m| Failure::new(65, m))?;
    if read.missing_members > 0 {
        let found = members.len() - read.missing_members;
        eprintln!(
            "revgap: warning: {} holds {found} of the campaign's {} members ({:.1}%); the {} missing count as zero spend",
            dataset.source,
            members.len(),
            100.0 * found as f64 / members.len() as f64,
            read.missing_members
        );
    }
    let overlaps = ledger.overlaps(args.id).map_err(ledger_failure)?;
    let offer_costs = estimate::offer_costs(&campaign.outreach());
    let context = estimate::Context::from_config(&config, &offer_costs);
    let estimates: Vec<WindowEstimate> = read
        .windows
        .iter()
        .filter_map(|w| estimate::window(&members, &w.spend, w.weeks, &context))
        .collect();
    if estimates.is_empty() {
        return Err(Failure::new(
            65,
            format!(
                "campaign {}: each arm needs at least two members to measure",
                args.id
            ),
        ));
    }
    let mut days = estimate::days_to_action(&campaign, &delivered);
    let time_to_action = estimate::median_and_p90(&mut days);
    let treated = members.iter().filter(|m| m.arm == Arm::Treated).count();
    let delivered_members = delivered
        .iter()
        .map(|(customer, _)| customer.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let taken_at = chrono::Utc::now().to_rfc3339();
    let measurement = read.measurement(args.id, &taken_at, &dataset.source, &members);
    ledger
        .record_outcomes(&measurement)
        .map_err(ledger_failure)?;
    ledger
        .advance_status(args.id, "measured")
        .map_err(ledger_failure)?;
    let measurement = ledger.measurements(args.id).map_err(ledger_failure)?;
    let document = serde_json::json!({
        "campaign_id": campaign.campaign_id,
        "name": campaign.name,
        "as_of": campaign.as_of().map(|d| d.to_string()),
        "follow_up_start": start.to_string(),
        "follow_up_source": dataset.source,
        "measured_at": taken_at,
        "measurement": measurement,
        "members": members.len(),
        "missing_from_follow_up": read.missing_members,
        "ignored_customers": read.ignored_customers,
        "delivery": {
            "treated": treated,
            "delivered": delivered_members,
            // No delivered action: handed off by export, so only the platform knows.
            "rate": (treated > 0 && delivered_members > 0).then(|| delivered_members as f64 / treated as f64),
        },
        "time_to_action_days": time_to_action.map(|(median, p90)| serde_json::json!({"median": median, "p90": p90})),
        "overlaps": overlaps,
        "windows": estimates,
    });
    let text = match args.format {
        MeasureFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        ),
        MeasureFormat::Markdown => markdown(&campaign, &document, &estimates, dataset.unit),
    };
    write_output(None, &text)
}

pub fn simulate(args: &CampaignSimulateArgs) -> Result<(), Failure> {
    if !(args.effect.is_finite() && args.effect >= 0.0) {
        return Err(Failure::new(2, "--effect: expected an amount ≥ 0"));
    }
    if !(args.correlation > 0.0 && args.correlation <= 1.0) {
        return Err(Failure::new(
            2,
            "--correlation: expected a value above 0 and at most 1",
        ));
    }
    if args.weeks == 0 || args.weeks > 104 {
        return Err(Failure::new(2, "--weeks: expected 1 to 104"));
    }
    super::refuse_output_over_input(Some(&args.out), None, args.db.as_deref())?;
    let ledger = open_campaigns(args.db.as_deref())?;
    let campaign = ledger.campaign(args.id).map_err(ledger_failure)?;
    let members = ledger.members(args.id).map_err(ledger_failure)?;
    let start = follow_up_start(&campaign, None)?;
    let pre: Vec<f64> = members.iter().map(|m| m.pre_weekly_spend).collect();
    let treated: Vec<bool> = members.iter().map(|m| m.arm == Arm::Treated).collect();
    let truth = synthetic::Truth {
        effect: args.effect,
        correlation: args.correlation,
        seed: args.seed,
    };
    let spend = synthetic::weekly(&pre, &treated, args.weeks, truth);
    let days: Vec<String> = (0..args.weeks)
        .map(|w| (start + chrono::Days::new(7 * w as u64)).to_string())
        .collect();
    // A data file revgap reads back: ids exactly as stored, quoted where CSV needs it (a
    // formula prefix would change the id it reads back).
    crate::atomic::write_with(&args.out, crate::atomic::Access::Private, |file| {
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(["customer_id", "week_start_date", "weekly_spend"])?;
        for (member, weeks) in members.iter().zip(&spend) {
            for (day, value) in days.iter().zip(weeks) {
                writer.write_record([
                    member.customer_id.as_str(),
                    day.as_str(),
                    &format!("{value:.2}"),
                ])?;
            }
        }
        writer.flush()
    })
    .map_err(|e| super::output_failure(&args.out, "the follow-up spend", &e))?;
    eprintln!(
        "revgap: wrote {} weeks of follow-up spend from {start} for {} members of campaign {} (true effect {} a week per treated member)",
        args.weeks,
        members.len(),
        args.id,
        args.effect
    );
    Ok(())
}

/// `revgap metrics`: the success metrics across measured campaigns, and the backtest AUC.
pub fn metrics(args: &super::args::MetricsArgs) -> Result<(), Failure> {
    use crate::outcome::metrics;
    let config = load_config(&args.data)?;
    let ledger = open_or_empty(args.db.as_deref())?;
    let pooled = metrics::from_ledger(&ledger, &config).map_err(ledger_failure)?;
    // Gap-detection accuracy: the backtest with the last `horizon_weeks` as the holdout.
    let started = std::time::Instant::now();
    let backtest = if args.no_backtest {
        Err("skipped (--no-backtest)".to_string())
    } else {
        backtest_auc(args)
    };
    let analysis_ms = started.elapsed().as_millis() as u64;
    let document = serde_json::json!({
        "measured_campaigns": pooled.measured_campaigns,
        "revenue_recovered_weekly": pooled.revenue_recovered_weekly,
        "action_success_rate": pooled.action_success_rate,
        "retention_effect": pooled.retention_effect,
        "time_to_action_days": pooled.time_to_action_days.map(|(median, p90)| serde_json::json!({"median": median, "p90": p90})),
        "gap_detection": match &backtest {
            Ok((rules, model)) => serde_json::json!({"auc_rules": rules, "auc_model": model, "horizon_weeks": args.horizon_weeks}),
            Err(reason) => serde_json::json!({"unavailable": reason}),
        },
        "system": {"backtest_ms": analysis_ms, "llm": pooled.llm},
        "campaigns": pooled.campaigns,
    });
    let text = match args.format {
        MeasureFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        ),
        MeasureFormat::Markdown => {
            let gap_detection = backtest.map(|(rules, model)| GapDetection {
                auc_rules: rules,
                auc_model: model,
                horizon_weeks: args.horizon_weeks,
            });
            metrics_markdown(
                &pooled,
                &gap_detection,
                &System {
                    timed: "backtest",
                    ms: analysis_ms,
                },
            )
        }
    };
    write_output(None, &text)
}

/// `revgap learn show`: the learned recovery table from every measured campaign.
pub fn learn_show(args: &super::args::LearnShowArgs) -> Result<(), Failure> {
    use crate::outcome::learn;
    let config = match &args.config {
        Some(path) => crate::config::Config::from_toml_file(path)
            .map_err(|e| Failure::new(super::EXIT_CONFIG, e.to_string()))?,
        None => crate::config::Config::default(),
    };
    let ledger = open_or_empty(args.ledger.db.as_deref())?;
    let table = learn::from_ledger(&ledger, learn::Learning::from_config(&config))
        .map_err(ledger_failure)?;
    let text = match args.ledger.format {
        super::args::CampaignFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&table).unwrap_or_default()
        ),
        super::args::CampaignFormat::Text => {
            let mut out = format!(
                "learned from {} measured campaign(s); pooled recovery: treated {:.1}%, control {:.1}%; cells count from {} treated members (shrunk toward the pooled rates with a prior worth {} members)\n",
                table.campaigns,
                table.pooled_rate_treated * 100.0,
                table.pooled_rate_control * 100.0,
                config.outcome.learn_min_treated,
                config.outcome.prior_strength
            );
            out.push_str("channel  offer        segment   treated  control  rate T/C shrunk  lift (shrunk)  lift 95 % CI (raw)\n");
            for cell in &table.cells {
                // A cell without members in an arm has no rate there and no lift: said, not NaN.
                let percent = |value: f64, width: usize, signed: bool| {
                    if !value.is_finite() {
                        format!("{:>width$}", "–")
                    } else if signed {
                        format!("{:>+w$.1}%", value * 100.0, w = width - 1)
                    } else {
                        format!("{:>w$.1}%", value * 100.0, w = width - 1)
                    }
                };
                let note = if cell.n_control == 0 || cell.n_treated == 0 {
                    "  (no members in an arm: no lift)"
                } else if !cell.active {
                    "  (too few to use)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "{:<8} {:<12} {:<9} {:>7}  {:>7}  {}/{}  {:>13}  {} to {}{note}",
                    crate::text::one_line(&cell.channel),
                    crate::text::one_line(&cell.offer),
                    crate::text::one_line(&cell.segment),
                    cell.n_treated,
                    cell.n_control,
                    percent(cell.rate_treated, 6, false),
                    percent(cell.rate_control, 6, false),
                    percent(cell.lift, 13, true),
                    percent(cell.lift_interval.ci_low, 7, true),
                    percent(cell.lift_interval.ci_high, 7, true),
                );
            }
            match table.recovery() {
                Some(recovery) => {
                    let _ = write!(
                        out,
                        "in use (analyze, campaign create, the explorer; --no-learning turns it off): pooled lift {:+.1} pp",
                        recovery.pooled_lift * 100.0
                    );
                    for tier in &recovery.tiers {
                        let _ = write!(
                            out,
                            "; {} {:+.1} pp ({} treated)",
                            crate::text::one_line(&tier.tier),
                            tier.lift * 100.0,
                            tier.n_treated
                        );
                    }
                    out.push('\n');
                }
                None => {
                    let _ = writeln!(
                        out,
                        "not in use yet: the pooled figures need {} treated members and a control group ({} treated so far)",
                        table.min_treated, table.pooled_treated
                    );
                }
            }
            out
        }
    };
    write_output(None, &text)
}

/// (rules AUC, model AUC) of the backtest whose holdout is the data's last weeks.
fn backtest_auc(args: &super::args::MetricsArgs) -> Result<(f64, f64), String> {
    let dataset = load_dataset(&args.data).map_err(|f| f.message)?;
    let end = dataset
        .as_of
        .or_else(|| {
            dataset
                .week_starts
                .last()
                .map(|d| *d + chrono::Days::new(6))
        })
        .ok_or("no data")?;
    let calibration_end = end - chrono::Days::new((7.0 * args.horizon_weeks).round() as u64);
    drop(dataset);
    let backtest = super::args::BacktestArgs {
        fit: super::args::FitArgs {
            data: args.data.clone(),
            calibration_end,
            format: super::args::FitFormat::Json,
        },
        horizon_weeks: args.horizon_weeks,
    };
    let (report, _) = super::backtest_report(&backtest).map_err(|f| f.message)?;
    if !(report.auc_rules.is_finite() && report.auc_model.is_finite()) {
        return Err(format!(
            "the holdout of {} weeks has {} of {} customers who stopped buying: an AUC needs both kinds",
            args.horizon_weeks, report.holdout_churned, report.holdout_customers
        ));
    }
    Ok((report.auc_rules, report.auc_model))
}
