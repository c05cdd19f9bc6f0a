//! One customer as a flat, typed row: the columns of the CSV and Parquet reports, defined
//! once. CSV prints the cells as text; Parquet stores them typed.

use super::ReportContext;
use super::format::{round, write_rounded};
use crate::engine::CustomerInsight;
use std::borrow::Cow;

/// A cell: `None` is an empty CSV field and a Parquet null. Text borrows what it can (names
/// of kinds, ids, labels): a row is built for every listed customer.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Int(Option<i64>),
    /// A number rounded to `places` decimals at output (money: cents).
    Float(Option<f64>, i32),
    /// A share, probability or score at full precision (shortest text that reads back the
    /// same number).
    Exact(Option<f64>),
    Text(Option<Cow<'a, str>>),
    Bool(Option<bool>),
}

impl Cell<'_> {
    /// Appends the field's text (unquoted): numbers as `Display` prints them, text one line
    /// with formulas neutralised (`text::csv_cell`).
    fn write_csv_text(&self, out: &mut Vec<u8>) {
        match self {
            Self::Int(Some(value)) => {
                out.extend_from_slice(itoa::Buffer::new().format(*value).as_bytes())
            }
            Self::Float(Some(value), places) => write_rounded(out, *value, *places),
            Self::Exact(Some(value)) => out.extend_from_slice(value.to_string().as_bytes()),
            Self::Text(Some(text)) => out.extend_from_slice(crate::text::csv_cell(text).as_bytes()),
            Self::Bool(Some(value)) => {
                out.extend_from_slice(if *value { b"true" } else { b"false" })
            }
            Self::Int(None)
            | Self::Float(None, _)
            | Self::Exact(None)
            | Self::Text(None)
            | Self::Bool(None) => {}
        }
    }

    /// Appends the CSV field, quoted as the `csv` crate quotes (only when it holds a comma, a
    /// quote or a line break; quotes doubled): only text can need it.
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        let start = out.len();
        self.write_csv_text(out);
        if matches!(self, Self::Text(_))
            && out[start..]
                .iter()
                .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
        {
            let field = out.split_off(start);
            out.push(b'"');
            for byte in field {
                if byte == b'"' {
                    out.push(b'"');
                }
                out.push(byte);
            }
            out.push(b'"');
        }
    }
}

/// Appends one customer's CSV record (fields, commas, newline) to `out`.
pub fn write_csv_record(cells: &[Cell], out: &mut Vec<u8>) {
    for (number, cell) in cells.iter().enumerate() {
        if number > 0 {
            out.push(b',');
        }
        cell.write_csv(out);
    }
    out.push(b'\n');
}

/// The fixed columns, then one per segment dimension, then `baseline_kind`.
pub const COLUMNS: [&str; 33] = [
    "rank",
    "customer_id",
    "priority_score",
    "primary_gap_type",
    "severity",
    "gap_amount",
    "gap_pct",
    "current",
    "expected",
    "weeks_at_risk",
    "secondary_gaps",
    "churn_score",
    "churn_probability",
    "churn_factors",
    "weeks_since_last_purchase",
    "opportunity_type",
    "potential_revenue",
    "actions",
    "revenue_impact",
    "churn_risk",
    "customer_value",
    "recovery_probability",
    "baseline_avg",
    "recent_avg",
    "trend_pct",
    "age",
    "loyalty_member",
    "rationale_source",
    "grounding",
    "rationale",
    "p_alive",
    "revenue_at_risk",
    "revenue_at_risk_interval",
];

/// Every column's name for this analysis.
pub fn header(context: &ReportContext, options: super::Options) -> Vec<String> {
    let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(
        context
            .analysis
            .segments
            .dimensions
            .iter()
            .map(|l| l.dimension.key().to_string()),
    );
    header.push("baseline_kind".into());
    if options.with_attributes {
        header.push("household_size".into());
        header.extend(
            context
                .dataset
                .extra_columns
                .iter()
                .map(|name| format!("attribute_{name}")),
        );
    }
    header
}

