//! The retail shape: what a shop's two years look like. Each customer starts at their own
//! week (a third were already customers when the data start), buys at their own rhythm —
//! weekly, fortnightly, monthly or irregularly — spends around their own level with noise,
//! often follows the shop's season (a holiday peak, a January dip), and may decline (their
//! spend falls by 60–85 % over their last 5–10 weeks) or stop buying at some point (at least
//! three weeks before the end).
//! `decline_start` marks both, so `truth.csv` says who is really slipping.

use super::{Archetype, GenerateOptions, GeneratedCustomer, attributes, season};
use chrono::Days;
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// How often a customer buys.
#[derive(Debug, Clone, Copy)]
enum Rhythm {
    /// Most weeks (a week skipped now and then).
    Weekly,
    /// Every other week.
    Fortnightly,
    /// Every four or five weeks.
    Monthly,
    /// At random, with this chance a week.
    Irregular(f64),
}

impl Rhythm {
    /// Weeks between purchases on average (a purchase's spend covers them).
    fn spacing(self) -> f64 {
        match self {
            Self::Weekly => 1.0,
            Self::Fortnightly => 2.0,
            Self::Monthly => 4.5,
            Self::Irregular(chance) => 1.0 / chance,
        }
    }
}

/// One retail customer (see the module comment).
pub(super) fn customer(options: &GenerateOptions, rng: &mut ChaCha8Rng) -> GeneratedCustomer {
    let weeks = options.weeks;
    let rhythm = match rng.random::<f64>() {
        r if r < 0.45 => Rhythm::Weekly,
        r if r < 0.70 => Rhythm::Fortnightly,
        r if r < 0.85 => Rhythm::Monthly,
        _ => Rhythm::Irregular(rng.random_range(0.15..0.45)),
    };
    // A third were customers before the data start; the rest join over the first 70 %.
    let first_week = if rng.random::<f64>() < 0.35 {
        0
    } else {
        rng.random_range(0..(weeks as f64 * 0.7).max(1.0) as usize)
    };
    let archetype = match rng.random::<f64>() {
        r if r < 0.09 => Archetype::Declining,
        r if r < 0.16 => Archetype::Stopped,
        _ => Archetype::Regular,
    };
    let decline_start = match archetype {
        Archetype::Declining => Some(weeks.saturating_sub(rng.random_range(5..=10usize))),
        // Stopped at some point after joining (at least two months of buying first).
        Archetype::Stopped => {
            let last = weeks.saturating_sub(3);
            let from = (first_week + 8).min(last);
            Some(rng.random_range(from..last.max(from + 1)))
        }
        _ => None,
    }
    .filter(|start| *start > first_week);
    let archetype = if decline_start.is_none() {
        Archetype::Regular
    } else {
        archetype
    };
    let fall: f64 = rng.random_range(0.6..0.85);
    let seasonal = rng.random::<f64>() < 0.6;
    // Weekly level from $15 to $180, log-uniform.
    let level = (15f64.ln() + rng.random::<f64>() * (180f64 / 15.0).ln()).exp();
    let noise_share = rng.random_range(0.08..0.25);
    let noise = Normal::new(1.0, noise_share).unwrap_or_else(|_| super::unreachable_normal());
    let spacing = rhythm.spacing();
    // The week within its cycle a fortnightly or monthly shopper buys in.
    let phase = rng.random_range(0..spacing.ceil().max(1.0) as usize);
    let mut next_monthly = first_week + phase;
    let weekly_spend = (0..weeks)
        .map(|week| {
            if week < first_week {
                return 0.0;
            }
            let buys = match rhythm {
                Rhythm::Weekly => rng.random::<f64>() >= 0.04,
                Rhythm::Fortnightly => (week - first_week) % 2 == phase % 2,
                Rhythm::Monthly => {
                    let due = week == next_monthly;
                    if due {
                        next_monthly += rng.random_range(4..=5usize);
                    }
                    due
                }
                Rhythm::Irregular(chance) => rng.random::<f64>() < chance,
            };
            if !buys {
                return 0.0;
            }
            let mut value = level * spacing;
            if seasonal {
                value *= season(options.start + Days::new(7 * week as u64));
            }
            match (archetype, decline_start) {
                (Archetype::Stopped, Some(start)) if week >= start => return 0.0,
                (Archetype::Declining, Some(start)) if week >= start => {
                    let ramp = (weeks - start) as f64;
                    let progress = ((week - start + 1) as f64 / ramp).min(1.0);
                    value *= 1.0 - fall * progress;
                }
                _ => {}
            }
            value *= noise.sample(rng).max(0.1);
            (value.max(0.57) * 100.0).round() / 100.0
        })
        .collect();
    attributes(archetype, weekly_spend, decline_start, rng)
}
