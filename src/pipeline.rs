//! The one way an issue is laid out: (project, issue, profile) → a laid-out
//! document and its artefacts. Photo processing, the fitting passes
//! ([`crate::fit`]), the resample plan, the final layout, preflight and the
//! prepress post-processing all happen here; every command that lays out an
//! issue (build, check, snapshot, diff, watch, serve, eject) calls it.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::compile::{self, Profile};
use crate::diag::{Diag, FolioResult};
use crate::photos::{PhotoCache, Reduced};
use crate::project::Project;
use crate::world::FolioWorld;

use typst::foundations::Bytes;
use typst::visualize::RasterImage;
use typst_kit::fonts::FontStore;

/// One profile's finished document.
pub struct Rendered {
    /// The profile.
    pub profile: Profile,
    /// The compiled project (model and generated files, photos resampled).
    pub project: compile::Inputs,
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
    pub project: compile::Inputs,
    /// The laid-out document.
    pub document: typst_layout::PagedDocument,
    /// What is on each page.
    pub pages: Vec<crate::inspect::PageInfo>,
    /// Typst warnings.
    pub warnings: Vec<Diag>,
    /// What fitting decided.
    pub fit: FitSummary,
}

/// What successive layouts of one issue keep between runs (`folio watch`
/// and `folio serve`): the world, so Typst reuses its parsed sources and
/// memoised layout; the photo files handed to Typst, so an unchanged photo
/// is the very same `Bytes` next time and Typst finds its decoded image
/// without hashing megabytes again; the downsampled photos; and the last
/// fit plan. A fresh `Warm` lays out exactly as a cold build.
#[derive(Default)]
pub struct Warm {
    world: Option<FolioWorld>,
    photos: HashMap<String, Bytes>,
    small: HashMap<(String, (u32, u32)), Bytes>,
    /// The last layout's fit plan: tried first next time, and kept while one
    /// pass shows it still meets every fitting goal, so the pages do not
    /// jump while a designer types.
    fit: Option<crate::fit::FitPlan>,
    /// The last layout's introspection: the next layout starts from it
    /// ([`compile::compile_from`]), so a small edit settles in one iteration.
    introspection: Option<compile::Introspection>,
    /// Nothing is laid out again after this layout (`folio build`, `check`):
    /// Typst's memoised layouts can go once the fitting passes are done.
    once: bool,
}

impl Warm {
    /// The world of the last layout, if any.
    pub fn world(&self) -> Option<&FolioWorld> {
        self.world.as_ref()
    }

    /// Forgets the world (and with it the fonts): the next layout loads them again.
    pub fn forget_world(&mut self) {
        self.world = None;
    }
}

/// Lays one profile out exactly as it will be exported: compile, copyfit,
/// and right-size photos for the profile (laying out again if needed).
/// Shared by every command, so all see the same pages.
/// With `cmyk_photos` (print), RGB JPEG photos are served converted to the
/// press condition's CMYK (see [`crate::ink::Separator::to_cmyk_jpeg`]).
pub fn lay_out_profile(
    dirs: &Project,
    profile: Profile,
    cache: &PhotoCache,
    fonts: FontStore,
    cmyk_photos: bool,
) -> FolioResult<(LaidOut, FontStore)> {
    let mut warm = Warm {
        once: true,
        ..Warm::default()
    };
    let mut fonts = Some(fonts);
    let laid = lay_out_warm(dirs, profile, cache, cmyk_photos, &mut warm, || {
        fonts.take().unwrap_or_default()
    });
    let fonts = match warm.world {
        Some(world) => world.into_fonts(),
        None => fonts.unwrap_or_default(),
    };
    Ok((laid?, fonts))
}

/// [`lay_out_profile`] keeping state between runs in `warm`; `fonts` is
/// called when there is no world yet.
pub fn lay_out_warm(
    dirs: &Project,
    profile: Profile,
    cache: &PhotoCache,
    cmyk_photos: bool,
    warm: &mut Warm,
    fonts: impl FnOnce() -> FontStore,
) -> FolioResult<LaidOut> {
    let project = phase("prepare", || compile::prepare(dirs, profile, cache))?;
    lay_out_inputs(project, profile, cache, cmyk_photos, warm, fonts)
}

