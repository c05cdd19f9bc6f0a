//! `revgap tune`: the threshold search of `crate::tune` on the data's last weeks, printed
//! as a report and a suggested configuration.

use super::args::{CampaignFormat, TuneArgs};
use super::{EXIT_CONFIG, Failure, check_config_fits, load_config, load_dataset, write_output};
use crate::tune::{self, Halves, Quality, Tuned};
use std::fmt::Write as _;

pub fn run(args: &TuneArgs) -> Result<(), Failure> {
    super::refuse_output_over_input(args.out.as_deref(), Some(&args.data), args.db.as_deref())?;
    let base = load_config(&args.data)?;
    let mut full_args = args.data.clone();
    full_args.as_of = None;
    let full = load_dataset(&full_args)?;
    super::warn_skipped(&full);
    if full.week_count() as f64 <= args.horizon_weeks {
        return Err(Failure::new(
            65,
            format!(
                "tune needs weeks before the holdout: the data have {} weeks and the holdout is {} (--horizon-weeks)",
                full.week_count(),
                args.horizon_weeks
            ),
        ));
    }
    let end = full
        .week_starts
        .last()
        .map(|d| *d + chrono::Days::new(6))
        .ok_or_else(|| Failure::new(65, "no data to tune on"))?;
    let calibration_end = end - chrono::Days::new((7.0 * args.horizon_weeks).round() as u64);
    let mut cut_args = args.data.clone();
    cut_args.as_of = Some(calibration_end);
    let cut = load_dataset(&cut_args)?;
    check_config_fits(&base, &cut)?;
    // What counts as a decline is fixed (the default threshold), not the loaded one: tuning
    // from a suggestion must judge against the same outcomes it was suggested with.
    let decline = crate::config::Config::default().gaps.declining_revenue_pct;
    let outcomes = tune::Outcomes::of(&full, &cut, decline).map_err(|m| Failure::new(65, m))?;
    let progress = indicatif::ProgressBar::new_spinner().with_message("ranking candidates");
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let tuned = tune::search(&cut, &base, &outcomes, |n| progress.set_position(n as u64));
    let controls = control_check(args, &base)?;
    let control_aucs = controls
        .as_ref()
        .filter(|check| {
            let stopped = check.stopped();
            check.members - check.missing >= tune::MIN_CONTROL_MEMBERS
                && stopped > 0
                && stopped < check.members - check.missing
        })
        .map(|check| (check.churn_auc(&base), check.churn_auc(&tuned.config)));
    progress.finish_and_clear();
    let controls_json = controls.as_ref().map(|check| {
        serde_json::json!({
            "members": check.members,
            "missing_from_data": check.missing,
            "stopped": check.stopped(),
            "churn_auc_current": control_aucs.map(|a| a.0),
            "churn_auc_suggested": control_aucs.map(|a| a.1),
        })
    });
    let check = |quality: &Quality| {
        [quality.gap_auc, quality.churn_auc]
            .iter()
            .all(|auc| auc.is_finite())
    };
    if !(check(&tuned.before.search) && check(&tuned.before.validation)) {
        return Err(Failure::new(
            65,
            format!(
                "the last {} weeks cannot judge thresholds: each half needs customers who declined or stopped buying and customers who did not",
                args.horizon_weeks
            ),
        ));
    }
    let suggested = toml::to_string(&tuned.config).map_err(|e| {
        Failure::new(
            EXIT_CONFIG,
            format!("cannot write the suggested config: {e}"),
        )
    })?;
    if let Some(path) = &args.out {
        write_output(Some(path), &suggested)?;
    }
    let customers = outcomes.customers.len();
    let searched = outcomes.in_search.iter().filter(|s| **s).count();
    let text = match args.format {
        CampaignFormat::Json => {
            let document = serde_json::json!({
                "calibration_end": calibration_end.to_string(),
                "holdout_weeks": args.horizon_weeks,
                "customers": customers,
                "search_customers": searched,
                "validation_customers": customers - searched,
                "declined": outcomes.declined.iter().filter(|d| **d).count(),
                "stopped": outcomes.stopped.iter().filter(|s| **s).count(),
                "evaluations": tuned.evaluations,
                "current": tuned.before,
                "suggested": tuned.after,
                "changes": tuned.changes,
                "campaign_controls": controls_json,
                "config": suggested,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            )
        }
        CampaignFormat::Text => {
            let mut text = text_report(
                args,
                &tuned,
                calibration_end,
                &outcomes,
                (args.out.is_none()).then_some(suggested.as_str()),
            );
            let line = match (&controls, control_aucs) {
                (None, _) => "Measured campaigns: none in the ledger; their control groups would check the churn rules on real outcomes.".to_string(),
                (Some(check), None) => format!(
                    "Measured campaigns: {} control member(s) found in the data ({} missing), {} stopped buying; checking the churn rules on them needs {} or more, some who stopped and some who did not.",
                    check.members - check.missing,
                    check.missing,
                    check.stopped(),
                    tune::MIN_CONTROL_MEMBERS
                ),
                (Some(check), Some((current, suggested))) => format!(
                    "Measured campaigns' control groups ({} never-contacted members, {} stopped buying in the follow-up): churn points AUC {current:.3} now, {suggested:.3} suggested ({:+.3}).",
                    check.members - check.missing,
                    check.stopped(),
                    suggested - current
                ),
            };
            // Before the suggested configuration, which ends the report.
            let at = text
                .find("\n# Suggested")
                .or_else(|| text.find("\nSuggested configuration written"))
                .unwrap_or(text.len());
            text.insert_str(at, &format!("\n{line}\n"));
            text
        }
    };
    write_output(None, &text)
}

fn text_report(
    args: &TuneArgs,
    tuned: &Tuned,
    calibration_end: chrono::NaiveDate,
    outcomes: &tune::Outcomes,
    suggested: Option<&str>,
) -> String {
    let customers = outcomes.customers.len();
    let searched = outcomes.in_search.iter().filter(|s| **s).count();
    let mut out = format!(
        "Backtest: detect on the data to {calibration_end}, judge on the last {} weeks. {customers} customers bought before the cut: {} declined after it, {} stopped buying. Thresholds searched on {searched} of them ({} configurations ranked); gains measured on the other {}.\n\n",
        args.horizon_weeks,
        outcomes.declined.iter().filter(|d| **d).count(),
        outcomes.stopped.iter().filter(|s| **s).count(),
        tuned.evaluations,
        customers - searched,
    );
    out.push_str(
        "                                        current  suggested  gain (validation half)\n",
    );
    type Metric = (&'static str, fn(&Quality) -> f64);
    let metrics: [Metric; 4] = [
        ("gap ranking AUC (declined)", |q| q.gap_auc),
        ("gap ranking precision, top 10 %", |q| q.gap_precision_top10),
        ("churn points AUC (stopped buying)", |q| q.churn_auc),
        ("churn points precision, top 10 %", |q| {
            q.churn_precision_top10
        }),
    ];
    let row =
        |out: &mut String, halves: (&Halves, &Halves), label: &str, f: fn(&Quality) -> f64| {
            let (before, after) = (f(&halves.0.validation), f(&halves.1.validation));
            let _ = writeln!(
                out,
                "{label:<40} {before:>7.3}  {after:>9.3}  {:>+8.3}",
                after - before
            );
        };
    for (label, f) in metrics {
        row(&mut out, (&tuned.before, &tuned.after), label, f);
    }
    if tuned.changes.is_empty() {
        out.push_str(
            "\nNo threshold beats the current ones on this backtest: keep your configuration.\n",
        );
    } else {
        out.push_str("\nChanged:\n");
        for change in &tuned.changes {
            let _ = writeln!(out, "  {} {} -> {}", change.key, change.from, change.to);
        }
    }
    match (&args.out, suggested) {
        (Some(path), _) => {
            let _ = writeln!(
                out,
                "\nSuggested configuration written to {}; nothing changes unless you load it (--config {}).",
                path.display(),
                path.display()
            );
        }
        (None, Some(toml)) => {
            out.push_str("\n# Suggested configuration: nothing changes unless you load it (save it, then --config FILE).\n");
            out.push_str(toml);
        }
        (None, None) => {}
    }
    out
}

/// The control members of every measured campaign in the ledger (none without a ledger or
/// a measured campaign), each with the data up to the day before their follow-up.
fn control_check(
    args: &TuneArgs,
    base: &crate::config::Config,
) -> Result<Option<tune::ControlCheck>, Failure> {
    use std::collections::BTreeMap;
    let Some(ledger) = super::ledger_open::open_for_reading(args.db.as_deref())? else {
        return Ok(None);
    };
    let measured =
        crate::outcome::metrics::measured(&ledger).map_err(super::ledger_open::ledger_failure)?;
    if measured.is_empty() {
        return Ok(None);
    }
    // Follow-up start → (control id, stopped buying).
    let mut by_start: BTreeMap<chrono::NaiveDate, Vec<(String, bool)>> = BTreeMap::new();
    for (_, members, latest) in &measured {
        let Ok(start) = latest.follow_up_start.parse::<chrono::NaiveDate>() else {
            continue;
        };
        let Some((_, spend)) = crate::outcome::metrics::longest_window(members, latest) else {
            continue;
        };
        let group = by_start.entry(start).or_default();
        for (member, spent) in members.iter().zip(spend) {
            if member.arm == crate::ledger::Arm::Control {
                group.push((member.customer_id.clone(), spent <= 0.0));
            }
        }
    }
    let mut check = tune::ControlCheck {
        groups: Vec::new(),
        members: 0,
        missing: 0,
    };
    for (start, controls) in by_start {
        check.members += controls.len();
        let mut cut_args = args.data.clone();
        cut_args.as_of = start.pred_opt();
        let loaded = load_dataset(&cut_args)
            .ok()
            .filter(|dataset| base.check_data_weeks(dataset.week_count()).is_ok());
        let Some(dataset) = loaded else {
            check.missing += controls.len();
            continue;
        };
        let index = crate::data::CustomerIndex::of(&dataset.customer_ids);
        let (mut found, mut stopped) = (Vec::new(), Vec::new());
        for (id, outcome) in controls {
            match index.find(&id) {
                Some(position) => {
                    found.push(position);
                    stopped.push(outcome);
                }
                None => check.missing += 1,
            }
        }
        check.groups.push((dataset, found, stopped));
    }
    Ok(Some(check))
}
