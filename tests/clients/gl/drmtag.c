/*
 * drmtag.c - libdrm's view of the machine's DRM devices, and the DRI_PRIME
 * tag Mesa's GL/EGL loader builds from it, for gpu-launch's GL test
 * (tests/gl.rs).
 *
 * Mesa's loader (src/loader/loader.c) lists the devices with libdrm's
 * drmGetDevices2() and compares DRI_PRIME, as a string, with each device's
 * tag, made by drm_construct_id_path_tag() from libdrm's bus info:
 * "pci-%04x_%02x_%02x_%1u" (domain, bus, device, function) for PCI devices,
 * "platform-<address>_<name>" for platform devices. That function is
 * repeated here (id_path_tag), with Mesa's format strings; the bus info is
 * libdrm's own, read from sysfs.
 *
 * The test links this program with sysfs_shim.c (-rdynamic), points
 * SYSFS_SHIM_ROOT at a fixture machine and SYSFS_SHIM_DEV_ROOT at a
 * directory of character nodes made with mknod (226:N, as the fixture's
 * `dev` attributes say): libdrm then reads /dev/dri and /sys of the fixture.
 * Nothing is opened but directories and sysfs attributes (flags 0: no PCI
 * revision, so no `config` read and no device node opened).
 *
 * Output, one line per device with a render node:
 *   /dev/dri/renderD129 pci-0000_01_00_0 0000:01:00.0 10de:28e0
 * Exit status: 0, or 3 when drmGetDevices2 fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xf86drm.h>

/* Mesa src/loader/loader.c, drm_construct_id_path_tag(). */
static char *id_path_tag(drmDevicePtr device)
{
    char *tag = NULL;

    if (device->bustype == DRM_BUS_PCI) {
        if (asprintf(&tag, "pci-%04x_%02x_%02x_%1u", device->businfo.pci->domain,
                     device->businfo.pci->bus, device->businfo.pci->dev,
                     device->businfo.pci->func) < 0)
            return NULL;
    } else if (device->bustype == DRM_BUS_PLATFORM || device->bustype == DRM_BUS_HOST1X) {
        char *fullname, *name, *address;

        if (device->bustype == DRM_BUS_PLATFORM)
            fullname = device->businfo.platform->fullname;
        else
            fullname = device->businfo.host1x->fullname;

        name = strrchr(fullname, '/');
        if (!name)
            name = strdup(fullname);
        else
            name = strdup(name + 1);

        address = strchr(name, '@');
        if (address) {
            *address++ = '\0';
            if (asprintf(&tag, "platform-%s_%s", address, name) < 0)
                tag = NULL;
        } else {
            if (asprintf(&tag, "platform-%s", name) < 0)
                tag = NULL;
        }
        free(name);
    }
    return tag;
}

int main(void)
{
    drmDevicePtr devices[64];
    int n = drmGetDevices2(0, devices, 64);
    if (n < 0) {
        fprintf(stderr, "drmtag: drmGetDevices2: %s\n", strerror(-n));
        return 3;
    }
    for (int i = 0; i < n; i++) {
        drmDevicePtr d = devices[i];
        if (!(d->available_nodes & (1 << DRM_NODE_RENDER)))
            continue;
        char *tag = id_path_tag(d);
        printf("%s %s", d->nodes[DRM_NODE_RENDER], tag ? tag : "-");
        if (d->bustype == DRM_BUS_PCI)
            printf(" %04x:%02x:%02x.%x %04x:%04x", d->businfo.pci->domain, d->businfo.pci->bus,
                   d->businfo.pci->dev, d->businfo.pci->func, d->deviceinfo.pci->vendor_id,
                   d->deviceinfo.pci->device_id);
        printf("\n");
        free(tag);
    }
    drmFreeDevices(devices, n);
    return 0;
}
