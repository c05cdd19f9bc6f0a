//! BG/NBD (Fader, Hardie & Lee 2005): purchases at a Poisson rate λ ~ Gamma(r, α) while
//! alive; after each purchase the customer drops out with probability p ~ Beta(a, b).
//!
//! The log-likelihood is evaluated in log space (log-sum-exp of the two terms, ln Γ and ln B
//! from `libm::lgamma`), so x in the hundreds cannot overflow. Identical (x, t_x, T) rows are
//! compressed into weights before fitting.

use super::fit::{FitError, maximize_from, polish, standard_errors};
use super::hyp2f1::hyp2f1;
use super::summary::Rfm;
use serde::Serialize;

/// Model parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

fn ln_gamma(value: f64) -> f64 {
    libm::lgamma(value)
}

fn ln_beta(u: f64, v: f64) -> f64 {
    ln_gamma(u) + ln_gamma(v) - ln_gamma(u + v)
}

fn log_sum_exp(u: f64, v: f64) -> f64 {
    let (high, low) = if u >= v { (u, v) } else { (v, u) };
    // One exp and one ln_1p: the larger term's exp is 1.
    high + (low - high).exp().ln_1p()
}

impl Params {
    pub fn as_vec(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.a, self.b]
    }

    pub fn from_slice(values: &[f64]) -> Self {
        Self {
            r: values[0],
            alpha: values[1],
            a: values[2],
            b: values[3],
        }
    }

    /// Log-likelihood of one customer's (x, t_x, T).
    pub fn log_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let Params { r, alpha, a, b } = *self;
        let base = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let still_alive = ln_beta(a, b + x) - ln_beta(a, b) - (r + x) * (alpha + t).ln();
        if x > 0.0 {
            let dropped =
                ln_beta(a + 1.0, b + x - 1.0) - ln_beta(a, b) - (r + x) * (alpha + t_x).ln();
            base + log_sum_exp(still_alive, dropped)
        } else {
            base + still_alive
        }
    }

    /// Σ weight × log-likelihood over the rows (see `Prepared` for how it is computed).
    pub fn total_log_likelihood(&self, rows: &[Rfm]) -> f64 {
        Prepared::new(rows).total_log_likelihood(self)
    }

    /// ln of a/(b+x−1) · ((α+T)/(α+t_x))^(r+x): the odds of having dropped out.
    fn log_dropout_odds(&self, x: f64, t_x: f64, t: f64) -> Option<f64> {
        (x > 0.0).then(|| {
            self.a.ln() - (self.b + x - 1.0).ln()
                + (self.r + x) * ((self.alpha + t).ln() - (self.alpha + t_x).ln())
        })
    }

    /// P(alive at T | x, t_x, T). 1 for a customer with no repeat purchase.
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        self.log_dropout_odds(x, t_x, t)
            .map_or(1.0, |odds| 1.0 / (1.0 + odds.exp()))
    }

    /// E[purchases in (T, T + horizon] | x, t_x, T].
    pub fn expected_purchases(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> Option<f64> {
        let Params { r, alpha, a, b } = *self;
        let z = horizon / (alpha + t + horizon);
        let series = hyp2f1(r + x, b + x, a + b + x - 1.0, z)?;
        let shrink = ((r + x) * ((alpha + t).ln() - (alpha + t + horizon).ln())).exp();
        let while_alive = (a + b + x - 1.0) / (a - 1.0) * (1.0 - shrink * series);
        Some(while_alive * self.p_alive(x, t_x, t))
    }

    /// E[X(t)] for a customer just acquired.
    pub fn expected_purchases_new(&self, horizon: f64) -> Option<f64> {
        let Params { r, alpha, a, b } = *self;
        let series = hyp2f1(r, b, a + b - 1.0, horizon / (alpha + horizon))?;
        Some((a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + horizon)).powf(r) * series))
    }

    /// P(no purchase in (T, T + horizon] | x, t_x, T): dropped out, or alive with a Poisson
    /// rate drawn from the posterior Gamma(r + x, α + T) that yields no purchase.
    pub fn p_no_purchase(&self, horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let alive = self.p_alive(x, t_x, t);
        let quiet =
            ((self.r + x) * ((self.alpha + t).ln() - (self.alpha + t + horizon).ln())).exp();
        (1.0 - alive) + alive * quiet
    }
}

