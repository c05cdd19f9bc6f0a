//! Acquisition cohorts: customers grouped by the period of their first purchase, followed over
//! the periods since: the share of the cohort still buying and the revenue per original member.
//! Day-level purchases are used when the data has them (a transaction log), else each week
//! with spend counts as a purchase on its first day.

use crate::data::{Dataset, date_of, day_number};
use chrono::Datelike;
use serde::Serialize;
use std::collections::BTreeMap;

/// The length of a cohort period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    Quarter,
}

crate::choice!(Period {
    Week => "week",
    Month => "month",
    Quarter => "quarter",
});

impl Period {
    /// A period number that increases by one per period.
    fn index(self, day: i32) -> i32 {
        let date = date_of(day);
        match self {
            // Weeks start on Monday (ISO); day 1 of the common era is a Monday.
            Self::Week => (day - 1).div_euclid(7),
            Self::Month => date.year() * 12 + date.month0() as i32,
            Self::Quarter => date.year() * 4 + date.month0() as i32 / 3,
        }
    }

    /// The label of period number `index`: 1997-W05, 1997-01 or 1997-Q1.
    fn label(self, index: i32) -> String {
        match self {
            Self::Week => {
                let monday = date_of(index * 7 + 1);
                let week = monday.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Self::Month => format!("{}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1),
            Self::Quarter => format!("{}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1),
        }
    }
}

/// One acquisition cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    pub cohort: String,
    pub size: usize,
    /// Per period since acquisition (0 = the acquisition period): share of members buying.
    pub active_share: Vec<f64>,
    /// Per period since acquisition: revenue in that period divided by the cohort's size.
    pub revenue_per_member: Vec<f64>,
}

/// The cohort table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortTable {
    pub period: Period,
    pub cohorts: Vec<Cohort>,
}

impl CohortTable {
    /// Customers in all cohorts (every customer with a purchase).
    pub fn customers(&self) -> usize {
        self.cohorts.iter().map(|c| c.size).sum()
    }

    /// Periods since acquisition followed by the oldest cohort (the table's width).
    pub fn periods(&self) -> usize {
        self.cohorts
            .iter()
            .map(|c| c.active_share.len())
            .max()
            .unwrap_or(0)
    }
}

/// Builds the cohort table of `dataset` up to its as-of date.
pub fn cohorts(dataset: &Dataset, period: Period) -> CohortTable {
    let last_week = dataset.week_starts.last().map(|d| day_number(*d));
    let end = match (
        &dataset.transactions,
        dataset.as_of.map(day_number),
        last_week,
    ) {
        // A weekly panel dates each week's purchases on its first day: a period after the
        // last week's start has no data yet, not a 0 % share.
        (None, Some(as_of), Some(week)) => as_of.min(week),
        (None, None, Some(week)) => week,
        (_, Some(as_of), _) => as_of,
        (_, None, week) => week.map_or(0, |w| w + 6),
    };
    let last = period.index(end);
    #[derive(Default)]
    struct Tally {
        size: usize,
        active: Vec<usize>,
        revenue: Vec<f64>,
    }
    let mut tallies: BTreeMap<i32, Tally> = BTreeMap::new();
    for_each_customer(dataset, |purchases| {
        let Some(&(first_day, _)) = purchases.first() else {
            return;
        };
        let cohort = period.index(first_day);
        let length = (last - cohort + 1).max(1) as usize;
        let tally = tallies.entry(cohort).or_insert_with(|| Tally {
            size: 0,
            active: vec![0; length],
            revenue: vec![0.0; length],
        });
        tally.size += 1;
        let mut counted = usize::MAX;
        for &(day, amount) in purchases {
            let since = (period.index(day) - cohort) as usize;
            if since >= tally.active.len() {
                continue;
            }
            if since != counted {
                tally.active[since] += 1;
                counted = since;
            }
            tally.revenue[since] += amount;
        }
    });
    CohortTable {
        period,
        cohorts: tallies
            .into_iter()
            .map(|(index, tally)| {
                let size = tally.size as f64;
                Cohort {
                    cohort: period.label(index),
                    size: tally.size,
                    active_share: tally.active.iter().map(|a| *a as f64 / size).collect(),
                    revenue_per_member: tally.revenue.iter().map(|r| r / size).collect(),
                }
            })
            .collect(),
    }
}

/// Calls `each` with every customer's purchase days, sorted (see `model::summary::Purchases`).
fn for_each_customer(dataset: &Dataset, mut each: impl FnMut(&[(i32, f64)])) {
    let purchases = crate::model::summary::Purchases::of(dataset);
    for customer in 0..purchases.customers() {
        each(&purchases.of_customer(customer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_indices_agree() {
        let day = day_number(chrono::NaiveDate::from_ymd_opt(1997, 3, 5).unwrap());
        assert_eq!(Period::Month.label(Period::Month.index(day)), "1997-03");
        assert_eq!(Period::Quarter.label(Period::Quarter.index(day)), "1997-Q1");
        assert_eq!(Period::Week.label(Period::Week.index(day)), "1997-W10");
        let monday = day_number(chrono::NaiveDate::from_ymd_opt(1997, 3, 3).unwrap());
        assert_eq!(Period::Week.index(monday), Period::Week.index(day));
        assert_eq!(
            Period::Week.index(monday - 1) + 1,
            Period::Week.index(monday)
        );
    }

    #[test]
    fn weekly_panel_cohorts_follow_first_purchases() {
        let start = chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let weeks = (0..10u64)
            .map(|w| start + chrono::Days::new(7 * w))
            .collect();
        let mut dataset = Dataset::from_rows(
            weeks,
            vec![
                ("a".into(), vec![5.0; 10]),
                (
                    "b".into(),
                    vec![0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 8.0],
                ),
                ("c".into(), vec![0.0; 10]),
            ],
        );
        dataset.as_of = Some(start + chrono::Days::new(69));
        let table = cohorts(&dataset, Period::Month);
        assert_eq!(
            table.customers(),
            2,
            "a customer who never bought is in no cohort"
        );
        assert_eq!(table.cohorts[0].cohort, "2025-01");
        assert_eq!(table.cohorts[0].size, 2);
        assert_eq!(table.cohorts[0].active_share, vec![1.0, 0.5, 1.0]);
        // January: a's four weeks (20) and b's first purchase (4), over two members.
        assert_eq!(table.cohorts[0].revenue_per_member[0], 12.0);
    }
}
