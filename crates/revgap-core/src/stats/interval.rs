//! Interval estimators for a randomized holdout: the difference in means with a Neyman
//! variance and Welch–Satterthwaite degrees of freedom, the same after CUPED adjustment on a
//! pre-period covariate, Wilson intervals for a proportion and Newcombe's hybrid score
//! interval for a difference of proportions. Pure functions with golden values.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// An estimate with its two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Interval {
    /// Every number times `factor` (a positive scale: per customer → total).
    pub fn scaled(self, factor: f64) -> Self {
        Self {
            estimate: self.estimate * factor,
            ci_low: self.ci_low * factor,
            ci_high: self.ci_high * factor,
        }
    }

    pub fn crosses_zero(self) -> bool {
        self.ci_low <= 0.0 && self.ci_high >= 0.0
    }

    pub fn width(self) -> f64 {
        self.ci_high - self.ci_low
    }

    /// "$11.07 ($4.40 to $17.74)".
    pub fn as_amount(self, unit: crate::text::ValueUnit) -> String {
        format!(
            "{} ({} to {})",
            unit.amount(self.estimate),
            unit.amount(self.ci_low),
            unit.amount(self.ci_high)
        )
    }

    /// "78.0% (75.8% to 80.0%)" for a proportion.
    pub fn as_percent(self) -> String {
        format!(
            "{:.1}% ({:.1}% to {:.1}%)",
            self.estimate * 100.0,
            self.ci_low * 100.0,
            self.ci_high * 100.0
        )
    }
}

/// The Student t quantile; the normal one for very large degrees of freedom.
pub fn t_quantile(p: f64, degrees_of_freedom: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || degrees_of_freedom.is_nan() || degrees_of_freedom <= 0.0 {
        return f64::NAN;
    }
    if degrees_of_freedom > 1e7 {
        return super::normal_quantile(p);
    }
    StudentsT::new(0.0, 1.0, degrees_of_freedom)
        .map(|t| t.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// Mean and sample variance (n − 1); (0, 0) for no values, variance 0 for one.
pub fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, variance)
}

/// Treated minus control difference in means.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Welch {
    pub interval: Interval,
    pub standard_error: f64,
    pub degrees_of_freedom: f64,
}

/// The difference in means with a Neyman variance and a Welch t interval at `level` (0.95);
/// `None` when an arm has fewer than two values.
pub fn welch(treated: &[f64], control: &[f64], level: f64) -> Option<Welch> {
    if treated.len() < 2 || control.len() < 2 {
        return None;
    }
    let (mean_t, var_t) = mean_and_variance(treated);
    let (mean_c, var_c) = mean_and_variance(control);
    let (n_t, n_c) = (treated.len() as f64, control.len() as f64);
    let (part_t, part_c) = (var_t / n_t, var_c / n_c);
    let variance = part_t + part_c;
    let estimate = mean_t - mean_c;
    let degrees_of_freedom = if variance > 0.0 {
        variance.powi(2) / (part_t.powi(2) / (n_t - 1.0) + part_c.powi(2) / (n_c - 1.0))
    } else {
        n_t + n_c - 2.0
    };
    let half = t_quantile(0.5 + level / 2.0, degrees_of_freedom) * variance.sqrt();
    Some(Welch {
        interval: Interval {
            estimate,
            ci_low: estimate - half,
            ci_high: estimate + half,
        },
        standard_error: variance.sqrt(),
        degrees_of_freedom,
    })
}

/// The CUPED-adjusted difference: θ pooled over both arms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cuped {
    pub welch: Welch,
    pub theta: f64,
    /// 1 − Var(adjusted) / Var(unadjusted), pooled.
    pub variance_reduction: f64,
}