/// One customer's cells, in `header` order. The rationale text only `with_rationale`.
pub fn cells<'a>(
    context: &'a ReportContext,
    insight: &CustomerInsight,
    options: super::Options,
) -> Vec<Cell<'a>> {
    let with_rationale = options.with_rationale;
    let gap = insight.primary_gap;
    let opportunity = insight.opportunity.as_ref();
    let factors = insight.score;
    let profile = context.profile(insight.customer);
    let shown = context.rationale_shown(insight, with_rationale);
    let text = |value: Cow<'a, str>| Cell::Text(Some(value));
    let key = |value: &'static str| Some(Cow::Borrowed(value));
    let joined = |values: Vec<&str>| text(Cow::Owned(values.join(";")));
    let mut cells = vec![
        Cell::Int(insight.rank.map(|r| r as i64)),
        text(Cow::Borrowed(
            &context.dataset.customer_ids[insight.customer],
        )),
        Cell::Exact(Some(insight.priority_score)),
        Cell::Text(gap.and_then(|g| key(g.kind.key()))),
        Cell::Text(gap.and_then(|g| key(g.severity.key()))),
        Cell::Float(gap.map(|g| g.gap_amount), 2),
        Cell::Exact(gap.map(|g| g.gap_pct)),
        Cell::Float(gap.map(|g| g.current), 2),
        Cell::Float(gap.map(|g| g.expected), 2),
        Cell::Int(gap.map(|g| g.weeks_at_risk as i64)),
        joined(
            insight
                .secondary_gaps
                .iter()
                .map(|g| g.kind.key())
                .collect(),
        ),
        Cell::Exact(Some(insight.churn.score())),
        Cell::Exact(Some(insight.churn.probability)),
        joined(insight.churn.factors.iter().map(|f| f.key()).collect()),
        Cell::Int(Some(insight.churn.weeks_since_last_purchase as i64)),
        Cell::Text(opportunity.and_then(|o| key(o.kind.key()))),
        Cell::Float(opportunity.map(|o| o.potential_revenue), 2),
        Cell::Text(opportunity.map(|o| Cow::Owned(o.actions.join(";")))),
        Cell::Exact(factors.map(|f| f.revenue_impact)),
        Cell::Exact(factors.map(|f| f.churn_risk)),
        Cell::Exact(factors.map(|f| f.customer_value)),
        Cell::Exact(factors.map(|f| f.recovery_probability)),
        Cell::Float(Some(insight.profile.baseline_avg), 2),
        Cell::Float(Some(insight.profile.recent_avg), 2),
        Cell::Exact(Some(insight.profile.trend_pct)),
        Cell::Int(profile.and_then(|p| p.age).map(i64::from)),
        Cell::Bool(profile.and_then(|p| p.loyalty_member)),
        text(Cow::Borrowed(shown.source.key())),
        text(Cow::Borrowed(shown.grounding)),
        Cell::Text(with_rationale.then_some(Cow::Owned(shown.text))),
        Cell::Exact(insight.prediction.map(|p| p.p_alive)),
        Cell::Float(insight.prediction.map(|p| p.revenue_at_risk), 2),
        Cell::Text(insight.prediction.map(|p| {
            Cow::Owned(format!(
                "{}-{}",
                round(p.revenue_at_risk_low, 2),
                round(p.revenue_at_risk_high, 2)
            ))
        })),
    ];
    cells.extend(
        context
            .analysis
            .segments
            .of(insight.customer)
            .map(|(_, label)| text(Cow::Borrowed(label))),
    );
    cells.push(text(Cow::Borrowed(context.analysis.season.kind().key())));
    if options.with_attributes {
        cells.push(Cell::Int(
            profile.and_then(|p| p.household_size).map(i64::from),
        ));
        let extra = profile.map(|p| &p.extra);
        for index in 0..context.dataset.extra_columns.len() {
            cells.push(Cell::Text(
                extra
                    .and_then(|values| values.iter().nth(index))
                    .map(Cow::Borrowed),
            ));
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record is byte for byte what the `csv` crate writes of the same fields: quoting only
    /// where needed, quotes doubled, numbers as `Display` prints them.
    #[test]
    fn records_equal_the_csv_crates() {
        let texts = [
            "plain",
            "",
            "a,b",
            "say \"hi\"",
            "line\nbreak\rreturn",
            "=SUM(A1)",
            "-1",
            "tab\there",
            "é 日本 \u{202e}",
            "\"",
        ];
        let mut cells: Vec<Cell> = texts
            .iter()
            .map(|t| Cell::Text(Some(Cow::Borrowed(*t))))
            .collect();
        cells.extend([
            Cell::Text(None),
            Cell::Int(Some(-42)),
            Cell::Int(None),
            Cell::Float(Some(-52.754_9), 2),
            Cell::Float(Some(1e20), 2),
            Cell::Float(Some(f64::NAN), 4),
            Cell::Float(None, 2),
            Cell::Exact(Some(0.1 + 0.2)),
            Cell::Exact(Some(1e-9)),
            Cell::Exact(None),
            Cell::Bool(Some(true)),
            Cell::Bool(Some(false)),
            Cell::Bool(None),
        ]);
        let mut ours = Vec::new();
        write_csv_record(&cells, &mut ours);
        write_csv_record(&cells[..1], &mut ours);
        // The field's text before quoting: what the csv crate is given to quote.
        let text = |cell: &Cell| {
            let mut field = Vec::new();
            cell.write_csv_text(&mut field);
            String::from_utf8(field).unwrap()
        };
        let mut theirs = ::csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        theirs.write_record(cells.iter().map(text)).unwrap();
        theirs.write_record([text(&cells[0])]).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs.into_inner().unwrap()).unwrap()
        );
    }

    #[test]
    fn exact_cells_read_back_as_the_same_number() {
        for value in [
            0.1 + 0.2,
            1.0 / 3.0,
            0.037_712_345_678_9,
            1e-9,
            12.5,
            -0.0001,
        ] {
            let mut text = Vec::new();
            Cell::Exact(Some(value)).write_csv(&mut text);
            let read: f64 = String::from_utf8(text).unwrap().parse().unwrap();
            assert_eq!(read.to_bits(), value.to_bits(), "{value}");
        }
    }
}
