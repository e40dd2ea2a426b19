//! `folio build`: issue folder → PDF.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::args::BuildArgs;
use crate::compile::{self, Profile};
use crate::contract::vpath;
use crate::diag::{Diag, FolioResult};
use crate::photos::PhotoCache;
use crate::world::{FolioWorld, load_fonts};
use std::collections::{BTreeMap, HashMap};

use typst::foundations::Bytes;
use typst_kit::fonts::FontStore;

/// Normalised settings for a build.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The issue folder.
    pub issue_dir: PathBuf,
    /// The project root (layouts/, fonts/, assets/), found when not given.
    pub root: Option<PathBuf>,
    /// Output file for each profile.
    pub outputs: Vec<(Profile, PathBuf)>,
    /// Also use system fonts.
    pub system_fonts: bool,
    /// Photo cache folder.
    pub cache_dir: Option<PathBuf>,
    /// Profile output options.
    pub options: OutputOptions,
}

impl BuildConfig {
    /// Normalises command-line arguments.
    pub fn from_args(args: &BuildArgs) -> FolioResult<Self> {
        let mut profiles = args.profile.clone();
        if profiles.is_empty() {
            profiles.push(Profile::Print);
        }
        profiles.sort();
        profiles.dedup();
        if args.output.is_some() && profiles.len() > 1 {
            return Err(Diag::error(
                "args",
                "-o names one file but several profiles were asked for",
            )
            .hint("leave out -o to get one file per profile in out/")
            .into());
        }
        let root = args
            .root
            .clone()
            .or_else(|| compile::find_root(&args.issue));
        let name = issue_name(&args.issue);
        let out_dir = root.as_deref().unwrap_or(Path::new(".")).join("out");
        let outputs = profiles
            .iter()
            .map(|&p| {
                let path = match &args.output {
                    Some(o) => o.clone(),
                    None => default_output(&out_dir, &name, p),
                };
                (p, path)
            })
            .collect::<Vec<(Profile, PathBuf)>>();
        for (_, path) in &outputs {
            crate::safe_io::check_output(path, &args.issue, args.root.as_deref(), "-o")?;
        }
        Ok(Self {
            issue_dir: args.issue.clone(),
            root: args.root.clone(),
            outputs,
            system_fonts: args.system_fonts,
            cache_dir: root.map(|r| r.join(".folio-cache").join("photos")),
            options: OutputOptions {
                marks: args.marks,
                cmyk_photos: args.cmyk_photos,
            },
        })
    }
}

/// `out/<issue>.pdf` for print, `out/<issue>-<profile>.pdf` otherwise.
pub fn default_output(out_dir: &Path, name: &str, profile: Profile) -> PathBuf {
    match profile {
        Profile::Print => out_dir.join(format!("{name}.pdf")),
        other => out_dir.join(format!("{name}-{}.pdf", other.name())),
    }
}

/// The issue folder's name, used for output files.
pub fn issue_name(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "issue".into())
}

/// What a successful build produced.
#[derive(Debug)]
pub struct BuildReport {
    /// Files written: profile, path, pages, bytes.
    pub written: Vec<(Profile, PathBuf, usize, usize)>,
    /// Typst warnings and preflight findings.
    pub warnings: Vec<Diag>,
    /// Layout passes fitting ran, per profile.
    pub passes: Vec<(Profile, usize)>,
}

/// One profile's finished document.
pub struct Rendered {
    /// The profile.
    pub profile: Profile,
    /// The compiled project (model and generated files, photos resampled).
    pub project: compile::Project,
    /// The laid-out document.
    pub document: typst_layout::PagedDocument,
    /// What is on each page.
    pub pages: Vec<crate::inspect::PageInfo>,
    /// Typst warnings and preflight findings (no errors).
    pub findings: Vec<Diag>,
    /// Ink coverage of every page (print profile; empty otherwise).
    pub ink: Vec<crate::ink::PageInk>,
    /// The PDF.
    pub pdf: Vec<u8>,
    /// What fitting decided.
    pub fit: FitSummary,
}

