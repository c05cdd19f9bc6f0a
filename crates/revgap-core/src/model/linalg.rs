//! Small dense linear algebra for the fits (4×4 Hessians, logistic Newton steps).

/// Solves `matrix · x = vector` by Gaussian elimination with partial pivoting; `None` when
/// the matrix is singular.
pub fn solve(mut matrix: Vec<Vec<f64>>, mut vector: Vec<f64>) -> Option<Vec<f64>> {
    let n = vector.len();
    for column in 0..n {
        let pivot = (column..n).max_by(|a, b| {
            matrix[*a][column]
                .abs()
                .total_cmp(&matrix[*b][column].abs())
        })?;
        if matrix[pivot][column].abs() < 1e-300 {
            return None;
        }
        matrix.swap(column, pivot);
        vector.swap(column, pivot);
        let pivot_row = matrix[column].clone();
        for row in column + 1..n {
            let factor = matrix[row][column] / pivot_row[column];
            for (cell, pivot_cell) in matrix[row].iter_mut().zip(&pivot_row).skip(column) {
                *cell -= factor * pivot_cell;
            }
            vector[row] -= factor * vector[column];
        }
    }
    let mut solution = vec![0.0; n];
    for row in (0..n).rev() {
        let known: f64 = (row + 1..n).map(|k| matrix[row][k] * solution[k]).sum();
        solution[row] = (vector[row] - known) / matrix[row][row];
    }
    Some(solution)
}

/// The inverse, column by column.
pub fn invert(matrix: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = matrix.len();
    let columns: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            solve(
                matrix.to_vec(),
                (0..n).map(|i| f64::from(u8::from(i == j))).collect(),
            )
        })
        .collect::<Option<_>>()?;
    Some(
        (0..n)
            .map(|i| (0..n).map(|j| columns[j][i]).collect())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts() {
        let matrix = vec![vec![4.0, 1.0], vec![2.0, 3.0]];
        assert_eq!(
            solve(matrix.clone(), vec![1.0, 2.0]).unwrap(),
            vec![0.1, 0.6]
        );
        let inverse = invert(&matrix).unwrap();
        assert!((inverse[0][0] - 0.3).abs() < 1e-15 && (inverse[1][0] + 0.2).abs() < 1e-15);
        assert!(solve(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 1.0]).is_none());
    }
}
