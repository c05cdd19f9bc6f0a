//! revgap-core: predictive revenue-gap analysis with no terminal, network, SQLite or command
//! line. `data` loads and validates input into a columnar dataset, `model` fits churn and
//! spend, `segment` and `engine` find and rank gaps, `report` renders the results in every
//! format, `stream` analyses panels larger than memory, `narrative` writes and checks the
//! text about a customer. Front ends (the CLI, the explorer, the Python extension, a server)
//! and the campaign and LLM crates build on it; it depends on none of them.

pub mod atomic;
pub mod choice;
pub mod config;
pub mod data;
pub mod engine;
pub mod format;
pub mod model;
pub mod narrative;
pub mod report;
pub mod segment;
pub mod snapshot;
pub mod spill;
pub mod stats;
pub mod stream;
pub mod text;
