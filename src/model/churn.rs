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
}

/// A probability of no purchase in `label_weeks` carried to `horizon` weeks: unchanged when
/// they are equal; otherwise scaled by how a purchase model (`no_purchase(weeks)` for this
/// customer) says the chance of no purchase changes between the two, or, without one, as if
/// each stretch of `label_weeks` were an independent chance to buy.
pub fn at_horizon(
    probability: f64,
    label_weeks: f64,
    horizon: f64,
    no_purchase: Option<&dyn Fn(f64) -> f64>,
) -> f64 {
    if (label_weeks - horizon).abs() < 1e-9 || label_weeks <= 0.0 {
        return probability;
    }
    let scaled = match no_purchase {
        Some(model) => {
            let (short, long) = (model(label_weeks), model(horizon));
            if short > 0.0 && long.is_finite() {
                probability * long / short
            } else {
                probability
            }
        }
        None => probability.powf(horizon / label_weeks),
    };
    scaled.clamp(0.0, 1.0)
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
        })
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
    let features: Vec<Vec<f64>> = inner
        .par_iter()
        .map(|s| features(s, inner_model.as_ref()))
        .collect();
    let labels: Vec<bool> = inner.iter().map(|s| s.holdout_purchases == 0).collect();
    let churned = labels.iter().filter(|l| **l).count();
    if churned < 10 || labels.len() - churned < 10 {
        return None;
    }
    let mut logistic = Logistic::fit(&features, &labels)?;
    logistic.label_weeks = inner_weeks;
    // A degenerate fit (constant or non-finite output) is no model.
    let outputs: Vec<f64> = features.iter().map(|f| logistic.probability(f)).collect();
    let finite = outputs.iter().all(|p| p.is_finite());
    let varies = outputs.iter().any(|p| (p - outputs[0]).abs() > 1e-9);
    (finite && varies).then_some(logistic)
}
