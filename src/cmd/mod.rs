//! The subcommands: argument handling and orchestration only. Nothing outside
//! `cmd/` and `main.rs` imports from here.

pub mod args;
pub mod build;
pub mod check;
pub mod diff;
pub mod eject;
pub mod fonts;
pub mod new;
pub mod serve;
pub mod snapshot;
pub mod synth;
pub mod verify;
pub mod watch;
