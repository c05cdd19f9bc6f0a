//! Thompson sampling of the next campaign's channel and offer from the learned table.
//!
//! Each option (channel × offer, within the member's value tier) has a Beta posterior per
//! arm: the learned counts plus a prior worth `prior_strength` members at that arm's pooled
//! rate. One draw from each arm's posterior gives a sampled incremental lift; the option with
//! the largest draw wins. A cell with fewer treated members than the table's `min_treated`
//! is drawn from its prior alone, so small cells explore but do not yet steer. Only the plan
//! of the treatment is chosen this way: who is held out is decided afterwards by the salted
//! assignment, so the control share never moves.

use super::learn::{LearnedCell, LearnedTable};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Beta, Distribution};
use std::collections::HashMap;

/// A prior pseudo-count never below this, so that a pooled rate of 0 or 1 still gives a
/// proper Beta.
const MIN_PSEUDO_COUNT: f64 = 0.5;

/// The table, indexed for choosing.
#[derive(Debug)]
pub struct Sampler<'a> {
    table: &'a LearnedTable,
    prior_strength: f64,
    cells: HashMap<(&'a str, &'a str, &'a str), &'a LearnedCell>,
}

/// One option a member can be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice<'a> {
    pub channel: &'a str,
    /// The offer id; `None` for no offer ("none" in the table).
    pub offer: Option<&'a str>,
}

/// The draw's seed for a member: from the salt and the id, but not the assignment's bucket,
/// so that the plan is independent of the arm.
pub fn plan_seed(salt: &str, customer_id: &str) -> u64 {
    revgap_core::stats::bucket::bucket(&format!("{salt}/plan"), customer_id)
}

impl<'a> Sampler<'a> {
    pub fn new(table: &'a LearnedTable, prior_strength: f64) -> Self {
        let cells = table
            .cells
            .iter()
            .map(|cell| {
                (
                    (
                        cell.channel.as_str(),
                        cell.offer.as_str(),
                        cell.segment.as_str(),
                    ),
                    cell,
                )
            })
            .collect();
        Self {
            table,
            prior_strength,
            cells,
        }
    }

