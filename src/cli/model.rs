//! `revgap fit` and `revgap backtest`: the predictive layer's parameters and its backtest on
//! the data's own holdout.

use super::args::{BacktestArgs, FitArgs, FitFormat};
use super::{Failure, check_config_fits, load_config, load_dataset, warn_skipped, write_output};
use crate::config::Config;
use crate::engine;

/// `revgap fit`.
pub fn run_fit(args: &FitArgs) -> Result<(), Failure> {
    use crate::model::{bgnbd, gamma_gamma, summary};
    let mut data_args = args.data.clone();
    // The holdout is needed too: do not cut the data at the calibration end.
    data_args.as_of = None;
    let dataset = load_dataset(&data_args)?;
    warn_skipped(&dataset);
    let calibration_end = crate::data::day_number(args.calibration_end);
    let summaries: Vec<summary::CustomerSummary> =
        summary::from_dataset(&dataset, calibration_end, i32::MAX)
            .into_iter()
            .flatten()
            .collect();
    let rows = summary::compress(summaries.iter().map(|s| (f64::from(s.x), s.t_x, s.t)));
    if rows.is_empty() {
        return Err(Failure::new(
            65,
            format!(
                "no customer bought by the calibration end {}; expected purchases before it",
                args.calibration_end
            ),
        ));
    }
    // The churn probability `analyze --as-of CALIBRATION_END` would use: one decision.
    let config = load_config(&args.data)?;
    let mut cut_args = args.data.clone();
    cut_args.as_of = Some(args.calibration_end);
    let cut = load_dataset(&cut_args)?;
    let decision = crate::model::decide::decide(&cut, &config);
    let bgnbd = bgnbd::fit(&rows).map_err(|e| Failure::new(65, format!("BG/NBD: {e}")))?;
    let pairs: Vec<(f64, f64)> = summaries
        .iter()
        .map(|s| (f64::from(s.x), s.mean_repeat_spend))
        .collect();
    // Spend without heterogeneity is no reason to withhold the purchase model: the spend
    // model is reported as not fitted, with why.
    let spend = gamma_gamma::fit(&pairs).map_err(|e| format!("Gamma-Gamma: {e}"));
    let repeat_customers = summaries.iter().filter(|s| s.x > 0).count();
    let text = match args.format {
        FitFormat::Json => {
            let document = serde_json::json!({
                "calibration_end": args.calibration_end.to_string(),
                "churn_model": decision.method.key(),
                "churn_model_note": decision.note,
                "recalibration": decision.recalibration.as_ref().map(|r| {
                    crate::model::recalibrate::RecalibrationReport::of(r, config.model.recalibrate_above)
                }),
                "customers": summaries.len(),
                "repeat_customers": repeat_customers,
                "distinct_rows": rows.len(),
                "bgnbd": {
                    "r": bgnbd.params.r, "alpha": bgnbd.params.alpha, "a": bgnbd.params.a, "b": bgnbd.params.b,
                    "log_likelihood": bgnbd.log_likelihood,
                    "std_errors": bgnbd.std_errors,
                },
                "gamma_gamma": spend.as_ref().ok().map(|spend| serde_json::json!({
                    "p": spend.params.p, "q": spend.params.q, "gamma": spend.params.gamma,
                    "log_likelihood": spend.log_likelihood,
                    "std_errors": spend.std_errors,
                })),
                "gamma_gamma_warning": spend.as_ref().err(),
            });
            let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
            text.push('\n');
            text
        }
        FitFormat::Text => {
            let se = |value: Option<f64>| value.map_or("n/a".to_string(), |v| format!("{v:.6}"));
            let b = &bgnbd.params;
            let bse = bgnbd.std_errors;
            let spend_line = match &spend {
                Ok(spend) => {
                    let (g, gse) = (&spend.params, spend.std_errors);
                    format!(
                        "p {:.7} (se {})  q {:.7} (se {})  gamma {:.7} (se {})  LL {:.6}",
                        g.p,
                        se(gse.map(|s| s.p)),
                        g.q,
                        se(gse.map(|s| s.q)),
                        g.gamma,
                        se(gse.map(|s| s.gamma)),
                        spend.log_likelihood,
                    )
                }
                Err(why) => format!("not fitted ({why})"),
            };
            let note = decision
                .note
                .as_deref()
                .map(|note| format!(" ({note})"))
                .unwrap_or_default();
            format!(
                "calibration end {}: {} customers, {} with repeat purchases\n\
                 churn model  {}{note}\n\
                 BG/NBD       r {:.7} (se {})  alpha {:.7} (se {})  a {:.7} (se {})  b {:.7} (se {})  LL {:.6}\n\
                 Gamma-Gamma  {spend_line}\n",
                args.calibration_end,
                summaries.len(),
                repeat_customers,
                decision.method.key(),
                b.r,
                se(bse.map(|s| s.r)),
                b.alpha,
                se(bse.map(|s| s.alpha)),
                b.a,
                se(bse.map(|s| s.a)),
                b.b,
                se(bse.map(|s| s.b)),
                bgnbd.log_likelihood,
            )
        }
    };
    write_output(None, &text)
}

