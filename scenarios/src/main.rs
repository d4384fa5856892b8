//! The `plughost` binary: see `cli`.

fn main() -> std::process::ExitCode {
    plughost_scenarios::cli::main()
}