/// [`lay_out_warm`] from inputs already prepared ([`compile::prepare`]).
pub fn lay_out_inputs(
    mut project: compile::Inputs,
    profile: Profile,
    cache: &PhotoCache,
    cmyk_photos: bool,
    warm: &mut Warm,
    fonts: impl FnOnce() -> FontStore,
) -> FolioResult<LaidOut> {
    let sep = match cmyk_photos && profile == Profile::Print {
        true => Some(crate::ink::Separator::new(&project.issue.print)?),
        false => None,
    };
    let sep = sep.as_ref();
    reuse_photos(&mut project, warm);
    // Photos far above the resolution the profile needs are downsampled at
    // their placed size. Pixel sizes in data.json stay those of the
    // originals, so the layout does not move. The plan of the last run is
    // applied up front, so an unchanged issue is laid out once.
    let (max_ppi, target_ppi, quality) = resolution(profile);
    let originals = warm.photos.clone();
    let sizes: HashMap<String, (u32, u32)> = project
        .issue
        .photos()
        .into_iter()
        .map(|p| (p.src.clone(), (p.width, p.height)))
        .collect();
    let plan_path = cache.plan_path(&project.issue.dir, profile.name());
    let mut applied = cache.load_plan(plan_path.as_deref());
    applied.retain(|src, _| originals.contains_key(src));
    let mut small = std::mem::take(&mut warm.small);
    let resampled = Resampled {
        originals: &originals,
        cache,
        quality,
        convert: sep,
    };
    phase("serve", || {
        resampled.serve(&mut project.files, &applied, &mut small, &HashMap::new())
    })?;
    let mut prefetch = Prefetch::start(
        &resampled,
        &sizes,
        &applied,
        &project.issue,
        (max_ppi, target_ppi),
    );
    // The pixel size each photo is served at (what a layout proxy stands for).
    let mut served = sizes.clone();
    served.extend(applied.iter().map(|(src, size)| (src.clone(), *size)));

    let world = warm_world(&mut warm.world, &project, fonts);
    let fit_path = plan_path.as_deref().map(|p| p.with_extension("fit.json"));
    // A warm run reads the fit cache but never writes it: its plan may come
    // from the last run's hint, and a later cold build must not depend on
    // that history.
    let fit_cache = FitCache {
        path: fit_path.as_deref(),
        save: warm.fit.is_none(),
    };
    let (mut document, mut warnings, mut pages, fit, proxies) = phase("fitted", || {
        let prior = (warm.fit.take(), warm.introspection.take());
        let mut ahead = |pages: &[crate::inspect::PageInfo]| {
            let plan = crate::photos::resample_plan(pages, &sizes, max_ppi, target_ppi);
            prefetch.speculate(plan);
        };
        lay_out_fitted(world, &mut project, fit_cache, prior, &served, &mut ahead)
    })?;
    warm.fit = fit.plan.clone();
    let plan = crate::photos::resample_plan(&pages, &sizes, max_ppi, target_ppi);
    if let Some(proxies) = proxies {
        // Laid out on proxies: the photos take their places, and the
        // passes' memoised layouts are needed no more (the peak memory of
        // a build was resampling while they were held).
        if warm.once {
            typst::comemo::evict(0);
            release_free_memory();
        }
        prefetch.resample(&resampled, &mut project.files, &plan, &mut small)?;
        phase("final layout", || -> FolioResult<()> {
            let decoded = decode_photos(&project)?;
            world.reset(project.files.clone(), project.issue.date);
            match unproxy(&document, &proxies, &decoded) {
                Some(doc) => document = doc,
                None => (document, warnings) = compile::compile(world)?,
            }
            drop(decoded);
            let index = crate::inspect::photo_index(&project.files);
            pages = crate::inspect::inspect(&document, &index);
            Ok(())
        })?;
    } else if plan != applied {
        // The first layout is replaced: drop it before decoding originals again.
        drop(pages);
        drop(document);
        prefetch.resample(&resampled, &mut project.files, &plan, &mut small)?;
        let (doc, warns) = phase("final layout", || {
            decode_photos(&project)?;
            world.reset(project.files.clone(), project.issue.date);
            compile::compile(world)
        })?;
        document = doc;
        warnings = warns;
        let index = crate::inspect::photo_index(&project.files);
        pages = crate::inspect::inspect(&document, &index);
    }
    if !warm.once {
        warm.introspection = Some(document.introspector().clone());
    }
    // Keep only the downsampled photos this plan uses.
    small.retain(|(src, size), _| plan.get(src) == Some(size));
    warm.small = small;
    cache.save_plan(plan_path.as_deref(), &plan);
    Ok(LaidOut {
        project,
        document,
        pages,
        warnings,
        fit,
    })
}

/// Serves the photos a warm state already holds (names carry the content
/// hash: same name, same bytes, so Typst's decoded images are reused) and
/// keeps this run's photos for the next.
fn reuse_photos(project: &mut compile::Inputs, warm: &mut Warm) {
    let mut photos = HashMap::new();
    for (name, bytes) in project.files.iter_mut() {
        if crate::contract::vpath::is_photo(name) {
            if let Some(old) = warm.photos.get(name) {
                *bytes = old.clone();
            }
            photos.insert(name.clone(), bytes.clone());
        }
    }
    warm.photos = photos;
}

/// The warm state's world, given this run's files; made on first use.
fn warm_world<'a>(
    world: &'a mut Option<FolioWorld>,
    project: &compile::Inputs,
    fonts: impl FnOnce() -> FontStore,
) -> &'a mut FolioWorld {
    match world {
        Some(world) => {
            world.reset(project.files.clone(), project.issue.date);
            world
        }
        None => world.insert(FolioWorld::new(
            &project.mounts,
            fonts(),
            project.files.clone(),
            project.issue.date,
            &project.root,
        )),
    }
}

