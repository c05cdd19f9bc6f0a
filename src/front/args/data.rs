//! The data flags every data command shares (`DataArgs`: where the spend, customers and
//! contacts files are and how to read them), the one rule for files beside the spend file, and
//! the parser for the library's closed sets of names.

use crate::data::{
    ColumnRef, Delimiter, LoadOptions, RowPolicy, SpendSource, TableFormat, TransactionColumns,
    parse_date_arg,
};
use chrono::NaiveDate;
use clap::Args;
use std::path::{Path, PathBuf};

/// Where the data comes from and how to read it (shared by every data command).
#[derive(Debug, Clone, Default, Args)]
pub struct DataArgs {
    /// Customers file (customer_id,age,household_size,loyalty_member[,extra columns]).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Weekly panel (customer_id,week_start_date,weekly_spend). Default: data/weekly_spend.csv.
    #[arg(long, value_name = "FILE", conflicts_with = "transactions")]
    pub weekly: Option<PathBuf>,
    /// Transaction log, one purchase per row (customer_id,date[,amount] by default).
    #[arg(long, value_name = "FILE")]
    pub transactions: Option<PathBuf>,
    /// Customer id column (transaction log or weekly panel): a header name, or a 1-based
    /// number.
    #[arg(long, value_name = "NAME|N", value_parser = ColumnRef::parse)]
    pub id_col: Option<ColumnRef>,
    /// Weekly panel: the week-start column (default week_start_date), a name or a number.
    #[arg(long, value_name = "NAME|N", conflicts_with = "transactions", value_parser = ColumnRef::parse)]
    pub week_col: Option<ColumnRef>,
    /// Weekly panel: the spend column (default weekly_spend), a name or a number.
    #[arg(long, value_name = "NAME|N", conflicts_with = "transactions", value_parser = ColumnRef::parse)]
    pub spend_col: Option<ColumnRef>,
    /// Every date in this chrono format, e.g. %m/%d/%Y (default: YYYY-MM-DD, YYYYMMDD or ISO
    /// timestamps).
    #[arg(long, value_name = "FORMAT", value_parser = crate::data::check_date_format)]
    pub date_format: Option<std::sync::Arc<str>>,
    /// The decimal mark of amounts: . (default) or , (then . groups thousands: 1.234,50).
    /// Currency symbols and unambiguous thousands separators are read either way.
    #[arg(long, value_name = "MARK", default_value = ".", value_parser = ["." , ","])]
    pub decimal: String,
    /// Transaction date column: a header name, or a 1-based number.
    #[arg(long, value_name = "NAME|N", requires = "transactions", value_parser = ColumnRef::parse)]
    pub date_col: Option<ColumnRef>,
    /// Transaction amount column: a header name, or a 1-based number.
    #[arg(
        long,
        value_name = "NAME|N",
        requires = "transactions",
        conflicts_with = "count_only",
        value_parser = ColumnRef::parse
    )]
    pub amount_col: Option<ColumnRef>,
    /// Ignore amounts: every transaction counts as one purchase.
    #[arg(long, requires = "transactions")]
    pub count_only: bool,
    /// The spend file has no header line (name columns by number).
    #[arg(long)]
    pub no_header: bool,
    /// Field separator of the spend file: a character, 'tab' or 'whitespace'.
    #[arg(long, value_name = "SEP", default_value = ",", value_parser = Delimiter::parse)]
    pub delimiter: Delimiter,
    /// How to read the spend file (default: Parquet for .parquet/.pq, else CSV).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,
    /// Analyse data up to and including this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub as_of: Option<NaiveDate>,
    /// Stop at the first bad row instead of skipping and counting bad rows.
    #[arg(long)]
    pub strict: bool,
    /// Configuration file (TOML) overriding thresholds, windows and weights.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Expected spend for the recent weeks: auto (seasonal with a year of data, else the
    /// original's), original, trailing or seasonal.
    #[arg(long, value_parser = choice::<crate::config::BaselineChoice>(), value_name = "KIND")]
    pub baseline: Option<crate::config::BaselineChoice>,
    /// Churn probability and gap rules: bgnbd (default: the model, each customer judged
    /// against their own rhythm; the rules where it does not fit) or rules (the original's).
    #[arg(long, value_parser = choice::<crate::config::ChurnModel>(), value_name = "MODEL")]
    pub churn_model: Option<crate::config::ChurnModel>,
}

