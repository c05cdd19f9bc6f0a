//! Probability models of repeat buying: BG/NBD (is the customer still active, how many
//! purchases next) and Gamma-Gamma (how much per purchase), fitted by maximum likelihood on
//! repeat-purchase summaries.

pub mod backtest;
pub mod bgnbd;
pub mod calibration;
pub mod churn;
pub mod decide;
pub mod fit;
pub mod gamma_gamma;
pub mod hyp2f1;
pub mod linalg;
pub mod predict;
pub mod recalibrate;
pub mod summary;