/// One customer drawn from the model, at day resolution: a rate λ ~ Gamma(r, α) and a
/// dropout probability p ~ Beta(a, b), purchases at rate λ until a dropout after one, over
/// `age_days` since the first purchase. Returns (x, t_x, T) in weeks. For tests and benchmarks
/// that need data with a known truth.
pub fn simulate(params: &Params, age_days: u32, rng: &mut impl rand::Rng) -> (f64, f64, f64) {
    use rand::RngExt;
    use rand_distr::{Beta, Distribution, Exp, Gamma};
    let rate = Gamma::new(params.r, 1.0 / params.alpha)
        .map_or(1e-12, |gamma| gamma.sample(rng))
        .max(1e-12);
    let dropout = Beta::new(params.a, params.b).map_or(0.5, |beta| beta.sample(rng));
    let (mut time, mut x, mut last) = (0.0f64, 0.0, 0.0);
    if let Ok(wait) = Exp::new(rate) {
        loop {
            time += wait.sample(rng);
            if (time * 7.0).round() > f64::from(age_days) {
                break;
            }
            x += 1.0;
            last = (time * 7.0).round() / 7.0;
            if rng.random::<f64>() < dropout {
                break;
            }
        }
    }
    (x, last, f64::from(age_days) / 7.0)
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    /// From the inverse of the observed information (numerical Hessian at the optimum).
    pub std_errors: Option<Params>,
}

/// Maximum-likelihood fit on compressed rows.
pub fn fit(rows: &[Rfm]) -> Result<Fit, FitError> {
    fit_from(rows, None)
}

/// Rows beyond which the search runs on a sample first (every k-th row, weighted by k) and the
/// full data only polish the sample's optimum: the same maximum for a fraction of the cost.
const SAMPLE_ABOVE: usize = 40_000;

/// Every k-th row, weighted by k, so at most `SAMPLE_ABOVE / 2` rows; small inputs whole.
pub fn sample(rows: &[Rfm]) -> Vec<Rfm> {
    if rows.len() <= SAMPLE_ABOVE {
        return rows.to_vec();
    }
    let step = rows.len().div_ceil(SAMPLE_ABOVE / 4);
    rows.iter()
        .step_by(step)
        .map(|row| Rfm {
            weight: row.weight * step as f64,
            ..*row
        })
        .collect()
}

/// Fits from a start near the optimum when one is known (e.g. the same customers' fit over a
/// longer period), else from the default start.
pub fn fit_from(rows: &[Rfm], start: Option<Params>) -> Result<Fit, FitError> {
    let prepared = Prepared::new(rows);
    let params = search(&prepared, rows, start)?;
    let best = params.as_vec();
    let objective = |values: &[f64]| prepared.total_log_likelihood(&Params::from_slice(values));
    let std_errors = standard_errors(&objective, &best)
        .or_else(|| boundary_std_errors(&objective, &best))
        .map(|se| Params::from_slice(&se));
    Ok(Fit {
        params,
        log_likelihood: objective(&best),
        std_errors,
    })
}

/// The maximum-likelihood parameters alone, without standard errors: for a start, or where
/// only a feature comes from the fit (see [`fit_from`] for `start`).
pub fn maximum(rows: &[Rfm], start: Option<Params>) -> Result<Params, FitError> {
    search(&Prepared::new(rows), rows, start)
}

fn search(prepared: &Prepared, rows: &[Rfm], start: Option<Params>) -> Result<Params, FitError> {
    if rows.iter().all(|row| row.x == 0.0) {
        return Err(FitError::TooFewData(
            "no repeat purchases to fit BG/NBD".into(),
        ));
    }
    // The optimiser sees the mean per customer, so its tolerance means the same for 2,000
    // customers as for a million (an absolute tolerance on a total of −10⁶ is never met).
    let customers: f64 = rows.iter().map(|row| row.weight).sum();
    let mean =
        |values: &[f64]| prepared.total_log_likelihood(&Params::from_slice(values)) / customers;
    let near = match start {
        Some(known) => Some(known),
        None if rows.len() > SAMPLE_ABOVE => maximum(&sample(rows), None).ok(),
        None => None,
    };
    let best = match near {
        Some(near) => polish(&mean, &near.as_vec())?,
        None => maximize_from(&mean, &[1.0; 4], 0.5)?,
    };
    Ok(Params::from_slice(&best))
}

