//! A churn probability learned inside the calibration period: the calibration window is split
//! at `calibration end − horizon`, a logistic regression learns "no purchase in the last part"
//! from features of the first part (recency, frequency, age, spend, and BG/NBD P(alive) when
//! BG/NBD describes the data), and the learned weights are applied to the same features at
//! the calibration end. No holdout data is used, so a backtest of it is honest. Without
//! BG/NBD (data it cannot describe) the same model is learned from the other four features.

use super::bgnbd;
use super::summary::CustomerSummary;

/// Features of one customer (standardised before fitting): recency, frequency, age, spend,
/// and BG/NBD P(alive) when a model is given.
pub fn features(summary: &CustomerSummary, model: Option<&bgnbd::Params>) -> Vec<f64> {
    let x = f64::from(summary.x);
    let mut row = vec![
        summary.t - summary.t_x,
        (1.0 + x).ln(),
        summary.t,
        (1.0 + summary.mean_repeat_spend).ln(),
    ];
    if let Some(model) = model {
        row.push(model.p_alive(x, summary.t_x, summary.t));
    }
    row
}

/// What the learned model reads besides the summaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Features {
    /// BG/NBD P(alive) too, from a fit of the first part of the period (started near this
    /// fit of the whole period).
    WithBgnbd(bgnbd::Params),
    /// Recency, frequency, age and spend only.
    Plain,
}

/// The ridge penalty on the standardised weights: keeps Newton's steps finite when a feature
/// separates the classes.
const RIDGE: f64 = 1e-3;

/// The log-likelihood's gradient and negated Hessian at `weights` over the rows of a flat
/// design matrix (`weights.len()` columns), summed in parallel chunks.
fn newton_sums(design: &[f64], labels: &[bool], weights: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    use rayon::prelude::*;
    let width = weights.len();
    let zero = || (vec![0.0; width], vec![vec![0.0; width]; width]);
    let (gradient, mut hessian) = design
        .par_chunks(width * 4096)
        .zip(labels.par_chunks(4096))
        .fold(zero, |(mut gradient, mut hessian), (rows, labels)| {
            for (row, label) in rows.chunks_exact(width).zip(labels) {
                let eta: f64 = row.iter().zip(weights).map(|(x, w)| x * w).sum();
                let p = 1.0 / (1.0 + (-eta).exp());
                let residual = f64::from(u8::from(*label)) - p;
                let curvature = p * (1.0 - p);
                for a in 0..width {
                    gradient[a] += residual * row[a];
                    for b in a..width {
                        hessian[a][b] += curvature * row[a] * row[b];
                    }
                }
            }
            (gradient, hessian)
        })
        .reduce(zero, |(mut g1, mut h1), (g2, h2)| {
            for a in 0..width {
                g1[a] += g2[a];
                for b in a..width {
                    h1[a][b] += h2[a][b];
                }
            }
            (g1, h1)
        });
    // Only the upper triangle was summed; mirror it.
    let upper = hessian.clone();
    for (a, row) in hessian.iter_mut().enumerate() {
        for (b, cell) in row.iter_mut().enumerate().take(a) {
            *cell = upper[b][a];
        }
    }
    (gradient, hessian)
}

/// A fitted logistic model with its standardisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    means: Vec<f64>,
    scales: Vec<f64>,
    /// Intercept first.
    weights: Vec<f64>,
    /// The weeks its label looked ahead ("no purchase in the next `label_weeks`"): the
    /// horizon when the data are long enough, else less (see [`at_horizon`]).
    pub label_weeks: f64,
    /// The BG/NBD fit its P(alive) feature came from (the first part of the period), kept so
    /// the feature means the same when the model is applied: a fit of the whole period can
    /// judge the same customer very differently where BG/NBD barely describes the data.
    pub feature_model: Option<bgnbd::Params>,
}

/// A probability of no purchase in `label_weeks` carried to `horizon` weeks, as if each
/// stretch of `label_weeks` were an independent chance to buy (p^(horizon / label_weeks)):
/// unchanged when they are equal, and monotone, so the ranking is the model's own. (A
/// per-customer purchase model's ratio ranks worse where that model misjudges the data, as
/// BG/NBD does weekly shoppers.)
pub fn at_horizon(probability: f64, label_weeks: f64, horizon: f64) -> f64 {
    if (label_weeks - horizon).abs() < 1e-9 || label_weeks <= 0.0 {
        return probability;
    }
    probability.powf(horizon / label_weeks).clamp(0.0, 1.0)
}

