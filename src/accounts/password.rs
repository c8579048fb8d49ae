//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane), kept
//! in the PHC string so that a later change of parameters is seen and the hash is
//! renewed at the next successful sign-in. `verify` and `hash` run the work on the node's argon2
//! threads, one per core but one, at a lower priority than everything else the node does: each
//! check takes 19 MiB and a core for tens of milliseconds, so a storm of sign-ins queues here and
//! gets what the pages leave of the cores, instead of exhausting memory, the database pool and the
//! cores the other pages need. The synchronous functions are for code already off the executor.

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{self, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};

/// The argon2 threads' priority: 22 of the crate's 0–99 is niceness 10 on Linux (a test holds it),
/// so a sign-in storm takes what the pages leave of the cores, and ~10% of a core they want (the
/// scheduler's weight of nice 10 against 0). On two cores the case page's p99 during a storm went
/// from ×1.81 of its p99 alone to ×1.31, and the storm's own sign-ins from 36 to 30 a second
/// (docs/PERFORMANCE.md, item 35).
const ARGON2_PRIORITY: u8 = 22;

/// How many argon2 threads: one per core but one, at least one. A thread per core, even at the
/// lower priority, signed in ×1.6 as many during a storm but left the pages' p99 ×1.5–2.05 of
/// their p99 alone (item 35), where the target is at most twofold.
fn argon2_threads() -> usize {
    cores().saturating_sub(1).max(1)
}

/// The argon2 threads; a storm's sign-ins wait for one as futures, holding neither memory nor a
/// connection.
static ARGON2_THREADS: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(argon2_threads())
        .thread_name(|i| format!("argon2-{i}"))
        .start_handler(|_| {
            // Raising one's own niceness needs no privilege; should it fail, sign-ins still work.
            let priority = ThreadPriorityValue::try_from(ARGON2_PRIORITY).expect("within 0-99");
            if let Err(error) = set_current_thread_priority(ThreadPriority::Crossplatform(priority)) {
                tracing::warn!(?error, "argon2 thread keeps its priority");
            }
        })
        // A panic in a hash fails that sign-in (its answer is dropped), as on tokio's blocking
        // threads before; rayon's default would abort the process.
        .panic_handler(|_| tracing::error!("argon2 work panicked"))
        .build()
        .expect("argon2 threads start")
});

/// One permit per argon2 thread: work waits for a permit, not in the threads' queue, so a sign-in
/// abandoned while it waits costs no hash.
static ARGON2_PERMITS: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(argon2_threads()));

/// Runs argon2 work on an argon2 thread once one is free.
async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = ARGON2_PERMITS.acquire().await.expect("the semaphore is never closed");
    let (answer, answered) = tokio::sync::oneshot::channel();
    ARGON2_THREADS.spawn(move || {
        let _ = answer.send(work()); // the sign-in may have been abandoned meanwhile
    });
    answered.await.expect("argon2 work does not panic")
}

/// `verify_password`, off the executor and bounded.
pub async fn verify(stored: Option<String>, password: String) -> Verification {
    bounded(move || verify_password(stored.as_deref(), &password)).await
}

/// `hash_password`, off the executor and bounded.
pub async fn hash(password: String) -> String {
    bounded(move || hash_password(&password)).await
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The 19 MiB an argon2 run works in, kept and reused: a fresh allocation per check fragmented
/// glibc's heap until a storm of a few thousand sign-ins held 3.8 GB (bench/run.sh, 1 Dec 2026).
/// At most one buffer per core is kept (more than there are argon2 threads).
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

fn with_memory<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    let reused = {
        let mut pool = MEMORY.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pool.iter().position(|m| m.len() >= blocks).map(|i| pool.swap_remove(i))
    };
    let mut memory = reused.unwrap_or_else(|| vec![Block::default(); blocks]);
    let result = work(&mut memory);
    let mut pool = MEMORY.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if pool.len() < cores() {
        pool.push(memory);
    }
    result
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// The argon2 output for `password` and `salt` (raw bytes), in reused memory.
fn derive(argon: &Argon2, password: &[u8], salt: &[u8], len: usize) -> Option<Output> {
    with_memory(argon.params().block_count(), |memory| {
        Output::init_with(len, |out| {
            argon
                .hash_password_into_with_memory(password, salt, out, &mut *memory)
                .map_err(|_| password_hash::Error::Crypto)
        })
        .ok()
    })
}

pub const MIN_PASSWORD_CHARS: usize = 12;

/// A hash to verify against when the account does not exist, so that the answer takes
/// as long as for a real account and timing does not reveal which addresses exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password, only for timing"));

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let argon = hasher();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .expect("a generated salt decodes");
    let output =
        derive(&argon, password.as_bytes(), salt_bytes, Params::DEFAULT_OUTPUT_LEN).expect("argon2 with valid params");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).expect("the parameters fit a PHC string"),
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verification {
    Invalid,
    Valid,
    /// Valid, but made with other parameters or algorithm: store a fresh hash.
    ValidNeedsRehash,
}

/// Whether `password` gives the stored hash, with the algorithm, version and parameters the hash
/// names (the comparison of `Output` is constant-time).
fn matches(stored: &PasswordHash, password: &str) -> bool {
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(stored.algorithm), Params::try_from(stored)) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    derive(&argon, password.as_bytes(), salt_bytes, expected.len()).is_some_and(|computed| computed == expected)
}

pub fn verify_password(stored: Option<&str>, password: &str) -> Verification {
    let stored = stored.unwrap_or(DUMMY_HASH.as_str());
    let dummy = PasswordHash::new(&DUMMY_HASH).expect("dummy hash parses");
    let Ok(parsed) = PasswordHash::new(stored) else {
        let _ = matches(&dummy, password);
        return Verification::Invalid;
    };
    if !matches(&parsed, password) {
        return Verification::Invalid;
    }
    let same_parameters =
        parsed.algorithm == dummy.algorithm && parsed.version == dummy.version && parsed.params == dummy.params;
    if same_parameters {
        Verification::Valid
    } else {
        Verification::ValidNeedsRehash
    }
}

