//! The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, as the BG/NBD conditional
//! expectation needs it (z = t / (α + T + t), so z < 1 always).
//!
//! Summed as a power series: term k+1 = term k · (a+k)(b+k) / ((c+k)(k+1)) · z. For z > 0.5
//! the linear transformation ₂F₁(a,b;c;z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z) is not needed
//! for accuracy here, but the series is summed until the terms stop mattering (relative
//! 1e-16) or a generous term limit, so slow convergence costs time, not precision.

/// ₂F₁(a, b; c; z); `None` when the series did not converge within the term limit.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if !(0.0..1.0).contains(&z) {
        return None;
    }
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 0..200_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            return Some(sum);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1−z)/z
        for z in [0.1, 0.5, 0.9, 0.99] {
            let exact = -(1.0f64 - z).ln() / z;
            let value = hyp2f1(1.0, 1.0, 2.0, z).unwrap();
            assert!(
                (value - exact).abs() / exact < 1e-13,
                "z={z}: {value} vs {exact}"
            );
        }
        // ₂F₁(a, b; b; z) = (1−z)^−a
        let value = hyp2f1(2.5, 3.0, 3.0, 0.3).unwrap();
        assert!((value - 0.7f64.powf(-2.5)).abs() < 1e-13);
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0), None);
    }
}
