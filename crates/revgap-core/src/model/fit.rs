//! Maximum likelihood with argmin's Nelder-Mead on log-parameters (so every parameter stays
//! positive), restarted from its own optimum until the log-likelihood stops improving, and
//! standard errors from the inverse of the numerical Hessian (the observed information).

use argmin::core::{CostFunction, Error, Executor, State};
use argmin::solver::neldermead::NelderMead;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("too few data: {0}")]
    TooFewData(String),
    #[error("the optimiser failed: {0}")]
    Optimizer(String),
    #[error("the model does not describe these data: {0}")]
    Degenerate(String),
}

struct NegativeLogLikelihood<'a> {
    objective: &'a (dyn Fn(&[f64]) -> f64 + Sync),
    evaluations: &'a std::sync::atomic::AtomicUsize,
    /// The best (cost, log-parameters) seen, kept here so a search stopped at the edge
    /// still has its point.
    best: &'a std::sync::Mutex<(f64, Vec<f64>)>,
    /// Evaluations in this round: argmin's Nelder-Mead cannot be stopped while it evaluates
    /// its first simplex (it unwraps those costs), only afterwards.
    round_evaluations: std::sync::atomic::AtomicUsize,
    ran_to_edge: std::sync::atomic::AtomicBool,
}

/// Why a search was stopped early (see [`EDGE`]).
#[derive(Debug, thiserror::Error)]
#[error("the best point ran to the edge of the search box")]
struct RanToEdge;

impl CostFunction for NegativeLogLikelihood<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, log_params: &Self::Param) -> Result<f64, Error> {
        use std::sync::atomic::Ordering::Relaxed;
        self.evaluations.fetch_add(1, Relaxed);
        let first_simplex = self.round_evaluations.fetch_add(1, Relaxed) <= log_params.len();
        if self.ran_to_edge.load(Relaxed) && !first_simplex {
            return Err(RanToEdge.into());
        }
        if !within_bounds(log_params) {
            return Ok(f64::MAX);
        }
        let params: Vec<f64> = log_params.iter().map(|v| v.exp()).collect();
        let value = -(self.objective)(&params);
        // Outside the model's domain (e.g. a ≤ 1 makes some moments infinite, not the
        // likelihood) a non-finite value steers the simplex away.
        if !value.is_finite() {
            return Ok(f64::MAX);
        }
        let mut best = self
            .best
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if value < best.0 {
            *best = (value, log_params.clone());
            if log_params.iter().any(|v| *v > EDGE) {
                self.ran_to_edge.store(true, Relaxed);
                if !first_simplex {
                    return Err(RanToEdge.into());
                }
            }
        }
        Ok(value)
    }
}

/// The box the searches stay in, in log space: 1e-9 to 1e9. Data without heterogeneity (every
/// customer buying at one rate, spending one amount) drive a model's parameters without
/// bound; the search stops at the box's edge, where the models' checks call the fit
/// degenerate, instead of following them for thousands of evaluations.
const LOG_BOUND: f64 = 20.7;

/// A best point with a parameter beyond 1e8 is a parameter running off without bound: the
/// search stops there, and the models' checks judge the point. No usable fit of these models
/// has such a parameter. Toward 0 the search goes on: BG/NBD's dropout `a` → 0 is a
/// legitimate limit whose other parameters still need their optimum.
const EDGE: f64 = 18.4;

fn within_bounds(log_params: &[f64]) -> bool {
    log_params.iter().all(|v| v.abs() <= LOG_BOUND)
}

/// Maximises `objective` over positive parameters starting from `start`.
pub fn maximize(
    objective: &(dyn Fn(&[f64]) -> f64 + Sync),
    start: &[f64],
) -> Result<Vec<f64>, FitError> {
    maximize_from(objective, start, 0.5)
}

/// As [`maximize`], from a start known to be close (a first simplex of `first_spread` in log
/// space): a warm start needs far fewer evaluations.
pub fn maximize_from(
    objective: &(dyn Fn(&[f64]) -> f64 + Sync),
    start: &[f64],
    first_spread: f64,
) -> Result<Vec<f64>, FitError> {
    let mut best: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let mut best_value = f64::MAX;
    let evaluations = std::sync::atomic::AtomicUsize::new(0);
    let tracked = std::sync::Mutex::new((f64::MAX, best.clone()));
    for round in 0..6 {
        let spread = if round == 0 { first_spread } else { 0.05 };
        let mut simplex = vec![best.clone()];
        for i in 0..best.len() {
            let mut vertex = best.clone();
            vertex[i] += spread;
            simplex.push(vertex);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-10)
            .map_err(|e| FitError::Optimizer(e.to_string()))?;
        let problem = NegativeLogLikelihood {
            objective,
            evaluations: &evaluations,
            best: &tracked,
            round_evaluations: Default::default(),
            ran_to_edge: Default::default(),
        };
        let (value, param) = match Executor::new(problem, solver)
            .configure(|state| state.max_iters(5000))
            .run()
        {
            Ok(result) => {
                let state = result.state();
                let Some(param) = state.get_best_param().cloned() else {
                    return Err(FitError::Optimizer("no parameters".into()));
                };
                (state.get_best_cost(), param)
            }
            Err(error) if error.downcast_ref::<RanToEdge>().is_some() => {
                (best_value, best) = tracked
                    .into_inner()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                tracing::debug!(log_params = ?best, "search stopped at the edge");
                break;
            }
            Err(error) => return Err(FitError::Optimizer(error.to_string())),
        };
        let improved = best_value - value;
        tracing::trace!(round, value, ?param, "round");
        best = param;
        best_value = value;
        if round > 0 && improved.abs() < 1e-9 {
            break;
        }
    }
    tracing::debug!(
        evaluations = evaluations.load(std::sync::atomic::Ordering::Relaxed),
        log_params = ?best,
        "likelihood maximised"
    );
    if !best_value.is_finite() || best_value == f64::MAX {
        return Err(FitError::Optimizer("no finite likelihood".into()));
    }
    Ok(best.iter().map(|v| v.exp()).collect())
}

