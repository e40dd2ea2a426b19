//! From an issue folder to a laid-out document: load the model, process the
//! photos, generate the template inputs, and compile in the sandboxed world.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst_layout::PagedDocument;

use crate::contract::vpath;
use crate::diag::{Diag, Failure, FolioResult, Severity};
use crate::model::{self, Issue, PhotoFacts};
use crate::photos::{self, PhotoCache};
use crate::project::Project;
use crate::world::{FolioWorld, Mounts};
use typst_kit::diagnostics::DiagnosticWorld;

/// Output profiles.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Press: bleed, trim and bleed boxes, full-resolution photos.
    Print,
    /// Screen: no bleed, smaller photos, bookmarks and links; PDF/UA-1.
    Screen,
    /// Archive: PDF/A-2b and PDF/UA-1.
    Archive,
}

impl Profile {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Print => "print",
            Profile::Screen => "screen",
            Profile::Archive => "archive",
        }
    }

    /// Whether the profile writes an accessible PDF (PDF/UA-1), so that
    /// every image needs a text alternative.
    pub fn is_accessible(self) -> bool {
        matches!(self, Profile::Screen | Profile::Archive)
    }
}

/// Everything needed to compile an issue.
pub struct Inputs {
    /// The resolved issue (with processed photo sizes).
    pub issue: Issue,
    /// The repo root (holding layouts/, fonts/, assets/).
    pub root: PathBuf,
    /// Mounted folders.
    pub mounts: Mounts,
    /// Generated files served under `/folio/`.
    pub files: HashMap<String, Bytes>,
}

/// Loads and validates the issue and builds the template inputs.
pub fn prepare(dirs: &Project, profile: Profile, cache: &PhotoCache) -> FolioResult<Inputs> {
    let issue = model::load(&dirs.issue)?;
    crate::budget::check_text_budget(&issue)?;
    let root = dirs.root.clone();
    let lib = dirs.layouts.join(&issue.layout).join("lib.typ");
    if !lib.is_file() {
        let mut available: Vec<String> = std::fs::read_dir(&dirs.layouts)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.path().join("lib.typ").is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        available.sort();
        return Err(issue
            .layout_origin
            .diag(
                Diag::error(
                    "layout",
                    format!("layout `{}` does not exist", issue.layout),
                )
                .label(format!(
                    "expected a folder layouts/{}/ with a lib.typ",
                    issue.layout
                ))
                .hint(format!("available layouts: {}", available.join(", "))),
            )
            .into());
    }
    // Profile settings and processed-photo facts make a new value: the
    // loaded model stays as the manifest gave it.
    let bleed = (profile == Profile::Screen).then_some(0.0);
    let (facts, files) = process_photos(&issue, cache, profile == Profile::Print)?;
    let issue = issue.for_profile(profile.name(), bleed).with_photos(&facts);
    let mounts = Mounts {
        issue: issue.dir.clone(),
        layouts: dirs.layouts.clone(),
        assets: dirs.assets.clone(),
    };
    let mut project = Inputs {
        issue,
        root,
        mounts,
        files,
    };
    project.refresh_inputs()?;
    project.set_fit(&crate::fit::FitPlan::initial(&project.issue));
    Ok(project)
}

/// Processes every photo of the issue (see [`photos::process`]): what became
/// of each file, and the virtual files to serve.
fn process_photos(
    issue: &Issue,
    cache: &PhotoCache,
    keep_cmyk: bool,
) -> FolioResult<(HashMap<PathBuf, PhotoFacts>, HashMap<String, Bytes>)> {
    let mut unique = BTreeMap::new();
    for p in issue.photos() {
        unique
            .entry(p.path.clone())
            .or_insert_with(|| p.origin.clone());
    }
    let done = photos::process(&unique, cache, keep_cmyk)?;
    let mut facts = HashMap::new();
    let mut files = HashMap::new();
    for (path, d) in done {
        let src = vpath::photo(&d.name);
        facts.insert(
            path,
            PhotoFacts {
                src: src.clone(),
                width: d.width,
                height: d.height,
            },
        );
        files.insert(src, Bytes::new(d.bytes));
    }
    Ok((facts, files))
}