    pub fn table(&self) -> &'a LearnedTable {
        self.table
    }

    /// The index of the option with the largest sampled lift for a member of `segment`;
    /// `seed` makes the draw reproducible (the campaign's salt and the customer). Ties keep
    /// the earlier option, so a single option is returned without drawing.
    pub fn choose(&self, segment: &str, options: &[Choice<'_>], seed: u64) -> usize {
        if options.len() < 2 {
            return 0;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut best = (0, f64::NEG_INFINITY);
        for (index, option) in options.iter().enumerate() {
            let cell = self
                .cells
                .get(&(option.channel, option.offer.unwrap_or("none"), segment))
                .filter(|cell| cell.active);
            let counts = |arm: usize| match cell {
                Some(cell) if arm == 0 => (cell.recovered_treated, cell.n_treated),
                Some(cell) => (cell.recovered_control, cell.n_control),
                None => (0, 0),
            };
            let pooled = [
                self.table.pooled_rate_treated,
                self.table.pooled_rate_control,
            ];
            let mut draw = |arm: usize| {
                let (recovered, n) = counts(arm);
                let alpha =
                    recovered as f64 + (self.prior_strength * pooled[arm]).max(MIN_PSEUDO_COUNT);
                let beta = (n - recovered) as f64
                    + (self.prior_strength * (1.0 - pooled[arm])).max(MIN_PSEUDO_COUNT);
                Beta::new(alpha, beta).map_or(pooled[arm], |b| b.sample(&mut rng))
            };
            let lift = draw(0) - draw(1);
            if lift > best.1 {
                best = (index, lift);
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Arm, Member};
    use crate::outcome::learn::{Learning, learn};
    use rand::RngExt;

    const CHANNELS: [&str; 3] = ["email", "sms", "push"];
    /// True recovery rates when treated through each channel; the control's is 0.25.
    const TREATED_RATE: [f64; 3] = [0.30, 0.45, 0.28];
    const CONTROL_RATE: f64 = 0.25;
    const LEARNING: Learning = Learning {
        recovered_share: 0.8,
        prior_strength: 20.0,
        min_treated: 30,
    };

    /// Campaigns of 400 in a world where SMS is best: plan each member by sampling, hold out
    /// 10 % by the salted assignment, draw outcomes from the truth, learn, repeat.
    fn run_campaigns(world_seed: u64, campaigns: usize) -> Vec<(usize, usize, usize)> {
        let mut world = ChaCha8Rng::seed_from_u64(world_seed);
        let mut history: Vec<(Vec<Member>, Vec<f64>)> = Vec::new();
        let mut shares = Vec::new();
        for round in 0..campaigns {
            let table = learn(&history, LEARNING);
            let sampler = Sampler::new(&table, LEARNING.prior_strength);
            let salt = format!("campaign-{world_seed}-{round}");
            let options: Vec<Choice> = CHANNELS
                .iter()
                .map(|channel| Choice {
                    channel,
                    offer: Some("WINBACK15"),
                })
                .collect();
            let candidates: Vec<crate::campaign::assign::Candidate> = (0..400)
                .map(|i| crate::campaign::assign::Candidate {
                    customer_id: format!("{round}-{i}"),
                    churn_probability: 0.5,
                    gap: 10.0,
                })
                .collect();
            let strata = crate::campaign::assign::strata(&candidates);
            let control = crate::campaign::assign::control_arm(&candidates, &strata, &salt, 1_000);
            let mut members = Vec::new();
            let mut spend = Vec::new();
            let mut sent_to_best = 0;
            for (candidate, in_control) in candidates.iter().zip(&control) {
                let seed = plan_seed(&salt, &candidate.customer_id);
                let chosen = sampler.choose("high", &options, seed);
                let arm = if *in_control {
                    Arm::Control
                } else {
                    Arm::Treated
                };
                let rate = if *in_control {
                    CONTROL_RATE
                } else {
                    TREATED_RATE[chosen]
                };
                sent_to_best += usize::from(!in_control && chosen == 1);
                let recovered = world.random::<f64>() < rate;
                members.push(Member {
                    customer_id: candidate.customer_id.clone(),
                    ..crate::outcome::learn::tests::member(0, arm, CHANNELS[chosen])
                });
                spend.push(if recovered { 90.0 } else { 10.0 });
            }
            let controls = control.iter().filter(|c| **c).count();
            shares.push((sent_to_best, 400 - controls, controls));
            history.push((members, spend));
        }
        shares
    }

    #[test]
    fn after_two_thousand_sends_most_go_to_the_best_channel_and_the_control_holds() {
        let mut converged = 0;
        let worlds = 20;
        for world in 0..worlds {
            let rounds = run_campaigns(world, 7);
            for (_, treated, controls) in &rounds {
                let share = *controls as f64 / (*treated + *controls) as f64;
                assert!((share - 0.10).abs() <= 0.01, "control share {share}");
            }
            // Rounds 0–5 sent 6 × 360 = 2,160; round 6 is the allocation after them.
            let (best, treated, _) = rounds[6];
            if best as f64 / treated as f64 > 0.70 {
                converged += 1;
            }
        }
        // Thompson sampling is random: most worlds, not every one, must have converged.
        assert!(converged >= 17, "{converged} of {worlds} worlds converged");
    }

    #[test]
    fn without_evidence_options_are_explored_evenly_and_reproducibly() {
        let table = learn(&[], LEARNING);
        let sampler = Sampler::new(&table, LEARNING.prior_strength);
        let options: Vec<Choice> = CHANNELS
            .iter()
            .map(|channel| Choice {
                channel,
                offer: None,
            })
            .collect();
        let mut counts = [0usize; 3];
        for seed in 0..3_000 {
            counts[sampler.choose("low", &options, seed)] += 1;
        }
        for count in counts {
            assert!((800..1_200).contains(&count), "{counts:?}");
        }
        assert_eq!(
            sampler.choose("low", &options, 42),
            sampler.choose("low", &options, 42)
        );
        assert_eq!(sampler.choose("low", &options[..1], 42), 0);
    }
}
