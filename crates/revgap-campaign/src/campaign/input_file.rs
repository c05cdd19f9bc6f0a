//! Why a contacts or suppression file cannot be used: one line naming the file, the line (and
//! the column when it is one field's fault) and what was expected. Owns the error type only.

use revgap_core::data::Location;

/// A contacts or suppression file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InputFileError {
    #[error("{path}: cannot read: {source}")]
    Read { path: String, source: csv::Error },
    #[error("{path}:1: cannot read the header: {source}")]
    Header { path: String, source: csv::Error },
    #[error("{path}:{line}: {source}")]
    Record {
        path: String,
        line: usize,
        source: csv::Error,
    },
    /// A header without a needed column, or a field that does not read.
    #[error("{at}: {problem}")]
    Field { at: Location, problem: String },
}

impl InputFileError {
    /// A problem at line `line` of `path`, in column `column` (0-based) named `name` when given.
    pub fn at(path: &str, line: usize, column: Option<(usize, &str)>, problem: String) -> Self {
        Self::Field {
            at: Location {
                path: path.to_string(),
                line: line as u64,
                column: column.map(|(index, name)| (index + 1, name.to_string())),
            },
            problem,
        }
    }
}
