//! gpu-launch: run a program on the right GPU.
//!
//! The pipeline of a launch, one folder per stage:
//!
//! ```text
//! argv, environ (os) -> cli::parse (pure) -> config::load (+ GPU_LAUNCH_GPU: standing state)
//!     -> os::exec::resolve (a launch: PROGRAM, 126/127 before the session state is read)
//!     -> session::state (mode, a claimed --next) -> decide::plan::choose (pure)
//!     -> detect::detect (sysfs, read once) -> decide: select, plan::build (pure)
//!     -> os::exec (execve in place; a failed exec puts the claimed --next back)
//! ```
//!
//! `app` strings the stages together; `log` carries warnings and errors to
//! the user. What never runs on a launch has folders of its own: `details`
//! (NVML, pci.ids, the DRM ioctl), `doctor`, `desktop`, the `--status`
//! renderers in `session`, and the help, man page and completion renderers
//! in `cli::render`. docs/ARCHITECTURE.md has the tree, one line per folder.
//!
//! `main.rs` only hands the process's argv and environment to [`app::main`].
//! All logic lives in this library so tests and benches call it in-process.
#![deny(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod decide;
pub mod desktop;
pub mod details;
pub mod detect;
pub mod doctor;
pub mod error;
pub mod log;
pub mod os;
pub mod session;
