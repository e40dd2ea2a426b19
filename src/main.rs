use std::process::ExitCode;

use clap::Parser;
use folio::args::{Cli, Command};
use folio::diag::emit_stderr;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => folio::build::run(&args),
        Command::Check(args) => folio::check::run(&args),
        Command::Eject(args) => folio::eject::run(&args),
        Command::Snapshot(args) => folio::snapshot::run(&args),
        Command::Diff(args) => folio::diff::run(&args),
        Command::Watch(args) => folio::watch::run(&args),
        Command::Serve(args) => folio::serve::run(&args),
        Command::New(args) => folio::new::run(&args),
        Command::Fonts(args) => folio::fonts::run(&args),
        Command::Verify(args) => folio::verify::run(&args),
        Command::Synth(args) => folio::synth::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            emit_stderr(&failure.0);
            ExitCode::FAILURE
        }
    }
}
