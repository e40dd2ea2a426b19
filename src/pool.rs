//! Thread pools: run work on a pool of a chosen size (`--jobs`), or on
//! rayon's global one.

use crate::diag::{Diag, FolioResult};

/// Runs `f` on a pool of `jobs` threads (or rayon's global pool).
pub fn with_jobs<T: Send>(jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> FolioResult<T> {
    match jobs {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Diag::error("internal", format!("cannot start threads: {e}")))?;
            Ok(pool.install(f))
        }
    }
}
