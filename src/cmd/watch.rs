//! `folio watch`: rebuilds the PDF whenever the manifest, an article, a
//! photo, a font or a layout file changes (see [`crate::session`]).

use std::path::PathBuf;

use crate::cmd::args::WatchArgs;
use crate::cmd::build::default_output;
use crate::compile::Profile;
use crate::diag::{Diag, FolioResult, Severity};

use crate::session::{Session, WatchConfig, Watcher, absolute, clock, ms, watch_loop};

/// Normalises `folio watch` arguments.
pub fn config(args: &WatchArgs) -> FolioResult<(WatchConfig, Option<usize>)> {
    let layout = args.layout.config(&args.issue, Profile::Print)?;
    let profile = layout.single_profile("watch")?;
    let output: PathBuf = args.output.clone().unwrap_or_else(|| {
        default_output(&layout.project.out_dir(), &layout.project.name(), profile)
    });
    crate::safe_io::check_output(&output, &args.issue, Some(&layout.project.root), "-o")?;
    Ok((
        WatchConfig {
            project: layout.project,
            output: Some(output),
            profile,
            system_fonts: layout.system_fonts,
        },
        layout.jobs,
    ))
}

/// Prints warnings, keeping errors-as-warnings (preflight errors) visible
/// but not fatal: in a preview loop the designer wants the PDF anyway.
fn report_warnings(warnings: &[Diag]) {
    if warnings.is_empty() {
        return;
    }
    crate::diag::emit_stderr(warnings);
    let errors = warnings
        .iter()
        .filter(|w| w.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!("note: {errors} preflight error(s) above; `folio build` would refuse this issue");
    }
}

/// Entry point of `folio watch`.
pub fn run(args: &WatchArgs) -> FolioResult<std::process::ExitCode> {
    let (config, jobs) = config(args)?;
    let output = config.output.clone().expect("watch always has an output");
    let mut watcher = Watcher::new(&config.watched(), vec![output.clone()])?;
    eprintln!(
        "watching {} → {} (Ctrl+C to stop)",
        crate::diag::display_path(&absolute(&config.project.issue)),
        crate::diag::display_path(&absolute(&output))
    );
    let mut session = Session::new(config);
    crate::pool::with_jobs(jobs, || {
        watch_loop(&mut session, &mut watcher, |session| {
            let reads = session.cache().reads();
            match session.build_pdf(&output) {
                Ok((compiled, pages)) => {
                    report_warnings(&compiled.warnings);
                    let t = compiled.timings;
                    eprintln!(
                        "[{}] wrote {} ({pages} pages) in {} (load {}, typeset {}, check {}, pdf {}, write {}, {} photo(s) read)",
                        clock(),
                        crate::diag::display_path(&output),
                        ms(t.total()),
                        ms(t.load),
                        ms(t.typeset),
                        ms(t.check),
                        ms(t.export),
                        ms(t.write),
                        session.cache().reads() - reads,
                    );
                }
                Err(failure) => {
                    crate::diag::emit_stderr(&failure.0);
                    eprintln!(
                        "[{}] build failed; {} keeps the last good version. Watching for changes…",
                        clock(),
                        crate::diag::display_path(&output)
                    );
                }
            }
        })
    })??;
    Ok(std::process::ExitCode::SUCCESS)
}
