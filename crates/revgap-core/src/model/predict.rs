//! Per-customer predictions for the product: P(alive), P(no purchase in the horizon),
//! expected purchases and spend, and revenue at risk if nothing is done, with an interval.
//!
//! Revenue at risk = baseline weekly spend × horizon − expected spend over the horizon
//! (E[X(H)] from BG/NBD × the Gamma-Gamma conditional mean spend), floored at 0. Its interval
//! and that of expected spend are a parametric bootstrap: parameters are drawn independently,
//! log-normally, with the
//! fitted standard errors (the delta method on log θ), the prediction is recomputed per draw,
//! and the central `interval` share of the draws is reported. Draws are seeded by the
//! customer, so the interval is reproducible.

use super::bgnbd;
use super::gamma_gamma;
use super::summary::{self, CustomerSummary};
use crate::data::Dataset;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

/// The fitted models of one analysis.
#[derive(Debug, Clone)]
pub struct Models {
    pub bgnbd: bgnbd::Fit,
    pub spend: Option<gamma_gamma::Fit>,
    pub summaries: Vec<Option<CustomerSummary>>,
    pub horizon_weeks: f64,
    /// The churn model learned inside the data's own period (see `churn`), when trainable.
    pub logistic: Option<super::churn::Logistic>,
    /// The map learned on the second split, when the probabilities needed one (see
    /// `recalibrate`).
    pub recalibration: Option<super::recalibrate::Platt>,
}

/// A customer's predictions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prediction {
    pub p_alive: f64,
    pub p_no_purchase: f64,
    /// The churn probability in use: the learned model's when it exists, else p_no_purchase.
    pub churn_probability: f64,
    pub expected_purchases: f64,
    pub expected_spend: f64,
    pub expected_spend_low: f64,
    pub expected_spend_high: f64,
    pub revenue_at_risk: f64,
    pub revenue_at_risk_low: f64,
    pub revenue_at_risk_high: f64,
    pub horizon_weeks: f64,
}

/// Fits BG/NBD (and Gamma-Gamma when possible) on the dataset up to its as-of date.
pub fn fit(dataset: &Dataset, horizon_weeks: f64) -> Result<Models, super::fit::FitError> {
    let end = dataset
        .as_of
        .map(crate::data::day_number)
        .ok_or_else(|| super::fit::FitError::TooFewData("no dates".into()))?;
    fit_purchases(&summary::Purchases::of(dataset), end, horizon_weeks)
}

/// Fits BG/NBD (and Gamma-Gamma when possible) on `purchases` up to `end` (a day number).
pub fn fit_purchases(
    purchases: &summary::Purchases<'_>,
    end: i32,
    horizon_weeks: f64,
) -> Result<Models, super::fit::FitError> {
    let started = std::time::Instant::now();
    let elapsed_ms = || started.elapsed().as_millis();
    let summaries = purchases.summaries(end, end);
    let rows = summary::compress(
        summaries
            .iter()
            .flatten()
            .map(|s| (f64::from(s.x), s.t_x, s.t)),
    );
    tracing::debug!(ms = elapsed_ms(), rows = rows.len(), "summaries compressed");
    let pairs: Vec<(f64, f64)> = summaries
        .iter()
        .flatten()
        .map(|s| (f64::from(s.x), s.mean_repeat_spend))
        .collect();
    // Spend and purchases are independent fits: Gamma-Gamma runs beside BG/NBD and the churn
    // model, which starts from BG/NBD's optimum.
    let (purchase_models, spend) = rayon::join(
        || {
            // Point estimates serve without standard errors (see `decide`); only a fit that
            // does not describe the data is refused.
            let bgnbd = bgnbd::fit(&rows)?;
            bgnbd::check_describes(&bgnbd)?;
            tracing::debug!(ms = elapsed_ms(), "BG/NBD fitted");
            let logistic = super::churn::train(
                purchases,
                &summaries,
                end,
                horizon_weeks,
                super::churn::Features::WithBgnbd(bgnbd.params),
            );
            tracing::debug!(ms = elapsed_ms(), "churn model trained");
            Ok((bgnbd, logistic))
        },
        || gamma_gamma::fit(&pairs).ok(),
    );
    let (bgnbd, logistic) = purchase_models?;
    Ok(Models {
        bgnbd,
        spend,
        summaries,
        horizon_weeks,
        logistic,
        recalibration: None,
    })
}