/// Options that shape a profile's output.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    /// Crop and registration marks (print).
    pub marks: bool,
    /// RGB photos converted to the press condition's CMYK (print).
    pub cmyk_photos: bool,
}

/// A profile's laid-out document, before preflight and export.
pub struct LaidOut {
    /// The compiled project (model and generated files, photos resampled).
    pub project: compile::Project,
    /// The laid-out document.
    pub document: typst_layout::PagedDocument,
    /// What is on each page.
    pub pages: Vec<crate::inspect::PageInfo>,
    /// Typst warnings.
    pub warnings: Vec<Diag>,
    /// What fitting decided.
    pub fit: FitSummary,
}

/// Lays one profile out exactly as it will be exported: compile, copyfit,
/// and right-size photos for the profile (laying out again if needed).
/// Shared by build, check and snapshot, so all three see the same pages.
/// With `cmyk_photos` (print), RGB JPEG photos are served converted to the
/// press condition's CMYK (see [`crate::ink::Separator::to_cmyk_jpeg`]).
pub fn lay_out_profile(
    issue_dir: &Path,
    root: Option<&Path>,
    profile: Profile,
    cache: &PhotoCache,
    fonts: FontStore,
    cmyk_photos: bool,
) -> FolioResult<(LaidOut, FontStore)> {
    let mut project = compile::prepare(issue_dir, root, profile, cache)?;
    let sep = match cmyk_photos && profile == Profile::Print {
        true => Some(crate::ink::Separator::new(&project.issue.print)?),
        false => None,
    };
    let sep = sep.as_ref();
    // Photos far above the resolution the profile needs are downsampled at
    // their placed size. Pixel sizes in data.json stay those of the
    // originals, so the layout does not move. The plan of the last run is
    // applied up front, so an unchanged issue is laid out once.
    let (max_ppi, target_ppi, quality) = resolution(profile);
    let originals: HashMap<String, Bytes> = project
        .files
        .iter()
        .filter(|(k, _)| vpath::is_photo(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let sizes: HashMap<String, (u32, u32)> = project
        .issue
        .photos()
        .into_iter()
        .map(|p| (p.src.clone(), (p.width, p.height)))
        .collect();
    let plan_path = cache.plan_path(&project.issue.dir, profile.name());
    let mut applied = cache.load_plan(plan_path.as_deref());
    applied.retain(|src, _| originals.contains_key(src));
    resample_into(
        &mut project.files,
        &originals,
        &applied,
        cache,
        quality,
        sep,
    )?;

    let mut world = FolioWorld::new(
        &project.mounts,
        fonts,
        project.files.clone(),
        project.issue.date,
        &project.root,
    );
    let fit_path = plan_path.as_deref().map(|p| p.with_extension("fit.json"));
    let (mut document, mut warnings, mut pages, fit) =
        lay_out_fitted(&mut world, &mut project, fit_path.as_deref(), None)?;
    let plan = crate::photos::resample_plan(&pages, &sizes, max_ppi, target_ppi);
    if plan != applied {
        // The first layout is replaced; drop it before decoding originals again.
        drop(pages);
        drop(document);
        resample_into(&mut project.files, &originals, &plan, cache, quality, sep)?;
        world.reset(project.files.clone(), project.issue.date);
        let (doc, warns) = compile::compile(&world)?;
        document = doc;
        warnings = warns;
        let index = crate::inspect::photo_index(&project.files);
        pages = crate::inspect::inspect(&document, &index);
    }
    cache.save_plan(plan_path.as_deref(), &plan);
    Ok((
        LaidOut {
            project,
            document,
            pages,
            warnings,
            fit,
        },
        world.into_fonts(),
    ))
}

/// Photo resolution of a profile: (downsample above this ppi, to this ppi, JPEG quality).
pub fn resolution(profile: Profile) -> (f64, f64, u8) {
    match profile {
        Profile::Print => (450.0, 300.0, 92),
        Profile::Screen | Profile::Archive => (180.0, 150.0, 82),
    }
}

/// Serves each photo downsampled to the size the plan gives it, and every
/// other photo as its original; with `convert`, RGB JPEGs as CMYK JPEGs.
fn resample_into(
    files: &mut HashMap<String, Bytes>,
    originals: &HashMap<String, Bytes>,
    plan: &BTreeMap<String, (u32, u32)>,
    cache: &PhotoCache,
    quality: u8,
    convert: Option<&crate::ink::Separator>,
) -> FolioResult<()> {
    // Photos are independent: resample them on all cores.
    use rayon::prelude::*;
    let resampled: Vec<(String, Vec<u8>)> = plan
        .par_iter()
        .filter_map(|(src, size)| {
            let original = originals.get(src)?;
            Some(
                crate::photos::resample(
                    cache,
                    original.as_slice(),
                    *size,
                    quality,
                    src.ends_with(".png"),
                )
                .map(|small| (src.clone(), small))
                .map_err(|e| Diag::error("photo", format!("cannot downsample {src}: {e}"))),
            )
        })
        .collect::<Result<_, _>>()?;
    for (src, original) in originals {
        files.insert(src.clone(), original.clone());
    }
    for (src, small) in resampled {
        files.insert(src, Bytes::new(small));
    }
    if let Some(sep) = convert {
        let jpegs: Vec<(String, Bytes)> = files
            .iter()
            .filter(|(k, v)| {
                vpath::is_photo(k)
                    && k.ends_with(".jpg")
                    && crate::photos::jpeg_components(v.as_slice()) == Some(3)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let converted: Vec<(String, Vec<u8>)> = jpegs
            .par_iter()
            .map(|(src, bytes)| {
                sep.to_cmyk_jpeg(bytes.as_slice(), quality)
                    .map(|c| (src.clone(), c))
                    .map_err(|e| format!("cannot convert {src} to CMYK: {e}"))
            })
            .collect::<Result<_, _>>()
            .map_err(|msg| Diag::error("photo", msg))?;
        for (src, cmyk) in converted {
            files.insert(src, Bytes::new(cmyk));
        }
    }
    Ok(())
}

/// A profile laid out and preflighted, before export.
pub struct Checked {
    /// The compiled project (model and generated files, photos resampled).
    pub project: compile::Project,
    /// The laid-out document.
    pub document: typst_layout::PagedDocument,
    /// What is on each page.
    pub pages: Vec<crate::inspect::PageInfo>,
    /// Typst warnings and preflight findings, errors included.
    pub findings: Vec<Diag>,
    /// Ink coverage of every page (print profile; empty otherwise).
    pub ink: Vec<crate::ink::PageInk>,
    /// What fitting decided.
    pub fit: FitSummary,
}

/// Lays one profile out (see [`lay_out_profile`]) and preflights it:
/// the layout checks, and for print the ink checks. Shared by build and
/// check; findings may include errors. `cmyk_photos`: see [`lay_out_profile`].
pub fn preflight(
    issue_dir: &Path,
    root: Option<&Path>,
    profile: Profile,
    cache: &PhotoCache,
    fonts: FontStore,
    cmyk_photos: bool,
) -> FolioResult<(Checked, FontStore)> {
    let (laid, fonts) = lay_out_profile(issue_dir, root, profile, cache, fonts, cmyk_photos)?;
    let LaidOut {
        project,
        document,
        pages,
        warnings,
        fit,
    } = laid;
    let mut findings = warnings;
    findings.extend(crate::preflight::check(
        &project.issue,
        &pages,
        profile,
        today(),
    ));
    // Ink: total area coverage through the press condition, and small text
    // on several plates (print only: the other profiles stay RGB).
    let ink = if profile == Profile::Print {
        let (ink, small) = crate::ink::measure_project(&project, &document)?;
        findings.extend(crate::ink::findings(&project.issue, &ink, &small));
        findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.page.cmp(&b.page)));
        ink
    } else {
        Vec::new()
    };
    Ok((
        Checked {
            project,
            document,
            pages,
            findings,
            ink,
            fit,
        },
        fonts,
    ))
}

/// Exports a preflighted profile: the PDF, and for print the page boxes,
/// marks and PDF/X-4. The fonts are lent to a world over the same files,
/// which resolves export errors (PDF/UA, PDF/A validation) to template lines.
pub fn export(
    checked: &Checked,
    profile: Profile,
    options: OutputOptions,
    fonts: FontStore,
) -> (FolioResult<Vec<u8>>, FontStore) {
    let project = &checked.project;
    let world = FolioWorld::new(
        &project.mounts,
        fonts,
        project.files.clone(),
        project.issue.date,
        &project.root,
    );
    let exported =
        crate::export::pdf_located(&checked.document, &project.issue, profile, Some(&world));
    let fonts = world.into_fonts();
    (
        exported.and_then(|pdf| print_boxes(pdf, &project.issue, profile, options)),
        fonts,
    )
}

/// The print profile's page boxes, marks and PDF/X-4.
fn print_boxes(
    mut pdf: Vec<u8>,
    issue: &crate::model::Issue,
    profile: Profile,
    options: OutputOptions,
) -> FolioResult<Vec<u8>> {
    if profile == Profile::Print {
        pdf = crate::export::print_boxes(
            &pdf,
            issue.page.bleed_mm,
            options.marks,
            Some(&issue.print),
        )?;
    }
    Ok(pdf)
}

/// Compiles one profile: lay out, preflight (see [`preflight`]), and
/// export. Writes nothing; preflight errors fail.
pub fn produce(
    issue_dir: &Path,
    root: Option<&Path>,
    profile: Profile,
    options: OutputOptions,
    cache: &PhotoCache,
    fonts: FontStore,
) -> FolioResult<(Rendered, FontStore)> {
    let (checked, fonts) = preflight(issue_dir, root, profile, cache, fonts, options.cmyk_photos)?;
    if checked
        .findings
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Error)
    {
        return Err(crate::diag::Failure(checked.findings));
    }
    let (pdf, fonts) = export(&checked, profile, options, fonts);
    let pdf = pdf?;
    let Checked {
        project,
        document,
        pages,
        findings,
        ink,
        fit,
    } = checked;
    Ok((
        Rendered {
            profile,
            project,
            document,
            pages,
            findings,
            ink,
            pdf,
            fit,
        },
        fonts,
    ))
}

/// Lays a project out through the fitting engine ([`crate::fit`]): a few
/// explicit passes, each a plain layout with the plan's fit parameters, and
/// returns the final one. Shared with `folio watch`, which passes the world
/// it keeps alive.
pub fn lay_out(
    world: &mut FolioWorld,
    project: &mut compile::Project,
) -> FolioResult<(
    typst_layout::PagedDocument,
    Vec<Diag>,
    Vec<crate::inspect::PageInfo>,
)> {
    let (doc, warnings, pages, _) = lay_out_fitted(world, project, None, None)?;
    Ok((doc, warnings, pages))
}

/// What fitting decided, for reports.
#[derive(Debug, Clone, Default)]
pub struct FitSummary {
    /// Layout passes run.
    pub passes: usize,
    /// The changes made, in order.
    pub decisions: Vec<crate::fit::Decision>,
    /// The plan of the final layout.
    pub plan: Option<crate::fit::FitPlan>,
}

/// [`lay_out`], also returning the fitting summary. With `fit_cache`, a
/// search's result is kept there under a key of every input that can move
/// the layout (data, layouts, assets, fonts), and reused when the key
/// matches, so an unchanged issue is laid out once.
pub fn lay_out_fitted(
    world: &mut FolioWorld,
    project: &mut compile::Project,
    fit_cache: Option<&Path>,
    hint: Option<crate::fit::FitPlan>,
) -> FolioResult<(
    typst_layout::PagedDocument,
    Vec<Diag>,
    Vec<crate::inspect::PageInfo>,
    FitSummary,
)> {
    let index = crate::inspect::photo_index(&project.files);
    let mut passes = Passes {
        world,
        project,
        index,
        last: None,
    };
    let issue = passes.project.issue.clone();
    let key = fit_cache.map(|_| fit_key(passes.project));
    let cached: Option<crate::fit::Fitted0> = fit_cache
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<(String, crate::fit::Fitted0)>(&b).ok())
        .filter(|(k, _)| Some(k) == key.as_ref())
        .map(|(_, f)| f);
    let prior = match (cached, hint) {
        (Some(f), _) => crate::fit::Prior::Exact(f),
        (None, Some(plan)) => crate::fit::Prior::Hint(plan),
        (None, None) => crate::fit::Prior::None,
    };
    let fitted = crate::fit::fit(&issue, prior, &mut passes)?;
    if let (Some(path), Some(key)) = (fit_cache, key) {
        let keep = crate::fit::Fitted0 {
            plan: fitted.plan.clone(),
            articles: fitted.plan.articles.clone(),
            decisions: fitted.decisions.clone(),
            passes: fitted.passes,
        };
        // best effort: the cache only saves time
        if let Ok(json) = serde_json::to_vec(&(key, keep)) {
            let _ = path.parent().map(std::fs::create_dir_all);
            let _ = crate::output::write_atomic(path, &json);
        }
    }
    // The document kept is that of the last pass: make sure it is the plan's.
    if passes.last.as_ref().map(|l| &l.0) != Some(&fitted.plan) {
        crate::fit::Layout::pass(&mut passes, &fitted.plan)?;
    }
    let Some((_, document, warnings)) = passes.last.take() else {
        return Err(Diag::error("internal", "fitting ran no layout pass").into());
    };
    let pages = fitted.pages;
    Ok((
        document,
        warnings,
        pages,
        FitSummary {
            passes: fitted.passes,
            decisions: fitted.decisions,
            plan: Some(fitted.plan),
        },
    ))
}

