use clap::Parser;
use std::process::ExitCode;

/// The server's allocator: jemalloc, built with its background thread on. Memory freed
/// after a large clone or push (hundreds of MB for a repository the size of git.git) is
/// purged by that thread within about ten seconds (`dirty_decay_ms`), whether or not more
/// requests arrive; glibc's malloc kept ~150 MB of it in its per-thread arenas for good.
/// BENCHMARKS.md ("Server memory") has the measurements that chose it.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = hatchery::cli::Cli::parse();
    match hatchery::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole chain: "cannot open the database ...: connection refused".
            eprintln!("hatchery: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(all(test, not(target_env = "msvc")))]
mod tests {
    /// The binary's allocator is jemalloc with background purging on: without it freed
    /// memory would only be returned when a later allocation happens to trigger a purge.
    #[test]
    fn allocator_purges_in_the_background() {
        tikv_jemalloc_ctl::epoch::advance().expect("jemalloc answers");
        assert!(tikv_jemalloc_ctl::opt::background_thread::read().expect("opt.background_thread"));
        assert!(tikv_jemalloc_ctl::background_thread::read().expect("background_thread"));
        // .cargo/config.toml: one purging thread serves every arena.
        assert_eq!(
            tikv_jemalloc_ctl::max_background_threads::read().expect("max_background_threads"),
            1
        );
    }
}