/// P(no purchase in `horizon` weeks) of a customer before any recalibration: the learned
/// model's when there is one, else BG/NBD's.
pub fn churn_probability_of(
    bg: &bgnbd::Params,
    logistic: Option<&super::churn::Logistic>,
    s: &CustomerSummary,
    horizon: f64,
) -> f64 {
    let x = f64::from(s.x);
    match logistic {
        // The learned P(no purchase in its label weeks), carried to the horizon by BG/NBD's
        // own conditional chance of no purchase in the weeks between: dead customers stay
        // quiet, so this bends where a constant rate would not.
        Some(logistic) => {
            let learned = logistic.probability_of(s);
            let h = logistic.label_weeks;
            let at_label = bg.p_no_purchase(h, x, s.t_x, s.t);
            let at_horizon = bg.p_no_purchase(horizon, x, s.t_x, s.t);
            if h > 0.0 && at_label > 1e-12 && at_horizon.is_finite() {
                (learned * at_horizon / at_label).clamp(0.0, 1.0)
            } else {
                super::churn::at_horizon(learned, h, horizon)
            }
        }
        None => bg.p_no_purchase(horizon, x, s.t_x, s.t),
    }
}

impl Models {
    /// The churn probability of a customer: the learned model's when there is one, else
    /// BG/NBD P(no purchase in the horizon). None without a purchase in the data.
    pub fn churn_probability(&self, customer: usize) -> Option<f64> {
        let s = self.summaries.get(customer)?.as_ref()?;
        let p = churn_probability_of(
            &self.bgnbd.params,
            self.logistic.as_ref(),
            s,
            self.horizon_weeks,
        );
        Some(self.recalibration.as_ref().map_or(p, |map| map.apply(p)))
    }

    /// Whether the forecasts carry intervals (BG/NBD's standard errors could be estimated).
    pub fn has_intervals(&self) -> bool {
        self.bgnbd.std_errors.is_some()
    }

    fn expected_spend(
        &self,
        bg: &bgnbd::Params,
        gg: Option<&gamma_gamma::Params>,
        s: &CustomerSummary,
    ) -> (f64, f64) {
        let x = f64::from(s.x);
        let purchases = bg
            .expected_purchases(self.horizon_weeks, x, s.t_x, s.t)
            .unwrap_or(0.0);
        let mean = match gg {
            Some(g) if x > 0.0 => g.conditional_mean_spend(x, s.mean_repeat_spend),
            Some(g) => g.conditional_mean_spend(0.0, 0.0),
            None => s.calibration_spend / (x + 1.0),
        };
        (purchases, purchases * mean)
    }

    /// The predictions of one customer, with the bootstrap interval.
    pub fn predict(
        &self,
        customer: usize,
        baseline_weekly: f64,
        interval: f64,
        draws: u32,
    ) -> Option<Prediction> {
        let s = self.summaries.get(customer)?.as_ref()?;
        let x = f64::from(s.x);
        let bg = &self.bgnbd.params;
        let gg = self.spend.as_ref().map(|f| f.params);
        let (expected_purchases, expected_spend) = self.expected_spend(bg, gg.as_ref(), s);
        let at_risk = |spend: f64| (baseline_weekly * self.horizon_weeks - spend).max(0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed ^ customer as u64);
        let mut draw = |value: f64, se: f64| {
            let z: f64 = StandardNormal.sample(&mut rng);
            value * (z * se / value).exp()
        };
        let mut spends: Vec<f64> = (0..draws)
            .filter_map(|_| {
                let bse = self.bgnbd.std_errors?;
                let params = bgnbd::Params {
                    r: draw(bg.r, bse.r),
                    alpha: draw(bg.alpha, bse.alpha),
                    a: draw(bg.a, bse.a),
                    b: draw(bg.b, bse.b),
                };
                let spend_params = gg.map(|g| {
                    let gse = self.spend.as_ref().and_then(|f| f.std_errors);
                    gse.map_or(g, |e| gamma_gamma::Params {
                        p: draw(g.p, e.p),
                        q: draw(g.q, e.q).max(1.0 + 1e-6),
                        gamma: draw(g.gamma, e.gamma),
                    })
                });
                let (_, spend) = self.expected_spend(&params, spend_params.as_ref(), s);
                spend.is_finite().then_some(spend)
            })
            .collect();
        spends.sort_by(f64::total_cmp);
        let tail = (1.0 - interval) / 2.0;
        // Revenue at risk falls as expected spend rises: its low end is spend's high end.
        let quantile = |q: f64| -> f64 {
            if spends.is_empty() {
                expected_spend
            } else {
                spends[((spends.len() - 1) as f64 * q).round() as usize]
            }
        };
        Some(Prediction {
            p_alive: bg.p_alive(x, s.t_x, s.t),
            p_no_purchase: bg.p_no_purchase(self.horizon_weeks, x, s.t_x, s.t),
            churn_probability: self.churn_probability(customer).unwrap_or(f64::NAN),
            expected_purchases,
            expected_spend,
            expected_spend_low: quantile(tail),
            expected_spend_high: quantile(1.0 - tail),
            revenue_at_risk: at_risk(expected_spend),
            revenue_at_risk_low: at_risk(quantile(1.0 - tail)),
            revenue_at_risk_high: at_risk(quantile(tail)),
            horizon_weeks: self.horizon_weeks,
        })
    }
}
