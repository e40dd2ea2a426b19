//! `folio watch`: rebuilds the PDF whenever the manifest, an article, a
//! photo, a font or a layout file changes.
//!
//! Speed comes from keeping things alive between rebuilds, as typst-cli's
//! watch does: one [`FolioWorld`] whose files are reset (so Typst reuses its
//! parsed sources and memoised layout), comemo's cache trimmed after each
//! compilation, and one in-memory [`PhotoCache`] so unchanged photos are
//! never decoded again. [`Session`] is that state; `folio serve` drives the
//! same session and watcher and only differs in what it does with the
//! document.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use typst::foundations::Bytes;
use typst_layout::PagedDocument;

use crate::args::WatchArgs;
use crate::build;
use crate::compile::{self, Profile};
use crate::diag::{Diag, FolioResult, Severity};
use crate::model::Issue;
use crate::photos::PhotoCache;
use crate::world::{FolioWorld, load_fonts};

/// Normalised settings for `folio watch` (and the build half of `folio serve`).
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// The issue folder.
    pub issue_dir: PathBuf,
    /// The project root (layouts/, fonts/, assets/).
    pub root: PathBuf,
    /// The PDF to keep up to date (`None`: no PDF, e.g. for serve).
    pub output: Option<PathBuf>,
    /// Output profile.
    pub profile: Profile,
    /// Also use system fonts.
    pub system_fonts: bool,
    /// Photo cache folder.
    pub cache_dir: PathBuf,
}

impl WatchConfig {
    /// Resolves the root and default output like `folio build` does.
    pub fn new(
        issue: &Path,
        root: Option<&Path>,
        output: Option<PathBuf>,
        profile: Profile,
        system_fonts: bool,
    ) -> FolioResult<Self> {
        let root = match root {
            Some(r) => r.canonicalize().map_err(|e| {
                Diag::error("io", format!("cannot open root {}: {e}", r.display()))
            })?,
            None => compile::find_root(issue).ok_or_else(|| {
                Diag::error("io", "no layouts/ folder found above the issue folder")
                    .hint("run folio inside the project, or pass --root DIR (the folder holding layouts/ and fonts/)")
            })?,
        };
        Ok(Self {
            issue_dir: issue.to_path_buf(),
            cache_dir: root.join(".folio-cache").join("photos"),
            output,
            profile,
            system_fonts,
            root,
        })
    }

    /// Normalises `folio watch` arguments.
    pub fn from_args(args: &WatchArgs) -> FolioResult<Self> {
        let mut config = Self::new(
            &args.issue,
            args.root.as_deref(),
            None,
            args.profile,
            args.system_fonts,
        )?;
        config.output = Some(args.output.clone().unwrap_or_else(|| {
            build::default_output(
                &config.root.join("out"),
                &build::issue_name(&args.issue),
                args.profile,
            )
        }));
        if let Some(out) = &config.output {
            crate::safe_io::check_output(out, &args.issue, Some(&config.root), "-o")?;
        }
        Ok(config)
    }

    /// The folders whose changes trigger a rebuild.
    pub fn watched(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.issue_dir.clone()];
        for sub in ["layouts", "fonts", "assets"] {
            let dir = self.root.join(sub);
            if dir.is_dir() {
                dirs.push(dir);
            }
        }
        dirs
    }
}

/// Wall-clock time of each step of a rebuild.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Manifest, articles and photos (model + photo cache).
    pub load: Duration,
    /// Typst compilation (evaluation and layout).
    pub typeset: Duration,
    /// Reading the pages back and preflight.
    pub check: Duration,
    /// Export (PDF or SVG).
    pub export: Duration,
    /// Writing the output file.
    pub write: Duration,
}

impl Timings {
    /// The whole rebuild.
    pub fn total(&self) -> Duration {
        self.load + self.typeset + self.check + self.export + self.write
    }
}

