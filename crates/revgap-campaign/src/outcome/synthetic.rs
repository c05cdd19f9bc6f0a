//! Follow-up spend with a known truth, for tests and demonstrations: every member's expected
//! weekly spend after the campaign is their pre-campaign weekly spend X, plus `effect` when
//! treated. Noise is multiplicative (mean one, lognormal), sized so the population
//! correlation between X and follow-up spend is `correlation`, so spend never goes negative
//! and the truth holds exactly in expectation; weekly values vary around it (mean-preserving).

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

/// What the generator is told.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Truth {
    /// Added to a treated member's expected weekly spend (currency per week; ≥ 0).
    pub effect: f64,
    /// Target correlation of pre-campaign and follow-up spend (0 < ρ ≤ 1).
    pub correlation: f64,
    pub seed: u64,
}

/// Weekly follow-up spend per member: `weeks` values each, in member order. `pre` is each
/// member's pre-campaign weekly spend, `treated` their arm.
pub fn weekly(pre: &[f64], treated: &[bool], weeks: usize, truth: Truth) -> Vec<Vec<f64>> {
    let n = pre.len().max(1) as f64;
    let mean = pre.iter().sum::<f64>() / n;
    let variance = pre.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    // Y = X·M + effect·T with E[M] = 1, Var[M] = v: corr(X, X·M)² = Var X / (Var X (1 + v) +
    // (E X)² v), solved for v.
    let rho = truth.correlation.clamp(1e-3, 1.0);
    let v = variance * (1.0 / (rho * rho) - 1.0) / (variance + mean * mean).max(1e-12);
    let sigma = (1.0 + v).ln().sqrt();
    let normal = Normal::new(-sigma * sigma / 2.0, sigma.max(1e-12)).ok();
    let mut rng = ChaCha8Rng::seed_from_u64(truth.seed);
    pre.iter()
        .zip(treated)
        .map(|(x, in_treatment)| {
            let multiplier = normal.map_or(1.0, |d| d.sample(&mut rng).exp());
            let expected = x.max(0.0) * multiplier + if *in_treatment { truth.effect } else { 0.0 };
            (0..weeks)
                .map(|_| {
                    // Uniform in [0.5, 1.5]: mean one, never negative.
                    let jitter = 0.5 + rng.random::<f64>();
                    (expected * jitter * 100.0).round() / 100.0
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_truth_holds_in_expectation_and_spend_is_never_negative() {
        let pre: Vec<f64> = (0..4000).map(|i| 20.0 + (i % 200) as f64).collect();
        let treated: Vec<bool> = (0..4000).map(|i| i % 2 == 0).collect();
        let truth = Truth {
            effect: 12.0,
            correlation: 0.7,
            seed: 3,
        };
        let spend = weekly(&pre, &treated, 4, truth);
        assert!(spend.iter().flatten().all(|v| *v >= 0.0));
        let mean_of = |arm: bool| {
            let rows: Vec<f64> = spend
                .iter()
                .zip(&treated)
                .filter(|(_, t)| **t == arm)
                .map(|(w, _)| w.iter().sum::<f64>() / 4.0)
                .collect();
            rows.iter().sum::<f64>() / rows.len() as f64
        };
        let difference = mean_of(true) - mean_of(false);
        assert!((difference - 12.0).abs() < 4.0, "{difference}");
    }
}