/// `revgap backtest`.
pub fn run_backtest(args: &BacktestArgs) -> Result<(), Failure> {
    let (report, config) = backtest_report(args)?;
    print_backtest(args, &report, &config)
}

/// The backtest: detect on the calibration period, score against the holdout.
pub fn backtest_report(
    args: &BacktestArgs,
) -> Result<(crate::model::backtest::Report, Config), Failure> {
    use crate::model::{backtest, bgnbd, gamma_gamma, summary};
    let mut config = load_config(&args.fit.data)?;
    // The probability analyze shows, at the horizon the backtest scores.
    config.model.horizon_weeks = args.horizon_weeks;
    let mut full_args = args.fit.data.clone();
    full_args.as_of = None;
    let full = load_dataset(&full_args)?;
    if let Some(last_week) = full.week_starts.last() {
        let last_day = *last_week + chrono::Days::new(6);
        if args.fit.calibration_end >= last_day {
            return Err(Failure::new(
                2,
                format!(
                    "--calibration-end {}: the data end on {last_day}; expected a date before it, so that a holdout follows",
                    args.fit.calibration_end
                ),
            ));
        }
    }
    let calibration_end = crate::data::day_number(args.fit.calibration_end);
    let holdout_end = calibration_end + (7.0 * args.horizon_weeks).round() as i32;
    let summaries = summary::from_dataset(&full, calibration_end, holdout_end);
    // The rules see only the calibration period.
    let mut cut_args = args.fit.data.clone();
    cut_args.as_of = Some(args.fit.calibration_end);
    let cut = load_dataset(&cut_args)?;
    check_config_fits(&config, &cut)?;
    let analysis = engine::analyze(&cut, &config);
    let cut_index = crate::data::CustomerIndex::of(&cut.customer_ids);
    let mut cases = Vec::new();
    for (customer, summary) in summaries.iter().enumerate() {
        let Some(summary) = summary else { continue };
        let Some(position) = cut_index.find(&full.customer_ids[customer]) else {
            continue;
        };
        let score = &analysis.scores[position];
        let profile = crate::engine::SpendProfile::of(&cut.weeks_of(position), &config);
        cases.push(backtest::Case {
            summary: *summary,
            product_churn: analysis.churn_probability(position),
            rule_points: score.churn_points,
            rule_has_gap: score.has_gap(),
            rule_risk_points: config.churn.risk_points,
            calibration_weekly_spend: summary.calibration_spend / summary.t.max(1.0),
            recent_weekly_spend: profile.recent_avg,
            forecast: analysis
                .season
                .forecast(
                    position,
                    &cut.weeks_of(position),
                    &config,
                    args.horizon_weeks.round() as usize,
                    config.model.interval,
                )
                .map(|f| (f.expected, f.low, f.high)),
            high_flag: score.primary_severity == Some(crate::engine::Severity::High),
        });
    }
    let rows = summary::compress(
        cases
            .iter()
            .map(|c| (f64::from(c.summary.x), c.summary.t_x, c.summary.t)),
    );
    // BG/NBD's own forecasts are scored beside the product's probability when it can be
    // fitted at all.
    let model = bgnbd::fit(&rows).ok();
    let bgnbd_warning = match &model {
        Some(model) => bgnbd::check(model).err().map(|e| format!("BG/NBD: {e}")),
        None => Some("BG/NBD could not be fitted".to_string()),
    };
    let pairs: Vec<(f64, f64)> = cases
        .iter()
        .map(|c| (f64::from(c.summary.x), c.summary.mean_repeat_spend))
        .collect();
    let spend = gamma_gamma::fit(&pairs).ok();
    let mut report = backtest::run(
        &cases,
        model.as_ref().map(|m| &m.params),
        spend.as_ref().map(|f| &f.params),
        args.horizon_weeks,
        config.gaps.declining_revenue_pct,
    );
    report.bgnbd_warning = bgnbd_warning;
    report.churn_model = analysis.churn_model.clone();
    report.churn_model_note = analysis.churn_model_note.clone();
    report.recalibration = analysis.recalibration.as_ref().map(|r| {
        crate::model::recalibrate::RecalibrationReport::of(r, config.model.recalibrate_above)
    });
    Ok((report, config))
}