/// The fit cache's key: a digest of everything that can move the layout —
/// the template data, the layouts and assets (contents) and the fonts
/// (names and sizes) — and of this folio executable.
fn fit_key(project: &compile::Project) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    // a rebuilt folio may fit differently: the executable is part of the key
    if let Some(meta) = std::env::current_exe().ok().and_then(|p| p.metadata().ok()) {
        h.update(meta.len().to_le_bytes());
        if let Ok(t) = meta.modified()
            && let Ok(d) = t.duration_since(std::time::UNIX_EPOCH)
        {
            h.update(d.as_nanos().to_le_bytes());
        }
    }
    for name in [vpath::DATA, vpath::MAIN] {
        if let Some(b) = project.files.get(name) {
            h.update(name);
            h.update(b.as_slice());
        }
    }
    let mut files = Vec::new();
    for (dir, contents) in [("layouts", true), ("assets", true), ("fonts", false)] {
        collect_files(&project.root.join(dir), &mut files, contents);
    }
    files.sort();
    for (path, len, digest) in files {
        h.update(path.to_string_lossy().as_bytes());
        h.update(len.to_le_bytes());
        h.update(digest);
    }
    format!("{:x}", h.finalize())
}

/// Every file under `dir`: path, length and (with `contents`) a digest.
fn collect_files(dir: &Path, out: &mut Vec<(PathBuf, u64, Vec<u8>)>, contents: bool) {
    use sha2::{Digest, Sha256};
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            collect_files(&path, out, contents);
        } else if meta.is_file() {
            let digest = if contents {
                std::fs::read(&path)
                    .map(|b| Sha256::digest(&b).to_vec())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            out.push((path, meta.len(), digest));
        }
    }
}

