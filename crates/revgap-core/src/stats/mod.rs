//! Statistics shared across rooms: rank statistics for scores and segments (values ranked
//! once, ties grouped), the normal quantile, and (in `interval`) the interval estimators
//! campaigns are measured with, and (in `distinct`) a distinct count estimated in little memory.

pub mod bucket;
pub mod distinct;
pub mod exact_sum;
pub mod interval;

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

/// The standard normal quantile: Acklam's rational approximation (relative error below
/// 1.2e-9), so no statistics crate (and its linear-algebra build) is needed for one function.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = 0.02425;
    if p < tail {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - tail {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_the_tables() {
        assert!((normal_quantile(0.975) - 1.959963985).abs() < 1e-8);
        assert!((normal_quantile(0.95) - 1.644853627).abs() < 1e-8);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.326347874).abs() < 1e-8);
    }

    #[test]
    fn ties_share_one_result_in_input_order() {
        let below_and_ties = by_tie_blocks(&[3.0, 1.0, 3.0, 2.0], |below, ties| (below, ties));
        assert_eq!(below_and_ties, vec![(2, 2), (0, 1), (2, 2), (1, 1)]);
    }
}
