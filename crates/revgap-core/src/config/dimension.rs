//! The dimensions customers can be grouped by (value tier, lifecycle, RFM, bands, extra
//! columns), by their stable names. Lives with the configuration, which names dimensions
//! (`segments.extra_dimensions`, `windows.season_by`); the segmenting itself is `segment`'s.

/// A dimension customers can be grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Dimension {
    ValueTier,
    Lifecycle,
    Rfm,
    AgeBand,
    Household,
    Loyalty,
    FrequencyBand,
    /// Whether spend follows the season ("seasonal shopper") or not ("steady"); only with a
    /// seasonal profile (two years of data).
    Seasonality,
    /// An extra column of the customers file, by name.
    Extra(String),
}

impl Dimension {
    /// The built-in dimensions, in report order.
    pub const BUILT_IN: [Dimension; 7] = [
        Self::ValueTier,
        Self::Lifecycle,
        Self::Rfm,
        Self::AgeBand,
        Self::Household,
        Self::Loyalty,
        Self::FrequencyBand,
    ];

    /// The stable machine name (CLI `--by`, JSON keys).
    pub fn key(&self) -> &str {
        match self {
            Self::ValueTier => "value_tier",
            Self::Lifecycle => "lifecycle",
            Self::Rfm => "rfm",
            Self::AgeBand => "age_band",
            Self::Household => "household",
            Self::Loyalty => "loyalty",
            Self::FrequencyBand => "frequency_band",
            Self::Seasonality => "seasonality",
            Self::Extra(name) => name,
        }
    }

    /// Parses a `--by` name: a built-in key, or one of `extra_columns` (the customers file's
    /// own columns).
    pub fn parse_among(name: &str, extra_columns: &[String]) -> Result<Self, UnknownDimension> {
        let name = name.trim();
        if let Some(found) = Self::BUILT_IN.iter().find(|d| d.key() == name) {
            return Ok(found.clone());
        }
        if name == Self::Seasonality.key() {
            return Ok(Self::Seasonality);
        }
        if extra_columns.iter().any(|c| c == name) {
            return Ok(Self::Extra(name.to_string()));
        }
        let mut known: Vec<String> = Self::BUILT_IN.iter().map(|d| d.key().to_string()).collect();
        known.extend(extra_columns.iter().cloned());
        Err(UnknownDimension {
            name: name.to_string(),
            known,
        })
    }
}

/// A `--by` name that is no segment dimension of the data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown segment dimension '{name}'; expected one of {}", known.join(", "))]
pub struct UnknownDimension {
    pub name: String,
    /// The dimensions there are: the built-in keys, then the data's own columns.
    pub known: Vec<String>,
}
