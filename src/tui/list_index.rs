//! The customer list's compact index and the work of building the list from it.
//!
//! Each sort column has one order of every customer (4 bytes a customer), computed once per
//! analysis, off the UI thread. A filter or sort change is then a walk along one order:
//! forwards or backwards, keeping the customers the filter takes. The walk goes in chunks;
//! the first chunk is a correct prefix of the final list, so it is shown at once while the
//! rest runs on every core, and a newer request makes an unfinished walk stop at its next
//! chunk. Small lists are built on the spot: the machinery costs more than the work.

use super::basics::{Loaded, SortColumn};
use super::changes::{Change, ChangeFilter, ChangeMarks};
use crate::data::Dataset;
use crate::engine::filter::Filter;
use crate::engine::{Analysis, CustomerScore, compare_ids};
use crate::segment::Dimension;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

/// Customers per chunk of a walk: the first chunk is what appears at once.
const CHUNK: usize = 1 << 15;

/// Lists of up to this many customers are built on the UI thread (well under a millisecond).
pub const BUILD_IN_PLACE_UP_TO: usize = 50_000;

/// One order of all customers per sort column, each made on first use.
#[derive(Debug, Default)]
pub struct SortOrders {
    orders: [OnceLock<Arc<Vec<u32>>>; SortColumn::ORDER.len()],
}

impl SortOrders {
    /// The ascending order of every customer by `column` (ties by rank, then id).
    pub fn get(&self, column: SortColumn, loaded: &Loaded) -> Arc<Vec<u32>> {
        let slot = SortColumn::ORDER
            .iter()
            .position(|c| *c == column)
            .unwrap_or(0);
        self.orders[slot]
            .get_or_init(|| {
                let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
                let mut order: Vec<u32> = (0..analysis.scores.len() as u32).collect();
                order.par_sort_unstable_by(|a, b| compare(column, dataset, analysis, *a, *b));
                Arc::new(order)
            })
            .clone()
    }

    /// Makes every order now (run in the background after an analysis arrives).
    pub fn prepare_all(&self, loaded: &Loaded) {
        for column in SortColumn::ORDER {
            self.get(column, loaded);
        }
    }
}

/// How two customers compare under `column`; unranked customers (no gap) after every ranked
/// one, then by id, so the order is total and stable across runs.
fn compare(column: SortColumn, dataset: &Dataset, analysis: &Analysis, a: u32, b: u32) -> Ordering {
    let ids = &dataset.customer_ids;
    let scores = &analysis.scores;
    let label = |dimension: &Dimension, customer: u32| {
        analysis
            .segments
            .get(dimension)
            .map_or("", |labels| labels.of(customer as usize))
    };
    let (x, y) = (&scores[a as usize], &scores[b as usize]);
    let rank_key = |score: &CustomerScore| match score.rank {
        0 => u32::MAX,
        rank => rank,
    };
    let primary = match column {
        SortColumn::Rank => Ordering::Equal,
        SortColumn::Id => compare_ids(&ids[a as usize], &ids[b as usize]),
        SortColumn::GapType => x.primary.cmp(&y.primary),
        SortColumn::Severity => y.primary_severity.cmp(&x.primary_severity),
        SortColumn::GapAmount => y.gap_size.total_cmp(&x.gap_size),
        // The column shows the model's probability when there is one; sort by what is shown.
        SortColumn::Churn => analysis
            .churn_probability(b as usize)
            .total_cmp(&analysis.churn_probability(a as usize))
            .then_with(|| y.churn_points.cmp(&x.churn_points)),
        SortColumn::Potential => y.potential_revenue.total_cmp(&x.potential_revenue),
        SortColumn::Revenue => y.total_revenue.total_cmp(&x.total_revenue),
        SortColumn::LastBuy => y
            .weeks_since_last_purchase
            .cmp(&x.weeks_since_last_purchase),
        SortColumn::ValueTier => {
            label(&Dimension::ValueTier, a).cmp(label(&Dimension::ValueTier, b))
        }
        SortColumn::Lifecycle => {
            label(&Dimension::Lifecycle, a).cmp(label(&Dimension::Lifecycle, b))
        }
    };
    primary
        .then_with(|| rank_key(x).cmp(&rank_key(y)))
        .then_with(|| compare_ids(&ids[a as usize], &ids[b as usize]))
}

