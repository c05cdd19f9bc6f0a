//! Follow-up spend: for each member and window of k weeks, the mean weekly spend over the k
//! weeks that start after the campaign's as-of date, read from any loaded dataset. Members
//! missing from the follow-up data count as zero spend (and are counted; data holding none of
//! them is an error: it is the wrong file); customers in the data but not in the campaign are
//! ignored (and counted).

use crate::ledger::Member;
use chrono::{Days, NaiveDate};
use revgap_core::data::Dataset;

/// Mean weekly spend per member (in member order) over one window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpend {
    pub weeks: usize,
    pub spend: Vec<f64>,
}

/// What was read.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub windows: Vec<WindowSpend>,
    /// Members with no row in the follow-up data (counted as zero spend).
    pub missing_members: usize,
    /// Customers in the follow-up data who are not members (ignored).
    pub ignored_customers: usize,
    pub start: NaiveDate,
}

impl FollowUp {
    /// The ledger's record of this reading, for members in `members` order.
    pub fn measurement(
        &self,
        campaign_id: i64,
        taken_at: &str,
        source: &str,
        members: &[Member],
    ) -> crate::ledger::Measurement {
        crate::ledger::Measurement {
            campaign_id,
            taken_at: taken_at.into(),
            source: source.into(),
            follow_up_start: self.start.to_string(),
            customers: members.iter().map(|m| m.customer_id.clone()).collect(),
            windows: self
                .windows
                .iter()
                .map(|w| (7 * w.weeks as i64, w.spend.clone()))
                .collect(),
        }
    }
}

/// Follow-up data that cannot measure the campaign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowUpError {
    /// Fewer weeks than the longest window asks for.
    #[error(
        "{data}: the follow-up data has {found} of the {needed} weeks from {start} to {end} (data weeks {} to {}); measure shorter --windows or load later data",
        data_weeks.0.map_or("-".into(), |d| d.to_string()),
        data_weeks.1.map_or("-".into(), |d| d.to_string())
    )]
    TooShort {
        /// The follow-up data's name.
        data: String,
        found: usize,
        needed: usize,
        start: NaiveDate,
        end: NaiveDate,
        /// The data's first and last week.
        data_weeks: (Option<NaiveDate>, Option<NaiveDate>),
    },
    #[error(
        "{data}: none of the campaign's {members} members is in the follow-up data; expected the spend of the campaign's customers after {start}"
    )]
    NoMembers {
        data: String,
        members: usize,
        start: NaiveDate,
    },
}

/// Reads windows of `windows` weeks starting on `start` (the day after the as-of date). An
/// error (one line) when the data does not hold every week of the longest window.
pub fn read(
    dataset: &Dataset,
    members: &[Member],
    start: NaiveDate,
    windows: &[usize],
) -> Result<FollowUp, FollowUpError> {
    let longest = windows.iter().copied().max().unwrap_or(0);
    let end = start + Days::new(7 * longest as u64);
    // Week columns inside [start, start + 7 k), by window.
    let columns: Vec<usize> = dataset
        .week_starts
        .iter()
        .enumerate()
        .filter(|(_, day)| **day >= start && **day < end)
        .map(|(column, _)| column)
        .collect();
    if columns.len() < longest {
        return Err(FollowUpError::TooShort {
            data: dataset.source.clone(),
            found: columns.len(),
            needed: longest,
            start,
            end: end - Days::new(1),
            data_weeks: (
                dataset.week_starts.first().copied(),
                dataset.week_starts.last().copied(),
            ),
        });
    }
    let index = revgap_core::data::CustomerIndex::of(&dataset.customer_ids);
    let positions: Vec<Option<usize>> =
        members.iter().map(|m| index.find(&m.customer_id)).collect();
    let missing_members = positions.iter().filter(|p| p.is_none()).count();
    if !members.is_empty() && missing_members == members.len() {
        return Err(FollowUpError::NoMembers {
            data: dataset.source.clone(),
            members: members.len(),
            start,
        });
    }
    let ignored_customers = dataset
        .customer_count()
        .saturating_sub(members.len() - missing_members);
    let windows = windows
        .iter()
        .map(|&weeks| WindowSpend {
            weeks,
            spend: positions
                .iter()
                .map(|position| match position {
                    None => 0.0,
                    Some(customer) => {
                        let row = dataset.weeks_of(*customer);
                        columns[..weeks].iter().map(|c| row[*c]).sum::<f64>() / weeks as f64
                    }
                })
                .collect(),
        })
        .collect();
    Ok(FollowUp {
        windows,
        missing_members,
        ignored_customers,
        start,
    })
}