impl Inputs {
    /// Regenerates `/folio/data.json` and `/folio/main.typ` from the model
    /// (after copyfitting changed it).
    pub fn refresh_inputs(&mut self) -> FolioResult<()> {
        let data = serde_json::to_vec_pretty(&self.issue)
            .map_err(|e| Diag::error("internal", format!("cannot serialise issue data: {e}")))?;
        self.files.insert(vpath::DATA.into(), Bytes::new(data));
        self.files.insert(
            vpath::MAIN.into(),
            Bytes::from_string(main_source(&self.issue)),
        );
        Ok(())
    }
}

impl Inputs {
    /// Serves a fit plan's files (`/folio/fit/…`) to the templates.
    pub fn set_fit(&mut self, plan: &crate::fit::FitPlan) {
        self.files.retain(|k, _| !k.starts_with(vpath::FIT));
        for (k, v) in plan.files() {
            self.files.insert(k, Bytes::new(v));
        }
    }
}

/// The generated entry file. Only validated values (layout name, date
/// numbers) appear in it; all user text reaches Typst through data.json.
pub fn main_source(issue: &Issue) -> String {
    let (y, m, d) = issue.date;
    format!(
        "// Generated by folio: the issue's data and its layout.\n\
         #let data = json(\"{data}\")\n\
         #set document(\n  title: data.issue.publication + \" — \" + data.issue.label,\n  author: data.issue.publisher,\n  date: datetime(year: {y}, month: {m}, day: {d}),\n)\n\
         #set text(lang: data.issue.language)\n\
         #import \"/layouts/{}/lib.typ\": issue\n\
         #issue(data)\n",
        issue.layout,
        data = vpath::DATA,
    )
}

/// A layout's introspection (where its elements ended up), to start the
/// next layout from (see [`compile_from`]).
pub type Introspection = std::sync::Arc<typst_layout::PagedIntrospector>;

