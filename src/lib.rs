//! folio: builds print-ready magazine PDFs from issue manifests with an
//! embedded Typst compiler.
//!
//! Data flows one way: the commands ([`cmd`]) resolve a [`project`] and call
//! the [`pipeline`]: [`model`] (from [`manifest`] and [`markdown`]) →
//! [`photos`] → template inputs ([`compile`]) → [`world`] → fitted document
//! ([`fit`]) → preflight → [`export`]. Engine modules never import [`cmd`].

pub mod audit;
pub mod budget;
pub mod changes;
pub mod cmd;
pub mod compile;
pub mod contract;
pub mod control;
pub mod diag;
pub mod diff;
pub mod export;
pub mod figure;
pub mod fit;
pub mod fonts;
pub mod html;
pub mod ink;
pub mod inspect;
pub mod language;
pub mod limits;
pub mod manifest;
pub mod markdown;
pub mod model;
pub mod output;
pub mod paths;
pub mod pdfupdate;
pub mod pdfx;
pub mod photos;
pub mod pipeline;
pub mod pool;
pub mod preflight;
pub mod preview;
pub mod project;
pub mod raster;
pub mod report;
pub mod safe_io;
pub mod scaffold;
pub mod session;
pub mod snapshot;
pub mod synth;
pub mod verify;
pub mod visit;
pub mod world;
