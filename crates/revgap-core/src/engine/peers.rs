//! The peer baseline: each customer's comparable customers are those with the same label in
//! `peers.dimension` who were acquired in the same calendar quarter; their median weekly
//! spend over the last `peers.window_weeks` is what the `below_peers` gap compares a
//! customer's own with. Customers too new to
//! judge are neither judged nor anyone's peers, and groups smaller than `peers.min_group`
//! give no baseline.

use super::baseline::SpendProfile;
use super::season::Season;
use crate::config::Config;
use crate::data::Dataset;
use crate::segment::{Dimension, Segmentation};
use chrono::Datelike;
use rayon::prelude::*;

/// A customer's average weekly spend over the peer window.
pub fn window_average(weeks: &[f64], config: &Config) -> f64 {
    let window = &weeks[weeks.len().saturating_sub(config.peers.window_weeks)..];
    if window.is_empty() {
        0.0
    } else {
        window.iter().sum::<f64>() / window.len() as f64
    }
}

/// Per customer, the median windowed weekly spend of their peers (`None`: no usable group).
pub fn medians(
    dataset: &Dataset,
    config: &Config,
    season: &Season,
    segments: &Segmentation,
) -> Vec<Option<f64>> {
    let none = || vec![None; dataset.customer_count()];
    let labels = match Dimension::parse(&config.peers.dimension, dataset) {
        Ok(dimension) => match segments.get(&dimension) {
            Some(labels) => labels,
            None => return none(),
        },
        Err(why) => {
            tracing::warn!(%why, "peers.dimension: no peer baseline");
            return none();
        }
    };
    // (group, recent weekly spend) of every customer old enough to judge.
    let members: Vec<Option<(u64, f64)>> = (0..dataset.customer_count())
        .into_par_iter()
        .map(|customer| {
            let weeks = &*dataset.weeks_of(customer);
            let first = weeks.iter().position(|v| *v > 0.0)?;
            let profile = SpendProfile::with_season(customer, weeks, config, season);
            if profile.is_new {
                return None;
            }
            let start = dataset.week_starts[first];
            let quarter = i64::from(start.year()) * 4 + i64::from(start.month0() / 3);
            let group = (u64::from(labels.codes[customer]) << 32) | (quarter as u64 & 0xffff_ffff);
            Some((group, window_average(weeks, config)))
        })
        .collect();
    let mut sorted: Vec<(u64, f64)> = members.iter().flatten().copied().collect();
    sorted.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut group_medians: rustc_hash::FxHashMap<u64, f64> = Default::default();
    for run in sorted.chunk_by(|a, b| a.0 == b.0) {
        if run.len() >= config.peers.min_group {
            let middle = run.len() / 2;
            let median = if run.len() % 2 == 1 {
                run[middle].1
            } else {
                (run[middle - 1].1 + run[middle].1) / 2.0
            };
            group_medians.insert(run[0].0, median);
        }
    }
    members
        .iter()
        .map(|member| member.and_then(|(group, _)| group_medians.get(&group).copied()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` customers per (tier, first-purchase week) from literal weekly spend.
    fn dataset(rows: &[(&str, Vec<f64>)]) -> Dataset {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let weeks = rows[0].1.len();
        Dataset::from_rows(
            (0..weeks as u64)
                .map(|w| start + chrono::Days::new(7 * w))
                .collect(),
            rows.iter()
                .map(|(id, v)| (id.to_string(), v.clone()))
                .collect(),
        )
    }

    fn analyse(rows: &[(&str, Vec<f64>)], config: &Config) -> (Dataset, Vec<Option<f64>>) {
        let data = dataset(rows);
        let season = Season::of(&data, config);
        let segments = crate::segment::segment(&data, config, None, None);
        let medians = medians(&data, config, &season, &segments);
        (data, medians)
    }

    #[test]
    fn peers_share_a_segment_and_an_acquisition_quarter() {
        let mut config = Config::default();
        config.peers.min_group = 3;
        config.peers.window_weeks = 4;
        // Four big spenders and three small ones from January, two small ones who started in
        // April (week 13).
        let steady = |level: f64, from: usize| -> Vec<f64> {
            (0..26)
                .map(|w| if w >= from { level } else { 0.0 })
                .collect()
        };
        let rows = vec![
            ("big1", steady(100.0, 0)),
            ("big2", steady(110.0, 0)),
            ("big3", steady(120.0, 0)),
            ("big4", steady(130.0, 0)),
            ("small1", steady(10.0, 0)),
            ("small2", steady(12.0, 0)),
            ("small3", steady(14.0, 0)),
            ("april1", steady(10.0, 13)),
            ("april2", steady(10.0, 13)),
        ];
        // Total spend puts small1, small2 and both April starters in the low tier, small3 in
        // the medium tier with big1 and big2, big3 and big4 in the high tier.
        let (data, medians) = analyse(&rows, &config);
        let of = |id: &str| medians[data.customer_ids.position(id).unwrap()];
        assert_eq!(of("small3"), Some(100.0), "median of 14, 100, 110");
        assert_eq!(of("big1"), Some(100.0));
        assert_eq!(
            of("small1"),
            None,
            "two January low-tier customers: below min_group"
        );
        config.peers.min_group = 2;
        let (data, medians) = analyse(&rows, &config);
        let of = |id: &str| medians[data.customer_ids.position(id).unwrap()];
        assert_eq!(
            of("small1"),
            Some(11.0),
            "January's low tier alone, not April's"
        );
        assert_eq!(of("april1"), Some(10.0));
    }

    #[test]
    fn new_customers_are_nobodys_peers() {
        let mut config = Config::default();
        config.peers.min_group = 2;
        let rows = vec![
            ("old1", vec![10.0; 12]),
            ("old2", vec![20.0; 12]),
            // First purchase in the last weeks: too little history to judge.
            ("new", {
                let mut weeks = vec![0.0; 12];
                weeks[10] = 500.0;
                weeks[11] = 500.0;
                weeks
            }),
        ];
        let (data, medians) = analyse(&rows, &config);
        assert_eq!(medians[data.customer_ids.position("new").unwrap()], None);
    }
}