/// CUPED (Deng et al. 2013): Y − θ(X − X̄) with θ = Cov(Y, X) / Var(X) over both arms, then
/// `welch`. `(y, x)` pairs per arm.
pub fn cuped(treated: &[(f64, f64)], control: &[(f64, f64)], level: f64) -> Option<Cuped> {
    let all: Vec<(f64, f64)> = treated.iter().chain(control).copied().collect();
    if all.len() < 3 {
        return None;
    }
    let n = all.len() as f64;
    let mean_y = all.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_x = all.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance = all
        .iter()
        .map(|(y, x)| (y - mean_y) * (x - mean_x))
        .sum::<f64>()
        / (n - 1.0);
    let variance_x = all.iter().map(|(_, x)| (x - mean_x).powi(2)).sum::<f64>() / (n - 1.0);
    let theta = if variance_x > 0.0 {
        covariance / variance_x
    } else {
        0.0
    };
    let adjust = |pairs: &[(f64, f64)]| -> Vec<f64> {
        pairs
            .iter()
            .map(|(y, x)| y - theta * (x - mean_x))
            .collect()
    };
    let (adjusted_t, adjusted_c) = (adjust(treated), adjust(control));
    let welch = welch(&adjusted_t, &adjusted_c, level)?;
    let ys: Vec<f64> = all.iter().map(|p| p.0).collect();
    let adjusted: Vec<f64> = adjusted_t.iter().chain(&adjusted_c).copied().collect();
    let (_, variance_y) = mean_and_variance(&ys);
    let (_, variance_adjusted) = mean_and_variance(&adjusted);
    let variance_reduction = if variance_y > 0.0 {
        1.0 - variance_adjusted / variance_y
    } else {
        0.0
    };
    Some(Cuped {
        welch,
        theta,
        variance_reduction,
    })
}

/// The Wilson score interval of `successes` out of `n` at `level`.
pub fn wilson(successes: usize, n: usize, level: f64) -> Interval {
    if n == 0 {
        return Interval {
            estimate: f64::NAN,
            ci_low: 0.0,
            ci_high: 1.0,
        };
    }
    let z = super::normal_quantile(0.5 + level / 2.0);
    let n = n as f64;
    let p = successes as f64 / n;
    let denominator = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    Interval {
        estimate: p,
        ci_low: (center - half).max(0.0),
        ci_high: (center + half).min(1.0),
    }
}

/// Newcombe's hybrid score interval (his method 10) for p₁ − p₂, from the Wilson intervals.
pub fn newcombe(
    successes_1: usize,
    n_1: usize,
    successes_2: usize,
    n_2: usize,
    level: f64,
) -> Interval {
    let first = wilson(successes_1, n_1, level);
    let second = wilson(successes_2, n_2, level);
    let (p1, p2) = (first.estimate, second.estimate);
    let estimate = p1 - p2;
    Interval {
        estimate,
        ci_low: estimate - ((p1 - first.ci_low).powi(2) + (second.ci_high - p2).powi(2)).sqrt(),
        ci_high: estimate + ((first.ci_high - p1).powi(2) + (p2 - second.ci_low).powi(2)).sqrt(),
    }
}

/// The two-sided p-value of a Welch difference (against no difference).
pub fn welch_p_value(welch: &Welch) -> f64 {
    if welch.standard_error <= 0.0 {
        return if welch.interval.estimate == 0.0 {
            1.0
        } else {
            0.0
        };
    }
    let t = (welch.interval.estimate / welch.standard_error).abs();
    match StudentsT::new(0.0, 1.0, welch.degrees_of_freedom.max(1.0)) {
        Ok(distribution) => (2.0 * (1.0 - distribution.cdf(t))).clamp(0.0, 1.0),
        Err(_) => f64::NAN,
    }
}