impl Logistic {
    /// Fits by Newton's method (IRLS) with a small ridge penalty for stability.
    pub fn fit(rows: &[Vec<f64>], labels: &[bool]) -> Option<Self> {
        let n = rows.len();
        let k = rows.first()?.len();
        let means: Vec<f64> = (0..k)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n as f64)
            .collect();
        let scales: Vec<f64> = (0..k)
            .map(|j| {
                let variance =
                    rows.iter().map(|r| (r[j] - means[j]).powi(2)).sum::<f64>() / n as f64;
                variance.sqrt().max(1e-12)
            })
            .collect();
        // One flat, standardised design matrix (intercept first) read in parallel chunks.
        let width = k + 1;
        let design: Vec<f64> = rows
            .iter()
            .flat_map(|r| std::iter::once(1.0).chain((0..k).map(|j| (r[j] - means[j]) / scales[j])))
            .collect();
        let mut weights = vec![0.0; width];
        for _ in 0..50 {
            let (mut gradient, mut hessian) = newton_sums(&design, labels, &weights);
            for a in 1..width {
                gradient[a] -= RIDGE * weights[a];
                hessian[a][a] += RIDGE;
            }
            let step = super::linalg::solve(hessian, gradient)?;
            let size: f64 = step.iter().map(|s| s.abs()).sum();
            for (w, s) in weights.iter_mut().zip(&step) {
                *w += s;
            }
            if size < 1e-10 {
                break;
            }
        }
        Some(Self {
            means,
            scales,
            weights,
            label_weeks: 0.0,
            feature_model: None,
        })
    }

    /// P(no purchase in `label_weeks`) of a customer, from their summary.
    pub fn probability_of(&self, summary: &CustomerSummary) -> f64 {
        self.probability(&features(summary, self.feature_model.as_ref()))
    }

    /// P(label) for one row of features.
    pub fn probability(&self, row: &[f64]) -> f64 {
        let eta = self.weights[0]
            + row
                .iter()
                .enumerate()
                .map(|(j, x)| self.weights[j + 1] * (x - self.means[j]) / self.scales[j])
                .sum::<f64>();
        1.0 / (1.0 + (-eta).exp())
    }
}

/// Whether BG/NBD's P(alive) (from `model`) improves the held-out log loss of the learned
/// model: a fixed 70/30 split of the customers by position.
fn helps(inner: &[CustomerSummary], labels: &[bool], model: &bgnbd::Params) -> bool {
    let held_out = |i: usize| i % 10 >= 7;
    let log_loss = |with: Option<&bgnbd::Params>| -> Option<f64> {
        let rows: Vec<Vec<f64>> = inner.iter().map(|s| features(s, with)).collect();
        let (train, train_labels): (Vec<Vec<f64>>, Vec<bool>) = rows
            .iter()
            .zip(labels)
            .enumerate()
            .filter(|(i, _)| !held_out(*i))
            .map(|(_, (row, label))| (row.clone(), *label))
            .unzip();
        let fitted = Logistic::fit(&train, &train_labels)?;
        let (sum, count) = rows
            .iter()
            .zip(labels)
            .enumerate()
            .filter(|(i, _)| held_out(*i))
            .fold((0.0, 0usize), |(sum, count), (_, (row, label))| {
                let p = fitted.probability(row).clamp(1e-9, 1.0 - 1e-9);
                let loss = if *label { -p.ln() } else { -(1.0 - p).ln() };
                (sum + loss, count + 1)
            });
        (count > 0 && sum.is_finite()).then(|| sum / count as f64)
    };
    match (log_loss(Some(model)), log_loss(None)) {
        (Some(with), Some(without)) => with < without,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Trains the logistic model inside the period that ends on `calibration_end` (a day
/// number): the last third of the period (at most `horizon_weeks`) plays the holdout. `None`
/// when the period is too short, BG/NBD cannot be fitted on the first part, or the split has
/// fewer than 10 churners or 10 buyers to learn from.
pub fn train(
    purchases: &super::summary::Purchases<'_>,
    summaries: &[Option<CustomerSummary>],
    calibration_end: i32,
    horizon_weeks: f64,
    with: Features,
) -> Option<Logistic> {
    use super::summary;
    use rayon::prelude::*;
    let first_day = summaries
        .iter()
        .flatten()
        .map(|s| calibration_end - (s.t * 7.0).round() as i32)
        .min()?;
    let inner_weeks = (f64::from(calibration_end - first_day) / 7.0 / 3.0).min(horizon_weeks);
    let inner_end = calibration_end - (inner_weeks * 7.0).round() as i32;
    let inner: Vec<CustomerSummary> = purchases
        .summaries(inner_end, calibration_end)
        .into_iter()
        .flatten()
        .collect();
    // Only a feature (P(alive)) comes from this fit, so a degenerate one still serves.
    // The fit over the whole period starts the search close to this one's optimum, and a
    // sample of a large population suffices: only a feature comes from this fit.
    let inner_model = match with {
        Features::WithBgnbd(near) => {
            let rows = summary::compress(inner.iter().map(|s| (f64::from(s.x), s.t_x, s.t)));
            Some(bgnbd::maximum(&bgnbd::sample(&rows), Some(near)).ok()?)
        }
        Features::Plain => None,
    };
    let labels: Vec<bool> = inner.iter().map(|s| s.holdout_purchases == 0).collect();
    let churned = labels.iter().filter(|l| **l).count();
    if churned < 10 || labels.len() - churned < 10 {
        return None;
    }
    // With BG/NBD, its P(alive) is a feature only when it earns its place: both models are
    // fitted on 70 % of the customers and judged by log loss on the other 30 % (where BG/NBD
    // barely describes the data, its P(alive) misleads the model).
    let feature_model = match inner_model {
        Some(model) if !helps(&inner, &labels, &model) => None,
        other => other,
    };
    let features: Vec<Vec<f64>> = inner
        .par_iter()
        .map(|s| features(s, feature_model.as_ref()))
        .collect();
    let mut logistic = Logistic::fit(&features, &labels)?;
    logistic.label_weeks = inner_weeks;
    logistic.feature_model = feature_model;
    // A degenerate fit (constant or non-finite output) is no model.
    let outputs: Vec<f64> = features.iter().map(|f| logistic.probability(f)).collect();
    let finite = outputs.iter().all(|p| p.is_finite());
    let varies = outputs.iter().any(|p| (p - outputs[0]).abs() > 1e-9);
    (finite && varies).then_some(logistic)
}
