//! `revgap tune`: the threshold search of `crate::tune` on the data's last weeks, printed
//! as a report and a suggested configuration.

use super::args::{CampaignFormat, TuneArgs};
use super::{EXIT_CONFIG, Failure, check_config_fits, load_config, load_dataset, write_output};
use crate::tune::{self, Halves, Quality, Tuned};
use std::fmt::Write as _;

pub fn run(args: &TuneArgs) -> Result<(), Failure> {
    super::refuse_output_over_input(args.out.as_deref(), &args.data)?;
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
    let outcomes = tune::Outcomes::of(&full, &cut, base.gaps.declining_revenue_pct)
        .map_err(|m| Failure::new(65, m))?;
    let progress = indicatif::ProgressBar::new_spinner().with_message("ranking candidates");
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let tuned = tune::search(&cut, &base, &outcomes, |n| progress.set_position(n as u64));
    progress.finish_and_clear();
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
                "config": suggested,
            });
            format!(
                "{}\n",
                serde_json::to_string_pretty(&document).unwrap_or_default()
            )
        }
        CampaignFormat::Text => text_report(
            args,
            &tuned,
            calibration_end,
            &outcomes,
            (args.out.is_none()).then_some(suggested.as_str()),
        ),
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
