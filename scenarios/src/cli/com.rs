//! `plughost com register|unregister [--scope user|machine]`: the COM plugin host's
//! registration — the host class (its server is `plughost-host --com-server CLSID`), the two
//! interfaces and their type library. `plughost real --backend com` needs none of it by
//! default: each run registers a class of its own (per user) and removes it after.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::UsageError;

#[derive(Args)]
pub(super) struct ComArgs {
    #[command(subcommand)]
    action: ComAction,
}

#[derive(Subcommand)]
enum ComAction {
    /// Register the host class, its interfaces and the type library.
    Register(ScopeArgs),
    /// Remove what `register` registered.
    Unregister(ScopeArgs),
}

#[derive(Args)]
struct ScopeArgs {
    /// `user` (HKEY_CURRENT_USER, no elevation) or `machine` (HKEY_LOCAL_MACHINE).
    #[arg(long, default_value = "user")]
    scope: String,
}

pub(super) fn com_command(args: ComArgs) -> Result<ExitCode, UsageError> {
    let (ComAction::Register(scope) | ComAction::Unregister(scope)) = &args.action;
    if !matches!(scope.scope.as_str(), "user" | "machine") {
        return Err(UsageError(format!("unknown --scope `{}` (available: user, machine)", scope.scope)));
    }
    run(&args.action, scope.scope == "machine")
}

#[cfg(windows)]
fn run(action: &ComAction, machine: bool) -> Result<ExitCode, UsageError> {
    use plughost_real::com::{self, Scope};
    let scope = if machine { Scope::Machine } else { Scope::User };
    let done = match action {
        ComAction::Register(_) => {
            let (program, args) = crate::real_runner::host_command();
            com::register(&program, &args, scope)
        }
        ComAction::Unregister(_) => com::unregister(scope),
    };
    match done {
        Ok(what) => {
            say!("{what}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("plughost: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(not(windows))]
fn run(_action: &ComAction, _machine: bool) -> Result<ExitCode, UsageError> {
    Err(UsageError("plughost com needs Windows (COM local servers)".to_string()))
}
