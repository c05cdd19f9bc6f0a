//! Backtest: detect on the calibration period, score on the holdout.
//!
//! Definitions (per customer with a purchase in the calibration period):
//! - **churned**: no purchase in the holdout (calibration end, + horizon weeks].
//! - **actual decline**: holdout average weekly spend more than |declining_revenue_pct| % below
//!   the customer's calibration-period average weekly spend since the first purchase.
//! - **rules**: the original's churn points on the data cut at the calibration end; the churn
//!   flag is "churn risk" (≥ 0.30), the gap flag is "has a gap".
//! - **model**: BG/NBD P(no purchase in the horizon) fitted on the calibration period; its
//!   flag is P ≥ 0.5. Predicted holdout purchases: BG/NBD E[X(H)]; spend: E[X(H)] × the
//!   Gamma-Gamma conditional mean spend. The rules' baseline predictions: the calibration
//!   purchase rate and weekly spend carried forward.

use super::bgnbd;
pub use super::calibration::{ReliabilityBin, brier, reliability};
use super::gamma_gamma;
use super::summary::CustomerSummary;
use serde::Serialize;

/// One customer's inputs to the scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Case {
    pub summary: CustomerSummary,
    /// The churn probability the product shows for the customer at the calibration end
    /// (`analyze --as-of`, whatever `model::decide` chose).
    pub product_churn: f64,
    pub rule_points: u32,
    pub rule_has_gap: bool,
    pub rule_risk_points: u32,
    /// Calibration-period average weekly spend since the first purchase.
    pub calibration_weekly_spend: f64,
    /// Recent weekly spend (the rules' recent window average).
    pub recent_weekly_spend: f64,
    /// The engine's forecast of holdout spend (expected, low, high), when it has one.
    pub forecast: Option<(f64, f64, f64)>,
    /// The product flagged the customer at the calibration end with a high-severity gap.
    pub high_flag: bool,
}

/// "Spends less than this share of their usual over the holdout": the decline the
/// high-severity flags are scored against (issue 27's definition).
pub const SHORTFALL_SHARE: f64 = 0.7;

/// The largest decile calibration error called calibrated (issue 27's target).
pub const CALIBRATION_TOLERANCE: f64 = 0.05;

/// The high-severity flags against the naive answer (recency: the same number of customers
/// longest since their last purchase), for both outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HighFlags {
    pub flagged: usize,
    /// Shares of the holdout's customers: flagged, and made no purchase in the holdout.
    pub flagged_share: f64,
    pub stopped_share: f64,
    /// Spent less than `SHORTFALL_SHARE` of their usual weekly spend (the calibration
    /// period's since the first purchase) over the holdout.
    pub precision_shortfall: f64,
    pub precision_shortfall_recency: f64,
    /// Made no purchase in the holdout.
    pub precision_no_purchase: f64,
    pub precision_no_purchase_recency: f64,
}

/// Precision of `flags`, and of the same number of customers ranked first by `score`
/// (largest first; ties by position), for `truth`.
fn precision_against(flags: &[bool], score: &[f64], truth: &[bool]) -> (f64, f64) {
    let flagged = flags.iter().filter(|f| **f).count();
    if flagged == 0 {
        return (f64::NAN, f64::NAN);
    }
    let hits = flags.iter().zip(truth).filter(|(f, t)| **f && **t).count();
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|a, b| score[*b].total_cmp(&score[*a]).then(a.cmp(b)));
    let naive = order[..flagged].iter().filter(|i| truth[**i]).count();
    (hits as f64 / flagged as f64, naive as f64 / flagged as f64)
}

