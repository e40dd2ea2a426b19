//! folio: builds print-ready magazine PDFs from issue manifests with an
//! embedded Typst compiler.
//!
//! Data flows one way: [`args`] → [`build::BuildConfig`] → [`model`] (from
//! [`manifest`] and [`markdown`]) → [`photos`] → template inputs
//! ([`compile`]) → [`world`] → document → [`export`].

pub mod changes;
pub mod cmd;
pub mod compile;
pub mod contract;
pub mod diag;
pub mod export;
pub mod fit;
pub mod ink;
pub mod inspect;
pub mod limits;
pub mod manifest;
pub mod markdown;
pub mod model;
pub mod output;
pub mod paths;
pub mod pdfx;
pub mod photos;
pub mod preflight;
pub mod report;
pub mod safe_io;
pub mod visit;
pub mod world;

// Transitional: the engine still reaches into command modules; the pipeline
// refactor (issue 10) removes these re-exports.
pub use cmd::{args, build, check, diff, eject, fonts, new, serve, snapshot, synth, verify, watch};
