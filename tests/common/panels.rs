//! Weekly panels with known truth, written from issue 27's description and independent of
//! `revgap generate`: steady and seasonal shoppers with their own level, multiplicative weekly
//! noise, a share of random zero weeks, and decliners whose spend falls by a given share over
//! their last weeks. The benchmark sweeps noise, zero weeks, decline timing and seeds.

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct PanelSpec {
    pub customers: usize,
    pub weeks: usize,
    /// Weekly spend varies ±`noise` around the customer's level (about 95 % of weeks: a
    /// normal factor with standard deviation `noise` / 2).
    pub noise: f64,
    /// Share of weeks with no purchase at all, at random.
    pub zero_share: f64,
    /// Share of customers who decline.
    pub decliner_share: f64,
    /// Share of the rest (and of decliners' underlying pattern) who follow a season.
    pub seasonal_share: f64,
    /// A decliner's decline began this many weeks before the last week (included)…
    pub decline_weeks: usize,
    /// …and reaches its full fall after this many weeks, linearly (0: at the last week).
    pub decline_ramp: usize,
    /// …by a share drawn from this range (0.6–0.7: to 30–40 % of their level).
    pub decline_fall: (f64, f64),
    pub seed: u64,
}

impl Default for PanelSpec {
    fn default() -> Self {
        Self {
            customers: 1_000,
            weeks: 104,
            noise: 0.25,
            zero_share: 0.03,
            decliner_share: 0.15,
            seasonal_share: 0.5,
            decline_weeks: 8,
            decline_ramp: 0,
            decline_fall: (0.6, 0.7),
            seed: 1,
        }
    }
}

/// A generated panel: the weekly CSV text and which customers decline.
pub struct Panel {
    pub csv: String,
    pub decliners: std::collections::HashSet<String>,
    pub customers: usize,
}

/// The first week starts on 2024-01-06 (a Saturday), so two years end in late December.
pub fn panel(spec: &PanelSpec) -> Panel {
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(spec.seed);
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 6).unwrap();
    let weeks: Vec<String> = (0..spec.weeks)
        .map(|w| (start + chrono::Days::new(7 * w as u64)).to_string())
        .collect();
    let noise = Normal::new(1.0, spec.noise / 2.0).unwrap();
    let mut csv = String::from("customer_id,week_start_date,weekly_spend\n");
    let mut decliners = std::collections::HashSet::new();
    for customer in 0..spec.customers {
        let id = format!("c{customer}");
        // Levels from $20 to $200 a week, log-uniform.
        let level = (20f64.ln() + rng.random::<f64>() * (200f64 / 20.0).ln()).exp();
        let seasonal = rng.random::<f64>() < spec.seasonal_share;
        let amplitude = 0.15 + 0.2 * rng.random::<f64>();
        let phase = rng.random::<f64>() * std::f64::consts::TAU;
        let declines = rng.random::<f64>() < spec.decliner_share;
        let fall =
            spec.decline_fall.0 + (spec.decline_fall.1 - spec.decline_fall.0) * rng.random::<f64>();
        if declines {
            decliners.insert(id.clone());
        }
        for (w, day) in weeks.iter().enumerate() {
            let mut expected = level;
            if seasonal {
                let angle = std::f64::consts::TAU * w as f64 / 52.0 + phase;
                expected *= 1.0 + amplitude * angle.sin();
            }
            let weeks_into_decline = (w + spec.decline_weeks).saturating_sub(spec.weeks - 1);
            if declines && weeks_into_decline > 0 {
                let ramp = if spec.decline_ramp == 0 {
                    spec.decline_weeks
                } else {
                    spec.decline_ramp
                };
                let progress = (weeks_into_decline as f64 / ramp as f64).min(1.0);
                expected *= 1.0 - fall * progress;
            }
            let spend = if rng.random::<f64>() < spec.zero_share {
                0.0
            } else {
                (expected * noise.sample(&mut rng)).max(0.0)
            };
            csv.push_str(&format!("{id},{day},{spend:.2}\n"));
        }
    }
    Panel {
        csv,
        decliners,
        customers: spec.customers,
    }
}
