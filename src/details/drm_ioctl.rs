//! The DRM version ioctl (`DRM_IOCTL_VERSION`, through the `drm` crate): the
//! kernel driver's DRM interface version of a GPU that is not driven by
//! `nvidia` (for those NVML reports the driver version).
//!
//! It needs an open render node, and opening one wakes amdgpu and nouveau GPUs
//! (`pm_runtime_get_sync` in their open hooks). So `details` calls it only for
//! GPUs whose runtime status is not `suspended` (unless `--wake`), never on
//! the launch path, and never on a fake machine (`GPU_LAUNCH_SYSFS_ROOT`),
//! where no `/dev` node is opened.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

/// An open DRM node; the `drm` crate's ioctls take any `AsFd`.
struct Node(File);

impl AsFd for Node {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl drm::Device for Node {}

/// `major.minor.patchlevel` of the DRM driver behind `node`
/// (`/dev/dri/renderD128`); `None` when it cannot be opened or is not DRM.
pub fn driver_version(node: &Path) -> Option<String> {
    use drm::Device as _;
    // Read-only is enough: DRM_IOCTL_VERSION is allowed on render nodes
    // without authentication (DRM_RENDER_ALLOW).
    let file = File::open(node)
        .inspect_err(|e| tracing::debug!(node = %node.display(), error = %e, "cannot open"))
        .ok()?;
    let driver = Node(file).get_driver().ok()?;
    let (major, minor, patch) = driver.version;
    Some(format!("{major}.{minor}.{patch}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_that_is_not_drm_has_no_version() {
        assert_eq!(driver_version(Path::new("/dev/null")), None);
        assert_eq!(driver_version(Path::new("/nonexistent/renderD128")), None);
    }
}
