//! folio: builds print-ready magazine PDFs from issue manifests with an
//! embedded Typst compiler.
//!
//! Data flows one way: [`args`] → [`build::BuildConfig`] → [`model`] (from
//! [`manifest`] and [`markdown`]) → [`photos`] → template inputs
//! ([`compile`]) → [`world`] → document → [`export`].

pub mod args;
pub mod build;
pub mod check;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod eject;
pub mod export;
pub mod fit;
pub mod fonts;
pub mod ink;
pub mod inspect;
pub mod limits;
pub mod manifest;
pub mod markdown;
pub mod model;
pub mod new;
pub mod output;
pub mod paths;
pub mod pdfx;
pub mod photos;
pub mod preflight;
pub mod report;
pub mod safe_io;
pub mod serve;
pub mod snapshot;
pub mod synth;
pub mod verify;
pub mod watch;
pub mod world;
