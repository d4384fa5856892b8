//! The process's peak resident set size, for the memory figures of `--json` and the bench.
//! Linux only (`VmHWM` in `/proc/self/status`); elsewhere it is unknown.

/// Peak resident set size in KiB, if the platform says.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
