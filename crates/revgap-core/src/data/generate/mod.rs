//! Deterministic sample data in three shapes.
//!
//! - `Retail` (what `revgap generate` and the bundled `data/` use): customers who start at
//!   different times, buy at their own rhythm (weekly, fortnightly, monthly, irregular), often
//!   follow a season, and include real decliners and customers who stop (`truth.csv` says who).
//! - `Original`: the shape of the original's data (spec section 1): slow decliners (most),
//!   churners that stop buying for good in the second half (about a quarter), a few stable and
//!   growing customers, and an occasional isolated zero week.
//! - `Seasonal`: two years or more with holiday peaks and January dips, steady shoppers and
//!   late decliners (`truth.csv`).
//!
//! Each customer draws from its own ChaCha8 stream seeded by (seed, index), so the output is
//! identical for a seed whatever the thread count.

mod retail;

use chrono::{Days, NaiveDate};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use std::io::Write;
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    pub customers: usize,
    pub weeks: usize,
    pub seed: u64,
    /// First week start (the original's panel starts on Saturday 2025-09-06).
    pub start: NaiveDate,
    /// Two years or more with seasons: holiday peaks, January dips, steady shoppers and
    /// late decliners, with the truth written to `truth.csv`.
    pub seasonal: bool,
    /// Retail customers with rhythms, start times, seasons, decliners and stoppers (the truth
    /// in `truth.csv`); takes precedence over `seasonal`.
    pub retail: bool,
}

impl GenerateOptions {
    /// Whether `truth.csv` is written.
    pub fn writes_truth(&self) -> bool {
        self.seasonal || self.retail
    }
}

impl Default for GenerateOptions {
    /// The original's shape: 200 customers × 12 weeks from 2025-09-06.
    fn default() -> Self {
        Self {
            customers: 200,
            weeks: 12,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2025, 9, 6).unwrap_or_default(),
            seasonal: false,
            retail: false,
        }
    }
}

/// The behaviour a generated customer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archetype {
    Decliner,
    Churner,
    Stable,
    Growing,
    /// Seasonal data: a holiday peak and a January dip every year.
    Seasonal,
    /// Seasonal data: the same level all year.
    Steady,
    /// Seasonal data: a seasonal or steady shopper whose spend drops in the last weeks.
    LateDecliner,
    /// Retail data: a shopper who keeps their rhythm and level.
    Regular,
    /// Retail data: a shopper whose spend falls over their last weeks.
    Declining,
    /// Retail data: a shopper who stopped buying.
    Stopped,
}

impl Archetype {
    pub fn key(self) -> &'static str {
        match self {
            Self::Decliner => "decliner",
            Self::Churner => "churner",
            Self::Stable => "stable",
            Self::Growing => "growing",
            Self::Seasonal => "seasonal",
            Self::Steady => "steady",
            Self::LateDecliner => "late_decliner",
            Self::Regular => "regular",
            Self::Declining => "declining",
            Self::Stopped => "stopped",
        }
    }
}

const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];
const FIRST_NAMES: [&str; 16] = [
    "Ava", "Ben", "Chloe", "Dev", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kira", "Leo",
    "Maya", "Noah", "Omar", "Priya",
];
/// Household sizes 1–5 in the original's proportions (52/29/45/44/30 of 200).
const HOUSEHOLD_WEIGHTS: [u32; 5] = [52, 29, 45, 44, 30];

/// One generated customer.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCustomer {
    pub archetype: Archetype,
    pub age: u32,
    pub household_size: u32,
    pub loyalty_member: bool,
    pub region: &'static str,
    pub name: String,
    pub weekly_spend: Vec<f64>,
    /// Seasonal data: the week a late decliner's drop starts.
    pub decline_start: Option<usize>,
}

