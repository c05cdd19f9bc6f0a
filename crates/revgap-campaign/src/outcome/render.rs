//! The outcome reports people read, in markdown: one campaign's measured outcome (every
//! window, the breakdowns) and the success metrics across campaigns. Rendered here, beside the
//! estimates, so every front end (the CLI, the analyze report, the explorer) prints the same
//! words.

use crate::ledger::Campaign;
use crate::outcome::estimate::WindowEstimate;
use std::fmt::Write as _;

/// How an estimator is named for people.
pub fn estimator_name(key: &str) -> &'static str {
    match key {
        "cuped" => "CUPED-adjusted",
        _ => "Welch",
    }
}

pub fn markdown(
    campaign: &Campaign,
    document: &serde_json::Value,
    estimates: &[WindowEstimate],
    unit: revgap_core::text::ValueUnit,
) -> String {
    let mut out = format!(
        "# Campaign {} \"{}\": measured outcome\n\n",
        campaign.campaign_id,
        revgap_core::text::one_line(&campaign.name)
    );
    let _ = writeln!(
        out,
        "Follow-up from {} ({}); {} members, {} missing from the follow-up data (counted as zero spend). Intention to treat: every assigned member, delivered or not; 95 % intervals.\n",
        document["follow_up_start"].as_str().unwrap_or("-"),
        revgap_core::text::one_line(document["follow_up_source"].as_str().unwrap_or("-")),
        document["members"],
        document["missing_from_follow_up"],
    );
    let delivery = &document["delivery"];
    match delivery["rate"].as_f64() {
        Some(rate) => {
            let _ = writeln!(
                out,
                "- **Delivery:** {} of {} treated members ({:.0}%)",
                delivery["delivered"],
                delivery["treated"],
                rate * 100.0
            );
        }
        None => out.push_str(
            "- **Delivery:** not recorded (handed off by export: the sending platform knows)\n",
        ),
    }
    for overlap in document["overlaps"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "- **Overlap:** {} member(s) are also in campaign {} \"{}\" while its window was open: the two effects are not separable for them",
            overlap["shared_members"],
            overlap["campaign_id"],
            revgap_core::text::one_line(overlap["name"].as_str().unwrap_or(""))
        );
    }
    if let Some(time) = document["time_to_action_days"].as_object() {
        let _ = writeln!(
            out,
            "- **Time to action** (gap detected → action delivered): median {:.1} days, p90 {:.1} days",
            time["median"].as_f64().unwrap_or(0.0),
            time["p90"].as_f64().unwrap_or(0.0)
        );
    }
    for e in estimates {
        let _ = writeln!(
            out,
            "\n## {} weeks after ({} treated, {} control): **{}**\n",
            e.weeks, e.n_treated, e.n_control, e.verdict
        );
        // The headline first (what `metrics` and the explorer show), the other labelled.
        let _ = writeln!(
            out,
            "- **Incremental weekly revenue per treated customer (headline, {}):** {}",
            estimator_name(e.headline),
            e.headline_revenue_per_treated.as_amount(unit)
        );
        if e.headline == "cuped" {
            let _ = writeln!(
                out,
                "- Welch, unadjusted: {}",
                e.incremental_revenue_per_treated.as_amount(unit)
            );
        }
        if let Some(c) = &e.cuped {
            let _ = writeln!(
                out,
                "- CUPED on pre-campaign spend{}: {} (θ {:.3}, variance {:.0}% lower)",
                if e.headline == "cuped" {
                    " (the headline)"
                } else {
                    ", not the headline: its interval is no narrower"
                },
                c.interval().as_amount(unit),
                c.theta,
                c.variance_reduction * 100.0
            );
        }
        let _ = writeln!(
            out,
            "- **Incremental weekly revenue, all treated (headline):** {}; would have come back anyway: {} a week",
            e.headline_revenue_total.as_amount(unit),
            unit.amount(e.would_have_come_back)
        );
        let _ = writeln!(
            out,
            "- **Recovered** (≥ share of pre-campaign spend): treated {}, control {}; lift {}",
            e.recovery_rate_treated_interval.as_percent(),
            e.recovery_rate_control_interval.as_percent(),
            e.recovery_lift.as_percent()
        );
        let _ = writeln!(
            out,
            "- **No purchase in the window:** treated {}, control {}",
            e.churn_treated.as_percent(),
            e.churn_control.as_percent()
        );
        if let Some(share) = &e.gap_closed_share {
            let _ = writeln!(
                out,
                "- **Share of the weekly gap closed:** {}",
                share.as_percent()
            );
        }
        let _ = writeln!(
            out,
            "- **Offer cost:** {}; **net incremental revenue over the window:** {}",
            unit.amount(e.offer_cost),
            e.net_incremental_revenue.as_amount(unit)
        );
    }
    if let Some(last) = estimates.last() {
        let _ = writeln!(
            out,
            "\n## Breakdowns, {} weeks after (members compared within their planned channel, offer, segment, churn-risk band)\n",
            last.weeks
        );
        out.push_str("| by | cell | treated | control | incremental per treated (95 % CI) | |\n|---|---|---:|---:|---|---|\n");
        for cell in &last.breakdowns {
            let effect = cell
                .incremental_revenue_per_treated
                .map_or("-".to_string(), |i| i.as_amount(unit));
            let note = if cell.too_small {
                "too small"
            } else if cell.significant {
                "significant (Benjamini–Hochberg)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {effect} | {note} |",
                cell.dimension,
                revgap_core::text::one_line(&cell.label),
                cell.n_treated,
                cell.n_control
            );
        }
    }
    out.push_str(
        "\nHow to read it: the interval is where the true effect plausibly lies. \"lift\" means it is above zero; \"insufficient evidence\" means it includes zero: the campaign may have worked or not, and more members or a longer window would tell.\n",
    );
    out
}

