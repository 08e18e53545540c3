//! Session integration: what holds for this login session rather than one
//! launch.
//!
//! - [`state`]: the mode and a pending `--next` under
//!   `$XDG_RUNTIME_DIR/gpu-launch/`; a launch reads it (one failing `openat`
//!   when there is none).
//! - [`mode`]: the `--mode` and `--next` commands that set it.
//! - [`status`] and [`waybar`]: `--status` as text, JSON and waybar's custom
//!   module; never on a launch.

pub mod mode;
pub mod state;
pub mod status;
pub mod waybar;
