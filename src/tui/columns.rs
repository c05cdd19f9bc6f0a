//! The customer list's columns: which exist, which are shown (the user's choice, remembered),
//! how wide each is, and which sort column a header click picks. The view draws from this and
//! mouse clicks are mapped through it, so a header means the same thing to both.

use serde::{Deserialize, Serialize};

/// List columns the user can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Rank,
    Id,
    GapType,
    Severity,
    GapAmount,
    Churn,
    Potential,
    Revenue,
    LastBuy,
    ValueTier,
    Lifecycle,
}

impl SortColumn {
    pub const ORDER: [SortColumn; 11] = [
        SortColumn::Rank,
        SortColumn::Id,
        SortColumn::GapType,
        SortColumn::Severity,
        SortColumn::GapAmount,
        SortColumn::Churn,
        SortColumn::Potential,
        SortColumn::Revenue,
        SortColumn::LastBuy,
        SortColumn::ValueTier,
        SortColumn::Lifecycle,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Rank => "rank",
            Self::Id => "id",
            Self::GapType => "gap type",
            Self::Severity => "severity",
            Self::GapAmount => "gap $",
            Self::Churn => "churn",
            Self::Potential => "potential",
            Self::Revenue => "revenue",
            Self::LastBuy => "last buy",
            Self::ValueTier => "value tier",
            Self::Lifecycle => "lifecycle",
        }
    }

    /// Whether the column's own order puts the largest value first (the list index's
    /// comparison does; the header's arrow says so).
    pub fn largest_first(self) -> bool {
        matches!(
            self,
            Self::Severity
                | Self::GapAmount
                | Self::Churn
                | Self::Potential
                | Self::Revenue
                | Self::LastBuy
        )
    }

    /// The arrow for this column sorted `reversed` or not: ↓ when values fall down the list.
    pub fn arrow(self, reversed: bool) -> &'static str {
        if self.largest_first() != reversed {
            "↓"
        } else {
            "↑"
        }
    }

    /// The name views are saved with.
    pub fn key(self) -> &'static str {
        match self {
            Self::Rank => "rank",
            Self::Id => "id",
            Self::GapType => "gap_type",
            Self::Severity => "severity",
            Self::GapAmount => "gap",
            Self::Churn => "churn",
            Self::Potential => "potential",
            Self::Revenue => "revenue",
            Self::LastBuy => "last_buy",
            Self::ValueTier => "value_tier",
            Self::Lifecycle => "lifecycle",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ORDER.into_iter().find(|column| column.key() == key)
    }

    pub fn next(self) -> Self {
        let at = Self::ORDER.iter().position(|c| *c == self).unwrap_or(0);
        Self::ORDER[(at + 1) % Self::ORDER.len()]
    }
}

/// A column the list can show after the fixed rank and id columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListColumn {
    Score,
    GapType,
    Severity,
    GapAmount,
    Churn,
    Potential,
    Revenue,
    LastBuy,
    ValueTier,
    Lifecycle,
}

impl ListColumn {
    pub const ALL: [ListColumn; 10] = [
        ListColumn::Score,
        ListColumn::GapType,
        ListColumn::Severity,
        ListColumn::GapAmount,
        ListColumn::Churn,
        ListColumn::Potential,
        ListColumn::Revenue,
        ListColumn::LastBuy,
        ListColumn::ValueTier,
        ListColumn::Lifecycle,
    ];

    /// Shown until the user chooses otherwise.
    pub const DEFAULT: [ListColumn; 5] = [
        ListColumn::Score,
        ListColumn::GapType,
        ListColumn::Severity,
        ListColumn::GapAmount,
        ListColumn::Churn,
    ];

    pub fn header(self) -> &'static str {
        match self {
            Self::Score => "score",
            Self::GapType => "gap",
            Self::Severity => "sev",
            Self::GapAmount => "gap $/wk",
            Self::Churn => "churn",
            Self::Potential => "potential",
            Self::Revenue => "revenue",
            Self::LastBuy => "last buy",
            Self::ValueTier => "value",
            Self::Lifecycle => "lifecycle",
        }
    }

    /// What the column holds, for the columns popup.
    pub fn description(self) -> &'static str {
        match self {
            Self::Score => "priority score, 0–10",
            Self::GapType => "primary gap type",
            Self::Severity => "primary gap severity",
            Self::GapAmount => "primary gap, per week",
            Self::Churn => "churn probability",
            Self::Potential => "potential revenue of the opportunity",
            Self::Revenue => "total revenue in the data",
            Self::LastBuy => "weeks since the last purchase",
            Self::ValueTier => "value tier segment",
            Self::Lifecycle => "lifecycle segment",
        }
    }

    pub fn width(self) -> u16 {
        match self {
            Self::Score | Self::Churn => 5,
            Self::Severity => 4,
            Self::GapType => 9,
            Self::GapAmount | Self::Potential => 10,
            Self::Revenue => 11,
            Self::LastBuy => 8,
            Self::ValueTier => 6,
            Self::Lifecycle => 10,
        }
    }

    /// The sort a click on its header picks.
    pub fn sort(self) -> Option<SortColumn> {
        match self {
            Self::GapType => Some(SortColumn::GapType),
            Self::Severity => Some(SortColumn::Severity),
            Self::GapAmount => Some(SortColumn::GapAmount),
            Self::Churn => Some(SortColumn::Churn),
            Self::Score => Some(SortColumn::Rank),
            Self::Potential => Some(SortColumn::Potential),
            Self::Revenue => Some(SortColumn::Revenue),
            Self::LastBuy => Some(SortColumn::LastBuy),
            Self::ValueTier => Some(SortColumn::ValueTier),
            Self::Lifecycle => Some(SortColumn::Lifecycle),
        }
    }
}