/// [`compile`] starting from `start`, the introspection of an earlier layout
/// of nearly the same document (the previous fitting pass), instead of from
/// nothing; also returns the number of layout iterations.
///
/// Typst lays a document out again until every query (page numbers, running
/// heads, the locations `measure` resolves) answers as on the document it
/// produced. From nothing, that is always a second iteration in which the
/// answers changed everywhere. Started from the last pass, most answers hold:
/// the first iteration reuses more of the last pass's memoised layout, and a
/// second one, when needed, is cheap. The result passes Typst's own
/// convergence check; tests/determinism.rs compares a cold build, whose
/// passes are laid out this way, with a warm one laid out once by
/// [`compile`]. Errors, and a layout that does not settle, fall back to
/// [`compile`], so diagnostics stay Typst's own.
pub fn compile_from(
    world: &FolioWorld,
    start: Option<&Introspection>,
) -> FolioResult<(PagedDocument, Vec<Diag>, usize)> {
    use typst::World;
    use typst::comemo::{Constraint, Track};
    use typst::engine::{Engine, Route, Sink, Traced};
    use typst::foundations::{Output, StyleChain, Target, TargetElem};
    use typst::introspection::{EmptyIntrospector, Introspector, MAX_ITERS};
    let fallback = || compile(world).map(|(doc, warnings)| (doc, warnings, MAX_ITERS));
    let tracked = (world as &dyn World).track();
    let traced = Traced::default();
    let mut sink = Sink::new();
    let library = tracked.library();
    let target = TargetElem::target.set(Target::Paged).wrap();
    let styles = StyleChain::new(&library.styles);
    let styles = styles.chain(&target);
    let Ok(main) = tracked.source(tracked.main()) else {
        return fallback();
    };
    let route = Route::default();
    let evaluated = typst_eval::eval(
        tracked,
        library,
        traced.track(),
        sink.track_mut(),
        route.track(),
        &main,
    );
    let Ok(content) = evaluated.map(|module| module.content()) else {
        return fallback();
    };
    let mut last = start.cloned();
    let trace = std::env::var_os("FOLIO_TYPST_TRACE");
    if trace.is_some() {
        typst_timing::enable();
    }
    for iteration in 1..=MAX_ITERS {
        let begun = std::time::Instant::now();
        let constraint = Constraint::new();
        let mut subsink = Sink::new();
        let introspector: &dyn Introspector = match &last {
            Some(last) => last.as_ref(),
            None => &EmptyIntrospector,
        };
        let mut engine = Engine {
            library,
            world: tracked,
            introspector: typst::utils::Protected::new(introspector.track_with(&constraint)),
            traced: traced.track(),
            sink: subsink.track_mut(),
            route: Route::default(),
        };
        let Ok(document) = PagedDocument::create(&mut engine, &content, styles) else {
            return fallback();
        };
        let settled = constraint.validate(Output::introspector(&document));
        if let Some(dir) = &trace {
            write_trace(world, Path::new(dir), iteration);
        }
        if std::env::var_os("FOLIO_TIME").is_some() {
            let ms = begun.elapsed().as_secs_f64() * 1e3;
            eprintln!("  iteration {iteration}: {ms:.1} ms, settled: {settled}");
        }
        if settled {
            sink.extend_from_sink(subsink);
            if !sink.delayed().is_empty() {
                return fallback();
            }
            let warnings = sink
                .warnings()
                .iter()
                .map(|w| Diag::from_typst(world as &dyn DiagnosticWorld, w))
                .collect();
            return Ok((document, warnings, iteration));
        }
        last = Some(document.introspector().clone());
    }
    fallback()
}

/// Writes what Typst timed since the last call (`FOLIO_TYPST_TRACE=DIR`, a
/// developer's tool like `FOLIO_TIME`) as a Chrome trace, one file per
/// layout iteration (`NNN-iterK.json`), spans resolved to template lines.
/// Shows what a pass lays out again, e.g. measured content whose
/// introspection changed between iterations.
fn write_trace(world: &FolioWorld, dir: &Path, iteration: usize) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use typst::World;
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let Ok(file) = std::fs::File::create(dir.join(format!("{n:03}-iter{iteration}.json"))) else {
        return;
    };
    let _ = typst_timing::export_json(std::io::BufWriter::new(file), |raw| {
        let span = typst::syntax::Span::from_raw(raw);
        let Some(id) = span.id() else {
            return (String::new(), 0);
        };
        let Ok(source) = world.source(id) else {
            return (format!("{:?}", id.vpath()), 0);
        };
        let line = typst::WorldExt::range(world, span)
            .and_then(|r| source.lines().byte_to_line(r.start))
            .map_or(0, |l| l + 1);
        (format!("{:?}", id.vpath()), line as u32)
    });
}

/// Compiles the world; returns the document and the warnings.
pub fn compile(world: &FolioWorld) -> FolioResult<(PagedDocument, Vec<Diag>)> {
    let warned = typst::compile::<PagedDocument>(world);
    let warnings: Vec<Diag> = warned
        .warnings
        .iter()
        .map(|w| Diag::from_typst(world as &dyn DiagnosticWorld, w))
        .collect();
    match warned.output {
        Ok(doc) => Ok((doc, warnings)),
        Err(errors) => {
            let mut diags: Vec<Diag> = errors
                .iter()
                .map(|e| Diag::from_typst(world as &dyn DiagnosticWorld, e))
                .collect();
            diags.extend(
                warnings
                    .into_iter()
                    .filter(|w| w.severity == Severity::Warning),
            );
            Err(Failure(diags))
        }
    }
}
