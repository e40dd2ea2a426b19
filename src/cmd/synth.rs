//! `folio synth` (a hidden development command): writes synthetic issues
//! from seeds (see [`crate::synth`]).

use std::io;

use crate::cmd::args::SynthArgs;
use crate::project::Project;
use crate::synth::{MARKER, SynthOptions, generate, write_contact_sheet};

/// Entry point of `folio synth`.
pub fn run(args: &SynthArgs) -> crate::diag::FolioResult<std::process::ExitCode> {
    use crate::diag::Diag;
    let opts = SynthOptions {
        article_language: args.article_language,
        ..SynthOptions::default()
    };
    let io_err = |what: String| move |e: io::Error| Diag::error("io", format!("{what}: {e}"));
    std::fs::create_dir_all(&args.out_dir)
        .map_err(io_err(format!("cannot create {}", args.out_dir.display())))?;
    let root = args
        .root
        .clone()
        .or_else(|| crate::project::find_root(&args.out_dir));
    for seed in args.seed..args.seed.saturating_add(args.count) {
        let dir = args.out_dir.join(format!("synth-{seed}"));
        if dir.exists() {
            // Replace an earlier synthetic issue, never anything else.
            let marker = std::fs::read_to_string(dir.join("issue.toml")).unwrap_or_default();
            if !marker.starts_with(MARKER) {
                return Err(Diag::error(
                    "synth",
                    format!("{} exists and is not a synthetic issue", dir.display()),
                )
                .hint("choose another OUT_DIR")
                .into());
            }
            std::fs::remove_dir_all(&dir)
                .map_err(io_err(format!("cannot remove {}", dir.display())))?;
        }
        let s = generate(seed, &dir, &opts)
            .map_err(io_err(format!("cannot write {}", dir.display())))?;
        eprintln!(
            "wrote {}: {}, {} sections ({} openers, {} auto), {} articles ({} Russian, {} words), {} photos, sponsors {:?}, {} event tiles{}",
            crate::diag::display_path(&dir),
            s.paper,
            s.sections,
            s.openers,
            s.auto_openers,
            s.articles,
            s.russian_articles,
            s.words,
            s.photos,
            s.sponsors,
            s.event_tiles,
            if s.foreword { ", foreword" } else { "" }
        );
        if args.sheet {
            let png = args.out_dir.join(format!("synth-{seed}.png"));
            let project = Project::resolve(&dir, root.as_deref())?;
            let pages = write_contact_sheet(&project, args.sheet_ppi, &png)?;
            eprintln!("wrote {} ({pages} pages)", crate::diag::display_path(&png));
        }
    }
    if root.is_none() {
        eprintln!(
            "note: no project root (a folder with layouts/) above {}; build with `folio build {}/synth-{} --root PATH/TO/folio`",
            args.out_dir.display(),
            args.out_dir.display(),
            args.seed
        );
    }
    Ok(std::process::ExitCode::SUCCESS)
}
