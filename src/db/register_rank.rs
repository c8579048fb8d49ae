//! The register's ranking on SQLite: FTS5's bm25 with each word's document frequency given by the
//! caller instead of counted.
//!
//! FTS5's `bm25()` counts, once per search, the rulings that contain each word searched by walking
//! the word's whole list in the index: a cost that grows with the matches (3 ms for a word in 62,500
//! of 187,500 rulings, docs/PERFORMANCE.md item 10), while the rest of the search stops after the newest
//! [`RANKED_MATCHES`](crate::publication::search::RANKED_MATCHES). The register keeps those counts
//! (`published_rulings_words`, migration 000011), so `register_rank(published_rulings_fts, '…')` takes
//! them as its second argument, one per phrase of the `MATCH` expression in its order, separated by
//! commas, and computes bm25's formula (k1 = 1.2, b = 0.75, IDF floored at 1e-6, the columns weighed
//! 4 : 1 : 0 as the register's summary, text and facets) exactly as FTS5 does: the same scores, the
//! same order.
//!
//! FTS5 takes such functions through its `fts5_api`, which is fetched with `SELECT fts5(?1)` and a
//! bound pointer; [`register`] does that for each connection (`sqlite_tuning` calls it as SQLite
//! opens one).

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;

use libsqlite3_sys as ffi;

/// The weights of the index's columns: summary, text, facets (as `bm25(published_rulings_fts, 4.0, 1.0, 0.0)`).
const COLUMN_WEIGHTS: [f64; 3] = [4.0, 1.0, 0.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// What a search needs for every row: the inverse document frequency of each phrase and the
/// average length of a ruling in tokens (computed once per search, as `bm25` does).
struct Search {
    idf: Vec<f64>,
    average_length: f64,
}

impl Search {
    /// `rulings[i]`: how many of the index's `rows` have phrase `i`. The IDF formula is bm25's, floored
    /// at 1e-6 for a phrase in more than half of the rows.
    fn new(rulings: &[i64], rows: i64, tokens: i64) -> Search {
        let rows_f = rows as f64;
        let idf = rulings
            .iter()
            .map(|hits| {
                let hits = *hits as f64;
                let idf = ((rows_f - hits + 0.5) / (hits + 0.5)).ln();
                if idf <= 0.0 { 1e-6 } else { idf }
            })
            .collect();
        Search {
            idf,
            average_length: tokens as f64 / rows_f,
        }
    }

    /// bm25 of a row of `length` tokens in which phrase `i` occurs `frequencies[i]` times, weighed by
    /// column. A phrase without a count (a filter's) is in no weighed column and adds nothing.
    fn score(&self, frequencies: &[f64], length: f64) -> f64 {
        let mut score = 0.0;
        for (idf, frequency) in self.idf.iter().zip(frequencies) {
            score += idf * ((frequency * (K1 + 1.0)) / (frequency + K1 * (1.0 - B + B * length / self.average_length)));
        }
        -score
    }
}

/// Reads "12,0,3" as the phrases' rulings; anything unreadable counts as none.
fn parse_rulings(text: &str) -> Vec<i64> {
    text.split(',').map(|n| n.trim().parse().unwrap_or(0)).collect()
}

unsafe extern "C" fn drop_search(search: *mut c_void) {
    // SAFETY: FTS5 hands back the pointer `register_rank` gave it, made by `Box::into_raw`, once.
    drop(unsafe { Box::from_raw(search as *mut Search) });
}

/// `register_rank(published_rulings_fts, rulings)`: see the module's comment.
unsafe extern "C" fn register_rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: FTS5 calls an auxiliary function with its extension API (whose functions are all
    // set), the search's context, the result's context and `argc` values.
    unsafe {
        let api = &*api;
        let (Some(get_auxdata), Some(set_auxdata), Some(row_count), Some(total_size)) =
            (api.xGetAuxdata, api.xSetAuxdata, api.xRowCount, api.xColumnTotalSize)
        else {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_MISUSE);
            return;
        };
        let (Some(phrase_count), Some(inst_count), Some(inst), Some(column_size)) =
            (api.xPhraseCount, api.xInstCount, api.xInst, api.xColumnSize)
        else {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_MISUSE);
            return;
        };
        let mut search = get_auxdata(fts, 0) as *const Search;
        if search.is_null() {
            let rulings = if argc >= 1 && !ffi::sqlite3_value_text(*argv).is_null() {
                parse_rulings(&CStr::from_ptr(ffi::sqlite3_value_text(*argv) as *const c_char).to_string_lossy())
            } else {
                Vec::new()
            };
            let (mut rows, mut tokens) = (0i64, 0i64);
            let mut rc = row_count(fts, &mut rows);
            if rc == ffi::SQLITE_OK {
                rc = total_size(fts, -1, &mut tokens);
            }
            if rc == ffi::SQLITE_OK {
                let made = Box::into_raw(Box::new(Search::new(&rulings, rows, tokens)));
                // On failure FTS5 drops it itself.
                rc = set_auxdata(fts, made as *mut c_void, Some(drop_search));
                search = made;
            }
            if rc != ffi::SQLITE_OK {
                ffi::sqlite3_result_error_code(ctx, rc);
                return;
            }
        }
        let mut frequencies = vec![0.0; phrase_count(fts).max(0) as usize];
        let mut instances: c_int = 0;
        let mut rc = inst_count(fts, &mut instances);
        for i in 0..instances {
            if rc != ffi::SQLITE_OK {
                break;
            }
            let (mut phrase, mut column, mut offset): (c_int, c_int, c_int) = (0, 0, 0);
            rc = inst(fts, i, &mut phrase, &mut column, &mut offset);
            if let (Some(frequency), Some(weight)) = (
                frequencies.get_mut(phrase as usize),
                COLUMN_WEIGHTS.get(column as usize),
            ) {
                *frequency += weight;
            }
        }
        let mut length: c_int = 0;
        if rc == ffi::SQLITE_OK {
            rc = column_size(fts, -1, &mut length);
        }
        if rc != ffi::SQLITE_OK {
            ffi::sqlite3_result_error_code(ctx, rc);
            return;
        }
        ffi::sqlite3_result_double(ctx, (*search).score(&frequencies, f64::from(length)));
    }
}

