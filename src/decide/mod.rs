//! Deciding: which GPU, which variables, which argv. Pure functions of what
//! the earlier stages read (the command line, the config, the machine, the
//! session state): no I/O, so tests call them with hand-built machines.
//!
//! [`spec`] parses the GPU SPEC grammar, [`plan::choose`] picks the SPEC in
//! force, [`select`] matches it to a GPU, [`plan::build`] turns the GPU into
//! the environment changes and argv, with the Chromium rule of [`chromium`]
//! and the program names of [`program`]. Everything here runs on a launch.

pub mod chromium;
pub mod plan;
pub mod program;
pub mod select;
pub mod spec;