/// Why a new password is refused (shown next to the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooCommon,
}

impl PasswordProblem {
    pub fn message_key(self) -> &'static str {
        match self {
            Self::TooShort => "password-too-short",
            Self::TooCommon => "password-too-common",
        }
    }
}

pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordProblem> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    let lower = password.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    // The address's own name with digits or punctuation around it is the first thing an attacker tries.
    let rest_is_filler = |rest: String| rest.chars().all(|c| !c.is_alphabetic());
    let built_on_address =
        local_part.len() >= 3 && lower.contains(&local_part) && rest_is_filler(lower.replace(&local_part, ""));
    if super::common_passwords::is_common(&lower) || built_on_address {
        return Err(PasswordProblem::TooCommon);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's niceness, field 19 of its `stat` (fields counted after the command's
    /// parenthesis, which may itself hold spaces).
    #[cfg(target_os = "linux")]
    fn own_niceness() -> i32 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("procfs");
        let after_command = &stat[stat.rfind(')').expect("a command in parentheses") + 1..];
        after_command
            .split_whitespace()
            .nth(16)
            .expect("field 19")
            .parse()
            .expect("a number")
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn argon2_runs_on_its_own_threads_at_niceness_ten() {
        let before = own_niceness();
        let (thread, niceness) = bounded(|| (std::thread::current().name().map(str::to_owned), own_niceness())).await;
        assert!(thread.is_some_and(|name| name.starts_with("argon2-")));
        assert_eq!(niceness, 10, "22 of thread-priority's 0-99 is niceness 10");
        assert_eq!(own_niceness(), before, "the caller's priority is left alone");
    }

    #[tokio::test]
    async fn a_panic_in_argon2_work_fails_only_its_caller_and_the_threads_go_on() {
        let failed = tokio::spawn(bounded(|| -> u8 { panic!("a broken hash") })).await;
        assert!(failed.is_err_and(|error| error.is_panic()));
        assert_eq!(bounded(|| 7).await, 7);
    }

    #[tokio::test]
    async fn the_bounded_hash_and_verify_agree_with_each_other() {
        let hashed = hash("paarse-olifant-fietst".to_owned()).await;
        let checks = (0..6).map(|i| {
            let attempt = if i % 2 == 0 {
                "paarse-olifant-fietst"
            } else {
                "verkeerd wachtwoord"
            };
            verify(Some(hashed.clone()), attempt.to_owned())
        });
        let verdicts = futures_util::future::join_all(checks).await;
        for (i, verdict) in verdicts.into_iter().enumerate() {
            let expected = if i % 2 == 0 {
                Verification::Valid
            } else {
                Verification::Invalid
            };
            assert_eq!(verdict, expected, "attempt {i}");
        }
        assert_eq!(verify(None, "wat dan ook".to_owned()).await, Verification::Invalid);
    }

    #[test]
    fn a_hash_verifies_only_its_own_password() {
        let hash = hash_password("correct horse battery staple");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(
            verify_password(Some(&hash), "correct horse battery staple"),
            Verification::Valid
        );
        assert_eq!(
            verify_password(Some(&hash), "Correct horse battery staple"),
            Verification::Invalid
        );
    }

    #[test]
    fn a_hash_with_older_parameters_asks_to_be_renewed() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = argon2::PasswordHasher::hash_password(&weak, b"correct horse battery staple", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify_password(Some(&old), "correct horse battery staple"),
            Verification::ValidNeedsRehash
        );
    }

    #[test]
    fn our_hashes_and_the_argon2_crates_own_agree_both_ways() {
        use argon2::PasswordVerifier;
        let ours = hash_password("correct horse battery staple");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            hasher()
                .verify_password(b"correct horse battery staple", &parsed)
                .is_ok()
        );
        assert!(hasher().verify_password(b"wrong horse", &parsed).is_err());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2::PasswordHasher::hash_password(&hasher(), b"correct horse battery staple", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify_password(Some(&theirs), "correct horse battery staple"),
            Verification::Valid
        );
        assert_eq!(
            verify_password(Some(&theirs), "wrong horse battery"),
            Verification::Invalid
        );
    }

    #[test]
    fn the_argon2_memory_is_reused_and_never_more_than_one_buffer_per_core() {
        let threads: Vec<_> = (0..8)
            .map(|i| std::thread::spawn(move || hash_password(&format!("wachtwoord nummer {i}"))))
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let pool = MEMORY.lock().unwrap();
        assert!(!pool.is_empty(), "buffers are kept for the next run");
        assert!(pool.len() <= cores(), "{} buffers kept", pool.len());
    }

    #[test]
    fn unknown_accounts_and_garbage_hashes_are_refused() {
        assert_eq!(verify_password(None, "whatever password"), Verification::Invalid);
        assert_eq!(
            verify_password(Some("not a phc string"), "whatever password"),
            Verification::Invalid
        );
    }

    #[test]
    fn short_and_common_passwords_are_refused() {
        assert_eq!(check_new_password("short", "a@b.nl"), Err(PasswordProblem::TooShort));
        assert_eq!(
            check_new_password("123456789012", "a@b.nl"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(
            check_new_password("Password1234", "a@b.nl"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(
            check_new_password("janssen12345", "janssen@example.nl"),
            Err(PasswordProblem::TooCommon)
        );
        assert_eq!(check_new_password("paarse-olifant-fietst-snel", "a@b.nl"), Ok(()));
    }
}