/// Runs layout passes for the fitting engine in one world.
struct Passes<'a> {
    world: &'a mut FolioWorld,
    project: &'a mut compile::Project,
    index: crate::inspect::PhotoIndex,
    /// The last pass: its plan, document and warnings.
    last: Option<(crate::fit::FitPlan, typst_layout::PagedDocument, Vec<Diag>)>,
}

impl crate::fit::Layout for Passes<'_> {
    fn pass(&mut self, plan: &crate::fit::FitPlan) -> FolioResult<Vec<crate::inspect::PageInfo>> {
        self.project.set_fit(plan);
        self.world
            .reset(self.project.files.clone(), self.project.issue.date);
        // the previous document is replaced: free it before laying out again
        self.last = None;
        let (document, warnings) = compile::compile(self.world)?;
        crate::limits::check_pages(document.pages().len(), &self.project.issue)?;
        let pages = crate::inspect::inspect(&document, &self.index);
        self.last = Some((plan.clone(), document, warnings));
        Ok(pages)
    }
}

/// Today's date from the clock, for rights-expiry checks only (never in output).
pub fn today() -> (i32, u8, u8) {
    use chrono::Datelike;
    let now = chrono::Utc::now().date_naive();
    (now.year(), now.month() as u8, now.day() as u8)
}

