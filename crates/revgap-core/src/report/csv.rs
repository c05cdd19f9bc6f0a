//! The CSV report: one row per listed customer. A first `#` comment line carries the run's
//! counts (customers, skipped rows, as-of) so they are never lost; read it with a comment
//! character of `#` (pandas: `comment="#"`).

use super::ReportContext;
use super::row;

/// Streams the CSV, one record per customer (columns: `row::header`). Without
/// `with_rationale` the rationale column stays (scripts count columns) but is empty.
pub fn write(
    context: &ReportContext,
    parts: &mut super::Parts,
    options: super::Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let summary = &context.analysis.summary;
    writeln!(
        out,
        "# revgap: customers_analyzed={} customers_with_gaps={} skipped_rows={} as_of={}",
        summary.customers_analyzed,
        summary.customers_with_gaps,
        summary.skipped_rows,
        summary.as_of.map(|d| d.to_string()).unwrap_or_default()
    )?;
    let mut writer = ::csv::Writer::from_writer(&mut *out);
    writer.write_record(row::header(context, options))?;
    writer.flush()?;
    drop(writer);
    parts(&mut |context| {
        super::write_in_rounds(context, out, |_, index, bytes| {
            let insight = context.analysis.insight(context.dataset, index);
            row::write_csv_record(&row::cells(context, &insight, options), bytes);
            Ok(())
        })
    })
}
