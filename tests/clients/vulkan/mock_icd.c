/*
 * mock_icd.c - a fake Vulkan driver (ICD) for gpu-launch's real-client
 * Vulkan test (tests/vulkan.rs): it lets the real Vulkan loader and Mesa's
 * real device-select layer run on a machine without GPUs, over fake GPUs
 * shaped like a fixture machine, so the test sees which GPU a Vulkan
 * program started through gpu-launch lands on.
 *
 * Loader interface version 5: vk_icdNegotiateLoaderICDInterfaceVersion,
 * vk_icdGetInstanceProcAddr and vk_icdGetPhysicalDeviceProcAddr are
 * exported; everything else is reached through them. Dispatchable handles
 * (VkInstance, VkPhysicalDevice, VkDevice, VkQueue) start with the loader's
 * dispatch slot, set to ICD_LOADER_MAGIC.
 *
 * Every entry point loader 1.3.239 requires of a driver is here
 * (loader_icd_init_entries): vkDestroyInstance, vkEnumeratePhysicalDevices,
 * vkGetPhysicalDevice{Features, FormatProperties, ImageFormatProperties,
 * Properties, QueueFamilyProperties, MemoryProperties,
 * SparseImageFormatProperties}, vkGetDeviceProcAddr, vkCreateDevice,
 * vkEnumerateDeviceExtensionProperties. Leaving one out (vkGetDeviceProcAddr
 * was tried) makes the loader skip the driver while reading its own
 * structure out of the driver's instance: a crash or an endless loop inside
 * vkCreateInstance, depending on the heap. Hence the watchdog in vkprobe
 * and the kill timeout in the test.
 *
 * One .so is built; the test copies it once per fake driver family
 * (libmock_intel.so, libmock_nvidia.so, ...): the copies must be distinct
 * files, as the dynamic linker returns the same handle for the same file and
 * the loader would see one driver. Each copy reads its GPUs from a sidecar
 * file, "<path of this .so>.conf" (found with dladdr), one item a line, '#'
 * starting a comment:
 *
 *   name nvidia
 *   gpu 10de 28e0 discrete 0000:01:00.0 NVIDIA GeForce RTX 4060 Laptop GPU
 *   gpu <vendor hex> <device hex> <integrated|discrete|virtual|cpu|other> \
 *       <domain:bus:dev.fn> <name to end of line>
 *
 * A real driver reports every GPU it drives (RADV both GPUs of an AMD APU +
 * AMD dGPU machine), so a config holds up to MAX_GPUS "gpu" lines. Every GPU
 * reports Vulkan 1.3 and VK_EXT_pci_bus_info, as RADV, ANV, NVK and NVIDIA's
 * driver do.
 *
 * What happened is recorded when MOCK_ICD_LOG names a file: one line per
 * event, "<pid> <name> <event> [detail]", appended with one O_APPEND write.
 * Events: load (the library was mapped: its constructor ran), negotiate,
 * create_instance, enumerate, create_device, destroy_device,
 * destroy_instance. "The NVIDIA driver was never loaded" is "no line with
 * name nvidia".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vulkan/vk_icd.h>
#include <vulkan/vulkan.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_GPUS 16

struct mock_gpu {
    VK_LOADER_DATA loader_data; /* must be first: dispatchable handle */
    uint32_t vendor, device;
    VkPhysicalDeviceType type;
    uint32_t domain, bus, dev, fn;
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
};

struct mock_instance {
    VK_LOADER_DATA loader_data;
    uint32_t api_version;
};

struct mock_queue {
    VK_LOADER_DATA loader_data;
};

struct mock_device {
    VK_LOADER_DATA loader_data;
    struct mock_gpu *gpu;
    struct mock_queue queue;
};

static char icd_name[64] = "unnamed";
static struct mock_gpu gpus[MAX_GPUS];
static uint32_t gpu_count;

/* ---- event log ---------------------------------------------------------- */

