//! The `plughost` binary: see `cli`.

/// Runs are small and many (tens of thousands per second, each allocating its tables,
/// futures and facts afresh): jemalloc serves those allocations from per-thread caches, faster
/// than the system's allocator.
#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    plughost_scenarios::cli::main()
}