/// A parser for a closed set of names (`revgap_core::choice::Choice`): clap lists the names
/// (with their help) and refuses others, as it does for the binary's own enums.
pub fn choice<T>() -> impl clap::builder::TypedValueParser<Value = T>
where
    T: crate::choice::Choice + Clone + Send + Sync,
{
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let values = T::ALL.iter().map(|value| {
        let possible = PossibleValue::new(value.name());
        match value.help() {
            Some(help) => possible.help(help),
            None => possible,
        }
    });
    PossibleValuesParser::new(values).try_map(|name: String| {
        T::from_name(&name).ok_or_else(|| format!("expected one of {}", T::names()))
    })
}

/// `name` in the directory of `spend`, when it is there: the customers and contacts files
/// `generate` writes beside the spend file are used without being named (one rule for the
/// explorer and every command).
pub fn beside(spend: &Path, name: &str) -> Option<PathBuf> {
    let path = spend.parent().unwrap_or(Path::new("")).join(name);
    path.is_file().then_some(path)
}

impl DataArgs {
    /// The spend file these flags name (or the bundled sample's), if any.
    pub fn spend_path(&self) -> Option<PathBuf> {
        self.weekly
            .clone()
            .or_else(|| self.transactions.clone())
            .or_else(|| default_data_dir().ok().map(|d| d.join("weekly_spend.csv")))
    }

    /// The customers file used without being named: beside a named spend file.
    pub fn customers_found_beside(&self) -> Option<PathBuf> {
        if self.customers.is_some() {
            return None;
        }
        let spend = self.weekly.as_ref().or(self.transactions.as_ref())?;
        beside(spend, "customers.csv")
    }

    /// The contacts file: `explicit`, else `contacts.csv` beside the spend file.
    pub fn contacts_or_beside(&self, explicit: Option<&Path>) -> Option<PathBuf> {
        match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => beside(&self.spend_path()?, "contacts.csv"),
        }
    }
}

/// The default data: `data/` in the current directory (the bundled sample when run from a
/// clone). Never a path fixed at build time: a binary copied elsewhere must not silently read
/// the build tree's files.
pub fn default_data_dir() -> Result<PathBuf, String> {
    let local = Path::new("data");
    if local.join("weekly_spend.csv").is_file() {
        return Ok(local.to_path_buf());
    }
    Err(
        "no data given: pass --weekly FILE or --transactions FILE, or run from a directory \
         that has data/weekly_spend.csv (the repository's sample)"
            .into(),
    )
}

/// How the spend file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Csv,
    Parquet,
}

impl DataArgs {
    /// Turns the flags into load options; the default is the bundled sample in `data/`.
    pub fn load_options(&self) -> Result<LoadOptions, String> {
        let mut format = TableFormat {
            delimiter: self.delimiter,
            has_header: !self.no_header,
            parquet: self.input_format.map(|f| f == InputFormat::Parquet),
            date_format: self.date_format.clone(),
            decimal: if self.decimal == "," { b',' } else { b'.' },
            ..TableFormat::default()
        };
        let defaults = TableFormat::default().weekly_columns;
        let [id, week, spend] = defaults;
        format.weekly_columns = [
            self.id_col.clone().unwrap_or(id),
            self.week_col.clone().unwrap_or(week),
            self.spend_col.clone().unwrap_or(spend),
        ];
        let (spend, customers) = match (&self.weekly, &self.transactions) {
            (Some(path), _) => (
                SpendSource::Weekly(path.clone()),
                self.customers
                    .clone()
                    .or_else(|| beside(path, "customers.csv")),
            ),
            (None, Some(path)) => {
                let columns = TransactionColumns {
                    id: self
                        .id_col
                        .clone()
                        .unwrap_or(ColumnRef::Name("customer_id".into())),
                    date: self
                        .date_col
                        .clone()
                        .unwrap_or(ColumnRef::Name("date".into())),
                    amount: self.amount_col.clone(),
                    count_only: self.count_only,
                };
                (
                    SpendSource::Transactions(path.clone(), columns),
                    self.customers
                        .clone()
                        .or_else(|| beside(path, "customers.csv")),
                )
            }
            (None, None) => {
                let dir = default_data_dir()?;
                let customers = self
                    .customers
                    .clone()
                    .or_else(|| Some(dir.join("customers.csv")));
                (SpendSource::Weekly(dir.join("weekly_spend.csv")), customers)
            }
        };
        if self.no_header {
            for (flag, value) in [("--id-col", &self.id_col), ("--date-col", &self.date_col)] {
                if self.transactions.is_some() && !matches!(value, Some(ColumnRef::Index(_))) {
                    return Err(format!(
                        "--no-header needs {flag} as a 1-based column number"
                    ));
                }
            }
        }
        Ok(LoadOptions {
            customers,
            spend,
            format,
            policy: if self.strict {
                RowPolicy::Strict
            } else {
                RowPolicy::Lenient
            },
            as_of: self.as_of,
        })
    }
}