/// Generates customer `index` (1-based ids are `index + 1`).
pub fn generate_customer(options: &GenerateOptions, index: usize) -> GeneratedCustomer {
    let mut rng = ChaCha8Rng::seed_from_u64(
        options.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let weeks = options.weeks;
    if options.retail {
        return retail::customer(options, &mut rng);
    }
    if options.seasonal {
        return seasonal_customer(options, &mut rng);
    }
    let roll: f64 = rng.random();
    let archetype = match roll {
        r if r < 0.265 => Archetype::Churner,
        r if r < 0.300 => Archetype::Stable,
        r if r < 0.305 => Archetype::Growing,
        _ => Archetype::Decliner,
    };
    let baseline: f64 = rng.random_range(20.0..220.0);
    // Slopes are per week relative to baseline, scaled so a W-week panel declines as much in
    // total as the original 12-week one did.
    let span = 11.0 / (weeks.max(2) - 1) as f64;
    let slope = span
        * match archetype {
            Archetype::Decliner => rng.random_range(-0.042..-0.010),
            Archetype::Churner => rng.random_range(-0.02..0.0),
            Archetype::Stable => rng.random_range(-0.004..0.004),
            Archetype::Growing => rng.random_range(0.010..0.030),
            // Only the seasonal and retail data use these.
            _ => 0.0,
        };
    let noise_share = rng.random_range(0.05..0.16);
    let noise = Normal::new(0.0, noise_share * baseline).unwrap_or_else(|_| unreachable_normal());
    let level = if archetype == Archetype::Churner {
        baseline * rng.random_range(0.68..1.0)
    } else {
        baseline
    };
    // Churners stop in the second half: the original's weeks 7–12 of 12.
    let churn_week = (archetype == Archetype::Churner)
        .then(|| ((weeks as f64) * rng.random_range(0.55..1.0)).round() as usize);
    let isolated_zero =
        (archetype == Archetype::Decliner && rng.random::<f64>() < 0.007).then_some(weeks / 2);
    let weekly_spend = (0..weeks)
        .map(|week| {
            if churn_week.is_some_and(|start| week >= start) || isolated_zero == Some(week) {
                return 0.0;
            }
            let trend = level * (1.0 + slope * (week as f64 - 1.5));
            let value: f64 = trend + noise.sample(&mut rng);
            (value.max(0.57) * 100.0).round() / 100.0
        })
        .collect();
    attributes(archetype, weekly_spend, None, &mut rng)
}

/// The multiplier of a week starting on `start` for a seasonal shopper: a holiday peak from
/// late November through December, a dip through January, 1 otherwise.
pub fn season(start: NaiveDate) -> f64 {
    use chrono::Datelike;
    match (start.month(), start.day()) {
        (11, 20..) | (12, 1..=24) => 1.8,
        (12, _) => 1.3,
        (1, _) => 0.55,
        _ => 1.0,
    }
}

/// A customer of the seasonal data: 45 % seasonal, 35 % steady, 20 % late decliners (half of
/// them seasonal) whose spend drops to 0–40 % in the last 2–4 weeks.
fn seasonal_customer(options: &GenerateOptions, rng: &mut ChaCha8Rng) -> GeneratedCustomer {
    let weeks = options.weeks;
    let roll: f64 = rng.random();
    let archetype = match roll {
        r if r < 0.45 => Archetype::Seasonal,
        r if r < 0.80 => Archetype::Steady,
        _ => Archetype::LateDecliner,
    };
    let seasonal = match archetype {
        Archetype::Seasonal => true,
        Archetype::LateDecliner => rng.random::<f64>() < 0.5,
        _ => false,
    };
    let level: f64 = rng.random_range(20.0..220.0);
    let decline_start =
        (archetype == Archetype::LateDecliner).then(|| weeks - rng.random_range(2..=4usize));
    let drop_to: f64 = rng.random_range(0.0..0.4);
    let noise = Normal::new(0.0, 0.10).unwrap_or_else(|_| unreachable_normal());
    let weekly_spend = (0..weeks)
        .map(|week| {
            let start = options.start + Days::new(7 * week as u64);
            let mut value = level * if seasonal { season(start) } else { 1.0 };
            if decline_start.is_some_and(|from| week >= from) {
                value *= drop_to;
            }
            // An occasional empty week (2 %), and ±10 % noise.
            if rng.random::<f64>() < 0.02 {
                return 0.0;
            }
            value *= (1.0 + noise.sample(rng)).max(0.1);
            (value.max(0.0) * 100.0).round() / 100.0
        })
        .collect();
    attributes(archetype, weekly_spend, decline_start, rng)
}

pub(crate) fn attributes(
    archetype: Archetype,
    weekly_spend: Vec<f64>,
    decline_start: Option<usize>,
    rng: &mut ChaCha8Rng,
) -> GeneratedCustomer {
    let household_roll = rng.random_range(0..HOUSEHOLD_WEIGHTS.iter().sum::<u32>());
    let mut acc = 0;
    let household_size = HOUSEHOLD_WEIGHTS
        .iter()
        .position(|w| {
            acc += w;
            household_roll < acc
        })
        .unwrap_or(0) as u32
        + 1;
    GeneratedCustomer {
        archetype,
        decline_start,
        age: rng.random_range(18..80),
        household_size,
        loyalty_member: rng.random::<f64>() < 0.725,
        region: REGIONS[rng.random_range(0..REGIONS.len())],
        name: format!(
            "{} {}.",
            FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            (b'A' + rng.random_range(0..26u8)) as char
        ),
        weekly_spend,
    }
}

fn unreachable_normal() -> Normal<f64> {
    // Normal::new only fails for a non-finite or negative deviation, which the ranges exclude.
    Normal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!())
}

