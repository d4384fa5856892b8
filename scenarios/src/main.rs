//! The `plughost` binary: see `cli`.

/// Runs are small and many (tens of thousands per second, each allocating its tables,
/// futures and facts afresh): mimalloc serves those allocations faster than the system's.
#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    plughost_scenarios::cli::main()
}
