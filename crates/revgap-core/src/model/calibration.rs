//! How well probabilities match what happened: the Brier score and the reliability table
//! (deciles of predicted probability) with its calibration error. Shared by the backtest and
//! the recalibration check; uses nothing else.

use serde::Serialize;

/// One decile of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityBin {
    pub mean_predicted: f64,
    pub observed_share: f64,
    pub count: usize,
}

/// The reliability table of `probabilities` for `outcomes`: ten groups of (nearly) equal size
/// by predicted probability, each with its mean prediction and observed share; and the
/// count-weighted mean absolute gap between the two.
pub fn reliability(probabilities: &[f64], outcomes: &[bool]) -> (Vec<ReliabilityBin>, f64) {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|a, b| probabilities[*a].total_cmp(&probabilities[*b]));
    let n = order.len();
    let mut bins = Vec::new();
    let mut weighted_gap = 0.0;
    for decile in 0..10 {
        let (from, to) = (n * decile / 10, n * (decile + 1) / 10);
        if from == to {
            continue;
        }
        let members = &order[from..to];
        let count = members.len();
        let mean_predicted = members.iter().map(|&i| probabilities[i]).sum::<f64>() / count as f64;
        let observed_share = members.iter().filter(|&&i| outcomes[i]).count() as f64 / count as f64;
        weighted_gap += count as f64 * (mean_predicted - observed_share).abs();
        bins.push(ReliabilityBin {
            mean_predicted,
            observed_share,
            count,
        });
    }
    (bins, weighted_gap / n.max(1) as f64)
}

/// Mean squared error of probabilities against outcomes.
pub fn brier(probabilities: &[f64], outcomes: &[bool]) -> f64 {
    probabilities
        .iter()
        .zip(outcomes)
        .map(|(p, y)| (p - f64::from(u8::from(*y))).powi(2))
        .sum::<f64>()
        / probabilities.len().max(1) as f64
}
