//! Diagnostics: one representation and one look for manifest, front-matter,
//! photo and Typst errors.
//!
//! Everything that goes wrong in folio becomes a [`Diag`] pointing at a file
//! and, for text files, a byte range; [`emit`] prints them with
//! codespan-reporting exactly like typst-cli prints compiler errors.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::WriteColor};
use serde::Serialize;
use typst::WorldExt;
use typst::diag::SourceDiagnostic;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational finding.
    Info,
    /// Something likely wrong that does not stop the build.
    Warning,
    /// The build cannot produce correct output.
    Error,
}

/// A file a diagnostic points into, with its text when it is a text file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown to the user (relative to the working directory when possible).
    pub name: String,
    /// The file's text, for line/column and the caret display.
    pub text: Option<Arc<str>>,
}

impl SourceFile {
    /// A text file with its content.
    pub fn text(path: &Path, text: impl Into<Arc<str>>) -> Self {
        Self {
            name: display_path(path),
            text: Some(text.into()),
        }
    }

    /// A binary (or unread) file: only the name is shown.
    pub fn binary(path: &Path) -> Self {
        Self {
            name: display_path(path),
            text: None,
        }
    }
}

/// One diagnostic: severity, message, where, and hints.
#[derive(Debug, Clone)]
pub struct Diag {
    /// Error, warning or info.
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `manifest`, `photo`, `typst`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The file it concerns, if any.
    pub file: Option<SourceFile>,
    /// Byte range in `file`'s text.
    pub span: Option<Range<usize>>,
    /// A short label shown at the caret (what was expected).
    pub label: Option<String>,
    /// Hints on how to fix it.
    pub hints: Vec<String>,
    /// The output page it concerns (1-based), for layout findings.
    pub page: Option<usize>,
}

