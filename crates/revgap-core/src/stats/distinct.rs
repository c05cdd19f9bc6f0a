//! How many distinct values a stream holds, estimated in a few kilobytes (HyperLogLog,
//! Flajolet et al. 2007, with its small-range correction): enough to size buckets when the
//! exact count would need a pass over the disk.

/// Registers: 2^12, so the standard error is about 1.04 / 64 ≈ 1.6%.
const INDEX_BITS: u32 = 12;
const REGISTERS: usize = 1 << INDEX_BITS;

/// The estimator: feed it well-mixed 64-bit hashes of the values.
#[derive(Debug, Clone)]
pub struct DistinctSketch {
    registers: Vec<u8>,
}

impl Default for DistinctSketch {
    fn default() -> Self {
        Self {
            registers: vec![0; REGISTERS],
        }
    }
}

impl DistinctSketch {
    pub fn add(&mut self, hash: u64) {
        let register = (hash >> (64 - INDEX_BITS)) as usize;
        // The rest of the bits, with a stop bit so an all-zero rest ranks at most 53.
        let rest = (hash << INDEX_BITS) | (1 << (INDEX_BITS - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if rank > self.registers[register] {
            self.registers[register] = rank;
        }
    }

    /// The estimated count of distinct hashes added.
    pub fn estimate(&self) -> u64 {
        let registers = REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / registers);
        let sum: f64 = self
            .registers
            .iter()
            .map(|rank| (-f64::from(*rank)).exp2())
            .sum();
        let raw = alpha * registers * registers / sum;
        let empty = self.registers.iter().filter(|rank| **rank == 0).count();
        let estimate = if raw <= 2.5 * registers && empty > 0 {
            // Few values: count the empty registers instead (linear counting).
            registers * (registers / empty as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// 4,096 registers: a standard error of 1.04 / 64 ≈ 1.6 %. Swept over fixed seeds (a
    /// random hasher made this fail now and then at 5 %, three standard errors): the error is
    /// about the standard one on average and never far beyond it; small counts are exact.
    #[test]
    fn estimates_are_within_a_few_percent_with_repeats_ignored() {
        let hasher =
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
        for distinct in [0u64, 1, 10, 1_000, 50_000, 200_000] {
            let errors: Vec<f64> = (0..12u64)
                .map(|seed| {
                    let mut sketch = DistinctSketch::default();
                    // Every value three times, in three rounds: repeats change nothing.
                    for _ in 0..3 {
                        for value in 0..distinct {
                            sketch.add(hasher.hash_one((seed, value)));
                        }
                    }
                    let estimate = sketch.estimate() as f64;
                    (estimate - distinct as f64).abs() / (distinct as f64).max(1.0)
                })
                .collect();
            let mean = errors.iter().sum::<f64>() / errors.len() as f64;
            let worst = errors.iter().copied().fold(0.0, f64::max);
            if distinct <= 10 {
                assert_eq!(worst, 0.0, "{distinct}: {errors:?}");
            }
            assert!(mean < 0.025, "{distinct}: mean error {mean} ({errors:?})");
            assert!(worst < 0.06, "{distinct}: worst error {worst} ({errors:?})");
        }
    }
}
