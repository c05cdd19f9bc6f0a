//! Outcomes of campaigns: follow-up spend per member and window (`follow_up`), the estimates
//! by assignment with their intervals (`estimate`), and a follow-up generator with a known
//! truth that proves the estimators (`synthetic`), the learned recovery table (`learn`) and
//! the next campaign's choice of channel and offer from it (`thompson`). Reads the ledger's members; never changes
//! a campaign.

pub mod estimate;
pub mod follow_up;
pub mod learn;
pub mod metrics;
pub mod render;
pub mod synthetic;
pub mod thompson;
