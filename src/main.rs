use std::process::ExitCode;

use clap::Parser;
use folio::cmd::args::{Cli, Command};
use folio::cmd::{build, check, diff, eject, fonts, new, serve, snapshot, synth, verify, watch};
use folio::diag::emit_stderr;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => build::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Eject(args) => eject::run(&args),
        Command::Snapshot(args) => snapshot::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Watch(args) => watch::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::New(args) => new::run(&args),
        Command::Fonts(args) => fonts::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Synth(args) => synth::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            emit_stderr(&failure.0);
            ExitCode::FAILURE
        }
    }
}
