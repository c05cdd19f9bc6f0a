//! Display formatting shared by every output: money, percentages, labels. Rounding happens
//! here and nowhere else.

pub use crate::format::{action_label, round};
pub use crate::text::{group_thousands, money};

/// A whole number with thousands separators.
pub fn count(value: usize) -> String {
    group_thousands(value as u128)
}

/// Each value in whole cents such that the cents add up to the values' exact total rounded
/// to cents (largest remainder: every value is rounded down, and the cents left over go to
/// the largest fractions, ties to the first). A table's money columns then add up to the
/// report's total to the cent, where rounding each row could be off by a cent a row.
pub fn cents_adding_up(values: &[f64]) -> Vec<f64> {
    let total: crate::stats::exact_sum::ExactSum = values.iter().copied().collect();
    let target = (total.value() * 100.0).round() as i64;
    let scaled: Vec<f64> = values.iter().map(|v| v * 100.0).collect();
    let mut cents: Vec<i64> = scaled.iter().map(|v| v.floor() as i64).collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| {
        let fraction = |i: usize| scaled[i] - scaled[i].floor();
        fraction(*b).total_cmp(&fraction(*a)).then(a.cmp(b))
    });
    let left = target - cents.iter().sum::<i64>();
    if !order.is_empty() {
        // Only ever 0..n cents; a negative remainder (negative values) takes from the end.
        for step in 0..left.unsigned_abs() as usize {
            let i = if left > 0 {
                order[step % order.len()]
            } else {
                order[order.len() - 1 - step % order.len()]
            };
            cents[i] += left.signum();
        }
    }
    cents.into_iter().map(|c| c as f64 / 100.0).collect()
}

/// Appends `round(value, places)` as Rust's `Display` prints it (the CSV's numbers), without
/// going through the formatter: a rounded value is an integer count of 10^-places, and for
/// counts below 10^15 its shortest round-trip text is that count with the point put back
/// (two decimals of at most 15 significant digits never share a double). Anything else takes
/// `Display`.
pub fn write_rounded(out: &mut Vec<u8>, value: f64, places: i32) {
    if write_rounded_plain(out, value, places).is_none() {
        use std::io::Write;
        // Writing to a Vec cannot fail.
        let _ = write!(out, "{}", round(value, places));
    }
}

/// The shortest text of `round(value, places)` when it is a count of 10^-places below 10^15
/// (then it needs no exponent in `Display` or in JSON): appended, with whether it has a
/// decimal point. `None` (nothing appended) otherwise.
pub fn write_rounded_plain(out: &mut Vec<u8>, value: f64, places: i32) -> Option<bool> {
    const EXACT_BELOW: f64 = 1e15;
    // The scales `round` multiplies by (powers of ten this small are exact).
    const SCALES: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    let scale = *usize::try_from(places).ok().and_then(|p| SCALES.get(p))?;
    let scaled = (value * scale).round();
    // Also refuses NaN, which compares as nothing.
    if scaled.abs().partial_cmp(&EXACT_BELOW) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    let count = scaled.abs() as u64;
    if count != 0 && scaled < 0.0 {
        out.push(b'-');
    }
    let divisor = 10u64.pow(places as u32);
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(count / divisor).as_bytes());
    let mut fraction = count % divisor;
    if fraction == 0 {
        return Some(false);
    }
    let mut width = places as usize;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        width -= 1;
    }
    let text = digits.format(fraction);
    out.push(b'.');
    out.extend(std::iter::repeat_n(b'0', width - text.len()));
    out.extend_from_slice(text.as_bytes());
    Some(true)
}

