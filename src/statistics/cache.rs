//! The figures of a scheme are added up from its totals, corrected by the rows of a few cases
//! (`aggregates`; 0.1–0.2 s for the first view at 100,000 cases, `bench/statistics.sh`, where
//! folding every case history took 0.3–1.9 s, and longer while the worker is behind), still more
//! than a page view should cost, and the pages that show them are public. Each node keeps them for the rest of the clock hour: the
//! key holds the hour, so the first view of the next hour computes them again, and concurrent
//! views of the same key wait for one computation instead of each running their own. Derived
//! data only, so a per-node cache is safe with several nodes.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use quick_cache::sync::Cache;

use super::Figures;

/// One scheme's figures: the whole scheme and each provider with cases or ratings in it.
#[derive(Debug, Default)]
pub struct SchemeFigures {
    pub total: Figures,
    /// Per provider: (legal name, figures), every provider with a case or a rating in the window.
    pub providers: BTreeMap<i64, (String, Figures)>,
}

/// A provider's figures and its sector's (the schemes its cases of the period are in).
#[derive(Debug, Default)]
pub struct Comparison {
    pub provider: Figures,
    pub sector: Figures,
}

/// Schemes and providers are few (tens, thousands): the capacity holds all of them for one hour.
const SCHEMES: usize = 256;
const PROVIDERS: usize = 20_000;

pub struct FiguresCache {
    schemes: Cache<(i64, i64), Arc<SchemeFigures>>,
    comparisons: Cache<(i64, i64), Arc<Comparison>>,
}

impl Default for FiguresCache {
    fn default() -> Self {
        Self {
            schemes: Cache::new(SCHEMES),
            comparisons: Cache::new(PROVIDERS),
        }
    }
}

/// The clock hour of `now`, the part of every key that makes the figures expire.
fn hour(now: NaiveDateTime) -> i64 {
    now.and_utc().timestamp().div_euclid(3600)
}

impl FiguresCache {
    pub fn scheme<E>(
        &self,
        scheme_id: i64,
        now: NaiveDateTime,
        compute: impl FnOnce() -> Result<SchemeFigures, E>,
    ) -> Result<Arc<SchemeFigures>, E> {
        self.schemes
            .get_or_insert_with(&(scheme_id, hour(now)), || compute().map(Arc::new))
    }

    /// The comparison if this node has it for the hour already: the dashboard then needs no
    /// trip to the database for it.
    pub fn cached_comparison(&self, provider_id: i64, now: NaiveDateTime) -> Option<Arc<Comparison>> {
        self.comparisons.get(&(provider_id, hour(now)))
    }

    pub fn comparison<E>(
        &self,
        provider_id: i64,
        now: NaiveDateTime,
        compute: impl FnOnce() -> Result<Comparison, E>,
    ) -> Result<Arc<Comparison>, E> {
        self.comparisons
            .get_or_insert_with(&(provider_id, hour(now)), || compute().map(Arc::new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn figures_are_computed_once_per_key_and_hour() {
        let cache = FiguresCache::default();
        let mut runs = 0;
        let mut get = |now, provider| {
            cache
                .comparison(provider, now, || {
                    runs += 1;
                    Ok::<_, ()>(Comparison::default())
                })
                .unwrap();
        };
        get(at(10, 0), 1);
        get(at(10, 59), 1);
        get(at(10, 30), 2);
        get(at(11, 0), 1);
        assert_eq!(
            runs, 3,
            "10:00 and 10:59 share one computation; another provider and 11:00 do not"
        );
    }

    #[test]
    fn a_failed_computation_is_not_kept() {
        let cache = FiguresCache::default();
        assert!(
            cache
                .scheme(1, at(9, 0), || Err::<SchemeFigures, _>("database away"))
                .is_err()
        );
        let got = cache.scheme(1, at(9, 1), || Ok::<_, &str>(SchemeFigures::default()));
        assert!(got.is_ok(), "the next view computes again");
    }
}