/// A successful compilation.
pub struct Compiled {
    /// The laid-out document.
    pub doc: PagedDocument,
    /// The resolved issue it was made from.
    pub issue: Issue,
    /// Typst warnings and preflight findings.
    pub warnings: Vec<Diag>,
    /// Time spent so far (export is filled in by the caller).
    pub timings: Timings,
}

/// State kept alive across rebuilds.
pub struct Session {
    config: WatchConfig,
    cache: PhotoCache,
    world: Option<FolioWorld>,
    /// Photo files handed to Typst, kept so an unchanged photo is the very
    /// same `Bytes` next time: Typst then finds its decoded image in the
    /// memo cache without hashing megabytes again.
    photos: HashMap<String, Bytes>,
    /// Downsampled photos (by virtual path and size), kept like `photos`.
    small: HashMap<(String, (u32, u32)), Bytes>,
    /// The last rebuild's fit plan: kept while one pass shows it still meets
    /// every fitting goal, so the pages do not jump while a designer types.
    fit: Option<crate::fit::FitPlan>,
}

impl Session {
    /// A session with an empty world and the on-disk photo cache.
    pub fn new(config: WatchConfig) -> Self {
        let cache = PhotoCache::new(Some(config.cache_dir.clone()));
        Self {
            config,
            cache,
            world: None,
            photos: HashMap::new(),
            small: HashMap::new(),
            fit: None,
        }
    }

    /// The session's settings.
    pub fn config(&self) -> &WatchConfig {
        &self.config
    }

    /// The photo cache (its decode counter tells what a rebuild decoded).
    pub fn cache(&self) -> &PhotoCache {
        &self.cache
    }

    /// Forgets the fonts: the next compilation rescans `fonts/`.
    pub fn reload_fonts(&mut self) {
        self.world = None;
    }

    /// Loads the issue and compiles it, reusing the world of the previous
    /// compilation when there is one.
    pub fn compile(&mut self) -> FolioResult<Compiled> {
        let start = Instant::now();
        let mut project = compile::prepare(
            &self.config.issue_dir,
            Some(&self.config.root),
            self.config.profile,
            &self.cache,
        )?;
        let mut photos = HashMap::new();
        for (name, bytes) in project.files.iter_mut() {
            if crate::contract::vpath::is_photo(name) {
                // Names carry the content hash: same name, same bytes.
                if let Some(old) = self.photos.get(name) {
                    *bytes = old.clone();
                }
                photos.insert(name.clone(), bytes.clone());
            }
        }
        // Photos are served downsampled as the last `folio build` planned
        // them: the preview matches print and Typst holds far fewer pixels.
        let plan_path = self
            .cache
            .plan_path(&project.issue.dir, self.config.profile.name());
        let (_, _, quality) = build::resolution(self.config.profile);
        for (src, size) in self.cache.load_plan(plan_path.as_deref()) {
            let Some(original) = photos.get(&src) else {
                continue;
            };
            let key = (src.clone(), size);
            let small = match self.small.get(&key) {
                Some(b) => b.clone(),
                None => {
                    let png = src.ends_with(".png");
                    let bytes = crate::photos::resample(
                        &self.cache,
                        original.as_slice(),
                        size,
                        quality,
                        png,
                    )
                    .map_err(|e| Diag::error("photo", format!("cannot downsample {src}: {e}")))?;
                    let b = Bytes::new(bytes);
                    self.small.insert(key, b.clone());
                    b
                }
            };
            project.files.insert(src, small);
        }
        self.photos = photos;
        let load = start.elapsed();

        let start = Instant::now();
        let world = match &mut self.world {
            Some(world) => {
                world.reset(project.files.clone(), project.issue.date);
                world
            }
            None => self.world.insert(FolioWorld::new(
                &project.mounts,
                load_fonts(&self.config.root.join("fonts"), self.config.system_fonts),
                project.files.clone(),
                project.issue.date,
                &project.root,
            )),
        };
        // The same fitting passes as `folio build`, starting from the last plan.
        let result = build::lay_out_fitted(world, &mut project, None, self.fit.take());
        // As typst-cli's watch: drop memoised results unused for 10 rebuilds.
        typst::comemo::evict(10);
        let (doc, mut warnings, pages, fit) = result?;
        self.fit = fit.plan;
        let typeset = start.elapsed();
        let start = Instant::now();
        warnings.extend(crate::preflight::check(
            &project.issue,
            &pages,
            self.config.profile,
            build::today(),
        ));
        Ok(Compiled {
            doc,
            issue: project.issue,
            warnings,
            timings: Timings {
                load,
                typeset,
                check: start.elapsed(),
                export: Duration::ZERO,
                write: Duration::ZERO,
            },
        })
    }