/// Secondary gaps as "Declining Revenue (HIGH, -52.7%); …".
pub fn secondary_signals(gaps: &[crate::engine::Gap]) -> String {
    gaps.iter()
        .map(|g| {
            format!(
                "{} ({}, {:.1}%)",
                g.kind.label(),
                g.severity.key().to_uppercase(),
                g.gap_pct
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "P(alive) 0.42 · P(no purchase in 4 wk) 0.61 · revenue at risk $120.00 (90% interval
/// $80.00–$150.00)".
pub fn prediction_line(
    prediction: &crate::model::predict::Prediction,
    interval: f64,
    unit: crate::text::ValueUnit,
) -> String {
    let at_risk = match unit {
        crate::text::ValueUnit::Currency => "revenue at risk",
        crate::text::ValueUnit::Purchases => "at risk",
    };
    format!(
        "P(alive) {:.2} · P(no purchase in {} wk) {:.2} · {at_risk} {} ({:.0}% interval {}–{})",
        prediction.p_alive,
        prediction.horizon_weeks,
        prediction.p_no_purchase,
        unit.amount(prediction.revenue_at_risk),
        interval * 100.0,
        unit.amount(prediction.revenue_at_risk_low),
        unit.amount(prediction.revenue_at_risk_high)
    )
}

/// Actions as people read them, comma-separated.
pub fn action_list(actions: &[impl AsRef<str>]) -> String {
    actions
        .iter()
        .map(|a| action_label(a.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A million numbers of random sign whose magnitudes are 10^x, x uniform in `exponents`
/// (tests of number printing over every scale).
#[cfg(test)]
pub(crate) fn random_magnitudes(seed: u64, exponents: std::ops::Range<f64>) -> Vec<f64> {
    use rand::{RngExt, SeedableRng};
    let mut random = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
    (0..1_000_000)
        .map(|_| {
            let magnitude = 10f64.powf(random.random_range(exponents.clone()));
            if random.random_bool(0.5) {
                magnitude
            } else {
                -magnitude
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `write_rounded` prints what `Display` prints of the rounded value, over every scale a
    /// report meets (a million random values from 1e-6 to 1e17, both signs) and the edges.
    #[test]
    fn rounded_numbers_print_as_display_prints_them() {
        let mut values = vec![
            0.0,
            -0.0,
            0.004,
            -0.004,
            0.005,
            -0.005,
            0.5,
            1.0,
            -1.0,
            0.1,
            0.01,
            0.0001,
            784.03,
            -52.75,
            1e15,
            999_999_999_999.99,
            1e17,
            123.456_789,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        values.extend(random_magnitudes(7, -6.0..17.0));
        let mut out = Vec::new();
        for value in values {
            for places in [0, 1, 2, 4] {
                out.clear();
                write_rounded(&mut out, value, places);
                assert_eq!(
                    std::str::from_utf8(&out).unwrap(),
                    round(value, places).to_string(),
                    "{value} to {places} places"
                );
            }
        }
    }

    #[test]
    fn money_groups_thousands_and_rounds_half_cents() {
        assert_eq!(money(1234.5), "$1,234.50");
        assert_eq!(money(9888.5249), "$9,888.52");
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(-19.305), "-$19.31");
        assert_eq!(money(1_000_000.0), "$1,000,000.00");
        assert_eq!(money(-0.001), "$0.00");
    }

    #[test]
    fn round_never_gives_negative_zero() {
        assert_eq!(round(-0.0001, 2).to_string(), "0");
        assert_eq!(round(2.345678, 4), 2.3457);
    }

    #[test]
    fn cents_add_up_to_the_rounded_total() {
        // Three thirds of a dollar: rounding each gives 0.99; the remainder goes to one row.
        let thirds = cents_adding_up(&[1.0 / 3.0; 3]);
        assert_eq!(thirds, vec![0.34, 0.33, 0.33]);
        // Many rows each just over half a cent: per-row rounding overshoots by a cent a row.
        let values = vec![0.005_1; 10];
        assert_eq!((values.iter().sum::<f64>() * 100.0).round(), 5.0);
        let cents = cents_adding_up(&values);
        assert_eq!((cents.iter().sum::<f64>() * 100.0).round(), 5.0);
        assert!(cents.iter().all(|c| *c == 0.0 || *c == 0.01));
        for values in crate::report::format::random_magnitudes(7, -1.0..6.0)
            .chunks(13)
            .take(5000)
        {
            let cents = cents_adding_up(values);
            let total: f64 = values.iter().sum();
            let summed: i64 = cents.iter().map(|c| (c * 100.0).round() as i64).sum();
            assert_eq!(summed, (total * 100.0).round() as i64, "{values:?}");
            for (c, v) in cents.iter().zip(values) {
                assert!((c - v).abs() < 0.01 + 1e-9, "{c} {v}");
            }
        }
        assert!(cents_adding_up(&[]).is_empty());
    }
}