/// The same customers as `write_sample` writes, built in memory (spend only; for benchmarks).
pub fn in_memory(options: &GenerateOptions) -> super::Dataset {
    let week_starts = (0..options.weeks as u64)
        .map(|w| options.start + Days::new(7 * w))
        .collect();
    let rows = (0..options.customers)
        .into_par_iter()
        .map(|i| {
            (
                (i + 1).to_string(),
                generate_customer(options, i).weekly_spend,
            )
        })
        .collect();
    super::Dataset::from_rows(week_starts, rows)
}

/// Writes `customers.csv`, `weekly_spend.csv` and `contacts.csv` (and for seasonal data
/// `truth.csv`) into `out`.
pub fn write_sample(options: &GenerateOptions, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    crate::atomic::write_with(
        &out.join("contacts.csv"),
        crate::atomic::Access::Shared,
        |file| {
            writeln!(file, "{CONTACTS_HEADER}")?;
            for index in 0..options.customers {
                file.write_all(contact_line(options.seed, index).as_bytes())?;
            }
            Ok(())
        },
    )?;
    let week_starts: Vec<String> = (0..options.weeks)
        .map(|w| {
            options
                .start
                .checked_add_days(Days::new(7 * w as u64))
                .unwrap_or(options.start)
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    // Each file is written whole to a temporary and renamed into place: a generator killed
    // midway never leaves a truncated panel that a later analysis would accept. Customers
    // and spend are rendered in one pass per batch, so the two files are written together.
    let customers_path = out.join("customers.csv");
    let spend_path = out.join("weekly_spend.csv");
    let write_all = |customers_file: &mut dyn Write,
                     spend_file: &mut dyn Write,
                     mut truth_file: Option<&mut dyn Write>| {
        writeln!(
            customers_file,
            "customer_id,age,household_size,loyalty_member,name,region"
        )?;
        writeln!(spend_file, "customer_id,week_start_date,weekly_spend")?;
        if let Some(truth) = truth_file.as_mut() {
            writeln!(truth, "customer_id,kind,declining,decline_start")?;
        }
        const BATCH: usize = 16_384;
        for batch_start in (0..options.customers).step_by(BATCH) {
            let batch_end = (batch_start + BATCH).min(options.customers);
            let rendered: Vec<[Vec<u8>; 3]> = (batch_start..batch_end)
                .into_par_iter()
                .map(|index| render(options, index, &week_starts))
                .collect();
            for [customer_line, spend_lines, truth_line] in rendered {
                customers_file.write_all(&customer_line)?;
                spend_file.write_all(&spend_lines)?;
                if let Some(truth) = truth_file.as_mut() {
                    truth.write_all(&truth_line)?;
                }
            }
        }
        Ok(())
    };
    use crate::atomic::{Access, write_with};
    write_with(&customers_path, Access::Shared, |customers_file| {
        write_with(&spend_path, Access::Shared, |spend_file| {
            if options.writes_truth() {
                write_with(&out.join("truth.csv"), Access::Shared, |truth_file| {
                    write_all(customers_file, spend_file, Some(truth_file))
                })
            } else {
                write_all(customers_file, spend_file, None)
            }
        })
    })
}

/// The header of `contacts.csv` (the contacts file `campaign create --contacts` reads).
pub const CONTACTS_HEADER: &str =
    "customer_id,email,phone,timezone,language,email_opt_in,sms_opt_in,push_opt_in";

/// A plausible contact line for customer `index` (1-based id `index + 1`): example.com
/// addresses, 555-01xx numbers (reserved for fiction), a mix of consents, time zones and
/// languages, some customers without an address or a phone. Drawn from its own stream, so the
/// other files are the same with or without it.
pub fn contact_line(seed: u64, index: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(
        (seed ^ 0xC0A7_AC75).wrapping_add((index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)),
    );
    let id = index + 1;
    let email = if rng.random::<f64>() < 0.92 {
        format!("customer{id}@example.com")
    } else {
        String::new()
    };
    let phone = if rng.random::<f64>() < 0.7 {
        format!("+1-202-555-01{:02}", rng.random_range(0..100))
    } else {
        String::new()
    };
    let zones = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "Europe/London",
    ];
    let timezone = zones[rng.random_range(0..zones.len())];
    let language = match rng.random::<f64>() {
        r if r < 0.75 => "en",
        r if r < 0.92 => "es",
        _ => "fr",
    };
    let email_opt_in = !email.is_empty() && rng.random::<f64>() < 0.8;
    let sms_opt_in = !phone.is_empty() && rng.random::<f64>() < 0.45;
    let push_opt_in = rng.random::<f64>() < 0.3;
    format!(
        "{id},{email},{phone},{timezone},{language},{email_opt_in},{sms_opt_in},{push_opt_in}\n"
    )
}

/// The customer line, the spend lines and (seasonal data) the truth line of customer `index`.
fn render(options: &GenerateOptions, index: usize, week_starts: &[String]) -> [Vec<u8>; 3] {
    let customer = generate_customer(options, index);
    let id = index + 1;
    let loyalty = if customer.loyalty_member {
        "True"
    } else {
        "False"
    };
    let customer_line = format!(
        "{id},{},{},{loyalty},{},{}\n",
        customer.age, customer.household_size, customer.name, customer.region
    )
    .into_bytes();
    let mut spend_lines = Vec::with_capacity(week_starts.len() * 28);
    for (week, value) in customer.weekly_spend.iter().enumerate() {
        let cents = (value * 100.0).round() as u64;
        // Writing into a Vec cannot fail.
        let _ = writeln!(
            spend_lines,
            "{id},{},{}.{:02}",
            week_starts[week],
            cents / 100,
            cents % 100
        );
    }
    let truth_line = format!(
        "{id},{},{},{}\n",
        customer.archetype.key(),
        customer.decline_start.is_some(),
        customer
            .decline_start
            .map(|week| week_starts[week].clone())
            .unwrap_or_default()
    )
    .into_bytes();
    [customer_line, spend_lines, truth_line]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_customers_different_seed_different() {
        let options = GenerateOptions::default();
        let other = GenerateOptions {
            seed: 7,
            ..options.clone()
        };
        for index in [0, 5, 199] {
            assert_eq!(
                generate_customer(&options, index),
                generate_customer(&options, index)
            );
        }
        assert_ne!(generate_customer(&options, 3), generate_customer(&other, 3));
    }

    #[test]
    fn shape_matches_the_original_mix() {
        let options = GenerateOptions {
            customers: 4000,
            ..Default::default()
        };
        let customers: Vec<_> = (0..options.customers)
            .map(|i| generate_customer(&options, i))
            .collect();
        let share = |kind| customers.iter().filter(|c| c.archetype == kind).count() as f64 / 4000.0;
        assert!(
            (0.22..0.31).contains(&share(Archetype::Churner)),
            "{}",
            share(Archetype::Churner)
        );
        assert!(share(Archetype::Decliner) > 0.6);
        let churners_trailing_zero = customers
            .iter()
            .filter(|c| c.archetype == Archetype::Churner)
            .filter(|c| c.weekly_spend.last() == Some(&0.0))
            .count();
        assert!(churners_trailing_zero as f64 > 0.8 * share(Archetype::Churner) * 4000.0);
        assert!(customers.iter().all(|c| (18..80).contains(&c.age)));
        assert!(
            customers
                .iter()
                .all(|c| c.weekly_spend.iter().all(|v| *v >= 0.0))
        );
    }
}