    /// Compiles and writes the PDF (atomically: a failed rebuild leaves the
    /// last good PDF in place). Returns the page count.
    pub fn build_pdf(&mut self, output: &Path) -> FolioResult<(Compiled, usize)> {
        let mut compiled = self.compile()?;
        let start = Instant::now();
        let profile = self.config.profile;
        // The pages are those of `folio build`; the prepress post-processing
        // (BleedBox, marks) and photo downsampling are left to `folio build`:
        // they rewrite the whole file and would double a rebuild's time.
        let pdf = crate::export::pdf(&compiled.doc, &compiled.issue, profile)?;

        compiled.timings.export = start.elapsed();
        let start = Instant::now();
        crate::output::write_atomic(output, &pdf).map_err(|e| {
            Diag::error(
                "io",
                format!(
                    "cannot write {}: {}",
                    output.display(),
                    crate::safe_io::explain_io(&e)
                ),
            )
            .hint("check that the output folder exists and is writable")
        })?;
        compiled.timings.write = start.elapsed();
        let pages = compiled.doc.pages().len();
        Ok((compiled, pages))
    }
}

/// What changed on disk since the last rebuild.
#[derive(Debug, Default)]
pub struct Changes {
    /// Changed paths (deduplicated, sorted).
    pub paths: Vec<PathBuf>,
}

impl Changes {
    /// Whether anything below `dir` changed.
    pub fn touches(&self, dir: &Path) -> bool {
        self.paths.iter().any(|p| p.starts_with(dir))
    }
}

/// Watches the project folders recursively and reports batches of changes.
pub struct Watcher {
    // Kept alive: dropping it stops the events.
    _watcher: RecommendedWatcher,
    rx: Receiver<notify::Result<Event>>,
    ignored: Vec<PathBuf>,
}

impl Watcher {
    /// Quiet time that ends a batch: editors save in several steps
    /// (write temp, rename, chmod), and one rebuild should cover them all.
    const QUIET: Duration = Duration::from_millis(100);
    /// Longest batch, so a stream of events cannot starve rebuilds.
    const STARVE: Duration = Duration::from_millis(500);

    /// Watches `dirs` recursively; changes to `ignored` files (our own output) are ignored.
    pub fn new(dirs: &[PathBuf], ignored: Vec<PathBuf>) -> FolioResult<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let fail = |e: notify::Error| {
            Diag::error("watch", format!("cannot watch for file changes: {e}"))
                .hint("on Linux, raise fs.inotify.max_user_watches if the limit is reached")
        };
        let config = notify::Config::default().with_poll_interval(Duration::from_millis(300));
        let mut watcher = RecommendedWatcher::new(tx, config).map_err(fail)?;
        for dir in dirs {
            // Absolute, so event paths are too and compare with `ignored`.
            watcher
                .watch(&absolute(dir), RecursiveMode::Recursive)
                .map_err(fail)?;
        }
        let ignored = ignored.into_iter().map(|p| absolute(&p)).collect();
        Ok(Self {
            _watcher: watcher,
            rx,
            ignored,
        })
    }

    /// Blocks until something relevant changed, then returns the batch.
    pub fn wait(&mut self) -> FolioResult<Changes> {
        loop {
            if let Some(changes) = self.wait_timeout(Duration::from_secs(3600))? {
                return Ok(changes);
            }
        }
    }

    /// Like [`wait`](Self::wait), but gives up after `timeout` without a first event.
    pub fn wait_timeout(&mut self, timeout: Duration) -> FolioResult<Option<Changes>> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let first = match self.rx.recv_timeout(left) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => return Ok(None),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Diag::error("watch", "the file watcher stopped").into());
                }
            };
            let mut paths = Vec::new();
            self.collect(first, &mut paths)?;
            let batch = Instant::now();
            while batch.elapsed() < Self::STARVE {
                match self.rx.recv_timeout(Self::QUIET) {
                    Ok(event) => self.collect(event, &mut paths)?,
                    Err(_) => break,
                }
            }
            if !paths.is_empty() {
                paths.sort();
                paths.dedup();
                return Ok(Some(Changes { paths }));
            }
        }
    }

    fn collect(&self, event: notify::Result<Event>, out: &mut Vec<PathBuf>) -> FolioResult<()> {
        let event =
            event.map_err(|e| Diag::error("watch", format!("file watching failed: {e}")))?;
        if !relevant_kind(&event.kind) {
            return Ok(());
        }
        out.extend(
            event
                .paths
                .into_iter()
                .filter(|p| !self.ignored.iter().any(|i| i == p) && !is_noise(p)),
        );
        Ok(())
    }
}