/// Builds the PDFs. Nothing is written unless every profile succeeded.
pub fn build(config: &BuildConfig) -> FolioResult<BuildReport> {
    let cache = PhotoCache::new(config.cache_dir.clone());
    let mut fonts = None;
    let mut rendered = Vec::new();
    let mut warnings = Vec::new();
    for (profile, path) in &config.outputs {
        let store = match fonts.take() {
            Some(f) => f,
            None => load_fonts(&font_dir(config), config.system_fonts),
        };
        let (r, store) = produce(
            &config.issue_dir,
            config.root.as_deref(),
            *profile,
            config.options,
            &cache,
            store,
        )?;
        fonts = Some(store);
        for f in &r.findings {
            if !warnings.iter().any(|w: &Diag| w.message == f.message) {
                warnings.push(f.clone());
            }
        }
        rendered.push((path.clone(), r));
    }
    let mut written = Vec::new();
    let passes = rendered
        .iter()
        .map(|(_, r)| (r.profile, r.fit.passes))
        .collect();
    for (path, r) in rendered {
        crate::output::write_atomic(&path, &r.pdf).map_err(|e| {
            Diag::error(
                "io",
                format!(
                    "cannot write {}: {}",
                    path.display(),
                    crate::safe_io::explain_io(&e)
                ),
            )
            .hint("check that the output folder exists and is writable")
        })?;
        written.push((r.profile, path, r.document.pages().len(), r.pdf.len()));
    }
    Ok(BuildReport {
        written,
        warnings,
        passes,
    })
}

/// The fonts folder of the project.
pub fn font_dir(config: &BuildConfig) -> PathBuf {
    config
        .root
        .clone()
        .or_else(|| compile::find_root(&config.issue_dir))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("fonts")
}

/// Entry point of `folio build`: builds and reports to the terminal.
pub fn run(args: &BuildArgs) -> FolioResult<std::process::ExitCode> {
    let start = Instant::now();
    let config = BuildConfig::from_args(args)?;
    let report = build(&config)?;
    crate::diag::emit_stderr(&report.warnings);
    for (profile, path, pages, size) in &report.written {
        eprintln!(
            "wrote {} ({} profile, {pages} pages, {:.1} MB)",
            crate::diag::display_path(path),
            profile.name(),
            *size as f64 / 1e6
        );
    }
    let passes: Vec<String> = report
        .passes
        .iter()
        .map(|(p, n)| format!("{n} ({})", p.name()))
        .collect();
    eprintln!(
        "done in {:.2} s; fitting passes: {}",
        start.elapsed().as_secs_f64(),
        passes.join(", ")
    );
    Ok(std::process::ExitCode::SUCCESS)
}