/// Photo resolution of a profile: (downsample above this ppi, to this ppi, JPEG quality).
pub fn resolution(profile: Profile) -> (f64, f64, u8) {
    match profile {
        Profile::Print => (450.0, 300.0, 92),
        Profile::Screen | Profile::Archive => (180.0, 150.0, 82),
    }
}

/// How photos are served for a resample plan.
struct Resampled<'a> {
    /// The photo files as processed, by virtual path.
    originals: &'a HashMap<String, Bytes>,
    cache: &'a PhotoCache,
    quality: u8,
    /// Convert RGB JPEGs to the press condition's CMYK.
    convert: Option<&'a crate::ink::Separator>,
}

/// Heaps (arenas) glibc's allocator keeps at most. Each thread that meets
/// a locked heap gets a heap of its own, and memory freed in one is never
/// reused by another: with the rayon pool, the prefetch thread and the
/// main thread, a build's peak grew by ~15 MB of such stranded pages.
/// Two heaps cost no measurable time on two cores.
const MALLOC_ARENAS: i32 = 2;

/// Limits the allocator's heaps ([`MALLOC_ARENAS`]); called before a
/// build starts its threads.
pub fn limit_heaps() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

/// Gives the heap's free pages back to the system (glibc keeps them
/// otherwise, and the peak memory of a build counts them).
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused heap pages to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Photos decoded in the background at a reduced scale while the fitting
/// passes run (they keep one core of two busy at most): the resample after
/// fitting starts from them. Only photos that every placement on a page
/// downsamples are decoded, each at the scale its largest such placement
/// needs ([`Reduced`]); one placed smaller, or across a spread, is decoded
/// again at its own scale, so the result never depends on this.
///
/// Then, while the passes go on, it resamples those photos as each pass's
/// resample plan sizes them ([`Prefetch::speculate`]) at a low priority: the last
/// passes rarely move a photo, so the resample after fitting mostly finds
/// its photos done. The bytes are those [`crate::photos::resample`] gives
/// for the same photo and size, so the output does not depend on this.
struct Prefetch {
    worker: Option<std::thread::JoinHandle<Prefetched>>,
    /// Resample plans for the worker (closed when fitting ends).
    plans: Option<std::sync::mpsc::Sender<BTreeMap<String, (u32, u32)>>>,
    /// Tells the worker to stop after the photo it is resampling.
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The last plan sent.
    sent: BTreeMap<String, (u32, u32)>,
}

/// What the prefetch worker made: photos decoded at a reduced scale, and
/// photos resampled ahead (by path and size).
#[derive(Default)]
struct Prefetched {
    reduced: HashMap<String, Reduced>,
    resampled: HashMap<(String, (u32, u32)), Bytes>,
}

/// How the prefetch worker resamples (see [`Resampled`]).
struct Ahead {
    /// The photos it decodes, as served (the only ones it resamples).
    originals: HashMap<String, Bytes>,
    cache: PhotoCache,
    quality: u8,
}

/// Decoded pixels a prefetch holds at most: they are held through the
/// fitting passes, whose peak is the build's.
const PREFETCH_BYTES: u64 = 48 << 20;

