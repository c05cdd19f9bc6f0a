//! The spend grid's storage. Money in the inputs is almost always whole cents, and a whole
//! number of cents fits an `i32` up to ±21 million a week: half the bytes of an `f64`. So
//! the grid holds cents while every value is exactly one (the `f64` read back is the very
//! value parsed, bit for bit), and turns itself into `f64` the first time a value is not
//! (a fraction of a cent, a sum that is not exact, an amount over the range). No value is
//! ever rounded to fit: the narrow form is used only when it is exact.

use super::fields::Amount;
use std::borrow::Cow;

/// Cells of a customers × weeks grid, narrow while exact.
#[derive(Debug, Clone, PartialEq)]
pub enum SpendGrid {
    /// Every value is `cents / 100`.
    Cents(Vec<i32>),
    /// Values as read.
    Float(Vec<f64>),
}

impl Default for SpendGrid {
    fn default() -> Self {
        Self::Cents(Vec::new())
    }
}

/// The cents `value` is exactly, if it is a whole number of them within `i32`.
fn cents_of(value: f64) -> Option<i32> {
    let scaled = (value * 100.0).round();
    if !(scaled >= f64::from(i32::MIN) && scaled <= f64::from(i32::MAX)) {
        return None;
    }
    let cents = scaled as i32;
    (value_of(cents).to_bits() == value.to_bits()).then_some(cents)
}

fn value_of(cents: i32) -> f64 {
    f64::from(cents) / 100.0
}

impl SpendGrid {
    /// `cells` zeros (untouched pages: the allocator hands them out zeroed).
    pub fn zeroed(cells: usize) -> Self {
        Self::Cents(vec![0; cells])
    }

