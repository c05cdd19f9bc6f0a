//! Parquet output in a build without the `parquet` feature: the same functions, each refusing
//! with one line that says what the build lacks.

use super::ReportContext;
use std::io::Write;

fn missing() -> std::io::Error {
    std::io::Error::other(
        "Parquet output needs revgap built with the parquet feature (this build has none)",
    )
}

/// Streams the Parquet file to `out`.
pub fn write(
    _context: &ReportContext,
    _options: super::Options,
    _out: &mut (dyn Write + Send),
) -> std::io::Result<()> {
    Err(missing())
}

/// Streams the Parquet file of `parts`' listed customers to `out`.
pub fn write_parts(
    _context: &ReportContext,
    _parts: &mut super::Parts,
    _options: super::Options,
    _out: &mut (dyn Write + Send),
) -> std::io::Result<()> {
    Err(missing())
}
