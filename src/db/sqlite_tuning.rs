//! What diesel cannot do to a SQLite connection: set the query-planner stability guarantee (QPSG),
//! and give FTS5 the register's ranking function (`register_rank`).
//!
//! SQLite re-prepares a statement before running it whenever a value bound to it could change
//! its plan. Since SQLite 3.47 that includes the value of `LIMIT ?`, and diesel binds every
//! `LIMIT` (every `.first()`), so nearly every cached statement was parsed and planned again on
//! every run: 26% of the case page's CPU in the load benchmark (docs/PERFORMANCE.md). With the
//! guarantee on, plans do not depend on bound values and cached statements stay prepared.
//!
//! diesel does not expose the connection handle, so the setting is made through SQLite's
//! auto-extension hook, which SQLite calls with every connection it opens in this process.

use std::ffi::{c_char, c_int};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use libsqlite3_sys as ffi;

static REGISTER: Once = Once::new();
/// Whether the last connection opened read the guarantee back as on (for the test below).
static LAST_CONNECTION_STABLE: AtomicBool = AtomicBool::new(false);

unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    let mut now_on: c_int = 0;
    // SAFETY: SQLite calls this hook with a valid handle of the connection it is opening;
    // ENABLE_QPSG takes an int (1: on) and a pointer to an int that receives the new setting.
    let rc = unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            &mut now_on as *mut c_int,
        )
    };
    LAST_CONNECTION_STABLE.store(rc == ffi::SQLITE_OK && now_on == 1, Ordering::Relaxed);
    // SAFETY: as above, a valid handle of the connection being opened.
    if !unsafe { super::register_rank::register(db) } {
        return ffi::SQLITE_ERROR;
    }
    ffi::SQLITE_OK
}

/// Registers the hook once per process; call before opening SQLite connections.
pub fn register() {
    REGISTER.call_once(|| {
        // SAFETY: `on_open` has the signature SQLite expects of an extension entry point and,
        // being a plain function, lives as long as the process.
        unsafe {
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Database;

    #[test]
    fn every_sqlite_connection_opens_with_the_planner_stability_guarantee() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::new(&format!("sqlite://{}/t.db", dir.path().display()), 1).unwrap();
        LAST_CONNECTION_STABLE.store(false, Ordering::Relaxed);
        let _conn = db.get().unwrap();
        assert!(LAST_CONNECTION_STABLE.load(Ordering::Relaxed));
    }
}