fn high_flags(cases: &[Case], recency: &[f64], churned: &[bool], horizon_weeks: f64) -> HighFlags {
    let flags: Vec<bool> = cases.iter().map(|c| c.high_flag).collect();
    let shortfall: Vec<bool> = cases
        .iter()
        .map(|c| {
            c.summary.holdout_spend / horizon_weeks < SHORTFALL_SHARE * c.calibration_weekly_spend
        })
        .collect();
    let (precision_shortfall, precision_shortfall_recency) =
        precision_against(&flags, recency, &shortfall);
    let (precision_no_purchase, precision_no_purchase_recency) =
        precision_against(&flags, recency, churned);
    let n = cases.len().max(1) as f64;
    let flagged = flags.iter().filter(|f| **f).count();
    HighFlags {
        flagged,
        flagged_share: flagged as f64 / n,
        stopped_share: churned.iter().filter(|c| **c).count() as f64 / n,
        precision_shortfall,
        precision_shortfall_recency,
        precision_no_purchase,
        precision_no_purchase_recency,
    }
}

/// Precision and recall of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Flagging {
    pub flagged: usize,
    pub precision: f64,
    pub recall: f64,
}

/// Everything the backtest reports (JSON field names are documented in the README).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The churn probability scored as `auc_model`: what `analyze` uses on these data.
    pub churn_model: String,
    pub churn_model_note: Option<String>,
    /// Why BG/NBD's own forecasts are not usable on these data, when they are not (its
    /// rankings are still scored when it could be fitted at all).
    pub bgnbd_warning: Option<String>,
    pub holdout_customers: usize,
    /// The baseline forecast of holdout spend: customers forecast, share of them whose actual
    /// spend fell inside the interval, and its error against the naive "same as the last 4
    /// weeks" forecast (`mae_spend_rules`).
    pub forecast_customers: usize,
    pub forecast_coverage: f64,
    pub mae_spend_forecast: f64,
    pub holdout_churned: usize,
    pub holdout_weeks: f64,
    pub auc_rules: f64,
    /// The product's churn probability (see `churn_model`).
    pub auc_model: f64,
    /// Mean squared error of the product's probability against "no purchase in the holdout",
    /// and of predicting the holdout's base rate for everyone.
    pub brier_model: f64,
    pub brier_base_rate: f64,
    /// The base rate: the share who made no purchase in the holdout.
    pub base_rate: f64,
    /// The count-weighted mean |mean predicted − observed share| over the deciles.
    pub calibration_error: f64,
    /// Deciles of predicted probability: mean predicted, observed share, count.
    pub reliability: Vec<ReliabilityBin>,
    /// The product's check of its churn probability on a second split inside the calibration
    /// period (one horizon before its end), and whether it recalibrated (see `recalibrate`).
    pub recalibration: Option<super::recalibrate::RecalibrationReport>,
    /// The high-severity gap flags at the calibration end against recency.
    pub high_flags: HighFlags,
    pub auc_bgnbd_no_purchase: f64,
    pub auc_bgnbd_expected_purchases: f64,
    pub auc_recency: f64,
    pub rules_churn_flag: Flagging,
    pub model_churn_flag: Flagging,
    pub rules_gap_flag_vs_decline: Flagging,
    pub actual_declines: usize,
    pub mae_purchases_model: f64,
    pub rmse_purchases_model: f64,
    pub mae_purchases_rules: f64,
    pub rmse_purchases_rules: f64,
    pub mae_spend_model: f64,
    pub rmse_spend_model: f64,
    pub mae_spend_rules: f64,
    pub rmse_spend_rules: f64,
}

/// Area under the ROC curve of `scores` for `positives` (ties count half: Mann-Whitney).
pub fn auc(scores: &[f64], positives: &[bool]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let mut ranks = vec![0.0; scores.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let mid_rank = (start + end) as f64 / 2.0 + 1.0;
        for position in start..=end {
            ranks[order[position]] = mid_rank;
        }
        start = end + 1;
    }
    let positive_count = positives.iter().filter(|p| **p).count() as f64;
    let negative_count = positives.len() as f64 - positive_count;
    if positive_count == 0.0 || negative_count == 0.0 {
        return f64::NAN;
    }
    let rank_sum: f64 = ranks
        .iter()
        .zip(positives)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - positive_count * (positive_count + 1.0) / 2.0) / (positive_count * negative_count)
}

