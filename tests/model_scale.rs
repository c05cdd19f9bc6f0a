//! The large-data fitting path: above 40,000 distinct rows BG/NBD searches a sample and only
//! polishes on all rows with Newton steps. It must find the same maximum as a search that
//! starts elsewhere, and recover the parameters the data were drawn from.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use revgap::model::bgnbd::{self, Params};
use revgap::model::summary;

const CDNOW: Params = Params {
    r: 0.2425929,
    alpha: 4.4135316,
    a: 0.7928861,
    b: 2.4257532,
};

#[test]
fn sampled_search_and_newton_polish_find_the_full_data_maximum() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let customers: Vec<(f64, f64, f64)> = (0..400_000)
        .map(|_| {
            let age_days = rng.random_range(189..=272);
            bgnbd::simulate(&CDNOW, age_days, &mut rng)
        })
        .collect();
    let rows = summary::compress(customers);
    assert!(
        rows.len() > 40_000,
        "the sample path runs: {} rows",
        rows.len()
    );
    let fitted = bgnbd::fit_checked(&rows).unwrap();
    // From the truth instead of the sample's optimum: the same maximum.
    let from_truth = bgnbd::fit_from(&rows, Some(CDNOW)).unwrap();
    let errors = fitted.std_errors.unwrap();
    let pairs = [
        (fitted.params.r, from_truth.params.r, CDNOW.r, errors.r),
        (
            fitted.params.alpha,
            from_truth.params.alpha,
            CDNOW.alpha,
            errors.alpha,
        ),
        (fitted.params.a, from_truth.params.a, CDNOW.a, errors.a),
        (fitted.params.b, from_truth.params.b, CDNOW.b, errors.b),
    ];
    for (sampled, other, truth, error) in pairs {
        assert!(
            (sampled - other).abs() < 1e-4 * sampled,
            "{:?} vs {:?}",
            fitted.params,
            from_truth.params
        );
        assert!(
            (sampled - truth).abs() < 4.0 * error,
            "{sampled} is {:.1} standard errors from the truth {truth}",
            (sampled - truth).abs() / error
        );
    }
    assert!((fitted.log_likelihood - from_truth.log_likelihood).abs() < 1e-3);
}