impl Prefetch {
    /// Starts decoding the photos of `sizes` (virtual path → pixel size)
    /// that are downsampled wherever they go on a page of `issue` (above
    /// `max_ppi` at a page's size, bleed included) and not in `served`
    /// (downsampled already), for `target_ppi`.
    fn start(
        resampled: &Resampled<'_>,
        sizes: &HashMap<String, (u32, u32)>,
        served: &BTreeMap<String, (u32, u32)>,
        issue: &crate::model::Issue,
        (max_ppi, target_ppi): (f64, f64),
    ) -> Self {
        let originals = resampled.originals;
        let p = &issue.page;
        let page = (
            (p.width_mm + 2.0 * p.bleed_mm) / 25.4,
            (p.height_mm + 2.0 * p.bleed_mm) / 25.4,
        );
        let mut names: Vec<&String> = sizes.keys().collect();
        names.sort();
        let mut budget = PREFETCH_BYTES;
        let mut todo = Vec::new();
        for src in names {
            let Some(bytes) = originals.get(src) else {
                continue;
            };
            let (w, h) = sizes[src];
            // inches a pixel at the largest placement of the photo's aspect
            let k = (page.0 / f64::from(w)).min(page.1 / f64::from(h));
            if served.contains_key(src) || src.ends_with(".png") || 1.0 / k <= max_ppi {
                continue;
            }
            let bound = (
                (f64::from(w) * k * target_ppi).ceil() as u32,
                (f64::from(h) * k * target_ppi).ceil() as u32,
            );
            let (rw, rh) = Reduced::size_for((w, h), bound);
            let Some(rest) = budget.checked_sub(u64::from(rw) * u64::from(rh) * 3) else {
                continue;
            };
            budget = rest;
            todo.push((src.clone(), bytes.clone(), bound));
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        if todo.is_empty() {
            // nothing decoded, so nothing to resample ahead either
            return Self {
                worker: None,
                plans: None,
                stop,
                sent: BTreeMap::new(),
            };
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let ahead = Ahead {
            originals: todo
                .iter()
                .map(|(src, bytes, _)| (src.clone(), bytes.clone()))
                .collect(),
            cache: resampled.cache.same_folder(),
            quality: resampled.quality,
        };
        let halt = stop.clone();
        let work = move || {
            lower_priority();
            let reduced = todo
                .into_iter()
                .filter_map(|(src, bytes, bound)| {
                    Some((src, Reduced::decode(bytes.as_slice(), bound)?))
                })
                .collect();
            let mut done = Prefetched {
                reduced,
                resampled: HashMap::new(),
            };
            ahead.resample(&rx, &halt, &mut done);
            done
        };
        let worker = std::thread::Builder::new()
            .name("prefetch".into())
            .spawn(work)
            .ok();
        Self {
            plans: worker.is_some().then_some(tx),
            worker,
            stop,
            sent: BTreeMap::new(),
        }
    }

    /// Hands the worker a pass's resample plan (when it changed).
    fn speculate(&mut self, plan: BTreeMap<String, (u32, u32)>) {
        if plan != self.sent
            && let Some(tx) = &self.plans
        {
            let _ = tx.send(plan.clone());
            self.sent = plan;
        }
    }

    /// What the worker made (it stops after the photo it is resampling).
    fn finish(mut self) -> Prefetched {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.plans = None;
        self.worker
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }

    /// The "resample" phase: serves the photos of `plan` downsampled
    /// (see [`Resampled::serve`]), from the decoded photos where they fit.
    fn resample(
        self,
        resampled: &Resampled<'_>,
        files: &mut HashMap<String, Bytes>,
        plan: &BTreeMap<String, (u32, u32)>,
        small: &mut HashMap<(String, (u32, u32)), Bytes>,
    ) -> FolioResult<()> {
        phase("resample", || {
            let done = self.finish();
            if std::env::var_os("FOLIO_TIME").is_some() {
                let ahead = plan
                    .iter()
                    .filter(|(src, size)| done.resampled.contains_key(&((*src).clone(), **size)))
                    .count();
                eprintln!("  {ahead} of {} photos resampled ahead", plan.len());
            }
            small.extend(done.resampled);
            resampled.serve(files, plan, small, &done.reduced)
        })?;
        // The prefetch thread's heap is freed, but only trimming gives it back.
        release_free_memory();
        Ok(())
    }
}

impl Ahead {
    /// Resamples the photos of each plan received (the latest when several
    /// wait) that are not done yet, until the plans end or `stop` is set.
    fn resample(
        &self,
        plans: &std::sync::mpsc::Receiver<BTreeMap<String, (u32, u32)>>,
        stop: &std::sync::atomic::AtomicBool,
        done: &mut Prefetched,
    ) {
        use std::sync::atomic::Ordering;
        while let Ok(mut plan) = plans.recv() {
            while let Ok(later) = plans.try_recv() {
                plan = later;
            }
            for (src, size) in plan {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                if done.resampled.contains_key(&(src.clone(), size)) {
                    continue;
                }
                // Only from the photos decoded already: decoding an
                // original here would add its pixels to the passes' peak.
                let pre = done.reduced.get(&src).filter(|r| r.fits(size));
                let (Some(original), Some(pre)) = (self.originals.get(&src), pre) else {
                    continue;
                };
                let made = crate::photos::resample(
                    &self.cache,
                    original.as_slice(),
                    size,
                    self.quality,
                    false,
                    Some(pre),
                );
                // A failure is reported by the resample after fitting.
                if let Ok(bytes) = made {
                    done.resampled.insert((src, size), Bytes::new(bytes));
                }
            }
        }
    }
}

/// Lowers the calling thread's scheduling priority (Linux: a thread is a
/// task of its own), so work done ahead takes the core the layout leaves
/// idle rather than slowing it down.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority only read their arguments.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// Downsampled photos: virtual path, pixel size, bytes.
type Downsampled = Vec<(String, (u32, u32), Bytes)>;

impl Resampled<'_> {
    /// The photos of `plan` downsampled, on all cores (`small`: those
    /// downsampled before, by path and size).
    fn downsample(
        &self,
        plan: &BTreeMap<String, (u32, u32)>,
        small: &HashMap<(String, (u32, u32)), Bytes>,
        pre: &HashMap<String, Reduced>,
    ) -> FolioResult<Downsampled> {
        use rayon::prelude::*;
        let (cache, quality) = (self.cache, self.quality);
        plan.par_iter()
            .filter_map(|(src, size)| {
                let original = self.originals.get(src)?;
                if let Some(b) = small.get(&(src.clone(), *size)) {
                    return Some(Ok((src.clone(), *size, b.clone())));
                }
                Some(
                    crate::photos::resample(
                        cache,
                        original.as_slice(),
                        *size,
                        quality,
                        src.ends_with(".png"),
                        pre.get(src),
                    )
                    .map(|b| (src.clone(), *size, Bytes::new(b)))
                    .map_err(|e| Diag::error("photo", format!("cannot downsample {src}: {e}"))),
                )
            })
            .collect::<Result<_, Diag>>()
            .map_err(Into::into)
    }

    /// Serves each photo downsampled to the size the plan gives it, and
    /// every other photo as its original; with `convert`, RGB JPEGs as CMYK
    /// JPEGs. `small` keeps downsampled photos by path and size, so a warm
    /// run serves the same `Bytes` again; `pre`: photos decoded at a
    /// reduced scale already ([`Prefetch`]).
    fn serve(
        &self,
        files: &mut HashMap<String, Bytes>,
        plan: &BTreeMap<String, (u32, u32)>,
        small: &mut HashMap<(String, (u32, u32)), Bytes>,
        pre: &HashMap<String, Reduced>,
    ) -> FolioResult<()> {
        use rayon::prelude::*;
        let resampled = self.downsample(plan, small, pre)?;
        for (src, original) in self.originals {
            files.insert(src.clone(), original.clone());
        }
        for (src, size, bytes) in resampled {
            small.insert((src.clone(), size), bytes.clone());
            files.insert(src, bytes);
        }
        let quality = self.quality;
        if let Some(sep) = self.convert {
            let jpegs: Vec<(String, Bytes)> = files
                .iter()
                .filter(|(k, v)| {
                    crate::contract::vpath::is_photo(k)
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
}

/// A profile laid out and preflighted, before export.
pub struct Checked {
    /// The compiled project (model and generated files, photos resampled).
    pub project: compile::Inputs,
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
    dirs: &Project,
    profile: Profile,
    cache: &PhotoCache,
    fonts: FontStore,
    cmyk_photos: bool,
) -> FolioResult<(Checked, FontStore)> {
    let (laid, fonts) = lay_out_profile(dirs, profile, cache, fonts, cmyk_photos)?;
    let LaidOut {
        project,
        document,
        pages,
        warnings,
        fit,
    } = laid;
    let mut findings = warnings;
    findings.extend(phase("preflight", || {
        crate::preflight::check(&project.issue, &pages, profile, today())
    }));
    // Ink: total area coverage through the press condition, and small text
    // on several plates (print only: the other profiles stay RGB).
    let ink = if profile == Profile::Print {
        // Kept beside the issue's resample plan, so a warm build measures
        // only the pages that changed.
        let kept = cache
            .plan_path(&project.issue.dir, profile.name())
            .map(|p| p.with_extension("ink"));
        let (ink, small) = phase("ink", || {
            crate::ink::measure_project(&project, &document, kept.as_deref())
        })?;
        // The ink rasters were drawn on the pool's threads, whose heaps the
        // export on this thread cannot reuse: give them back first.
        release_free_memory();
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
    let exported = finish(
        &checked.document,
        &project.issue,
        profile,
        options,
        Some(&world),
    );
    (exported, world.into_fonts())
}

/// The PDF of a laid-out document with the prepress post-processing: for
/// print, the page boxes, marks and PDF/X-4. With `world`, export errors
/// (PDF/UA, PDF/A validation) are resolved to template lines.
pub fn finish(
    document: &typst_layout::PagedDocument,
    issue: &crate::model::Issue,
    profile: Profile,
    options: OutputOptions,
    world: Option<&FolioWorld>,
) -> FolioResult<Vec<u8>> {
    let located = world.map(|w| w as &dyn typst_kit::diagnostics::DiagnosticWorld);
    let mut pdf = phase("pdf", || {
        crate::export::pdf_located(document, issue, profile, located)
    })?;
    crate::export::drop_false_suspects(&mut pdf);
    if profile == Profile::Print {
        pdf = phase("boxes", || {
            crate::export::print_boxes(&pdf, issue.page.bleed_mm, options.marks, Some(&issue.print))
        })?;
    }
    Ok(pdf)
}

/// Compiles one profile: lay out, preflight (see [`preflight`]), and
/// export. Writes nothing; preflight errors fail.
pub fn produce(
    dirs: &Project,
    profile: Profile,
    options: OutputOptions,
    cache: &PhotoCache,
    fonts: FontStore,
) -> FolioResult<(Rendered, FontStore)> {
    let (checked, fonts) = preflight(dirs, profile, cache, fonts, options.cmyk_photos)?;
    if checked
        .findings
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Error)
    {
        return Err(crate::diag::Failure(checked.findings));
    }
    let (pdf, fonts) = phase("export", || export(&checked, profile, options, fonts));
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

/// Where a fitting search's result is kept between runs.
#[derive(Debug, Clone, Copy)]
struct FitCache<'a> {
    /// The cache file (`None`: no cache).
    path: Option<&'a Path>,
    /// Whether to write this run's result.
    save: bool,
}

/// Decodes every photo the next layout is served, on all cores, as Typst
/// will (see [`crate::photos::validate`]): a corrupt photo fails here with
/// its file and place, and the layout finds every photo decoded.
fn decode_photos(project: &compile::Inputs) -> FolioResult<HashMap<String, RasterImage>> {
    use rayon::prelude::*;
    let photos = project.issue.photos();
    let mut todo: Vec<(&String, &Bytes)> = project
        .files
        .iter()
        .filter(|(k, _)| crate::contract::vpath::is_photo(k))
        .collect();
    // largest first, so the cores finish together
    todo.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let decoded: Vec<(&String, Result<RasterImage, String>)> = todo
        .par_iter()
        .map(|(src, bytes)| (*src, crate::photos::validate(bytes, src.ends_with(".png"))))
        .collect();
    let mut done = HashMap::new();
    let mut errors = Vec::new();
    for (src, r) in decoded {
        match r {
            Ok(image) => {
                done.insert(src.clone(), image);
            }
            Err(msg) => errors.push(match photos.iter().find(|p| &p.src == src) {
                Some(p) => crate::photos::origin_error(&p.origin, &p.path, msg),
                None => Diag::error("photo", format!("photo {src}: {msg}")),
            }),
        }
    }
    if errors.is_empty() {
        return Ok(done);
    }
    errors.sort_by(|a, b| a.message.cmp(&b.message));
    errors.dedup_by(|a, b| a.message == b.message);
    Err(crate::diag::Failure(errors))
}

/// The document laid out on layout proxies with the photos in their place
/// (`proxies`: the proxies' index, `photos`: the photos decoded by virtual
/// path). Only the image items change, which holds when every image placed
/// on a proxy has an explicit width and height and `fit: "stretch"`, as the
/// templates place photos: then its size never depends on its pixels.
/// `None` when one does not (the plan must be laid out again).
fn unproxy(
    document: &typst_layout::PagedDocument,
    proxies: &crate::inspect::PhotoIndex,
    photos: &HashMap<String, RasterImage>,
) -> Option<typst_layout::PagedDocument> {
    use typst::foundations::Smart;
    use typst::introspection::Tag;
    use typst::layout::{FrameItem, Sizing};
    use typst::visualize::{Image, ImageElem, ImageFit, ImageKind};
    let photo_of = |data: &Bytes| {
        let (src, _) = proxies.get(&typst::utils::hash128(data))?;
        photos.get(src)
    };
    let mut sized = true;
    let mut pages = typst::ecow::EcoVec::new();
    for page in document.pages() {
        let mut page = page.clone();
        crate::visit::retain(&mut page.frame, &mut |item| {
            match item {
                FrameItem::Tag(Tag::Start(elem, _)) => {
                    if let Some(image) = elem.to_packed::<ImageElem>()
                        && photo_of(&image.source.derived.data).is_some()
                    {
                        sized &= matches!(image.fit.as_option(), Some(ImageFit::Stretch))
                            && matches!(image.width.as_option(), Some(Smart::Custom(_)))
                            && matches!(image.height.as_option(), Some(Sizing::Rel(_)));
                    }
                }
                FrameItem::Image(image, _, _) => {
                    if let ImageKind::Raster(proxy) = image.kind()
                        && let Some(photo) = photo_of(proxy.data())
                    {
                        let alt = image.alt().map(Into::into);
                        *image = Image::new(photo.clone(), alt, image.scaling());
                    }
                }
                _ => {}
            }
            true
        });
        pages.push(page);
    }
    use typst::model::Document;
    sized.then(|| typst_layout::PagedDocument::new(pages, document.info().clone()))
}

/// Serves a layout proxy ([`crate::photos::proxy`]) in place of every photo
/// in `project`'s files, standing for its `served` pixel size; returns the
/// photo index that reads the proxies as their photos.
fn serve_proxies(
    project: &mut compile::Inputs,
    served: &HashMap<String, (u32, u32)>,
) -> FolioResult<crate::inspect::PhotoIndex> {
    let mut index = crate::inspect::PhotoIndex::new();
    for (src, bytes) in project.files.iter_mut() {
        let Some(&size) = served.get(src) else {
            continue;
        };
        let proxy = crate::photos::proxy(src, size).map_err(|e| {
            Diag::error("photo", format!("cannot make a layout proxy of {src}: {e}"))
        })?;
        *bytes = Bytes::new(proxy);
        index.insert(typst::utils::hash128(&*bytes), (src.clone(), Some(size)));
    }
    Ok(index)
}

/// Lays a project out through the fitting engine ([`crate::fit`]): a few
/// explicit passes, each a plain layout with the plan's fit parameters, and
/// returns the final one with the fitting summary. With `fit_cache`, a
/// search's result is kept there under a key of every input that can move
/// the layout (data, layouts, assets, fonts), and reused when the key
/// matches, so an unchanged issue is laid out once.
///
/// A search from scratch lays out layout proxies of the photos (`served`:
/// the pixel size each is served at) and returns `true` last: its document
/// is not final, the caller serves the photos and lays out the plan again.
/// `hint` and `start`: the last layout's plan and introspection (a warm state).
#[allow(clippy::type_complexity)]
fn lay_out_fitted(
    world: &mut FolioWorld,
    project: &mut compile::Inputs,
    fit_cache: FitCache<'_>,
    (hint, start): (Option<crate::fit::FitPlan>, Option<compile::Introspection>),
    served: &HashMap<String, (u32, u32)>,
    ahead: &mut dyn FnMut(&[crate::inspect::PageInfo]),
) -> FolioResult<(
    typst_layout::PagedDocument,
    Vec<Diag>,
    Vec<crate::inspect::PageInfo>,
    FitSummary,
    Option<crate::inspect::PhotoIndex>,
)> {
    let index = crate::inspect::photo_index(&project.files);
    let mut passes = Passes {
        world,
        project,
        index,
        last: None,
        start,
        ahead,
    };
    let issue = passes.project.issue.clone();
    let key = fit_cache
        .path
        .map(|_| phase("fit_key", || fit_key(passes.project)));
    let cached: Option<crate::fit::Fitted0> = fit_cache
        .path
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice::<(String, crate::fit::Fitted0)>(&b).ok())
        .filter(|(k, _)| Some(k) == key.as_ref())
        .map(|(_, f)| f);
    let prior = match (cached, hint) {
        (Some(f), _) => crate::fit::Prior::Exact(f),
        (None, Some(plan)) => crate::fit::Prior::Hint(plan),
        (None, None) => crate::fit::Prior::None,
    };
    // A search runs many passes: on proxies. A known plan is laid out once,
    // on the photos.
    let proxied = matches!(prior, crate::fit::Prior::None);
    if proxied {
        passes.index = serve_proxies(passes.project, served)?;
    } else {
        decode_photos(passes.project)?;
    }
    let proxies = proxied.then(|| passes.index.clone());
    let fitted = crate::fit::fit(&issue, prior, &mut passes)?;
    if let (Some(path), Some(key), true) = (fit_cache.path, key, fit_cache.save) {
        let keep = crate::fit::Fitted0 {
            plan: fitted.plan.clone(),
            articles: fitted.plan.articles.clone(),
            decisions: fitted.decisions.clone(),
            passes: fitted.passes,
        };
        // best effort: the cache only saves time
        if let Ok(json) = serde_json::to_vec(&(key, keep)) {
            let _ = path.parent().map(std::fs::create_dir_all);
            let _ = crate::output::write_replacing(path, &json);
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
        proxies,
    ))
}

/// The fit cache's key: a digest of everything that can move the layout —
/// the template data, the layouts and assets (contents) and the fonts
/// (names and sizes) — and of this folio executable.
fn fit_key(project: &compile::Inputs) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    // a rebuilt folio may fit differently: the executable is part of the key
    let (len, modified) = crate::output::exe_stamp();
    if len > 0 {
        h.update(len.to_le_bytes());
        if modified > 0 {
            h.update(modified.to_le_bytes());
        }
    }
    for name in [crate::contract::vpath::DATA, crate::contract::vpath::MAIN] {
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

/// A file's SHA-256, read again only when its length or modification time
/// changed since this process last read it (`folio watch` keys every
/// rebuild's fit cache lookup by the layouts and assets).
fn file_digest(path: &Path, meta: &std::fs::Metadata) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    use std::sync::Mutex;
    type Seen = HashMap<PathBuf, (u64, Option<std::time::SystemTime>, Vec<u8>)>;
    static SEEN: Mutex<Option<Seen>> = Mutex::new(None);
    let stamp = (meta.len(), meta.modified().ok());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let seen = seen.get_or_insert_with(HashMap::new);
    if let Some((len, modified, digest)) = seen.get(path)
        && (*len, *modified) == stamp
        && stamp.1.is_some()
    {
        return digest.clone();
    }
    let digest = std::fs::read(path)
        .map(|b| Sha256::digest(&b).to_vec())
        .unwrap_or_default();
    seen.insert(path.to_path_buf(), (stamp.0, stamp.1, digest.clone()));
    digest
}

/// Every file under `dir`: path, length and (with `contents`) a digest.
fn collect_files(dir: &Path, out: &mut Vec<(PathBuf, u64, Vec<u8>)>, contents: bool) {
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
                file_digest(&path, &meta)
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
    project: &'a mut compile::Inputs,
    index: crate::inspect::PhotoIndex,
    /// The last pass: its plan, document and warnings.
    last: Option<(crate::fit::FitPlan, typst_layout::PagedDocument, Vec<Diag>)>,
    /// Where the first pass starts from (the last layout of a warm state).
    start: Option<compile::Introspection>,
    /// Told each pass's pages (to resample photos ahead, see [`Prefetch`]).
    ahead: &'a mut dyn FnMut(&[crate::inspect::PageInfo]),
}

impl crate::fit::Layout for Passes<'_> {
    fn pass(&mut self, plan: &crate::fit::FitPlan) -> FolioResult<Vec<crate::inspect::PageInfo>> {
        self.project.set_fit(plan);
        self.world
            .reset(self.project.files.clone(), self.project.issue.date);
        // The previous document is replaced: free it before laying out
        // again, keeping its introspection to start from.
        let start = match self.last.take() {
            Some(last) => Some(last.1.introspector().clone()),
            None => self.start.take(),
        };
        let (document, warnings, _) = phase("layout pass", || {
            compile::compile_from(self.world, start.as_ref())
        })?;
        drop(start);
        // Layouts memoised in earlier passes are kept for the later ones,
        // within a memory budget (see [`MEMO_BUDGET_MB`]).
        if resident_mb().is_some_and(|mb| mb > MEMO_BUDGET_MB) {
            typst::comemo::evict(MEMO_AGE_TIGHT);
        }
        crate::budget::check_pages(document.pages().len(), &self.project.issue)?;
        let pages = crate::inspect::inspect(&document, &self.index);
        (self.ahead)(&pages);
        self.last = Some((plan.clone(), document, warnings));
        Ok(pages)
    }
}

/// Resident memory (MB) up to which a fit search keeps every layout Typst
/// memoised. A pass that changes an article (a balance correction, say)
/// lays out again only that article, but it needs the line breaks and
/// measured probes of its paragraphs that the first pass memoised, which
/// went unused while later passes reused the article whole. Evicted after
/// 2 unused passes, the sample's search took 1.9 s (they were all broken
/// again); kept, 1.2 s, for ~40 MB more at its peak (and each eviction
/// walked the whole cache, ~2 ms). The output never depends on it.
const MEMO_BUDGET_MB: u64 = 300;

/// Passes a memoised layout is kept unused once the process holds more than
/// [`MEMO_BUDGET_MB`] (a large issue: memory before speed; RSS grows by
/// ~13 MB a pass on the sample).
const MEMO_AGE_TIGHT: usize = 2;

/// Today's date from the clock, for rights-expiry checks only (never in output).
pub fn today() -> (i32, u8, u8) {
    use chrono::Datelike;
    let now = chrono::Utc::now().date_naive();
    (now.year(), now.month() as u8, now.day() as u8)
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

/// The fonts of a project: its `fonts/`, and with `system_fonts` the
/// system's too.
pub fn fonts(project: &Project, system_fonts: bool) -> FontStore {
    crate::world::load_fonts(&project.fonts, system_fonts)
}

/// The photo cache of a project.
pub fn photo_cache(project: &Project) -> PhotoCache {
    PhotoCache::new(project.cache.clone())
}

/// Builds every profile and writes its PDF (`outputs`: profile and file).
/// Nothing is written unless every profile succeeded.
pub fn build(
    project: &Project,
    outputs: &[(Profile, PathBuf)],
    options: OutputOptions,
    system_fonts: bool,
) -> FolioResult<BuildReport> {
    limit_heaps();
    let cache = photo_cache(project);
    let mut store = None;
    let mut rendered = Vec::new();
    let mut warnings = Vec::new();
    for (profile, path) in outputs {
        let fonts = match store.take() {
            Some(f) => f,
            None => phase("fonts", || fonts(project, system_fonts)),
        };
        let (r, fonts) = produce(project, *profile, options, &cache, fonts)?;
        store = Some(fonts);
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
        phase("write", || crate::output::write_atomic(&path, &r.pdf)).map_err(|e| {
            crate::safe_io::write_failed(&path, &e)
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

/// Runs `f`, printing its wall time with `FOLIO_TIME` set (a developer's
/// view of where a build's time goes, like `FOLIO_FIT_TRACE`).
/// The CPU time of the process (every thread) is printed beside it: on a
/// busy machine wall time varies with the load, CPU time much less.
fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let cpu = cpu_ms();
    let out = f();
    if std::env::var_os("FOLIO_TIME").is_some() {
        let ms = start.elapsed().as_secs_f64() * 1e3;
        eprintln!(
            "time {name}: {ms:.1} ms (cpu {:.1} ms){}",
            cpu_ms() - cpu,
            peak_rss()
        );
    }
    out
}

/// The process's resident and peak memory, for `FOLIO_TIME` (where the
/// peak of a build is reached).
fn peak_rss() -> String {
    match status_mb(&["VmRSS:", "VmHWM:"])[..] {
        [Some(rss), Some(hwm)] => format!(", rss {rss} MB, peak {hwm} MB"),
        _ => String::new(),
    }
}

/// The process's resident memory in MB (`None` where /proc is not there).
fn resident_mb() -> Option<u64> {
    status_mb(&["VmRSS:"])[0]
}

/// Fields of /proc/self/status (given in kB) in MB, read at one moment.
fn status_mb(names: &[&str]) -> Vec<Option<u64>> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    names
        .iter()
        .map(|name| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kb| kb / 1024)
        })
        .collect()
}

/// CPU milliseconds (user and system) this process has used so far.
fn cpu_ms() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
            return ms(usage.ru_utime) + ms(usage.ru_stime);
        }
    }
    0.0
}
