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
//!
//! bm25 needs each match's length in tokens, which FTS5 reads from its `docsize` table: a statement
//! run per ranked match, a fifth of the CPU of a search never asked before (docs/PERFORMANCE.md
//! item 28). A length changes only when the ruling's entry in the index does, and every such change
//! raises the register's revision (`register_revision`). So each connection keeps the lengths it read
//! under the revision a search passes as the third argument,
//! `register_rank(published_rulings_fts, '…', revision)`, and forgets them all when a search comes
//! with a newer one. A search without it, or with an older one, reads `docsize` as before.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;

use libsqlite3_sys as ffi;

/// The weights of the index's columns: summary, text, facets (as `bm25(published_rulings_fts, 4.0, 1.0, 0.0)`).
const COLUMN_WEIGHTS: [f64; 3] = [4.0, 1.0, 0.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// What a search needs for every row: the inverse document frequency of each phrase and the
/// average length of a ruling in tokens (computed once per search, as `bm25` does), and the
/// register's revision the search reads, if it names one.
struct Search {
    idf: Vec<f64>,
    average_length: f64,
    revision: Option<i64>,
}

/// Lengths are kept for ruling ids below this: 8 MiB a connection at most. The register's ids are
/// dense (187,500 rulings at a million cases: 375 KB).
const KEPT_IDS: usize = 1 << 22;

/// One connection's lengths (in tokens, plus one; 0: not read) by ruling id, of `revision`.
/// A connection runs one statement step at a time, so FTS5 never calls the ranking with this
/// borrowed twice; each row checks the revision, so a statement begun before a newer search
/// cleared the lengths neither uses nor adds to them.
#[derive(Default)]
struct Lengths {
    revision: i64,
    by_ruling: Vec<u16>,
}

impl Lengths {
    /// A search of `revision` begins: a newer revision than the kept lengths' forgets them.
    fn serve(&mut self, revision: Option<i64>) {
        if let Some(revision) = revision.filter(|r| *r > self.revision) {
            self.by_ruling.clear();
            self.revision = revision;
        }
    }

    /// Whether the kept lengths are those of the register at `revision`.
    fn of(&self, revision: Option<i64>) -> bool {
        revision == Some(self.revision)
    }

    fn get(&self, ruling: usize) -> Option<c_int> {
        match self.by_ruling.get(ruling) {
            Some(&kept) if kept > 0 => Some(c_int::from(kept) - 1),
            _ => None,
        }
    }

    fn keep(&mut self, ruling: usize, length: c_int) {
        let Ok(kept) = u16::try_from(i64::from(length) + 1) else {
            return;
        };
        if ruling >= KEPT_IDS {
            return;
        }
        if self.by_ruling.len() <= ruling {
            self.by_ruling.resize(ruling + 1, 0);
        }
        self.by_ruling[ruling] = kept;
    }
}

impl Search {
    /// `rulings[i]`: how many of the index's `rows` have phrase `i`. The IDF formula is bm25's, floored
    /// at 1e-6 for a phrase in more than half of the rows.
    fn new(rulings: &[i64], rows: i64, tokens: i64, revision: Option<i64>) -> Search {
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
            revision,
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

unsafe extern "C" fn drop_lengths(lengths: *mut c_void) {
    // SAFETY: FTS5 hands back the pointer `register` gave it, made by `Box::into_raw`, once, as the
    // connection closes.
    drop(unsafe { Box::from_raw(lengths as *mut Lengths) });
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
        let (
            Some(phrase_count),
            Some(phrase_first),
            Some(phrase_next),
            Some(column_size),
            Some(user_data),
            Some(rowid),
        ) = (
            api.xPhraseCount,
            api.xPhraseFirst,
            api.xPhraseNext,
            api.xColumnSize,
            api.xUserData,
            api.xRowid,
        )
        else {
            ffi::sqlite3_result_error_code(ctx, ffi::SQLITE_MISUSE);
            return;
        };
        // The connection's `Lengths`, given to FTS5 by `register`.
        let Some(lengths) = (user_data(fts) as *mut Lengths).as_mut() else {
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
            let revision = if argc >= 2 && ffi::sqlite3_value_type(*argv.add(1)) == ffi::SQLITE_INTEGER {
                Some(ffi::sqlite3_value_int64(*argv.add(1)))
            } else {
                None
            };
            lengths.serve(revision);
            let (mut rows, mut tokens) = (0i64, 0i64);
            let mut rc = row_count(fts, &mut rows);
            if rc == ffi::SQLITE_OK {
                rc = total_size(fts, -1, &mut tokens);
            }
            if rc == ffi::SQLITE_OK {
                let made = Box::into_raw(Box::new(Search::new(&rulings, rows, tokens, revision)));
                // On failure FTS5 drops it itself.
                rc = set_auxdata(fts, made as *mut c_void, Some(drop_search));
                search = made;
            }
            if rc != ffi::SQLITE_OK {
                ffi::sqlite3_result_error_code(ctx, rc);
                return;
            }
        }
        // Each counted phrase's occurrences, one phrase at a time. The instance API (`xInstCount`,
        // `xInst`) merged every phrase's positions into one sorted array per row, the filters' too:
        // 7% of a search never asked before (docs/PERFORMANCE.md item 42).
        let counted = (*search).idf.len().min(phrase_count(fts).max(0) as usize);
        let mut frequencies = vec![0.0; counted];
        let mut rc = ffi::SQLITE_OK;
        for (phrase, frequency) in frequencies.iter_mut().enumerate() {
            let mut iter = ffi::Fts5PhraseIter {
                a: ptr::null(),
                b: ptr::null(),
            };
            let (mut column, mut offset): (c_int, c_int) = (0, 0);
            rc = phrase_first(fts, phrase as c_int, &mut iter, &mut column, &mut offset);
            if rc != ffi::SQLITE_OK {
                break;
            }
            // Positions come in column order, ending with column -1; the last column, the facets,
            // weighs nothing, so a phrase's count ends where it begins.
            while let Some(&weight) = usize::try_from(column).ok().and_then(|c| COLUMN_WEIGHTS.get(c)) {
                if weight == 0.0 {
                    break;
                }
                *frequency += weight;
                phrase_next(fts, &mut iter, &mut column, &mut offset);
            }
        }
        let ruling = usize::try_from(rowid(fts) & crate::publication::FTS_ID_MASK).unwrap_or(usize::MAX);
        let current = lengths.of((*search).revision);
        let kept = if current { lengths.get(ruling) } else { None };
        let mut length: c_int = kept.unwrap_or(0);
        if rc == ffi::SQLITE_OK && kept.is_none() {
            rc = column_size(fts, -1, &mut length);
            if rc == ffi::SQLITE_OK && current {
                lengths.keep(ruling, length);
            }
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
        let lengths = Box::into_raw(Box::<Lengths>::default());
        let created = create_function(
            fts5,
            c"register_rank".as_ptr(),
            lengths as *mut c_void,
            Some(register_rank),
            Some(drop_lengths),
        ) == ffi::SQLITE_OK;
        if !created {
            // Not taken: FTS5 keeps (and later drops) the pointer only when the function is made.
            drop(Box::from_raw(lengths));
        }
        created
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rarer_word_and_a_shorter_ruling_rank_higher_and_a_word_in_most_rulings_weighs_little() {
        let search = Search::new(&[10, 900, 0], 1_000, 20_000, None);
        // One occurrence of the rare word beats one of the common one.
        assert!(search.score(&[1.0, 0.0, 0.0], 20.0) < search.score(&[0.0, 1.0, 0.0], 20.0));
        assert!(search.score(&[1.0, 0.0, 0.0], 10.0) < search.score(&[1.0, 0.0, 0.0], 40.0));
        assert!((search.idf[1] - 1e-6).abs() < f64::EPSILON);
        assert_eq!(parse_rulings("3, x,7"), [3, 0, 7]);
    }

    #[test]
    fn lengths_are_kept_for_one_revision_and_forgotten_at_a_newer_one() {
        let mut lengths = Lengths::default();
        // A search that names no revision neither reads nor keeps lengths.
        lengths.serve(None);
        assert!(!lengths.of(None));
        lengths.serve(Some(7));
        assert!(lengths.of(Some(7)));
        assert_eq!(lengths.get(3), None);
        lengths.keep(3, 120);
        lengths.keep(5, 0);
        assert_eq!(
            (lengths.get(3), lengths.get(5), lengths.get(4)),
            (Some(120), Some(0), None)
        );
        // A search still reading the revision before may not use them (they may be newer than it).
        lengths.serve(Some(6));
        assert!(!lengths.of(Some(6)) && !lengths.of(None));
        lengths.serve(Some(7));
        assert_eq!(lengths.get(3), Some(120));
        // The register changed: every kept length may be stale, and a search of the revision
        // before that is still running no longer matches them.
        lengths.serve(Some(8));
        assert!(!lengths.of(Some(7)) && lengths.of(Some(8)));
        assert_eq!(lengths.get(3), None);
    }

    #[test]
    fn lengths_beyond_what_a_slot_holds_or_of_ids_past_the_bound_are_read_each_time() {
        let mut lengths = Lengths::default();
        lengths.serve(Some(1));
        lengths.keep(1, c_int::from(u16::MAX) - 1);
        lengths.keep(2, c_int::from(u16::MAX));
        lengths.keep(KEPT_IDS, 10);
        assert_eq!(lengths.get(1), Some(c_int::from(u16::MAX) - 1));
        assert_eq!(lengths.get(2), None);
        assert_eq!(lengths.get(KEPT_IDS), None);
        assert!(lengths.by_ruling.len() <= 3);
    }
}
