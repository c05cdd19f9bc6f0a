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
}

impl CostFunction for NegativeLogLikelihood<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, log_params: &Self::Param) -> Result<f64, Error> {
        self.evaluations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let params: Vec<f64> = log_params.iter().map(|v| v.exp()).collect();
        let value = -(self.objective)(&params);
        // Outside the model's domain (e.g. a ≤ 1 makes some moments infinite, not the
        // likelihood) a non-finite value steers the simplex away.
        Ok(if value.is_finite() { value } else { f64::MAX })
    }
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
        };
        let result = Executor::new(problem, solver)
            .configure(|state| state.max_iters(5000))
            .run()
            .map_err(|e| FitError::Optimizer(e.to_string()))?;
        let state = result.state();
        let value = state.get_best_cost();
        let Some(param) = state.get_best_param().cloned() else {
            return Err(FitError::Optimizer("no parameters".into()));
        };
        let improved = best_value - value;
        best = param;
        best_value = value;
        if round > 0 && improved.abs() < 1e-9 {
            break;
        }
    }
    tracing::debug!(
        evaluations = evaluations.load(std::sync::atomic::Ordering::Relaxed),
        "likelihood maximised"
    );
    if !best_value.is_finite() || best_value == f64::MAX {
        return Err(FitError::Optimizer("no finite likelihood".into()));
    }
    Ok(best.iter().map(|v| v.exp()).collect())
}

/// Standard errors: square roots of the diagonal of (−Hessian)⁻¹ at `at`, by central
/// differences. `None` when the Hessian is not invertible (a flat or degenerate optimum).
pub fn standard_errors(objective: &(dyn Fn(&[f64]) -> f64 + Sync), at: &[f64]) -> Option<Vec<f64>> {
    let n = at.len();
    let steps: Vec<f64> = at.iter().map(|v| 1e-4 * v.abs().max(1e-3)).collect();
    let value_at = |shifts: &[(usize, f64)]| {
        let mut point = at.to_vec();
        for (i, delta) in shifts {
            point[*i] += delta;
        }
        objective(&point)
    };
    let mut information = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i..n {
            let (hi, hj) = (steps[i], steps[j]);
            let second = if i == j {
                (value_at(&[(i, hi)]) - 2.0 * objective(at) + value_at(&[(i, -hi)])) / (hi * hi)
            } else {
                (value_at(&[(i, hi), (j, hj)])
                    - value_at(&[(i, hi), (j, -hj)])
                    - value_at(&[(i, -hi), (j, hj)])
                    + value_at(&[(i, -hi), (j, -hj)]))
                    / (4.0 * hi * hj)
            };
            information[i][j] = -second;
            information[j][i] = -second;
        }
    }
    let inverse = super::linalg::invert(&information)?;
    (0..n)
        .map(|i| (inverse[i][i] > 0.0).then(|| inverse[i][i].sqrt()))
        .collect()
}