/// The churn probability's calibration and the high-severity flags against recency, for
/// people (the JSON carries the same numbers at full precision).
fn calibration_text(report: &crate::model::backtest::Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "churn probability ({}{}): Brier {:.4} (base rate {:.3} for everyone: {:.4}), calibration error {:.3} ({})",
        report.churn_model,
        report
            .churn_model_note
            .as_deref()
            .map_or(String::new(), |note| format!("; {note}")),
        report.brier_model,
        report.base_rate,
        report.brier_base_rate,
        report.calibration_error,
        if report.calibration_error <= crate::model::backtest::CALIBRATION_TOLERANCE {
            "calibrated: within 0.05 in every decile on average"
        } else {
            "MISCALIBRATED: more than 0.05 off on average"
        }
    );
    if let Some(recalibration) = &report.recalibration {
        let _ = writeln!(out, "recalibration: {}", recalibration.note);
    }
    let _ = writeln!(out, "reliability (deciles of predicted probability):");
    let _ = writeln!(out, "  mean predicted  observed share  customers");
    for bin in &report.reliability {
        let _ = writeln!(
            out,
            "  {:>14.3}  {:>14.3}  {:>9}",
            bin.mean_predicted, bin.observed_share, bin.count
        );
    }
    let flags = &report.high_flags;
    let share = crate::model::backtest::SHORTFALL_SHARE * 100.0;
    let _ = writeln!(
        out,
        "high-severity flags: {} ({:.1} % of customers; {:.1} % made no purchase)\n\
         \x20 precision for \"spent < {share:.0} % of usual\": flags {:.3}, recency at the same count {:.3}\n\
         \x20 precision for \"no purchase\": flags {:.3}, recency at the same count {:.3}",
        flags.flagged,
        flags.flagged_share * 100.0,
        flags.stopped_share * 100.0,
        flags.precision_shortfall,
        flags.precision_shortfall_recency,
        flags.precision_no_purchase,
        flags.precision_no_purchase_recency,
    );
    out
}

fn print_backtest(
    args: &BacktestArgs,
    report: &crate::model::backtest::Report,
    config: &Config,
) -> Result<(), Failure> {
    let text = match args.fit.format {
        FitFormat::Json => {
            let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
            text.push('\n');
            text
        }
        FitFormat::Text => format!(
            "holdout: {} customers, {} made no purchase in {} weeks\n\
             spend forecast ({} customers): {:.1} % inside the {:.0} % interval, MAE {:.2} (naive last-4-weeks {:.2})\n\
             AUC for \"no purchase in the holdout\": rules {:.4}, model {:.4} (BG/NBD P(no purchase) {:.4}, -E[X] {:.4}), recency alone {:.4}\n\
             churn flag precision/recall: rules {:.3}/{:.3} ({} flagged), model {:.3}/{:.3} ({} flagged)\n\
             gap flag vs actual decline ({} declines): precision {:.3}, recall {:.3}\n\
             holdout purchases MAE/RMSE: model {:.3}/{:.3}, rules {:.3}/{:.3}\n\
             holdout spend MAE/RMSE: model {:.2}/{:.2}, rules {:.2}/{:.2}\n\
             {}",
            report.holdout_customers,
            report.holdout_churned,
            report.holdout_weeks,
            report.forecast_customers,
            100.0 * report.forecast_coverage,
            100.0 * config.model.interval,
            report.mae_spend_forecast,
            report.mae_spend_rules,
            report.auc_rules,
            report.auc_model,
            report.auc_bgnbd_no_purchase,
            report.auc_bgnbd_expected_purchases,
            report.auc_recency,
            report.rules_churn_flag.precision,
            report.rules_churn_flag.recall,
            report.rules_churn_flag.flagged,
            report.model_churn_flag.precision,
            report.model_churn_flag.recall,
            report.model_churn_flag.flagged,
            report.actual_declines,
            report.rules_gap_flag_vs_decline.precision,
            report.rules_gap_flag_vs_decline.recall,
            report.mae_purchases_model,
            report.rmse_purchases_model,
            report.mae_purchases_rules,
            report.rmse_purchases_rules,
            report.mae_spend_model,
            report.rmse_spend_model,
            report.mae_spend_rules,
            report.rmse_spend_rules,
            calibration_text(report),
        ),
    };
    write_output(None, &text)
}
