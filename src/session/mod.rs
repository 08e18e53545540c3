//! Session integration: what holds for this login session rather than one
//! launch.
//!
//! - [`state`]: the mode and a pending `--next` under
//!   `$XDG_RUNTIME_DIR/gpu-launch/`; a launch reads it (one failing `openat`
//!   when there is none).
//! - [`mode`]: the `--mode` and `--next` commands that set it.
//! - [`power`]: the power source, for mode `auto` (read on a launch only in
//!   that mode).
//! - [`holders`]: which processes hold each GPU's device nodes open, for
//!   `--list` and `--status`; never on a launch.
//! - [`status`] and [`waybar`]: `--status` as text, JSON and waybar's custom
//!   module; never on a launch.

pub mod holders;
pub mod mode;
pub mod power;
pub mod state;
pub mod status;
pub mod waybar;