/// Benjamini–Hochberg at false discovery rate `q`: which of `p_values` are discoveries.
pub fn benjamini_hochberg(p_values: &[f64], q: f64) -> Vec<bool> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    // The largest rank k with p_(k) ≤ k q / m; every p up to it is a discovery.
    let cutoff = order
        .iter()
        .enumerate()
        .filter(|&(rank, &i)| p_values[i] <= (rank + 1) as f64 * q / m as f64)
        .map(|(rank, _)| rank + 1)
        .max()
        .unwrap_or(0);
    let mut discoveries = vec![false; m];
    for &i in &order[..cutoff] {
        discoveries[i] = true;
    }
    discoveries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) {
        assert!((a - b).abs() < tolerance, "{a} vs {b}");
    }

    #[test]
    fn t_quantile_golden_values() {
        close(t_quantile(0.975, 10.0), 2.228138852, 1e-6);
        close(t_quantile(0.975, 1.0), 12.70620474, 1e-6);
        close(t_quantile(0.975, 1e9), 1.959963985, 1e-6);
        assert!(t_quantile(1.5, 3.0).is_nan(), "never a panic on a bad p");
    }

    #[test]
    fn welch_matches_a_hand_computation() {
        // Means 3 and 1.5; variances 2.5 and 1.6667; n 5 and 4.
        let treated = [1.0, 2.0, 3.0, 4.0, 5.0];
        let control = [0.0, 1.0, 2.0, 3.0];
        let result = welch(&treated, &control, 0.95).unwrap();
        let variance: f64 = 2.5 / 5.0 + (5.0 / 3.0) / 4.0;
        let df = variance.powi(2) / ((0.5f64).powi(2) / 4.0 + (5.0 / 12.0f64).powi(2) / 3.0);
        close(result.interval.estimate, 1.5, 1e-12);
        close(result.degrees_of_freedom, df, 1e-9);
        close(
            result.interval.ci_high - 1.5,
            t_quantile(0.975, df) * variance.sqrt(),
            1e-9,
        );
        assert!(welch(&[1.0], &control, 0.95).is_none());
    }

    #[test]
    fn benjamini_hochberg_golden_example() {
        let p = [0.01, 0.04, 0.03, 0.005, 0.5];
        // Lines at q 0.1: 0.02, 0.04, 0.06, 0.08, 0.1; sorted p 0.005, 0.01, 0.03, 0.04, 0.5.
        assert_eq!(benjamini_hochberg(&p, 0.1), [true, true, true, true, false]);
        assert_eq!(
            benjamini_hochberg(&[0.03, 0.2], 0.05),
            [false, false],
            "0.03 > 1 × 0.05 / 2"
        );
    }

    #[test]
    fn a_welch_p_value_matches_its_interval() {
        let treated: Vec<f64> = (0..40).map(|i| 10.0 + (i % 7) as f64).collect();
        let control: Vec<f64> = (0..40).map(|i| 8.0 + (i % 5) as f64).collect();
        let result = welch(&treated, &control, 0.95).unwrap();
        let p = welch_p_value(&result);
        // The 95 % interval excludes 0 exactly when p < 0.05.
        assert_eq!(result.interval.ci_low > 0.0, p < 0.05, "p {p}");
    }

    #[test]
    fn wilson_and_newcombe_golden_values() {
        // Newcombe (1998), example: 56/70 vs 48/80 → difference 0.2, 95 % CI 0.0524 to 0.3339.
        let difference = newcombe(56, 70, 48, 80, 0.95);
        close(difference.estimate, 0.2, 1e-12);
        close(difference.ci_low, 0.0524, 5e-4);
        close(difference.ci_high, 0.3339, 5e-4);
        let single = wilson(0, 10, 0.95);
        close(single.ci_low, 0.0, 1e-12);
        close(single.ci_high, 0.2775, 5e-4);
    }

    #[test]
    fn cuped_removes_the_variance_the_covariate_explains() {
        // y = x + arm effect exactly: θ = 1 and the adjusted outcome has no noise left.
        let treated: Vec<(f64, f64)> = (0..20).map(|i| (i as f64 + 3.0, i as f64)).collect();
        let control: Vec<(f64, f64)> = (0..20).map(|i| (i as f64, i as f64)).collect();
        let result = cuped(&treated, &control, 0.95).unwrap();
        close(result.welch.interval.estimate, 3.0, 1e-9);
        close(result.theta, 1.0 + 0.0, 0.2);
        assert!(
            result.variance_reduction > 0.9,
            "{}",
            result.variance_reduction
        );
        assert!(
            result.welch.interval.width()
                < 1e-6
                    + welch(
                        &treated.iter().map(|p| p.0).collect::<Vec<_>>(),
                        &control.iter().map(|p| p.0).collect::<Vec<_>>(),
                        0.95
                    )
                    .unwrap()
                    .interval
                    .width()
        );
    }
}