/// The rows arranged for fast likelihoods during a fit: the distinct T and t_x values are
/// collected once (at day resolution there are a few thousand, against hundreds of thousands
/// of rows), so each evaluation takes ln(α + ·) once per distinct value and rows look them up.
struct Prepared {
    /// (x, weight, index of t_x, index of T), sorted by x (as `summary::compress` leaves them).
    rows: Vec<(f64, f64, u32, u32)>,
    times: Vec<f64>,
}

impl Prepared {
    fn new(rows: &[Rfm]) -> Self {
        let mut times: Vec<f64> = rows.iter().flat_map(|r| [r.t, r.t_x]).collect();
        times.sort_by(f64::total_cmp);
        times.dedup();
        let index = |value: f64| times.partition_point(|t| *t < value) as u32;
        let mut prepared: Vec<(f64, f64, u32, u32)> = rows
            .iter()
            .map(|r| (r.x, r.weight, index(r.t_x), index(r.t)))
            .collect();
        prepared.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self {
            rows: prepared,
            times,
        }
    }

    /// The same sum as `Params::total_log_likelihood` over the original rows.
    fn total_log_likelihood(&self, params: &Params) -> f64 {
        use rayon::prelude::*;
        let Params { r, alpha, a, b } = *params;
        let ln_alpha_plus: Vec<f64> = self.times.iter().map(|t| (alpha + t).ln()).collect();
        let ln_beta_ab = ln_beta(a, b);
        let constant = -ln_gamma(r) + r * alpha.ln();
        self.rows
            .par_chunks(2048)
            .map(|chunk| {
                let mut current = f64::NAN;
                let (mut base, mut alive, mut dropped) = (0.0, 0.0, 0.0);
                let mut total = 0.0;
                for &(x, weight, t_x, t) in chunk {
                    if x != current {
                        current = x;
                        base = ln_gamma(r + x) + constant;
                        alive = ln_beta(a, b + x) - ln_beta_ab;
                        dropped = if x > 0.0 {
                            ln_beta(a + 1.0, b + x - 1.0) - ln_beta_ab
                        } else {
                            0.0
                        };
                    }
                    let still_alive = alive - (r + x) * ln_alpha_plus[t as usize];
                    let ll = if x > 0.0 {
                        base + log_sum_exp(
                            still_alive,
                            dropped - (r + x) * ln_alpha_plus[t_x as usize],
                        )
                    } else {
                        base + still_alive
                    };
                    total += weight * ll;
                }
                total
            })
            .sum()
    }
}

/// Below this `a` the dropout probability is pinned at its boundary (hardly anyone drops out):
/// a legitimate fit (BG/NBD tends to the NBD model), whose likelihood is flat in `a`.
const DROPOUT_BOUNDARY: f64 = 1e-3;

/// At the dropout boundary the Hessian is singular in `a`: the other three standard errors
/// are estimated with `a` held at its value, whose own error is reported as 0.
fn boundary_std_errors(
    objective: &(dyn Fn(&[f64]) -> f64 + Sync),
    best: &[f64],
) -> Option<Vec<f64>> {
    if best[2] >= DROPOUT_BOUNDARY {
        return None;
    }
    let a = best[2];
    let without_a = |v: &[f64]| objective(&[v[0], v[1], a, v[2]]);
    let se = standard_errors(&without_a, &[best[0], best[1], best[3]])?;
    Some(vec![se[0], se[1], 0.0, se[2]])
}

/// The one fitting path of every command (analyze, fit, backtest, the churn model): fits, then
/// refuses a fit the model cannot use. Shoppers who buy every period push BG/NBD to a boundary
/// where heterogeneity vanishes (r and α without bound: a constant rate), and `a = 1` exactly
/// is a pole of the expectation formula; a fit without standard errors cannot give intervals.
pub fn fit_checked(rows: &[Rfm]) -> Result<Fit, FitError> {
    let fit = fit(rows)?;
    check(&fit)?;
    Ok(fit)
}

/// Whether a fit describes the data at all: parameters running off without bound, or a
/// dropout Beta with `a` = 1 exactly, mean customers buying at one common, steady rate, and
/// no forecast of this model is worth showing.
pub fn check_describes(fit: &Fit) -> Result<(), FitError> {
    let p = fit.params;
    if p.r > 1e4 || p.alpha > 1e6 || (p.a - 1.0).abs() < 1e-6 {
        return Err(FitError::Degenerate(format!(
            "fitted r {:.3e}, alpha {:.3e}, a {:.3}, b {:.3e}: customers buy at one common, steady rate (purchases nearly every week?)",
            p.r, p.alpha, p.a, p.b
        )));
    }
    Ok(())
}

