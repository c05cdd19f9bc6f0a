//! Reproducible, stratified assignment to treated and control. A customer's bucket is the
//! first eight bytes of SHA-256(salt ‖ 0x00 ‖ customer id), big-endian, mod 10,000: the same
//! salt and customers give the same arms, byte for byte, on any machine. Within each stratum
//! (churn-risk decile × gap-size tercile) customers are ordered by bucket and the first ones
//! are the control: every stratum holds its share to ±1 customer, and the campaign as a whole
//! holds it exactly (to the rounding of one customer).

pub use revgap_core::stats::bucket::{BUCKETS, bucket};

/// One customer to assign.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub customer_id: String,
    pub churn_probability: f64,
    pub gap: f64,
}

/// The stratum label of every candidate: churn-risk decile (0–9, by probability) and gap-size
/// tercile (0–2, by rank among the candidates).
pub fn strata(candidates: &[Candidate]) -> Vec<String> {
    let n = candidates.len();
    let mut by_gap: Vec<usize> = (0..n).collect();
    by_gap.sort_by(|a, b| {
        candidates[*a]
            .gap
            .total_cmp(&candidates[*b].gap)
            .then_with(|| candidates[*a].customer_id.cmp(&candidates[*b].customer_id))
    });
    let mut tercile = vec![0usize; n];
    for (rank, index) in by_gap.into_iter().enumerate() {
        tercile[index] = rank * 3 / n.max(1);
    }
    candidates
        .iter()
        .zip(tercile)
        .map(|(c, t)| {
            let decile = ((c.churn_probability.clamp(0.0, 1.0) * 10.0) as usize).min(9);
            format!("risk{decile}-gap{t}")
        })
        .collect()
}

/// Whether each candidate is in the control (see the module comment). `control_bp` is the
/// control share in basis points.
pub fn control_arm(
    candidates: &[Candidate],
    strata: &[String],
    salt: &str,
    control_bp: u64,
) -> Vec<bool> {
    let buckets: Vec<u64> = candidates
        .iter()
        .map(|c| bucket(salt, &c.customer_id))
        .collect();
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|a, b| {
        strata[*a]
            .cmp(&strata[*b])
            .then(buckets[*a].cmp(&buckets[*b]))
            .then_with(|| candidates[*a].customer_id.cmp(&candidates[*b].customer_id))
    });
    // Each stratum's count is the difference of the rounded cumulative targets: within one
    // customer of its own share, and the whole campaign exactly at the share (many small
    // strata rounding down alike would otherwise leave the control short).
    let share = |customers: u64| (customers * control_bp + BUCKETS / 2) / BUCKETS;
    let mut control = vec![false; candidates.len()];
    let mut seen = 0u64;
    for run in order.chunk_by(|a, b| strata[*a] == strata[*b]) {
        let before = share(seen);
        seen += run.len() as u64;
        let count = (share(seen) - before) as usize;
        for index in &run[..count.min(run.len())] {
            control[*index] = true;
        }
    }
    control
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(n: usize) -> Vec<Candidate> {
        (0..n)
            .map(|i| Candidate {
                customer_id: format!("c{i}"),
                churn_probability: (i % 97) as f64 / 97.0,
                gap: (i % 31) as f64,
            })
            .collect()
    }

    #[test]
    fn every_stratum_holds_its_share_to_one_customer() {
        let all = candidates(5_000);
        let labels = strata(&all);
        for bp in [500, 1_000, 2_500, 5_000] {
            let control = control_arm(&all, &labels, "spring", bp);
            let mut by_stratum: std::collections::HashMap<&str, (usize, usize)> =
                Default::default();
            for (label, in_control) in labels.iter().zip(&control) {
                let entry = by_stratum.entry(label).or_default();
                entry.0 += 1;
                entry.1 += usize::from(*in_control);
            }
            for (label, (size, in_control)) in by_stratum {
                let target = size as f64 * bp as f64 / 10_000.0;
                assert!(
                    (in_control as f64 - target).abs() <= 1.0,
                    "{label}: {in_control} of {size} at {bp} bp"
                );
            }
            let total = control.iter().filter(|c| **c).count() as f64;
            assert!(
                (total - 5_000.0 * bp as f64 / 10_000.0).abs() <= 0.5,
                "{total} at {bp}"
            );
        }
    }

    #[test]
    fn the_same_salt_gives_the_same_arms_and_another_salt_others() {
        let all = candidates(2_000);
        let labels = strata(&all);
        let first = control_arm(&all, &labels, "a", 1_000);
        assert_eq!(first, control_arm(&all, &labels, "a", 1_000));
        let mut shuffled = all.clone();
        shuffled.reverse();
        let shuffled_labels = strata(&shuffled);
        let again = control_arm(&shuffled, &shuffled_labels, "a", 1_000);
        let by_id = |c: &[Candidate], arms: &[bool]| -> std::collections::BTreeMap<String, bool> {
            c.iter()
                .map(|x| x.customer_id.clone())
                .zip(arms.iter().copied())
                .collect()
        };
        assert_eq!(
            by_id(&all, &first),
            by_id(&shuffled, &again),
            "input order does not matter"
        );
        assert_ne!(first, control_arm(&all, &labels, "b", 1_000));
    }
}
