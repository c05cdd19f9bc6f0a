//! The filter language over analysed customers, shared by the explorer's filter and
//! `campaign create --filter`. Parsed once per change and matched per customer: free text
//! over what a row shows (id, gap type, severity, attributes, segment labels), and field
//! expressions that combine (all terms must hold): `gap>100`, `churn>=0.5`, `score<5`,
//! `type:zero`, `sev:high`, `member:yes`, `age:30-45`, `household>=3`, `region:east`,
//! `lifecycle:at_risk`. A malformed expression is reported in one line and matches no one.

use crate::data::Dataset;
use crate::engine::Analysis;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
    /// `field:a-b`, inclusive.
    Between(f64),
}

impl Op {
    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Self::Less => value < bound,
            Self::LessOrEqual => value <= bound,
            Self::Greater => value > bound,
            Self::GreaterOrEqual => value >= bound,
            Self::Equal => (value - bound).abs() < 1e-9,
            Self::Between(high) => value >= bound && value <= high,
        }
    }
}

/// A numeric field of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    /// Weekly gap in the data's unit.
    Gap,
    /// Churn probability 0–1 (a bound above 1 is read as a percentage).
    Churn,
    Score,
    Age,
    Household,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    /// Lower-case free text.
    Text(String),
    Compare(Number, Op, f64),
    /// A gap type key prefix (`zero` for zero_spend).
    GapType(String),
    Severity(String),
    Member(bool),
    /// Segment dimension index and lower-case label with `_` for spaces.
    Segment(usize, String),
    /// Extra attribute column index and lower-case text it must contain.
    Attribute(usize, String),
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    terms: Vec<Term>,
}

const FIELDS: &str = "gap, churn, score, age, household, type, sev, member, a segment dimension or an attribute column";

/// A filter term that does not read; one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("filter: unknown field '{field}' before {symbol}; expected one of {FIELDS}")]
    UnknownComparedField { field: String, symbol: &'static str },
    #[error("filter: expected a number after {field}{symbol}, found '{value}'")]
    NotANumber {
        field: String,
        symbol: &'static str,
        value: String,
    },
    #[error("filter: expected a value after '{field}:'")]
    MissingValue { field: String },
    #[error("filter: expected a number or a range like {field}:30-45, found '{value}'")]
    NotARange { field: String, value: String },
    #[error("filter: expected member:yes or member:no, found '{value}'")]
    NotYesOrNo { value: String },
    #[error("filter: unknown field '{field}'; expected one of {FIELDS}")]
    UnknownField { field: String },
}

