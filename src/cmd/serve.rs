//! `folio serve`: a live preview in the browser (see [`crate::preview`]),
//! rebuilt by the same session and watcher as `folio watch`.

use std::time::Instant;

use crate::cmd::args::ServeArgs;
use crate::compile::Profile;
use crate::diag::FolioResult;
use crate::session::{Session, WatchConfig, Watcher, clock, ms, watch_loop};

/// Normalised settings for `folio serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// What to build (no PDF output).
    pub watch: WatchConfig,
    /// Requested port; `None` tries 3000–3009, `Some(0)` takes any free port.
    pub port: Option<u16>,
    /// Threads (`None`: one per core).
    pub jobs: Option<usize>,
}

impl ServeConfig {
    /// Normalises `folio serve` arguments.
    pub fn from_args(args: &ServeArgs) -> FolioResult<Self> {
        let layout = args.layout.config(&args.issue, Profile::Screen)?;
        Ok(Self {
            watch: WatchConfig {
                profile: layout.single_profile("serve")?,
                project: layout.project,
                output: None,
                system_fonts: layout.system_fonts,
            },
            port: args.port,
            jobs: layout.jobs,
        })
    }
}

/// Entry point of `folio serve`.
pub fn run(args: &ServeArgs) -> FolioResult<std::process::ExitCode> {
    let config = ServeConfig::from_args(args)?;
    serve(config)?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// Serves the preview and rebuilds on changes until the process is stopped.
pub fn serve(config: ServeConfig) -> FolioResult<()> {
    let title = config.watch.project.name();
    let mut watcher = Watcher::new(&config.watch.watched(), Vec::new())?;
    let (preview, addr) = crate::preview::start(config.port, &title)?;
    eprintln!("serving the preview at http://{addr}/ (Ctrl+C to stop)");
    let bleed = config.watch.profile == Profile::Print;
    let mut session = Session::new(config.watch);
    crate::pool::with_jobs(config.jobs, || {
        watch_loop(&mut session, &mut watcher, |session| {
            let start = Instant::now();
            match session.compile() {
                Ok(compiled) => {
                    if !compiled.warnings.is_empty() {
                        crate::diag::emit_stderr(&compiled.warnings);
                    }
                    let t = compiled.timings;
                    let status = preview.show(&compiled.doc, bleed, |pages, svg| {
                        format!(
                            "{title}: {pages} pages, built at {} in {} (load {}, typeset {}, check {}, svg {})",
                            clock(),
                            ms(start.elapsed()),
                            ms(t.load),
                            ms(t.typeset),
                            ms(t.check),
                            ms(svg),
                        )
                    });
                    eprintln!("[{}] {status}", clock());
                }
                Err(failure) => {
                    crate::diag::emit_stderr(&failure.0);
                    let text = crate::diag::render_plain(&failure.0);
                    eprintln!(
                        "[{}] build failed; the preview keeps the last good pages",
                        clock()
                    );
                    preview.fail(text, format!("{title}: build failed at {}", clock()));
                }
            }
        })
    })?
}
