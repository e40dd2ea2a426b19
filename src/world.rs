//! The Typst world folio compiles in: a sandbox that serves only the issue
//! folder, `layouts/`, `assets/` and folio's generated files, with fonts from
//! the repo's `fonts/` (plus Typst's embedded fonts), a fixed date, and no
//! packages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult, PackageError};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_kit::files::{FileLoader, FileStore};
use typst_kit::fonts::{FontPath, FontStore};

pub use crate::diag::NamedWorld;

/// The folders Typst may read, by their virtual prefix.
#[derive(Debug, Clone)]
pub struct Mounts {
    /// `/issue/…`
    pub issue: PathBuf,
    /// `/layouts/…`
    pub layouts: PathBuf,
    /// `/assets/…`
    pub assets: PathBuf,
}

/// Serves files from the mounts and from memory; refuses everything else.
pub struct Sandbox {
    mounts: Vec<(&'static str, PathBuf)>,
    virtual_files: HashMap<String, Bytes>,
}

impl Sandbox {
    /// A sandbox over the given folders.
    pub fn new(m: &Mounts) -> Self {
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        Self {
            mounts: vec![
                ("issue", canon(&m.issue)),
                ("layouts", canon(&m.layouts)),
                ("assets", canon(&m.assets)),
            ],
            virtual_files: HashMap::new(),
        }
    }

    /// Replaces the generated in-memory files (`/folio/…`).
    pub fn set_virtual(&mut self, files: HashMap<String, Bytes>) {
        self.virtual_files = files;
    }

    /// The real path a virtual path maps to, if it is inside a mount.
    pub fn real_path(&self, vpath: &str) -> Option<PathBuf> {
        let rest = vpath.strip_prefix('/')?;
        let (head, tail) = rest.split_once('/')?;
        let (_, base) = self.mounts.iter().find(|(name, _)| *name == head)?;
        let vp = VirtualPath::new(format!("/{tail}")).ok()?;
        vp.realize(base).ok()
    }
}

impl FileLoader for Sandbox {
    fn load(&self, id: FileId) -> FileResult<Bytes> {
        let path = id.get();
        if let VirtualRoot::Package(spec) = path.root() {
            return Err(FileError::Package(PackageError::Other(Some(
                format!("packages are not available in folio ({spec}); put the code into layouts/")
                    .into(),
            ))));
        }
        let vpath = path.vpath().get_with_slash();
        if let Some(bytes) = self.virtual_files.get(vpath) {
            return Ok(bytes.clone());
        }
        let Some(real) = self.real_path(vpath) else {
            return Err(FileError::Other(Some(
                format!("access denied: {vpath} is outside the folders folio serves (/issue, /layouts, /assets)").into(),
            )));
        };
        let head = vpath
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or_default();
        let base = &self
            .mounts
            .iter()
            .find(|(n, _)| *n == head)
            .expect("real_path checked the mount")
            .1;
        // Symlinks must not lead out of the mount either.
        let canon = real
            .canonicalize()
            .map_err(|e| FileError::from_io(e, &real))?;
        if !canon.starts_with(base) {
            return Err(FileError::Other(Some(
                format!("access denied: {vpath} leads outside its folder (symlink)").into(),
            )));
        }
        if canon.is_dir() {
            return Err(FileError::IsDirectory);
        }
        // A FIFO or device would block or never end: regular files only.
        if let Ok(meta) = std::fs::metadata(&canon)
            && let Some(what) = crate::safe_io::not_regular(&meta)
        {
            return Err(FileError::Other(Some(
                format!("{vpath} is {what}, not a regular file").into(),
            )));
        }
        std::fs::read(&canon)
            .map(Bytes::new)
            .map_err(|e| FileError::from_io(e, &canon))
    }
}

/// Loads the font set: the repo's `fonts/` folder first, then Typst's
/// embedded fonts, then (only when asked) system fonts.
pub fn load_fonts(fonts_dir: &Path, system: bool) -> FontStore {
    let mut store = FontStore::new();
    // Sorted so that font indices, and with them the output, never depend
    // on directory order.
    let mut found: Vec<(FontPath, typst::text::FontInfo)> =
        typst_kit::fonts::scan(fonts_dir).collect();
    found.sort_by(|a, b| (&a.0.path, a.0.index).cmp(&(&b.0.path, b.0.index)));
    store.extend(found);
    store.extend(typst_kit::fonts::embedded());
    if system {
        let mut sys: Vec<_> = typst_kit::fonts::system().collect();
        sys.sort_by(|a, b| (&a.0.path, a.0.index).cmp(&(&b.0.path, b.0.index)));
        store.extend(sys);
    }
    store
}

/// The world for one issue.
pub struct FolioWorld {
    library: LazyHash<Library>,
    fonts: FontStore,
    files: FileStore<Sandbox>,
    main: FileId,
    today: Datetime,
    root: PathBuf,
}

impl FolioWorld {
    /// Creates the world; `files` are the generated `/folio/…` files.
    pub fn new(
        mounts: &Mounts,
        fonts: FontStore,
        files: HashMap<String, Bytes>,
        date: (i32, u8, u8),
        root: &Path,
    ) -> Self {
        let mut sandbox = Sandbox::new(mounts);
        sandbox.set_virtual(files);
        let main = vid("/folio/main.typ");
        Self {
            library: LazyHash::new(Library::builder().build()),
            fonts,
            files: FileStore::new(sandbox),
            main,
            today: Datetime::from_ymd(date.0, date.1, date.2)
                .unwrap_or(Datetime::from_ymd(1970, 1, 1).expect("valid date")),
            root: root.to_path_buf(),
        }
    }

    /// Replaces the generated files and marks every file stale, keeping
    /// parsed sources for incremental recompilation (as typst-cli's watch does).
    pub fn reset(&mut self, files: HashMap<String, Bytes>, date: (i32, u8, u8)) {
        self.files.loader_mut().set_virtual(files);
        self.files.reset();
        if let Some(d) = Datetime::from_ymd(date.0, date.1, date.2) {
            self.today = d;
        }
    }

    /// Gives the fonts back (to reuse them for another profile).
    pub fn into_fonts(self) -> FontStore {
        self.fonts
    }

    /// The fonts this world sees.
    pub fn font_store(&self) -> &FontStore {
        &self.fonts
    }

    /// Real files read by the last compilation (for watch).
    pub fn dependencies(&mut self) -> Vec<PathBuf> {
        let (loader, ids) = self.files.dependencies();
        let mut out: Vec<PathBuf> = ids
            .filter_map(|id| loader.real_path(id.get().vpath().get_with_slash()))
            .collect();
        out.sort();
        out
    }
}

/// A project-root file id for a virtual path.
pub fn vid(path: &str) -> FileId {
    RootedPath::new(
        VirtualRoot::Project,
        VirtualPath::new(path).expect("valid virtual path"),
    )
    .intern()
}

impl World for FolioWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.files.source(id)
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.file(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

impl NamedWorld for FolioWorld {
    fn name(&self, id: FileId) -> String {
        let vpath = id.get().vpath().get_with_slash();
        match self.files.loader().real_path(vpath) {
            Some(real) => {
                let rel = real
                    .strip_prefix(&self.root)
                    .map(Path::to_path_buf)
                    .unwrap_or(real);
                crate::diag::display_path(&self.root.join(rel))
            }
            None => format!("<folio>{vpath}"),
        }
    }
}

impl typst_kit::diagnostics::DiagnosticWorld for FolioWorld {
    fn name(&self, id: FileId) -> String {
        NamedWorld::name(self, id)
    }
}