/// What the list shows: which customers, in which order, and what the filter does.
#[derive(Debug, Clone, PartialEq)]
pub struct ListSpec {
    pub filter: Filter,
    pub sort: SortColumn,
    pub reversed: bool,
    /// Every customer, not only those with a gap.
    pub show_all: bool,
    /// The filter narrows the list (`true`) or only finds rows in it (`n`/`N` jump).
    pub narrow: bool,
    /// The filter's `changed:` term, and the marks it reads.
    pub changed: Option<(ChangeFilter, Arc<ChangeMarks>)>,
}

/// A built list: customers in display order and, when finding, the positions that match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuiltList {
    pub rows: Vec<u32>,
    /// Positions in `rows` the filter matches (finding only; ascending).
    pub found: Vec<u32>,
}

impl BuiltList {
    fn append(&mut self, mut part: BuiltList) {
        let offset = self.rows.len() as u32;
        self.found.extend(part.found.iter().map(|p| p + offset));
        self.rows.append(&mut part.rows);
    }
}

/// Builds the list for `spec`. `first` receives the first chunk's result when more follows
/// (a correct prefix of the whole); `None` when `stale` said a newer request came first.
pub fn build(
    loaded: &Loaded,
    orders: &SortOrders,
    spec: &ListSpec,
    stale: &(dyn Fn() -> bool + Sync),
    first: &mut dyn FnMut(&BuiltList),
) -> Option<BuiltList> {
    let order = orders.get(spec.sort, loaded);
    let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
    let count = order.len();
    let walk = |chunk: usize| -> BuiltList {
        let start = chunk * CHUNK;
        let end = (start + CHUNK).min(count);
        let mut part = BuiltList::default();
        for step in start..end {
            let customer = if spec.reversed {
                order[count - 1 - step]
            } else {
                order[step]
            };
            let change = spec
                .changed
                .as_ref()
                .map(|(keep, marks)| (*keep, marks.of(customer as usize)));
            // Recovered customers have no gap now: a filter asking for them lists them.
            let listed = spec.show_all
                || analysis.scores[customer as usize].rank > 0
                || change.is_some_and(|(keep, mark)| mark == Change::Recovered && keep.keeps(mark));
            if !listed {
                continue;
            }
            let hit = change.is_none_or(|(keep, mark)| keep.keeps(mark))
                && (spec.filter.is_empty()
                    || spec.filter.matches(dataset, analysis, customer as usize));
            if spec.narrow {
                if hit {
                    part.rows.push(customer);
                }
            } else {
                if hit && !(spec.filter.is_empty() && spec.changed.is_none()) {
                    part.found.push(part.rows.len() as u32);
                }
                part.rows.push(customer);
            }
        }
        part
    };
    let chunks = count.div_ceil(CHUNK);
    let mut list = walk(0);
    if chunks <= 1 {
        return Some(list);
    }
    first(&list);
    let rest: Option<Vec<BuiltList>> = (1..chunks)
        .into_par_iter()
        .map(|chunk| (!stale()).then(|| walk(chunk)))
        .collect();
    for part in rest? {
        list.append(part);
    }
    Some(list)
}

/// Runs list request `generation` for the app (or a benchmark driving the app's state):
/// the first part and the whole go to `send` as (list, complete); the walk stops when
/// `latest` moves past `generation`.
pub fn serve(
    generation: u64,
    spec: &ListSpec,
    loaded: &Loaded,
    orders: &SortOrders,
    latest: &std::sync::atomic::AtomicU64,
    send: &mut dyn FnMut(BuiltList, bool),
) {
    use std::sync::atomic::Ordering::Relaxed;
    let stale = || latest.load(Relaxed) != generation;
    let whole = build(loaded, orders, spec, &stale, &mut |first| {
        send(first.clone(), false)
    });
    if let Some(list) = whole
        && !stale()
    {
        send(list, true);
    }
}