impl Filter {
    /// Parses `text` against the loaded data's dimensions and columns; the error is one line.
    pub fn parse(text: &str, dataset: &Dataset, analysis: &Analysis) -> Result<Self, FilterError> {
        let terms = text
            .split_whitespace()
            .map(|term| parse_term(&term.to_ascii_lowercase(), dataset, analysis))
            .collect::<Result<_, _>>()?;
        Ok(Self { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether customer `customer` satisfies every term.
    pub fn matches(&self, dataset: &Dataset, analysis: &Analysis, customer: usize) -> bool {
        self.terms
            .iter()
            .all(|term| term_matches(term, dataset, analysis, customer))
    }
}

fn parse_term(term: &str, dataset: &Dataset, analysis: &Analysis) -> Result<Term, FilterError> {
    // Comparisons first: `>=` before `>`.
    for (symbol, op) in [
        (">=", Op::GreaterOrEqual),
        ("<=", Op::LessOrEqual),
        (">", Op::Greater),
        ("<", Op::Less),
        ("=", Op::Equal),
    ] {
        if let Some((field, value)) = term.split_once(symbol) {
            let number = number_field(field).ok_or_else(|| FilterError::UnknownComparedField {
                field: field.to_string(),
                symbol,
            })?;
            let bound = number_value(number, value).ok_or_else(|| FilterError::NotANumber {
                field: field.to_string(),
                symbol,
                value: value.to_string(),
            })?;
            return Ok(Term::Compare(number, op, bound));
        }
    }
    let Some((field, value)) = term.split_once(':') else {
        return Ok(Term::Text(term.to_string()));
    };
    if value.is_empty() {
        return Err(FilterError::MissingValue {
            field: field.to_string(),
        });
    }
    if let Some(number) = number_field(field) {
        let (low, high) = value.split_once('-').unwrap_or((value, value));
        return match (number_value(number, low), number_value(number, high)) {
            (Some(low), Some(high)) => Ok(Term::Compare(number, Op::Between(high), low)),
            _ => Err(FilterError::NotARange {
                field: field.to_string(),
                value: value.to_string(),
            }),
        };
    }
    match field {
        "type" => Ok(Term::GapType(value.to_string())),
        "sev" | "severity" => Ok(Term::Severity(value.to_string())),
        "member" | "loyalty" => match value {
            "yes" | "true" | "y" | "1" | "member" => Ok(Term::Member(true)),
            "no" | "false" | "n" | "0" | "non-member" => Ok(Term::Member(false)),
            _ => Err(FilterError::NotYesOrNo {
                value: value.to_string(),
            }),
        },
        _ => {
            if let Some(index) = analysis
                .segments
                .dimensions
                .iter()
                .position(|l| l.dimension.key() == field)
            {
                return Ok(Term::Segment(index, value.to_string()));
            }
            if let Some(index) = dataset
                .extra_columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(field))
            {
                return Ok(Term::Attribute(index, value.to_string()));
            }
            Err(FilterError::UnknownField {
                field: field.to_string(),
            })
        }
    }
}

fn number_field(field: &str) -> Option<Number> {
    match field {
        "gap" => Some(Number::Gap),
        "churn" => Some(Number::Churn),
        "score" | "priority" => Some(Number::Score),
        "age" => Some(Number::Age),
        "household" => Some(Number::Household),
        _ => None,
    }
}

fn number_value(field: Number, text: &str) -> Option<f64> {
    let text = text
        .trim_end_matches('%')
        .trim_start_matches('$')
        .replace(',', "");
    let value: f64 = text.parse().ok().filter(|v: &f64| v.is_finite())?;
    // Churn is a probability; 75 means 75 %.
    Some(if field == Number::Churn && value > 1.0 {
        value / 100.0
    } else {
        value
    })
}

fn term_matches(term: &Term, dataset: &Dataset, analysis: &Analysis, customer: usize) -> bool {
    let score = &analysis.scores[customer];
    let profile = dataset.profiles[customer].as_ref();
    match term {
        Term::Compare(field, op, bound) => {
            let value = match field {
                Number::Gap => Some(score.gap_size),
                Number::Churn => Some(analysis.churn_probability(customer)),
                Number::Score => Some(score.priority),
                Number::Age => profile.and_then(|p| p.age).map(f64::from),
                Number::Household => profile.and_then(|p| p.household_size).map(f64::from),
            };
            value.is_some_and(|v| op.holds(v, *bound))
        }
        Term::GapType(prefix) => score
            .primary
            .is_some_and(|g| g.key().starts_with(prefix.as_str())),
        Term::Severity(severity) => score.primary_severity.is_some_and(|s| s.key() == severity),
        Term::Member(member) => profile.and_then(|p| p.loyalty_member) == Some(*member),
        Term::Segment(index, label) => {
            label_equals(analysis.segments.dimensions[*index].of(customer), label)
        }
        Term::Attribute(index, text) => profile
            .and_then(|p| p.extra.iter().nth(*index))
            .is_some_and(|value| contains_ignore_case(value, text)),
        Term::Text(text) => {
            let contains = |haystack: &str| contains_ignore_case(haystack, text);
            let gap = score.primary.map_or("", |g| g.key());
            contains(&dataset.customer_ids[customer])
                || contains(gap)
                || label_contains_spaced(gap, text)
                || score.primary_severity.is_some_and(|s| s.key() == text)
                || profile.is_some_and(|p| p.extra.iter().any(contains))
                || analysis
                    .segments
                    .dimensions
                    .iter()
                    .any(|labels| contains(labels.of(customer)))
        }
    }
}

/// ASCII case-insensitive substring test (`needle` is already lower case); no allocation,
/// since it runs for every customer on every keystroke.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || hay.windows(needle.len()).any(|window| {
            window
                .iter()
                .zip(needle)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
        })
}

/// `zero_spend` contains `zero spend` (the label as people type it).
fn label_contains_spaced(key: &str, needle: &str) -> bool {
    needle.contains(' ') && contains_ignore_case(&key.replace('_', " "), needle)
}

/// A label equals a filter value written with `_` for spaces, ignoring ASCII case.
fn label_equals(label: &str, value: &str) -> bool {
    label.len() == value.len()
        && label.bytes().zip(value.bytes()).all(|(a, b)| {
            let a = if a == b' ' {
                b'_'
            } else {
                a.to_ascii_lowercase()
            };
            a == b
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_with_underscores_for_spaces() {
        assert!(label_equals("at risk", "at_risk"));
        assert!(label_equals("Champions", "champions"));
        assert!(!label_equals("at risk", "at"));
    }

    #[test]
    fn comparisons_hold_as_written() {
        assert!(Op::GreaterOrEqual.holds(0.5, 0.5));
        assert!(!Op::Greater.holds(0.5, 0.5));
        assert!(Op::Between(45.0).holds(30.0, 30.0) && !Op::Between(45.0).holds(46.0, 30.0));
        assert_eq!(number_value(Number::Churn, "75%"), Some(0.75));
        assert_eq!(number_value(Number::Gap, "$1,000"), Some(1000.0));
        assert_eq!(number_value(Number::Gap, "abc"), None);
    }
}