/// Makes `register_rank` known to FTS5 on this connection; false if FTS5 is not there.
///
/// # Safety
/// `db` must be the handle of an open connection.
pub unsafe fn register(db: *mut ffi::sqlite3) -> bool {
    // SAFETY: the statement and the pointer it fills live only in this block; `fts5(?1)` writes
    // the API's address into a pointer bound with the type "fts5_api_ptr".
    unsafe {
        let mut statement = ptr::null_mut();
        if ffi::sqlite3_prepare_v2(db, c"SELECT fts5(?1)".as_ptr(), -1, &mut statement, ptr::null_mut())
            != ffi::SQLITE_OK
        {
            return false;
        }
        let mut fts5: *mut ffi::fts5_api = ptr::null_mut();
        ffi::sqlite3_bind_pointer(
            statement,
            1,
            &mut fts5 as *mut *mut ffi::fts5_api as *mut c_void,
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(statement);
        ffi::sqlite3_finalize(statement);
        if fts5.is_null() {
            return false;
        }
        let Some(create_function) = (*fts5).xCreateFunction else {
            return false;
        };
        create_function(
            fts5,
            c"register_rank".as_ptr(),
            ptr::null_mut(),
            Some(register_rank),
            None,
        ) == ffi::SQLITE_OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rarer_word_and_a_shorter_ruling_rank_higher_and_a_word_in_most_rulings_weighs_little() {
        let search = Search::new(&[10, 900, 0], 1_000, 20_000);
        // One occurrence of the rare word beats one of the common one.
        assert!(search.score(&[1.0, 0.0, 0.0], 20.0) < search.score(&[0.0, 1.0, 0.0], 20.0));
        assert!(search.score(&[1.0, 0.0, 0.0], 10.0) < search.score(&[1.0, 0.0, 0.0], 40.0));
        assert!((search.idf[1] - 1e-6).abs() < f64::EPSILON);
        assert_eq!(parse_rulings("3, x,7"), [3, 0, 7]);
    }
}