/// Why a fit that describes the data has no standard errors (a parameter at its boundary,
/// e.g. a dropout `a` → 0 in many invoice logs): its point estimates serve, its intervals
/// do not.
pub fn without_intervals(fit: &Fit) -> Option<String> {
    let p = fit.params;
    fit.std_errors.is_none().then(|| {
        format!(
            "BG/NBD's standard errors cannot be estimated (r {:.3e}, alpha {:.3e}, a {:.3}, b {:.3e}: a parameter at its boundary): point estimates used, intervals unavailable",
            p.r, p.alpha, p.a, p.b
        )
    })
}

/// Whether a fit is usable for forecasts and intervals (see [`fit_checked`]).
pub fn check(fit: &Fit) -> Result<(), FitError> {
    check_describes(fit)?;
    match without_intervals(fit) {
        Some(why) => Err(FitError::Degenerate(why)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_rows_give_the_same_likelihood_as_row_by_row() {
        let rows: Vec<Rfm> = (0..500)
            .map(|i| {
                let x = f64::from(i % 7);
                let t = 10.0 + f64::from(i % 40) / 7.0;
                Rfm {
                    x,
                    t_x: if x > 0.0 { t * 0.6 } else { 0.0 },
                    t,
                    weight: 1.0 + f64::from(i % 3),
                }
            })
            .collect();
        let params = Params {
            r: 0.3,
            alpha: 5.0,
            a: 0.8,
            b: 2.5,
        };
        let direct: f64 = rows
            .iter()
            .map(|row| row.weight * params.log_likelihood(row.x, row.t_x, row.t))
            .sum();
        let prepared = Prepared::new(&rows).total_log_likelihood(&params);
        assert!(
            (direct - prepared).abs() < 1e-9 * direct.abs(),
            "{direct} vs {prepared}"
        );
    }

    #[test]
    fn single_customer_log_likelihood_is_stable_for_large_x() {
        // Hardie note 027 / pymc-marketing test_numerically_stable_logp.
        let params = Params {
            r: 0.25,
            alpha: 4.0,
            a: 0.8,
            b: 2.5,
        };
        assert!((params.log_likelihood(0.0, 0.0, 40.0) - (-0.5994738182)).abs() < 1e-9);
        assert!((params.log_likelihood(200.0, 38.0, 40.0) - 100.7956931).abs() < 1e-6);
        let huge = params.log_likelihood(3000.0, 38.0, 40.0);
        assert!(huge.is_finite(), "x = 3000 stays finite: {huge}");
    }

    #[test]
    fn published_point_predictions() {
        // BTYD vignette run-1 parameters (README §2.6).
        let params = Params {
            r: 0.2425982,
            alpha: 4.4136842,
            a: 0.7929899,
            b: 2.4261667,
        };
        let new = params.expected_purchases_new(52.0).unwrap();
        assert!((new - 1.4440048).abs() < 1e-6, "{new}");
        let conditional = params
            .expected_purchases(52.0, 26.0, 30.857143, 31.0)
            .unwrap();
        assert!((conditional - 25.756536).abs() < 1e-5, "{conditional}");
        assert!((params.p_alive(26.0, 30.857143, 31.0) - 0.9688521).abs() < 1e-6);
        for (x, expected) in [
            (10.0, 0.3474602),
            (15.0, 0.04283395),
            (20.0, 0.004158986),
            (25.0, 0.0003583704),
        ] {
            let value = params.expected_purchases(52.0, x, 20.0, 39.0).unwrap();
            assert!((value - expected).abs() / expected < 1e-5, "x={x}: {value}");
        }
    }

    #[test]
    fn no_purchase_probability_is_consistent() {
        let params = Params {
            r: 0.24,
            alpha: 4.4,
            a: 0.79,
            b: 2.4,
        };
        let p = params.p_no_purchase(39.0, 2.0, 30.43, 38.86);
        assert!((0.0..1.0).contains(&p));
        assert!(params.p_no_purchase(0.0, 2.0, 30.43, 38.86) > 0.999_999);
        assert!(params.p_no_purchase(200.0, 2.0, 30.43, 38.86) < p);
    }
}
