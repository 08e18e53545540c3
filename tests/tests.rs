//! The integration tests: one binary, a module per area, the shared helpers
//! in [`common`]. One binary links once (not twelve times) on a small
//! machine, as ripgrep's and fd's tests do.
//!
//! Most tests run the built `gpu-launch` against fixture machines
//! (`common::fixture`, read through `GPU_LAUNCH_SYSFS_ROOT`) and check what a
//! user relies on through the real client programs (shells, strace,
//! desktop-file-validate, gio, nix-instantiate); `properties` and `layout`
//! call the library in-process.

mod common;

mod broken_stderr;
mod choice;
mod completion;
mod desktop;
mod desktop_glib;
mod details;
mod doctor;
mod gl;
mod holders;
mod hostile;
mod journal;
mod launch;
mod launch_path;
mod layout;
mod messages;
mod nix;
mod notify;
mod notify_bounds;
mod notify_launch;
mod order;
mod packaging;
mod plans;
mod print_env;
mod program_kinds;
mod properties;
mod readme;
mod regression;
mod run_sh;
mod session;
mod shapes;
mod standing;
mod state;
mod state_decided;
mod state_hostile;
mod state_warnings;
mod trust;
mod vulkan;
