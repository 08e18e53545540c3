//! The operating system, at the edges of the pipeline: the argument and
//! environment blocks the kernel handed the process ([`sys`], the only
//! module with `unsafe`; [`environ`]), finding and exec'ing PROGRAM
//! ([`exec`]), opening files safely ([`files`]), working inside a
//! directory by its descriptor ([`at`]), writing files atomically
//! ([`atomic`]), the one rule that says whose files may be trusted
//! ([`trust`]), the XDG base directories ([`xdg`]) and byte paths
//! ([`paths`]).
//!
//! Everything here runs on a launch.

pub mod at;
pub mod atomic;
pub mod environ;
pub mod exec;
pub mod files;
pub mod paths;
pub mod sys;
pub mod trust;
pub mod xdg;