    /// The narrowest grid holding `values` exactly.
    pub fn from_values(values: Vec<f64>) -> Self {
        let narrowed: Option<Vec<i32>> = values.iter().map(|v| cents_of(*v)).collect();
        match narrowed {
            Some(cents) => Self::Cents(cents),
            None => Self::Float(values),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Cents(cells) => cells.len(),
            Self::Float(cells) => cells.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes one cell takes (what the README's bytes-per-customer figure counts).
    pub fn bytes_per_cell(&self) -> usize {
        match self {
            Self::Cents(_) => std::mem::size_of::<i32>(),
            Self::Float(_) => std::mem::size_of::<f64>(),
        }
    }

    pub fn get(&self, cell: usize) -> f64 {
        match self {
            Self::Cents(cells) => value_of(cells[cell]),
            Self::Float(cells) => cells[cell],
        }
    }

    pub fn set(&mut self, cell: usize, value: f64) {
        if let Self::Cents(cells) = self {
            match cents_of(value) {
                Some(cents) => {
                    cells[cell] = cents;
                    return;
                }
                None => self.widen(),
            }
        }
        if let Self::Float(cells) = self {
            cells[cell] = value;
        }
    }

    /// `set`, from a parsed amount: whole cents go in as they are, with no float round trip.
    pub fn set_amount(&mut self, cell: usize, amount: Amount) {
        match (&mut *self, amount) {
            (Self::Cents(cells), Amount::Cents(cents)) => match i32::try_from(cents) {
                Ok(cents) => cells[cell] = cents,
                Err(_) => self.set(cell, amount.value()),
            },
            _ => self.set(cell, amount.value()),
        }
    }

    /// Appends values (one customer's weeks).
    pub fn extend(&mut self, values: &[f64]) {
        for value in values {
            let cell = self.len();
            self.resize(cell + 1);
            self.set(cell, *value);
        }
    }

    /// Grows with zeros, or shortens.
    pub fn resize(&mut self, cells: usize) {
        match self {
            Self::Cents(values) => values.resize(cells, 0),
            Self::Float(values) => values.resize(cells, 0.0),
        }
    }

    pub fn shrink_to_fit(&mut self) {
        match self {
            Self::Cents(values) => values.shrink_to_fit(),
            Self::Float(values) => values.shrink_to_fit(),
        }
    }

    /// `len` cells from `start` as `f64`: borrowed when stored so, converted otherwise.
    pub fn row(&self, start: usize, len: usize) -> Cow<'_, [f64]> {
        match self {
            Self::Cents(cells) => Cow::Owned(
                cells[start..start + len]
                    .iter()
                    .map(|c| value_of(*c))
                    .collect(),
            ),
            Self::Float(cells) => Cow::Borrowed(&cells[start..start + len]),
        }
    }

    /// Reads one cell of each cache line of a row and returns something of them, so that a
    /// batch of rows read ahead of their use waits for memory once, in parallel (see
    /// `Dataset::warm`).
    pub fn warm(&self, start: usize, len: usize) -> u64 {
        match self {
            Self::Cents(cells) => cells[start..start + len]
                .iter()
                .step_by(16)
                .fold(0, |seen, c| seen ^ *c as u64),
            Self::Float(cells) => cells[start..start + len]
                .iter()
                .step_by(8)
                .fold(0, |seen, c| seen ^ c.to_bits()),
        }
    }

    /// Switches to `f64` cells, keeping every value.
    fn widen(&mut self) {
        if let Self::Cents(cells) = self {
            let values = cells.iter().map(|c| value_of(*c)).collect();
            *self = Self::Float(values);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_cents_stay_narrow_and_read_back_bit_for_bit() {
        let values = [0.0, 12.34, 0.1, 0.07, 99_999.99, 21_474_836.47, -3.5, 1e-2];
        let grid = SpendGrid::from_values(values.to_vec());
        assert!(matches!(grid, SpendGrid::Cents(_)));
        assert_eq!(grid.bytes_per_cell(), 4);
        for (cell, value) in values.iter().enumerate() {
            assert_eq!(grid.get(cell).to_bits(), value.to_bits(), "{value}");
        }
        // Parsed text gives the same bits as the stored cents.
        for text in ["12.34", "0.30", "1234567.89", "0.01"] {
            let parsed: f64 = text.parse().unwrap();
            assert_eq!(cents_of(parsed).map(value_of), Some(parsed), "{text}");
        }
    }

    #[test]
    fn a_value_that_is_not_whole_cents_widens_the_grid_and_keeps_every_value() {
        let mut grid = SpendGrid::zeroed(4);
        grid.set(0, 10.25);
        grid.set(1, 7.0);
        assert!(matches!(grid, SpendGrid::Cents(_)));
        let sum = 0.1 + 0.2; // 0.30000000000000004: not a whole number of cents
        grid.set(2, sum);
        assert!(matches!(grid, SpendGrid::Float(_)));
        assert_eq!(grid.bytes_per_cell(), 8);
        assert_eq!(&*grid.row(0, 4), &[10.25, 7.0, sum, 0.0]);
        for wide in [1.005, 21_474_836.48, 1e12, -0.0, f64::NAN] {
            assert_eq!(cents_of(wide), None, "{wide}");
        }
    }

    #[test]
    fn parsed_cents_go_in_as_the_value_their_text_denotes() {
        let mut grid = SpendGrid::zeroed(3);
        for (cell, text) in ["12.34", "0.07", "21474836.47"].iter().enumerate() {
            let amount = super::super::fields::parse_amount(text.as_bytes()).unwrap();
            assert!(matches!(amount, Amount::Cents(_)), "{text}");
            grid.set_amount(cell, amount);
            assert_eq!(grid.get(cell), text.parse::<f64>().unwrap(), "{text}");
        }
        assert!(matches!(grid, SpendGrid::Cents(_)));
        // Beyond an i32 of cents, or -0.0: the grid widens and keeps the value.
        grid.set_amount(0, Amount::Cents(2_147_483_648));
        assert!(matches!(grid, SpendGrid::Float(_)));
        assert_eq!(grid.get(0), 21_474_836.48);
        grid.set_amount(1, Amount::Cents(5));
        assert_eq!(grid.get(1), 0.05);
    }

    #[test]
    fn extend_and_resize_keep_the_layout() {
        let mut grid = SpendGrid::default();
        grid.extend(&[1.5, 2.25]);
        grid.extend(&[0.125, 4.0]);
        assert_eq!(&*grid.row(2, 2), &[0.125, 4.0]);
        assert_eq!(&*grid.row(0, 2), &[1.5, 2.25]);
        grid.resize(6);
        assert_eq!(grid.len(), 6);
        assert_eq!(grid.get(5), 0.0);
    }
}