/// The backtest's AUC for the success metrics.
pub struct GapDetection {
    pub auc_rules: f64,
    pub auc_model: f64,
    pub horizon_weeks: f64,
}

/// The system figure besides the model's use: what was timed.
pub struct System {
    pub timed: &'static str,
    pub ms: u64,
}

/// The success-metrics section (`revgap metrics`, and the analyze report's markdown).
pub fn metrics_markdown(
    metrics: &crate::outcome::metrics::Metrics,
    gap_detection: &Result<GapDetection, String>,
    system: &System,
) -> String {
    let unit = revgap_core::text::ValueUnit::default();
    let mut out = String::from("## Success metrics\n\n");
    for (label, value) in metrics.headlines(unit) {
        let _ = writeln!(out, "- **{label}:** {value}");
    }
    match gap_detection {
        Ok(found) => {
            let _ = writeln!(
                out,
                "- **Gap-detection accuracy** (backtest AUC for no purchase in the last {} weeks): rules {:.3}, model {:.3}",
                found.horizon_weeks, found.auc_rules, found.auc_model
            );
        }
        Err(reason) => {
            let _ = writeln!(
                out,
                "- **Gap-detection accuracy:** not available ({})",
                revgap_core::text::one_line(reason)
            );
        }
    }
    let _ = writeln!(out, "- **System:** {} {} ms", system.timed, system.ms);
    if !metrics.campaigns.is_empty() {
        out.push_str("\n| campaign | measured | weeks | treated | control | incremental per treated (95 % CI) | estimator | verdict |\n|---|---|---:|---:|---:|---|---|---|\n");
        for c in &metrics.campaigns {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} | {} | {} | {} | {} |",
                c.campaign_id,
                revgap_core::text::one_line(&c.name),
                c.measured_at.get(..10).unwrap_or(&c.measured_at),
                c.weeks,
                c.n_treated,
                c.n_control,
                c.incremental_revenue_per_treated.as_amount(unit),
                estimator_name(c.estimator),
                c.verdict
            );
        }
    } else {
        out.push_str(
            "\nNo measured campaign yet: `revgap campaign measure ID` after the follow-up.\n",
        );
    }
    out
}