/// The Hessian of `objective` at `at` by central differences with the given steps.
fn hessian(
    objective: &(dyn Fn(&[f64]) -> f64 + Sync),
    at: &[f64],
    steps: &[f64],
    value: f64,
) -> Vec<Vec<f64>> {
    let n = at.len();
    let value_at = |shifts: &[(usize, f64)]| {
        let mut point = at.to_vec();
        for (i, delta) in shifts {
            point[*i] += delta;
        }
        objective(&point)
    };
    let mut second = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i..n {
            let (hi, hj) = (steps[i], steps[j]);
            let entry = if i == j {
                (value_at(&[(i, hi)]) - 2.0 * value + value_at(&[(i, -hi)])) / (hi * hi)
            } else {
                (value_at(&[(i, hi), (j, hj)])
                    - value_at(&[(i, hi), (j, -hj)])
                    - value_at(&[(i, -hi), (j, hj)])
                    + value_at(&[(i, -hi), (j, -hj)]))
                    / (4.0 * hi * hj)
            };
            second[i][j] = entry;
            second[j][i] = entry;
        }
    }
    second
}

/// The gradient of `objective` at `at` by central differences.
fn gradient(objective: &(dyn Fn(&[f64]) -> f64 + Sync), at: &[f64], step: f64) -> Vec<f64> {
    (0..at.len())
        .map(|i| {
            let mut point = at.to_vec();
            point[i] = at[i] + step;
            let up = objective(&point);
            point[i] = at[i] - step;
            (up - objective(&point)) / (2.0 * step)
        })
        .collect()
}

/// Maximises from a start already near the maximum (a sample's optimum, or the same
/// customers' fit over a longer period): Newton steps in log space with one Hessian and a
/// fresh gradient each step, about a quarter of the evaluations Nelder-Mead needs for the
/// same optimum. Falls back to Nelder-Mead when the start is not in the maximum's basin (the
/// Hessian is not negative definite there) or the steps do not converge.
pub fn polish(
    objective: &(dyn Fn(&[f64]) -> f64 + Sync),
    start: &[f64],
) -> Result<Vec<f64>, FitError> {
    match newton(objective, start) {
        Some(best) => Ok(best),
        None => maximize_from(objective, start, 0.1),
    }
}

/// Newton's method in log space (see [`polish`]); `None` when it cannot be trusted.
fn newton(objective: &(dyn Fn(&[f64]) -> f64 + Sync), start: &[f64]) -> Option<Vec<f64>> {
    /// Log-space step for the finite differences: small against any parameter's scale, and
    /// large enough that the differences of a mean log-likelihood stay above rounding.
    const STEP: f64 = 1e-4;
    /// Converged when the quadratic model promises less than this gain in the objective
    /// (a mean log-likelihood per customer, as `maximize_from` sees it).
    const GAIN: f64 = 1e-13;
    let in_logs = |theta: &[f64]| {
        if !within_bounds(theta) {
            return f64::NAN;
        }
        let params: Vec<f64> = theta.iter().map(|v| v.exp()).collect();
        objective(&params)
    };
    let mut theta: Vec<f64> = start.iter().map(|v| v.ln()).collect();
    let mut value = in_logs(&theta);
    if !value.is_finite() {
        return None;
    }
    let n = theta.len();
    let mut evaluations = 1;
    let mut inverse: Option<Vec<Vec<f64>>> = None;
    for _ in 0..20 {
        let Some(curvature) = inverse.as_ref() else {
            let second = hessian(&in_logs, &theta, &vec![STEP; n], value);
            evaluations += 2 * n * n;
            inverse = Some(super::linalg::invert(&second)?);
            continue;
        };
        let slope = gradient(&in_logs, &theta, STEP);
        evaluations += 2 * n;
        let direction: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| curvature[i][j] * slope[j]).sum::<f64>())
            .collect();
        let gain: f64 = slope.iter().zip(&direction).map(|(g, d)| g * d).sum();
        if !gain.is_finite() || gain < 0.0 {
            return None;
        }
        if gain < GAIN {
            tracing::debug!(evaluations, "likelihood polished");
            return Some(theta.iter().map(|v| v.exp()).collect());
        }
        let mut scale = 1.0;
        loop {
            let candidate: Vec<f64> = theta
                .iter()
                .zip(&direction)
                .map(|(t, d)| t + scale * d)
                .collect();
            let candidate_value = in_logs(&candidate);
            evaluations += 1;
            if candidate_value.is_finite() && candidate_value >= value {
                theta = candidate;
                value = candidate_value;
                break;
            }
            scale /= 2.0;
            if scale < 1e-3 {
                return None;
            }
        }
        if scale < 1.0 {
            // A damped step: the curvature at the start no longer describes this point.
            inverse = None;
        }
    }
    None
}

