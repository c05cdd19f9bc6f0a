//! Gamma-Gamma spend model (Fader, Hardie & Lee 2005b; Fader & Hardie note 025): a customer's
//! transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ); fitted on repeat customers'
//! mean repeat spend.

use super::fit::{FitError, maximize, standard_errors};
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
    let objective = |values: &[f64]| {
        let params = Params::from_slice(values);
        usable
            .iter()
            .map(|(x, z)| params.log_likelihood(*x, *z))
            .sum::<f64>()
    };
    let count = usable.len() as f64;
    let mean = |values: &[f64]| objective(values) / count;
    let best = maximize(&mean, &[1.0, 1.0, 1.0])?;
    let std_errors = standard_errors(&objective, &best).map(|se| Params::from_slice(&se));
    Ok(Fit {
        params: Params::from_slice(&best),
        log_likelihood: objective(&best),
        std_errors,
    })
}