static void log_event(const char *event, const char *fmt, ...)
{
    const char *path = getenv("MOCK_ICD_LOG");
    if (!path || !*path)
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "%d %s %s", (int)getpid(), icd_name, event);
    if (fmt && n > 0 && n < (int)sizeof line) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if (n >= (int)sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

/* ---- configuration ------------------------------------------------------ */

static VkPhysicalDeviceType parse_type(const char *s)
{
    if (!strcmp(s, "integrated"))
        return VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU;
    if (!strcmp(s, "discrete"))
        return VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
    if (!strcmp(s, "virtual"))
        return VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU;
    if (!strcmp(s, "cpu"))
        return VK_PHYSICAL_DEVICE_TYPE_CPU;
    return VK_PHYSICAL_DEVICE_TYPE_OTHER;
}

static void load_config(void)
{
    Dl_info info;
    if (!dladdr((void *)load_config, &info) || !info.dli_fname)
        return;
    /* Default name: the file name without "lib" and ".so". */
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    if (!strncmp(base, "lib", 3))
        base += 3;
    snprintf(icd_name, sizeof icd_name, "%s", base);
    char *dot = strstr(icd_name, ".so");
    if (dot)
        *dot = '\0';

    char conf[4096];
    snprintf(conf, sizeof conf, "%s.conf", info.dli_fname);
    FILE *f = fopen(conf, "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\0')
            continue;
        if (!strncmp(p, "name ", 5)) {
            snprintf(icd_name, sizeof icd_name, "%s", p + 5);
            continue;
        }
        if (strncmp(p, "gpu ", 4) || gpu_count >= MAX_GPUS)
            continue;
        struct mock_gpu g = {0};
        char type[32];
        int name_at = 0;
        if (sscanf(p + 4, "%x %x %31s %x:%x:%x.%x %n", &g.vendor, &g.device, type, &g.domain,
                   &g.bus, &g.dev, &g.fn, &name_at) < 7)
            continue;
        g.type = parse_type(type);
        snprintf(g.name, sizeof g.name, "%s", name_at ? p + 4 + name_at : "Mock GPU");
        set_loader_magic_value(&g);
        gpus[gpu_count++] = g;
    }
    fclose(f);
}

__attribute__((constructor)) static void mock_init(void)
{
    load_config();
    log_event("load", "gpus=%u", gpu_count);
}

/* ---- global functions --------------------------------------------------- */

static const VkExtensionProperties instance_extensions[] = {
    {VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME,
     VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_SPEC_VERSION},
};

static const VkExtensionProperties device_extensions[] = {
    {VK_EXT_PCI_BUS_INFO_EXTENSION_NAME, VK_EXT_PCI_BUS_INFO_SPEC_VERSION},
};

#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static VkResult fill_array(const void *src, uint32_t n, size_t size, uint32_t *count, void *out)
{
    if (!out) {
        *count = n;
        return VK_SUCCESS;
    }
    uint32_t k = *count < n ? *count : n;
    memcpy(out, src, k * size);
    *count = k;
    return k < n ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_EnumerateInstanceExtensionProperties(
    const char *layer, uint32_t *count, VkExtensionProperties *props)
{
    if (layer) {
        *count = 0;
        return VK_ERROR_LAYER_NOT_PRESENT;
    }
    return fill_array(instance_extensions, COUNT(instance_extensions), sizeof *props, count, props);
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_EnumerateInstanceVersion(uint32_t *version)
{
    *version = VK_API_VERSION_1_3;
    return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_CreateInstance(const VkInstanceCreateInfo *info,
                                                          const VkAllocationCallbacks *alloc,
                                                          VkInstance *out)
{
    (void)alloc;
    struct mock_instance *inst = calloc(1, sizeof *inst);
    if (!inst)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    set_loader_magic_value(inst);
    inst->api_version = info->pApplicationInfo ? info->pApplicationInfo->apiVersion : 0;
    log_event("create_instance", "api=%u.%u", VK_API_VERSION_MAJOR(inst->api_version),
              VK_API_VERSION_MINOR(inst->api_version));
    *out = (VkInstance)inst;
    return VK_SUCCESS;
}

/* ---- instance functions ------------------------------------------------- */

static VKAPI_ATTR void VKAPI_CALL mock_DestroyInstance(VkInstance instance,
                                                       const VkAllocationCallbacks *alloc)
{
    (void)alloc;
    if (!instance)
        return;
    log_event("destroy_instance", NULL);
    free(instance);
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_EnumeratePhysicalDevices(VkInstance instance,
                                                                    uint32_t *count,
                                                                    VkPhysicalDevice *out)
{
    (void)instance;
    if (!out) {
        *count = gpu_count;
        log_event("enumerate", "count=%u", gpu_count);
        return VK_SUCCESS;
    }
    uint32_t k = *count < gpu_count ? *count : gpu_count;
    for (uint32_t i = 0; i < k; i++)
        out[i] = (VkPhysicalDevice)&gpus[i];
    *count = k;
    return k < gpu_count ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_EnumeratePhysicalDeviceGroups(
    VkInstance instance, uint32_t *count, VkPhysicalDeviceGroupProperties *out)
{
    (void)instance;
    if (!out) {
        *count = gpu_count;
        return VK_SUCCESS;
    }
    uint32_t k = *count < gpu_count ? *count : gpu_count;
    for (uint32_t i = 0; i < k; i++) {
        out[i].physicalDeviceCount = 1;
        memset(out[i].physicalDevices, 0, sizeof out[i].physicalDevices);
        out[i].physicalDevices[0] = (VkPhysicalDevice)&gpus[i];
        out[i].subsetAllocation = VK_FALSE;
    }
    *count = k;
    return k < gpu_count ? VK_INCOMPLETE : VK_SUCCESS;
}

static struct mock_gpu *gpu_of(VkPhysicalDevice pd)
{
    return (struct mock_gpu *)pd;
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceProperties(VkPhysicalDevice pd,
                                                                   VkPhysicalDeviceProperties *p)
{
    struct mock_gpu *g = gpu_of(pd);
    memset(p, 0, sizeof *p);
    p->apiVersion = VK_API_VERSION_1_3;
    p->driverVersion = VK_MAKE_API_VERSION(0, 1, 0, 0);
    p->vendorID = g->vendor;
    p->deviceID = g->device;
    p->deviceType = g->type;
    snprintf(p->deviceName, sizeof p->deviceName, "%s", g->name);
    for (uint32_t i = 0; i < VK_UUID_SIZE; i++)
        p->pipelineCacheUUID[i] = (uint8_t)(g->vendor ^ g->device ^ i);
    p->limits.maxImageDimension2D = 4096;
    p->limits.maxMemoryAllocationCount = 4096;
    p->limits.maxBoundDescriptorSets = 4;
    p->limits.timestampComputeAndGraphics = VK_TRUE;
    p->limits.nonCoherentAtomSize = 64;
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceProperties2(VkPhysicalDevice pd,
                                                                    VkPhysicalDeviceProperties2 *p)
{
    struct mock_gpu *g = gpu_of(pd);
    mock_GetPhysicalDeviceProperties(pd, &p->properties);
    for (VkBaseOutStructure *s = p->pNext; s; s = s->pNext) {
        switch (s->sType) {
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PCI_BUS_INFO_PROPERTIES_EXT: {
            VkPhysicalDevicePCIBusInfoPropertiesEXT *b = (void *)s;
            b->pciDomain = g->domain;
            b->pciBus = g->bus;
            b->pciDevice = g->dev;
            b->pciFunction = g->fn;
            break;
        }
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES: {
            VkPhysicalDeviceIDProperties *id = (void *)s;
            memset(id->deviceUUID, 0, VK_UUID_SIZE);
            memcpy(id->deviceUUID, &g->vendor, 4);
            memcpy(id->deviceUUID + 4, &g->device, 4);
            id->deviceUUID[8] = (uint8_t)g->bus;
            id->deviceUUID[9] = (uint8_t)g->dev;
            id->deviceUUID[10] = (uint8_t)g->fn;
            memset(id->driverUUID, 0x4d, VK_UUID_SIZE);
            id->deviceLUIDValid = VK_FALSE;
            break;
        }
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES: {
            VkPhysicalDeviceDriverProperties *d = (void *)s;
            d->driverID = VK_DRIVER_ID_MESA_LLVMPIPE; /* any valid id */
            snprintf(d->driverName, sizeof d->driverName, "mock-%s", icd_name);
            snprintf(d->driverInfo, sizeof d->driverInfo, "gpu-launch test driver");
            d->conformanceVersion = (VkConformanceVersion){1, 3, 0, 0};
            break;
        }
        default:
            break; /* leave structs we do not know untouched */
        }
    }
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceFeatures(VkPhysicalDevice pd,
                                                                 VkPhysicalDeviceFeatures *f)
{
    (void)pd;
    memset(f, 0, sizeof *f);
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceFeatures2(VkPhysicalDevice pd,
                                                                  VkPhysicalDeviceFeatures2 *f)
{
    mock_GetPhysicalDeviceFeatures(pd, &f->features);
}

static const VkQueueFamilyProperties queue_family = {
    .queueFlags = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT,
    .queueCount = 1,
    .timestampValidBits = 64,
    .minImageTransferGranularity = {1, 1, 1},
};

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceQueueFamilyProperties(
    VkPhysicalDevice pd, uint32_t *count, VkQueueFamilyProperties *out)
{
    (void)pd;
    (void)fill_array(&queue_family, 1, sizeof queue_family, count, out);
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceQueueFamilyProperties2(
    VkPhysicalDevice pd, uint32_t *count, VkQueueFamilyProperties2 *out)
{
    (void)pd;
    if (!out) {
        *count = 1;
        return;
    }
    if (*count >= 1) {
        out[0].queueFamilyProperties = queue_family;
        *count = 1;
    }
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceMemoryProperties(
    VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties *m)
{
    (void)pd;
    memset(m, 0, sizeof *m);
    m->memoryHeapCount = 1;
    m->memoryHeaps[0].size = 1ull << 30;
    m->memoryHeaps[0].flags = VK_MEMORY_HEAP_DEVICE_LOCAL_BIT;
    m->memoryTypeCount = 1;
    m->memoryTypes[0].heapIndex = 0;
    m->memoryTypes[0].propertyFlags = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceMemoryProperties2(
    VkPhysicalDevice pd, VkPhysicalDeviceMemoryProperties2 *m)
{
    mock_GetPhysicalDeviceMemoryProperties(pd, &m->memoryProperties);
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceFormatProperties(VkPhysicalDevice pd,
                                                                         VkFormat format,
                                                                         VkFormatProperties *p)
{
    (void)pd;
    (void)format;
    memset(p, 0, sizeof *p);
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceFormatProperties2(
    VkPhysicalDevice pd, VkFormat format, VkFormatProperties2 *p)
{
    mock_GetPhysicalDeviceFormatProperties(pd, format, &p->formatProperties);
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_GetPhysicalDeviceImageFormatProperties(
    VkPhysicalDevice pd, VkFormat format, VkImageType type, VkImageTiling tiling,
    VkImageUsageFlags usage, VkImageCreateFlags flags, VkImageFormatProperties *p)
{
    (void)pd, (void)format, (void)type, (void)tiling, (void)usage, (void)flags;
    memset(p, 0, sizeof *p);
    return VK_ERROR_FORMAT_NOT_SUPPORTED;
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceSparseImageFormatProperties(
    VkPhysicalDevice pd, VkFormat format, VkImageType type, VkSampleCountFlagBits samples,
    VkImageUsageFlags usage, VkImageTiling tiling, uint32_t *count,
    VkSparseImageFormatProperties *p)
{
    (void)pd, (void)format, (void)type, (void)samples, (void)usage, (void)tiling, (void)p;
    *count = 0;
}

static VKAPI_ATTR void VKAPI_CALL mock_GetPhysicalDeviceSparseImageFormatProperties2(
    VkPhysicalDevice pd, const VkPhysicalDeviceSparseImageFormatInfo2 *info, uint32_t *count,
    VkSparseImageFormatProperties2 *p)
{
    (void)pd, (void)info, (void)p;
    *count = 0;
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_EnumerateDeviceExtensionProperties(
    VkPhysicalDevice pd, const char *layer, uint32_t *count, VkExtensionProperties *props)
{
    (void)pd;
    if (layer) {
        *count = 0;
        return VK_ERROR_LAYER_NOT_PRESENT;
    }
    return fill_array(device_extensions, COUNT(device_extensions), sizeof *props, count, props);
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_EnumerateDeviceLayerProperties(VkPhysicalDevice pd,
                                                                          uint32_t *count,
                                                                          VkLayerProperties *p)
{
    (void)pd;
    (void)p;
    *count = 0;
    return VK_SUCCESS;
}

/* ---- device functions --------------------------------------------------- */

static PFN_vkVoidFunction device_proc(const char *name);

static VKAPI_ATTR VkResult VKAPI_CALL mock_CreateDevice(VkPhysicalDevice pd,
                                                        const VkDeviceCreateInfo *info,
                                                        const VkAllocationCallbacks *alloc,
                                                        VkDevice *out)
{
    (void)info;
    (void)alloc;
    struct mock_device *d = calloc(1, sizeof *d);
    if (!d)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    set_loader_magic_value(d);
    set_loader_magic_value(&d->queue);
    d->gpu = gpu_of(pd);
    log_event("create_device", "%04x:%04x", d->gpu->vendor, d->gpu->device);
    *out = (VkDevice)d;
    return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL mock_DestroyDevice(VkDevice device,
                                                     const VkAllocationCallbacks *alloc)
{
    (void)alloc;
    if (!device)
        return;
    log_event("destroy_device", NULL);
    free(device);
}

static VKAPI_ATTR void VKAPI_CALL mock_GetDeviceQueue(VkDevice device, uint32_t family,
                                                      uint32_t index, VkQueue *q)
{
    (void)family;
    (void)index;
    *q = (VkQueue) & ((struct mock_device *)device)->queue;
}

static VKAPI_ATTR VkResult VKAPI_CALL mock_DeviceWaitIdle(VkDevice device)
{
    (void)device;
    return VK_SUCCESS;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL mock_GetDeviceProcAddr(VkDevice device,
                                                                       const char *name)
{
    (void)device;
    return device_proc(name);
}

/* ---- lookup ------------------------------------------------------------- */

struct entry {
    const char *name;
    PFN_vkVoidFunction fn;
};
#define E(name, fn) {name, (PFN_vkVoidFunction)fn}

static const struct entry global_entries[] = {
    E("vkCreateInstance", mock_CreateInstance),
    E("vkEnumerateInstanceExtensionProperties", mock_EnumerateInstanceExtensionProperties),
    E("vkEnumerateInstanceVersion", mock_EnumerateInstanceVersion),
};

static const struct entry device_entries[] = {
    E("vkGetDeviceProcAddr", mock_GetDeviceProcAddr),
    E("vkDestroyDevice", mock_DestroyDevice),
    E("vkGetDeviceQueue", mock_GetDeviceQueue),
    E("vkDeviceWaitIdle", mock_DeviceWaitIdle),
};

/* Physical-device functions: also what vk_icdGetPhysicalDeviceProcAddr answers. */
static const struct entry physical_entries[] = {
    E("vkGetPhysicalDeviceProperties", mock_GetPhysicalDeviceProperties),
    E("vkGetPhysicalDeviceProperties2", mock_GetPhysicalDeviceProperties2),
    E("vkGetPhysicalDeviceProperties2KHR", mock_GetPhysicalDeviceProperties2),
    E("vkGetPhysicalDeviceFeatures", mock_GetPhysicalDeviceFeatures),
    E("vkGetPhysicalDeviceFeatures2", mock_GetPhysicalDeviceFeatures2),
    E("vkGetPhysicalDeviceFeatures2KHR", mock_GetPhysicalDeviceFeatures2),
    E("vkGetPhysicalDeviceQueueFamilyProperties", mock_GetPhysicalDeviceQueueFamilyProperties),
    E("vkGetPhysicalDeviceQueueFamilyProperties2", mock_GetPhysicalDeviceQueueFamilyProperties2),
    E("vkGetPhysicalDeviceQueueFamilyProperties2KHR",
      mock_GetPhysicalDeviceQueueFamilyProperties2),
    E("vkGetPhysicalDeviceMemoryProperties", mock_GetPhysicalDeviceMemoryProperties),
    E("vkGetPhysicalDeviceMemoryProperties2", mock_GetPhysicalDeviceMemoryProperties2),
    E("vkGetPhysicalDeviceMemoryProperties2KHR", mock_GetPhysicalDeviceMemoryProperties2),
    E("vkGetPhysicalDeviceFormatProperties", mock_GetPhysicalDeviceFormatProperties),
    E("vkGetPhysicalDeviceFormatProperties2", mock_GetPhysicalDeviceFormatProperties2),
    E("vkGetPhysicalDeviceFormatProperties2KHR", mock_GetPhysicalDeviceFormatProperties2),
    E("vkGetPhysicalDeviceImageFormatProperties", mock_GetPhysicalDeviceImageFormatProperties),
    E("vkGetPhysicalDeviceSparseImageFormatProperties",
      mock_GetPhysicalDeviceSparseImageFormatProperties),
    E("vkGetPhysicalDeviceSparseImageFormatProperties2",
      mock_GetPhysicalDeviceSparseImageFormatProperties2),
    E("vkGetPhysicalDeviceSparseImageFormatProperties2KHR",
      mock_GetPhysicalDeviceSparseImageFormatProperties2),
    E("vkEnumerateDeviceExtensionProperties", mock_EnumerateDeviceExtensionProperties),
    E("vkEnumerateDeviceLayerProperties", mock_EnumerateDeviceLayerProperties),
    E("vkCreateDevice", mock_CreateDevice),
};

static const struct entry instance_entries[] = {
    E("vkDestroyInstance", mock_DestroyInstance),
    E("vkEnumeratePhysicalDevices", mock_EnumeratePhysicalDevices),
    E("vkEnumeratePhysicalDeviceGroups", mock_EnumeratePhysicalDeviceGroups),
    E("vkEnumeratePhysicalDeviceGroupsKHR", mock_EnumeratePhysicalDeviceGroups),
};

static PFN_vkVoidFunction find(const struct entry *t, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return t[i].fn;
    return NULL;
}

static PFN_vkVoidFunction device_proc(const char *name)
{
    return find(device_entries, COUNT(device_entries), name);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL mock_GetInstanceProcAddr(VkInstance instance,
                                                                         const char *name)
{
    PFN_vkVoidFunction f = find(global_entries, COUNT(global_entries), name);
    if (f || !instance)
        return f;
    if ((f = find(instance_entries, COUNT(instance_entries), name)))
        return f;
    if ((f = find(physical_entries, COUNT(physical_entries), name)))
        return f;
    if (!strcmp(name, "vkGetInstanceProcAddr"))
        return (PFN_vkVoidFunction)mock_GetInstanceProcAddr;
    return device_proc(name);
}

/* ---- the loader interface ----------------------------------------------- */

EXPORT VKAPI_ATTR VkResult VKAPI_CALL vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t *version)
{
    log_event("negotiate", "loader=%u", *version);
    if (*version < 5)
        return VK_ERROR_INCOMPATIBLE_DRIVER;
    *version = 5;
    return VK_SUCCESS;
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetInstanceProcAddr(VkInstance instance,
                                                                          const char *name)
{
    return mock_GetInstanceProcAddr(instance, name);
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetPhysicalDeviceProcAddr(VkInstance instance,
                                                                                const char *name)
{
    (void)instance;
    return find(physical_entries, COUNT(physical_entries), name);
}