/// Standard errors: square roots of the diagonal of (−Hessian)⁻¹ at `at`, by central
/// differences. `None` when the Hessian is not invertible (a flat or degenerate optimum).
pub fn standard_errors(objective: &(dyn Fn(&[f64]) -> f64 + Sync), at: &[f64]) -> Option<Vec<f64>> {
    let steps: Vec<f64> = at.iter().map(|v| 1e-4 * v.abs().max(1e-3)).collect();
    let information: Vec<Vec<f64>> = hessian(objective, at, &steps, objective(at))
        .into_iter()
        .map(|row| row.into_iter().map(|entry| -entry).collect())
        .collect();
    let inverse = super::linalg::invert(&information)?;
    (0..at.len())
        .map(|i| (inverse[i][i] > 0.0).then(|| inverse[i][i].sqrt()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A smooth, non-quadratic log-likelihood-like surface with its maximum at (2, 0.5, 8).
    fn surface(values: &[f64]) -> f64 {
        let target = [2.0_f64, 0.5, 8.0];
        -values
            .iter()
            .zip(target)
            .map(|(v, t)| {
                let d = (v / t).ln();
                d * d + 0.3 * d.powi(4)
            })
            .sum::<f64>()
            - 0.2 * (values[0] / 2.0).ln() * (values[2] / 8.0).ln()
    }

    #[test]
    fn newton_polish_finds_the_maximum_nelder_mead_finds_with_fewer_evaluations() {
        let calls = AtomicUsize::new(0);
        let counted = |v: &[f64]| {
            calls.fetch_add(1, Ordering::Relaxed);
            surface(v)
        };
        let searched = maximize_from(&counted, &[1.0, 1.0, 1.0], 0.5).unwrap();
        let start = [2.3, 0.45, 7.0];
        calls.store(0, Ordering::Relaxed);
        let polished = newton(&counted, &start).expect("Newton converges near the maximum");
        let newton_calls = calls.load(Ordering::Relaxed);
        calls.store(0, Ordering::Relaxed);
        let _ = maximize_from(&counted, &start, 0.1).unwrap();
        let nelder_mead_calls = calls.load(Ordering::Relaxed);
        for ((p, s), t) in polished.iter().zip(&searched).zip([2.0, 0.5, 8.0]) {
            assert!((p - t).abs() < 1e-6 * t, "{polished:?}");
            assert!((p - s).abs() < 1e-5 * t, "{polished:?} vs {searched:?}");
        }
        assert!(
            newton_calls * 2 < nelder_mead_calls,
            "Newton {newton_calls} evaluations, Nelder-Mead {nelder_mead_calls}"
        );
    }

    #[test]
    fn polish_reaches_the_maximum_from_far_away() {
        // Far from the maximum the quartic term makes Newton's steps unreliable; whichever
        // path serves, the answer is the maximum.
        let far = [200.0, 0.001, 9000.0];
        let best = polish(&surface, &far).unwrap();
        for (p, t) in best.iter().zip([2.0, 0.5, 8.0]) {
            assert!((p - t).abs() < 1e-4 * t, "{best:?}");
        }
    }

    #[test]
    fn a_parameter_running_off_stops_the_search_at_the_edge() {
        // Increasing in the first parameter without bound, like BG/NBD on shoppers who all
        // buy at one rate; the second has an interior maximum at 3.
        let calls = AtomicUsize::new(0);
        let unbounded = |v: &[f64]| {
            calls.fetch_add(1, Ordering::Relaxed);
            -1.0 / (1.0 + v[0]) - (v[1] / 3.0).ln().powi(2)
        };
        let best = maximize_from(&unbounded, &[1.0, 1.0], 0.5).unwrap();
        assert!(best[0] > 1e8, "{best:?}");
        let used = calls.load(Ordering::Relaxed);
        assert!(used < 1_000, "{used} evaluations to reach the edge");
    }

    #[test]
    fn standard_errors_of_a_known_quadratic() {
        // log L = −(x−1)²/(2·0.04) − (y−2)²/(2·0.25): standard errors 0.2 and 0.5.
        let quadratic = |v: &[f64]| -(v[0] - 1.0).powi(2) / 0.08 - (v[1] - 2.0).powi(2) / 0.5;
        let errors = standard_errors(&quadratic, &[1.0, 2.0]).unwrap();
        assert!(
            (errors[0] - 0.2).abs() < 1e-6 && (errors[1] - 0.5).abs() < 1e-6,
            "{errors:?}"
        );
    }
}
