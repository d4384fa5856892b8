//! `plughost-host`: the plugin host process the real backend starts once per plugin.

fn main() -> std::process::ExitCode {
    plughost_real::host::main()
}