impl Diag {
    /// An error with a message and nothing else yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: None,
            span: None,
            label: None,
            hints: Vec::new(),
            page: None,
        }
    }

    /// A warning with a message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    /// An informational finding.
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Info,
            ..Self::error(code, message)
        }
    }

    /// Points the diagnostic at a file.
    pub fn in_file(mut self, file: SourceFile) -> Self {
        self.file = Some(file);
        self
    }

    /// Points the diagnostic at a byte range of the file.
    pub fn at(mut self, span: Range<usize>) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets the caret label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Notes the output page concerned.
    pub fn on_page(mut self, page: usize) -> Self {
        self.page = Some(page);
        self
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// 1-based line and column of the span start, when known.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let text = self.file.as_ref()?.text.as_ref()?;
        Some(line_of(text, self.span.as_ref()?.start))
    }

    /// Converts a Typst diagnostic, resolving its span through the world.
    pub fn from_typst(
        world: &dyn typst_kit::diagnostics::DiagnosticWorld,
        diag: &SourceDiagnostic,
    ) -> Self {
        let severity = match diag.severity {
            typst::diag::Severity::Error => Severity::Error,
            typst::diag::Severity::Warning => Severity::Warning,
        };
        let mut out = Diag {
            severity,
            code: "typst",
            message: diag.message.to_string(),
            file: None,
            span: None,
            label: None,
            hints: Vec::new(),
            page: None,
        };
        if let Some(id) = diag.span.id()
            && let Ok(source) = world.source(id)
        {
            out.file = Some(SourceFile {
                name: world.name(id),
                text: Some(Arc::from(source.text())),
            });
            out.span = world.range(diag.span);
        }
        for hint in &diag.hints {
            out.hints.push(hint.v.to_string());
        }
        if out.message == "unresolved import"
            && out
                .file
                .as_ref()
                .is_some_and(|f| f.name.ends_with("folio/main.typ"))
        {
            out.hints.push(
                "the layout's lib.typ must define the entry point `#let issue(data) = …` (see layouts/README.md)".into(),
            );
        }
        for point in &diag.trace {
            if let Some(id) = point.span.id()
                && let Ok(source) = world.source(id)
                && let Some(range) = world.range(point.span)
            {
                let (line, _) = line_of(source.text(), range.start);
                out.hints
                    .push(format!("{} at {}:{}", point.v, world.name(id), line));
            }
        }
        out
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.name)?;
            if let Some((line, col)) = self.line_col() {
                write!(f, ":{line}:{col}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// A failed step: one or more diagnostics, at least one of them an error.
#[derive(Debug, Clone)]
pub struct Failure(pub Vec<Diag>);

impl From<Diag> for Failure {
    fn from(d: Diag) -> Self {
        Failure(vec![d])
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// Result of a step that reports through diagnostics.
pub type FolioResult<T> = Result<T, Failure>;

/// Prints diagnostics in compiler style (file:line:column, source line, caret, hints).
pub fn emit(dest: &mut dyn WriteColor, diags: &[Diag]) {
    let config = term::Config {
        tab_width: 2,
        ..Default::default()
    };
    for d in diags {
        // Text from files never reaches the terminal raw (ESC sequences).
        let d = &sanitised(d);
        let mut diag = match d.severity {
            Severity::Error => Diagnostic::error(),
            Severity::Warning => Diagnostic::warning(),
            Severity::Info => Diagnostic::note(),
        }
        .with_message(&d.message)
        .with_notes(
            d.page
                .map(|p| format!("on page {p}"))
                .into_iter()
                .chain(d.hints.iter().map(|h| format!("hint: {h}")))
                .collect(),
        );
        let name = d.file.as_ref().map(|f| f.name.clone()).unwrap_or_default();
        let text = d.file.as_ref().and_then(|f| f.text.clone());
        match (&text, &d.span) {
            (Some(text), Some(span)) => {
                let span = clamp(text, span.clone());
                diag = diag.with_labels(vec![
                    Label::primary((), span).with_message(d.label.clone().unwrap_or_default()),
                ]);
                let file = SimpleFile::new(name, text.as_ref());
                let _ = term::emit(dest, &config, &file, &diag);
            }
            _ => {
                if d.file.is_some() {
                    diag.message = format!("{}: {}", name, d.message);
                }
                if let Some(label) = &d.label {
                    // Labels usually say "expected …" already.
                    let note = match label.strip_prefix("expected ") {
                        Some(rest) => format!("expected: {rest}"),
                        None => format!("expected: {label}"),
                    };
                    diag.notes.insert(0, note);
                }
                let file = SimpleFile::new(String::new(), "");
                let _ = term::emit(dest, &config, &file, &diag);
            }
        }
    }
}

/// Prints diagnostics to stderr, with colour when stderr is a terminal.
pub fn emit_stderr(diags: &[Diag]) {
    use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
    use std::io::IsTerminal;
    let choice = if std::io::stderr().is_terminal() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let mut out = StandardStream::stderr(choice);
    emit(&mut out, diags);
}

/// Renders diagnostics to a plain string (for tests and reports).
pub fn render_plain(diags: &[Diag]) -> String {
    let mut buf = codespan_reporting::term::termcolor::NoColor::new(Vec::new());
    emit(&mut buf, diags);
    String::from_utf8_lossy(&buf.into_inner()).into_owned()
}

/// Path for display: relative to the working directory when below it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel: PathBuf = match cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()) {
        Some(rel) => rel.to_path_buf(),
        None => path.to_path_buf(),
    };
    rel.display().to_string()
}

fn clamp(text: &str, span: Range<usize>) -> Range<usize> {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let end = floor_char_boundary(text, span.end.min(text.len())).max(start);
    start..end
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// 1-based line and column of a byte offset.
pub fn line_of(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A copy of a diagnostic that is safe to print on a terminal: control
/// characters taken from files are escaped in the message, labels, hints
/// and file name, and neutralised in the source text shown.
pub fn sanitised(d: &Diag) -> Diag {
    let mut d = d.clone();
    d.message = crate::control::escape_control(&d.message);
    d.label = d.label.as_deref().map(crate::control::escape_control);
    d.hints = d
        .hints
        .iter()
        .map(|h| crate::control::escape_control(h))
        .collect();
    if let Some(f) = &mut d.file {
        f.name = crate::control::escape_control(&f.name);
        if let Some(t) = &f.text {
            let clean = crate::control::neutralise_control(t);
            if clean != **t {
                f.text = Some(clean.into());
            }
        }
    }
    d
}
