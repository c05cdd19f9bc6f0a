//! Exactly rounded sums (Shewchuk's partials, as Python's `math.fsum`): the result is the true
//! sum of the inputs rounded once, so it does not depend on their order or on how they were
//! grouped. Partitioned analyses merge their money totals with it and get the single run's
//! bits.

/// A running sum kept as non-overlapping partials whose exact sum is the exact total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExactSum {
    partials: Vec<f64>,
}

impl ExactSum {
    pub fn add(&mut self, value: f64) {
        let mut x = value;
        let mut kept = 0;
        for index in 0..self.partials.len() {
            let mut y = self.partials[index];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// Adds everything `other` holds (exactly).
    pub fn merge(&mut self, other: &Self) {
        for partial in &other.partials {
            self.add(*partial);
        }
    }

    /// The exact total, rounded once (half to even).
    /// The non-overlapping partials (their exact sum is the total).
    pub fn partials(&self) -> &[f64] {
        &self.partials
    }

    pub fn value(&self) -> f64 {
        let partials = &self.partials;
        let Some(mut index) = partials.len().checked_sub(1) else {
            return 0.0;
        };
        let mut high = partials[index];
        let mut low = 0.0;
        while index > 0 {
            index -= 1;
            let x = high;
            let y = partials[index];
            high = x + y;
            low = y - (high - x);
            if low != 0.0 {
                break;
            }
        }
        // Round half to even across the remaining partials.
        if index > 0
            && ((low < 0.0 && partials[index - 1] < 0.0)
                || (low > 0.0 && partials[index - 1] > 0.0))
        {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
        high
    }
}

impl FromIterator<f64> for ExactSum {
    fn from_iter<I: IntoIterator<Item = f64>>(values: I) -> Self {
        let mut sum = Self::default();
        for value in values {
            sum.add(value);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_and_independent_of_order_and_grouping() {
        // Naive summation loses the 1.0 entirely; the exact sum keeps it.
        let values = [1e100, 1.0, -1e100];
        assert_eq!(values.iter().sum::<f64>(), 0.0);
        assert_eq!(values.iter().copied().collect::<ExactSum>().value(), 1.0);
        assert_eq!([0.1; 10].iter().copied().collect::<ExactSum>().value(), 1.0);
        // Python: math.fsum([0.1] * 10) == 1.0 and sum(...) == 0.9999999999999999.
        assert_eq!([0.1; 10].iter().sum::<f64>(), 0.9999999999999999);
        let money: Vec<f64> = (0..10_000)
            .map(|i| ((i * 7919 % 100_003) as f64) / 100.0 + 0.01 * (i % 3) as f64)
            .collect();
        let whole = money.iter().copied().collect::<ExactSum>().value();
        let mut reversed = money.clone();
        reversed.reverse();
        assert_eq!(
            reversed.iter().copied().collect::<ExactSum>().value(),
            whole
        );
        let mut merged = ExactSum::default();
        for chunk in money.chunks(777) {
            merged.merge(&chunk.iter().copied().collect());
        }
        assert_eq!(merged.value(), whole);
        assert_eq!(ExactSum::default().value(), 0.0);
    }
}
