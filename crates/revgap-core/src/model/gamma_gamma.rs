//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005b; Fader & Hardie note 025): a customer's
//! transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ); fitted on repeat customers'
//! mean repeat spend.

use super::fit::{FitError, maximize_from, polish, standard_errors};

/// Customers beyond which the search runs on a sample first.
const SAMPLE_ABOVE: usize = 40_000;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Params {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

impl Params {
    pub fn from_slice(values: &[f64]) -> Self {
        Self {
            p: values[0],
            q: values[1],
            gamma: values[2],
        }
    }

    /// Log-likelihood of one repeat customer's mean spend `zbar` over `x` repeat purchases.
    pub fn log_likelihood(&self, x: f64, zbar: f64) -> f64 {
        let Params { p, q, gamma } = *self;
        let px = p * x;
        libm::lgamma(px + q) - libm::lgamma(px) - libm::lgamma(q)
            + q * gamma.ln()
            + (px - 1.0) * zbar.ln()
            + px * x.ln()
            - (px + q) * (gamma + x * zbar).ln()
    }

    /// E[mean spend | x, zbar]; the population mean p γ / (q − 1) when x = 0.
    pub fn conditional_mean_spend(&self, x: f64, zbar: f64) -> f64 {
        let Params { p, q, gamma } = *self;
        if x <= 0.0 {
            return p * gamma / (q - 1.0);
        }
        p * (gamma + x * zbar) / (p * x + q - 1.0)
    }
}

/// The rows arranged for fast likelihoods: sorted by x, so the ln Γ terms that depend on x
/// and the parameters are computed once per distinct x, with ln z̄ and ln x computed once for
/// the whole fit. Per row and evaluation only ln(γ + x z̄) remains.
struct Prepared {
    /// (x, x z̄, ln z̄, ln x), sorted by x.
    rows: Vec<(f64, f64, f64, f64)>,
}

impl Prepared {
    fn new(usable: &[(f64, f64)]) -> Self {
        let mut rows: Vec<(f64, f64, f64, f64)> = usable
            .iter()
            .map(|(x, z)| (*x, x * z, z.ln(), x.ln()))
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self { rows }
    }

    /// The same sum as `Params::log_likelihood` over the rows.
    fn total_log_likelihood(&self, params: &Params) -> f64 {
        use rayon::prelude::*;
        let Params { p, q, gamma } = *params;
        let constant = q * gamma.ln() - libm::lgamma(q);
        self.rows
            .par_chunks(2048)
            .map(|chunk| {
                let mut current = f64::NAN;
                let mut per_x = 0.0;
                let mut total = 0.0;
                for &(x, xz, ln_z, ln_x) in chunk {
                    let px = p * x;
                    if x != current {
                        current = x;
                        per_x = libm::lgamma(px + q) - libm::lgamma(px) + constant;
                    }
                    total += per_x + (px - 1.0) * ln_z + px * ln_x - (px + q) * (gamma + xz).ln();
                }
                total
            })
            .sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub params: Params,
    pub log_likelihood: f64,
    pub std_errors: Option<Params>,
}

/// Fits on (x, zbar) of repeat customers (x > 0, zbar > 0).
pub fn fit(rows: &[(f64, f64)]) -> Result<Fit, FitError> {
    let usable: Vec<(f64, f64)> = rows
        .iter()
        .copied()
        .filter(|(x, z)| *x > 0.0 && *z > 0.0)
        .collect();
    if usable.len() < 3 {
        return Err(FitError::TooFewData(
            "fewer than 3 repeat customers with spend".into(),
        ));
    }
    let prepared = Prepared::new(&usable);
    let objective = |values: &[f64]| prepared.total_log_likelihood(&Params::from_slice(values));
    let count = usable.len() as f64;
    let mean = |values: &[f64]| objective(values) / count;
    // Many customers: search on a sample first, then polish on all (the same maximum).
    let near = if usable.len() > SAMPLE_ABOVE {
        let step = usable.len().div_ceil(SAMPLE_ABOVE / 4);
        let sample: Vec<(f64, f64)> = usable.iter().step_by(step).copied().collect();
        match fit(&sample) {
            Ok(found) => Some(found.params),
            // What the sample shows the whole would show, at a hundred times the cost.
            Err(degenerate @ FitError::Degenerate(_)) => return Err(degenerate),
            Err(_) => None,
        }
    } else {
        None
    };
    let best = match near {
        Some(found) => polish(&mean, &[found.p, found.q, found.gamma])?,
        None => maximize_from(&mean, &[1.0; 3], 0.5)?,
    };
    if best.iter().any(|v| !(1e-8..=1e8).contains(v)) {
        return Err(FitError::Degenerate(format!(
            "fitted p {:.3e}, q {:.3e}, gamma {:.3e}: customers' mean spends hardly differ",
            best[0], best[1], best[2]
        )));
    }
    let std_errors = standard_errors(&objective, &best).map(|se| Params::from_slice(&se));
    Ok(Fit {
        params: Params::from_slice(&best),
        log_likelihood: objective(&best),
        std_errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_who_all_spend_alike_are_a_degenerate_fit() {
        // 60,000 customers (so the sample path runs) whose mean spends differ by rounding
        // only: no heterogeneity for ν to describe.
        let rows: Vec<(f64, f64)> = (0..60_000)
            .map(|i| (f64::from(40 + i % 13), 25.0 + f64::from(i % 7) * 1e-3))
            .collect();
        let error = fit(&rows).unwrap_err();
        assert!(
            matches!(&error, FitError::Degenerate(why) if why.contains("hardly differ")),
            "{error}"
        );
    }

    #[test]
    fn prepared_rows_give_the_same_likelihood_as_row_by_row() {
        let rows: Vec<(f64, f64)> = (1..400)
            .map(|i| (f64::from(i % 9 + 1), 5.0 + f64::from(i % 31) * 1.7))
            .collect();
        let params = Params {
            p: 6.2,
            q: 3.7,
            gamma: 15.4,
        };
        let direct: f64 = rows
            .iter()
            .map(|(x, z)| params.log_likelihood(*x, *z))
            .sum();
        let prepared = Prepared::new(&rows).total_log_likelihood(&params);
        assert!(
            (direct - prepared).abs() < 1e-9 * direct.abs(),
            "{direct} vs {prepared}"
        );
    }
}
