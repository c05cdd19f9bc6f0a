//! Rank statistics shared by the scores and the segments: values ranked once, ties grouped.

/// Sorts `values` once (in parallel) and gives each block of equal values to `score`:
/// `score(below, ties)` returns the value every member of the block gets, where `below` is
/// how many values are smaller and `ties` how many are equal. Returns the results in the
/// input's order.
pub fn by_tie_blocks<T: Copy + Default>(
    values: &[f64],
    score: impl Fn(usize, usize) -> T,
) -> Vec<T> {
    use rayon::slice::ParallelSliceMut;
    let mut order: Vec<(f64, u32)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, i as u32))
        .collect();
    order.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut results = vec![T::default(); values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && order[end].0 == order[start].0 {
            end += 1;
        }
        let value = score(start, end - start);
        for &(_, index) in &order[start..end] {
            results[index as usize] = value;
        }
        start = end;
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_one_result_in_input_order() {
        let below_and_ties = by_tie_blocks(&[3.0, 1.0, 3.0, 2.0], |below, ties| (below, ties));
        assert_eq!(below_and_ties, vec![(2, 2), (0, 1), (2, 2), (1, 1)]);
    }
}
