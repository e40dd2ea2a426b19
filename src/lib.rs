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
pub mod copyfit;
pub mod diag;
pub mod diff;
pub mod eject;
pub mod export;
pub mod fonts;
pub mod inspect;
pub mod manifest;
pub mod markdown;
pub mod model;
pub mod new;
pub mod output;
pub mod paths;
pub mod photos;
pub mod preflight;
pub mod report;
pub mod serve;
pub mod snapshot;
pub mod synth;
pub mod watch;
pub mod world;
