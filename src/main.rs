use std::process::ExitCode;

use clap::Parser;
use folio::args::{Cli, Command};
use folio::diag::emit_stderr;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => folio::build::run(&args),
        Command::Eject(args) => folio::eject::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            emit_stderr(&failure.0);
            ExitCode::FAILURE
        }
    }
}