/// Starts a list request on a thread of its own, as the newest: its first part and the whole
/// go to `send` (generation, list, whether it is whole), and an older walk still running
/// stops.
pub fn start(
    request: ListRequest,
    loaded: Loaded,
    orders: Arc<SortOrders>,
    latest: Arc<std::sync::atomic::AtomicU64>,
    send: impl Fn(u64, BuiltList, bool) + Send + 'static,
) {
    latest.store(request.generation, std::sync::atomic::Ordering::Relaxed);
    std::thread::spawn(move || {
        let generation = request.generation;
        serve(
            generation,
            &request.spec,
            &loaded,
            &orders,
            &latest,
            &mut |list, complete| send(generation, list, complete),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::data::generate::{GenerateOptions, in_memory};

    fn loaded(customers: usize) -> Loaded {
        let dataset = in_memory(&GenerateOptions {
            customers,
            weeks: 16,
            ..Default::default()
        });
        let analysis = crate::engine::analyze(&dataset, &Config::default());
        Loaded {
            dataset: Arc::new(dataset),
            analysis: Arc::new(analysis),
        }
    }

    fn spec(loaded: &Loaded, filter: &str, sort: SortColumn, narrow: bool) -> ListSpec {
        ListSpec {
            filter: Filter::parse(filter, &loaded.dataset, &loaded.analysis).unwrap(),
            sort,
            reversed: false,
            show_all: false,
            narrow,
            changed: None,
        }
    }

    /// The walk gives what sorting the filtered customers directly gives, its first chunk is
    /// a prefix of the whole, and finding marks exactly the rows narrowing keeps.
    #[test]
    fn walks_equal_a_direct_filter_and_sort_and_the_first_chunk_is_a_prefix() {
        let loaded = loaded(3 * CHUNK + 77);
        let orders = SortOrders::default();
        let never = || false;
        for sort in SortColumn::ORDER {
            for reversed in [false, true] {
                let mut spec = spec(&loaded, "gap>5 sev:high", sort, true);
                spec.reversed = reversed;
                let mut prefix = None;
                let built = build(&loaded, &orders, &spec, &never, &mut |part| {
                    prefix = Some(part.rows.clone())
                })
                .unwrap();
                let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
                let mut expected: Vec<u32> = (0..analysis.scores.len() as u32)
                    .filter(|c| analysis.scores[*c as usize].rank > 0)
                    .filter(|c| spec.filter.matches(dataset, analysis, *c as usize))
                    .collect();
                expected.sort_by(|a, b| {
                    let ordering = compare(sort, dataset, analysis, *a, *b);
                    if reversed {
                        ordering.reverse()
                    } else {
                        ordering
                    }
                });
                assert!(!expected.is_empty());
                assert_eq!(built.rows, expected, "{sort:?} reversed {reversed}");
                let prefix = prefix.expect("more than one chunk, so a first part");
                assert_eq!(prefix[..], built.rows[..prefix.len()]);

                spec.narrow = false;
                let found = build(&loaded, &orders, &spec, &never, &mut |_| {}).unwrap();
                let hits: Vec<u32> = found
                    .found
                    .iter()
                    .map(|p| found.rows[*p as usize])
                    .collect();
                assert_eq!(hits, built.rows);
            }
        }
    }

    #[test]
    fn a_stale_walk_stops_and_returns_nothing() {
        let loaded = loaded(2 * CHUNK + 1);
        let orders = SortOrders::default();
        let spec = spec(&loaded, "", SortColumn::Rank, true);
        assert!(build(&loaded, &orders, &spec, &|| true, &mut |_| {}).is_none());
    }
}

/// A list for the app to build off the UI thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    pub generation: u64,
    pub spec: ListSpec,
}
