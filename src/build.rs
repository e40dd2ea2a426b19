//! `folio build`: issue folder → PDF.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::args::BuildArgs;
use crate::compile::{self, Profile};
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
            .collect();
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
        .filter(|(k, _)| k.starts_with("/folio/photos/"))
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
    let (mut document, mut warnings, mut pages) = lay_out(&mut world, &mut project)?;
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
        },
        world.into_fonts(),
    ))
}

/// Photo resolution of a profile: (downsample above this ppi, to this ppi, JPEG quality).
pub fn resolution(profile: Profile) -> (f64, f64, u8) {
    match profile {
        Profile::Print => (450.0, 300.0, 92),
        Profile::Screen | Profile::Archive => (225.0, 150.0, 82),
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
                k.starts_with("/folio/photos/")
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
        },
        fonts,
    ))
}

/// Exports a preflighted profile: the PDF, and for print the page boxes,
/// marks and PDF/X-4.
pub fn export(checked: &Checked, profile: Profile, options: OutputOptions) -> FolioResult<Vec<u8>> {
    let issue = &checked.project.issue;
    let mut pdf = crate::export::pdf(&checked.document, issue, profile)?;
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
    let pdf = export(&checked, profile, options)?;
    let Checked {
        project,
        document,
        pages,
        findings,
        ink,
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
        },
        fonts,
    ))
}

/// Compiles a project in a world that already serves its files, then
/// copyfits (pulls short tails back by shrinking lead photos, a few rounds at
/// most). Shared with `folio watch`, which passes the world it keeps alive.
pub fn lay_out(
    world: &mut FolioWorld,
    project: &mut compile::Project,
) -> FolioResult<(
    typst_layout::PagedDocument,
    Vec<Diag>,
    Vec<crate::inspect::PageInfo>,
)> {
    let (mut document, mut warnings) = compile::compile(world)?;
    let index = crate::inspect::photo_index(&project.files);
    let mut pages = crate::inspect::inspect(&document, &index);
    for _ in 0..3 {
        let plan = crate::copyfit::plan(&project.issue, &pages);
        if !crate::copyfit::apply(&mut project.issue, &plan) {
            break;
        }
        project.refresh_inputs()?;
        world.reset(project.files.clone(), project.issue.date);
        let (doc, warns) = compile::compile(world)?;
        document = doc;
        warnings = warns;
        pages = crate::inspect::inspect(&document, &index);
    }
    Ok((document, warnings, pages))
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
    for (path, r) in rendered {
        crate::output::write_atomic(&path, &r.pdf).map_err(|e| {
            Diag::error("io", format!("cannot write {}: {e}", path.display()))
                .hint("check that the output folder exists and is writable")
        })?;
        written.push((r.profile, path, r.document.pages().len(), r.pdf.len()));
    }
    Ok(BuildReport { written, warnings })
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
    eprintln!("done in {:.2} s", start.elapsed().as_secs_f64());
    Ok(std::process::ExitCode::SUCCESS)
}