fn flagging(flags: &[bool], truth: &[bool]) -> Flagging {
    let flagged = flags.iter().filter(|f| **f).count();
    let hits = flags.iter().zip(truth).filter(|(f, t)| **f && **t).count();
    let actual = truth.iter().filter(|t| **t).count();
    Flagging {
        flagged,
        precision: if flagged == 0 {
            0.0
        } else {
            hits as f64 / flagged as f64
        },
        recall: if actual == 0 {
            0.0
        } else {
            hits as f64 / actual as f64
        },
    }
}

fn errors(predicted: &[f64], actual: &[f64]) -> (f64, f64) {
    let n = predicted.len().max(1) as f64;
    let mae = predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a).abs())
        .sum::<f64>()
        / n;
    let rmse = (predicted
        .iter()
        .zip(actual)
        .map(|(p, a)| (p - a).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    (mae, rmse)
}

/// Scores the cases.
pub fn run(
    cases: &[Case],
    model: Option<&bgnbd::Params>,
    spend: Option<&gamma_gamma::Params>,
    horizon_weeks: f64,
    decline_pct: f64,
) -> Report {
    let churned: Vec<bool> = cases
        .iter()
        .map(|c| c.summary.holdout_purchases == 0)
        .collect();
    // BG/NBD's own figures are NaN (JSON null) when it could not be fitted.
    let bgnbd_churn: Vec<f64> = cases
        .iter()
        .map(|c| {
            let s = &c.summary;
            model.map_or(f64::NAN, |m| {
                m.p_no_purchase(horizon_weeks, f64::from(s.x), s.t_x, s.t)
            })
        })
        .collect();
    let model_churn: Vec<f64> = cases.iter().map(|c| c.product_churn).collect();
    let rule_scores: Vec<f64> = cases.iter().map(|c| f64::from(c.rule_points)).collect();
    let recency: Vec<f64> = cases.iter().map(|c| c.summary.t - c.summary.t_x).collect();
    let predicted_purchases: Vec<f64> = cases
        .iter()
        .map(|c| {
            let s = &c.summary;
            model.map_or(f64::NAN, |m| {
                m.expected_purchases(horizon_weeks, f64::from(s.x), s.t_x, s.t)
                    .unwrap_or(0.0)
            })
        })
        .collect();
    let actual_purchases: Vec<f64> = cases
        .iter()
        .map(|c| f64::from(c.summary.holdout_purchases))
        .collect();
    let rule_purchases: Vec<f64> = cases
        .iter()
        .map(|c| {
            let s = &c.summary;
            // Purchases per week since the first purchase (the first one included).
            (f64::from(s.x) + 1.0) / s.t.max(1.0) * horizon_weeks
        })
        .collect();
    let predicted_spend: Vec<f64> = cases
        .iter()
        .zip(&predicted_purchases)
        .map(|(c, purchases)| {
            let mean = spend.map_or(c.summary.mean_repeat_spend, |g| {
                g.conditional_mean_spend(f64::from(c.summary.x), c.summary.mean_repeat_spend)
            });
            purchases * mean
        })
        .collect();
    let actual_spend: Vec<f64> = cases.iter().map(|c| c.summary.holdout_spend).collect();
    let rule_spend: Vec<f64> = cases
        .iter()
        .map(|c| c.recent_weekly_spend * horizon_weeks)
        .collect();
    let declines: Vec<bool> = cases
        .iter()
        .map(|c| {
            let holdout_rate = c.summary.holdout_spend / horizon_weeks;
            holdout_rate < (1.0 + decline_pct / 100.0) * c.calibration_weekly_spend
        })
        .collect();
    let (mae_purchases_model, rmse_purchases_model) =
        errors(&predicted_purchases, &actual_purchases);
    let (mae_purchases_rules, rmse_purchases_rules) = errors(&rule_purchases, &actual_purchases);
    let (mae_spend_model, rmse_spend_model) = errors(&predicted_spend, &actual_spend);
    let (mae_spend_rules, rmse_spend_rules) = errors(&rule_spend, &actual_spend);
    let forecast: Vec<(f64, f64, f64, f64)> = cases
        .iter()
        .filter_map(|c| {
            c.forecast
                .map(|(e, l, h)| (e, l, h, c.summary.holdout_spend))
        })
        .collect();
    let forecast_coverage = forecast
        .iter()
        .filter(|(_, low, high, actual)| low <= actual && actual <= high)
        .count() as f64
        / forecast.len().max(1) as f64;
    let forecast_points: Vec<f64> = forecast.iter().map(|f| f.0).collect();
    let forecast_actuals: Vec<f64> = forecast.iter().map(|f| f.3).collect();
    let (mae_spend_forecast, _) = errors(&forecast_points, &forecast_actuals);
    let base_rate = churned.iter().filter(|c| **c).count() as f64 / churned.len().max(1) as f64;
    let (reliability, calibration_error) = reliability(&model_churn, &churned);
    Report {
        churn_model: String::new(),
        churn_model_note: None,
        brier_model: brier(&model_churn, &churned),
        brier_base_rate: brier(&vec![base_rate; churned.len()], &churned),
        base_rate,
        calibration_error,
        reliability,
        recalibration: None,
        high_flags: high_flags(cases, &recency, &churned, horizon_weeks),
        bgnbd_warning: None,
        holdout_customers: cases.len(),
        forecast_customers: forecast.len(),
        forecast_coverage,
        mae_spend_forecast,
        holdout_churned: churned.iter().filter(|c| **c).count(),
        holdout_weeks: horizon_weeks,
        auc_rules: auc(&rule_scores, &churned),
        auc_model: auc(&model_churn, &churned),
        auc_bgnbd_no_purchase: auc(&bgnbd_churn, &churned),
        auc_bgnbd_expected_purchases: auc(
            &predicted_purchases.iter().map(|p| -p).collect::<Vec<_>>(),
            &churned,
        ),
        auc_recency: auc(&recency, &churned),
        rules_churn_flag: flagging(
            &cases
                .iter()
                .map(|c| c.rule_points >= c.rule_risk_points)
                .collect::<Vec<_>>(),
            &churned,
        ),
        model_churn_flag: flagging(
            &model_churn.iter().map(|p| *p >= 0.5).collect::<Vec<_>>(),
            &churned,
        ),
        rules_gap_flag_vs_decline: flagging(
            &cases.iter().map(|c| c.rule_has_gap).collect::<Vec<_>>(),
            &declines,
        ),
        actual_declines: declines.iter().filter(|d| **d).count(),
        mae_purchases_model,
        rmse_purchases_model,
        mae_purchases_rules,
        rmse_purchases_rules,
        mae_spend_model,
        rmse_spend_model,
        mae_spend_rules,
        rmse_spend_rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_random_and_tied_scores() {
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), 1.0);
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), 0.0);
        assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &[false, true, false, true]), 0.5);
        assert!(auc(&[1.0, 2.0], &[true, true]).is_nan());
    }

    #[test]
    fn precision_against_the_same_count_by_score() {
        let flags = [true, false, true, false];
        let recency = [1.0, 9.0, 2.0, 8.0];
        let truth = [true, true, false, false];
        // Flags: 1 of 2 right; the two most recent-less (positions 1 and 3): 1 of 2.
        assert_eq!(precision_against(&flags, &recency, &truth), (0.5, 0.5));
        let (p, naive) = precision_against(&[false; 4], &recency, &truth);
        assert!(p.is_nan() && naive.is_nan());
    }
}