/// Width of the rank column (room for the found, change and mark glyphs).
pub const RANK_WIDTH: u16 = 7;
/// The list's column spacing.
pub const SPACING: u16 = 1;
/// Room the table's highlight symbol takes before the first column.
pub const HIGHLIGHT_WIDTH: u16 = 2;

/// What a header cell stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    Rank,
    Id,
    Column(ListColumn),
}

/// The narrowest the id column gets to make room for the chosen columns (its ids are then cut
/// with an ellipsis).
pub const MIN_ID_WIDTH: u16 = 4;

/// The header cells at their x offsets inside the list's border, for ids `id_width` wide.
/// Long ids give way first: the id column shrinks (to `MIN_ID_WIDTH`) before a chosen column
/// is left out; columns that still do not fit in `width` are left out.
pub fn layout(shown: &[ListColumn], id_width: u16, width: u16) -> Vec<(Header, u16, u16)> {
    let columns: u16 = shown.iter().map(|column| column.width() + SPACING).sum();
    let room_for_id = width.saturating_sub(HIGHLIGHT_WIDTH + RANK_WIDTH + SPACING + columns);
    let id_width = id_width.min(room_for_id.max(MIN_ID_WIDTH));
    let mut cells = vec![
        (Header::Rank, HIGHLIGHT_WIDTH, RANK_WIDTH),
        (Header::Id, HIGHLIGHT_WIDTH + RANK_WIDTH + SPACING, id_width),
    ];
    let mut x = HIGHLIGHT_WIDTH + RANK_WIDTH + SPACING + id_width + SPACING;
    for column in shown {
        if x + column.width() > width {
            break;
        }
        cells.push((Header::Column(*column), x, column.width()));
        x += column.width() + SPACING;
    }
    cells
}

/// The sort for a header, and whether it names one.
pub fn sort_of(header: Header) -> Option<SortColumn> {
    match header {
        Header::Rank => Some(SortColumn::Rank),
        Header::Id => Some(SortColumn::Id),
        Header::Column(column) => column.sort(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_sit_side_by_side_and_stop_at_the_width() {
        let cells = layout(&ListColumn::DEFAULT, 6, 60);
        assert_eq!(cells[0], (Header::Rank, 2, 7));
        assert_eq!(cells[1], (Header::Id, 10, 6));
        assert_eq!(cells[2], (Header::Column(ListColumn::Score), 17, 5));
        for pair in cells.windows(2) {
            assert_eq!(pair[0].1 + pair[0].2 + SPACING, pair[1].1);
        }
        let narrow = layout(&ListColumn::ALL, 6, 40);
        assert!(narrow.iter().all(|(_, x, w)| x + w <= 40));
        assert!(narrow.len() < ListColumn::ALL.len() + 2);
    }

    #[test]
    fn long_ids_give_way_before_a_chosen_column() {
        // Room for every default column with ids of 6; ids of 14 would push the churn out.
        let width = HIGHLIGHT_WIDTH
            + RANK_WIDTH
            + SPACING
            + 6
            + ListColumn::DEFAULT
                .iter()
                .map(|c| SPACING + c.width())
                .sum::<u16>();
        let cells = layout(&ListColumn::DEFAULT, 14, width);
        assert_eq!(cells.len(), ListColumn::DEFAULT.len() + 2);
        assert_eq!(cells[1], (Header::Id, 10, 6));
        assert_eq!(cells.last().unwrap().0, Header::Column(ListColumn::Churn));
        // With room to spare the ids keep their width.
        let cells = layout(&ListColumn::DEFAULT, 14, width + 20);
        assert_eq!(cells[1].2, 14);
        // Never narrower than the minimum: then a column goes.
        let cells = layout(&ListColumn::DEFAULT, 14, width - 4);
        assert_eq!(cells[1].2, MIN_ID_WIDTH);
        assert_eq!(cells.len(), ListColumn::DEFAULT.len() + 1);
    }
}