/// Whether an event can change the output (reads and metadata cannot).
fn relevant_kind(kind: &EventKind) -> bool {
    use notify::event::ModifyKind;
    match kind {
        EventKind::Any | EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(m) => !matches!(m, ModifyKind::Metadata(_) | ModifyKind::Other),
        EventKind::Access(_) | EventKind::Other => false,
    }
}

/// Files no build reads: our own temporary files, the photo cache, editor
/// swap and backup files.
fn is_noise(path: &Path) -> bool {
    if path
        .components()
        .any(|c| c.as_os_str() == ".folio-cache" || c.as_os_str() == ".git")
    {
        return true;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".tmp")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
        || name.starts_with(".#")
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Runs `step` once, then again after every batch of changes, forever.
/// A font change makes the session rescan `fonts/` first.
pub fn watch_loop(
    session: &mut Session,
    watcher: &mut Watcher,
    mut step: impl FnMut(&mut Session),
) -> FolioResult<()> {
    let fonts = absolute(&session.config.root.join("fonts"));
    // Events name the path as watched; a symlinked fonts/ may also be reported resolved.
    let resolved = fonts.canonicalize().unwrap_or_else(|_| fonts.clone());
    loop {
        step(session);
        let changes = watcher.wait()?;
        if changes.touches(&fonts) || changes.touches(&resolved) {
            session.reload_fonts();
        }
    }
}

/// `HH:MM:SS` (local time is not available without the clock feature; UTC is
/// fine for telling rebuilds apart).
pub fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// Milliseconds, for the terminal.
pub fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
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
    let config = WatchConfig::from_args(args)?;
    let output = config.output.clone().expect("watch always has an output");
    let mut watcher = Watcher::new(&config.watched(), vec![output.clone()])?;
    eprintln!(
        "watching {} → {} (Ctrl+C to stop)",
        crate::diag::display_path(&absolute(&config.issue_dir)),
        crate::diag::display_path(&absolute(&output))
    );
    let mut session = Session::new(config);
    watch_loop(&mut session, &mut watcher, |session| {
        let decodes = session.cache().decodes();
        match session.build_pdf(&output) {
            Ok((compiled, pages)) => {
                report_warnings(&compiled.warnings);
                let t = compiled.timings;
                eprintln!(
                    "[{}] wrote {} ({pages} pages) in {} (load {}, typeset {}, check {}, pdf {}, write {}, {} photo(s) decoded)",
                    clock(),
                    crate::diag::display_path(&output),
                    ms(t.total()),
                    ms(t.load),
                    ms(t.typeset),
                    ms(t.check),
                    ms(t.export),
                    ms(t.write),
                    session.cache().decodes() - decodes,
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
    })?;
    Ok(std::process::ExitCode::SUCCESS)
}
