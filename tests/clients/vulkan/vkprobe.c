/*
 * vkprobe.c - the smallest Vulkan program that shows which GPU it lands on,
 * for gpu-launch's real-client Vulkan test (tests/vulkan.rs), which builds
 * it with the sysfs shim linked in (../sysfs_shim.c) and starts it through
 * gpu-launch.
 *
 *   vkprobe [--api 1.0|1.1|1.2|1.3] [--no-device] [--groups] [--timeout SECONDS]
 *
 * Creates an instance with the given apiVersion (default 1.3), as a program
 * written for that version would, lists the physical devices in the order
 * vkEnumeratePhysicalDevices returns them (after the loader's sort and every
 * layer, Mesa's device-select included), then creates a logical device on
 * the first one, as a typical program does (--no-device skips that).
 *
 * --groups (1.1+) also lists vkEnumeratePhysicalDeviceGroups' order
 * ("group N VVVV:DDDD" lines and "first-group VVVV:DDDD"): Mesa's layer only
 * moves CPU groups last there, it applies no selection.
 *
 * Output on stdout, one line per item, easy to parse:
 *   api 1.3
 *   count 3
 *   device 0 10de:28e0 discrete pci=0000:01:00.0 name=NVIDIA GeForce RTX 4060
 *   device 1 8086:a7a0 integrated pci=0000:00:02.0 name=Mock Intel
 *   device 2 10005:0 cpu pci=none name=llvmpipe (LLVM 15.0.6, 256 bits)
 *   first 10de:28e0 pci=0000:01:00.0
 *   created-device 10de:28e0
 * "pci=none": the device does not list VK_EXT_pci_bus_info (lavapipe).
 * For a 1.0 program the PCI address is read with
 * vkGetPhysicalDeviceProperties2KHR when the instance offers
 * VK_KHR_get_physical_device_properties2 (this changes nothing in the
 * loader's sort or in device-select, which look at apiVersion only);
 * "pci=?" when it does not.
 *
 * Exit status: 0 ok, 2 bad usage, 3 a Vulkan call failed, 4 no device,
 * 124 the watchdog fired (default 10 s; VKPROBE_TIMEOUT or --timeout).
 * The watchdog is alarm(): it fires even when the process is stuck inside
 * the loader, which is the point.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "vkprobe: timeout: the Vulkan loader or a layer did not return\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(124);
}

static const char *type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "cpu";
    default:
        return "other";
    }
}

static int has_device_ext(VkPhysicalDevice pd, const char *want)
{
    uint32_t n = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS || n == 0)
        return 0;
    VkExtensionProperties *e = calloc(n, sizeof *e);
    if (!e)
        return 0;
    int found = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            if (!strcmp(e[i].extensionName, want))
                found = 1;
    free(e);
    return found;
}

static int has_instance_ext(const char *want)
{
    uint32_t n = 0;
    if (vkEnumerateInstanceExtensionProperties(NULL, &n, NULL) != VK_SUCCESS || n == 0)
        return 0;
    VkExtensionProperties *e = calloc(n, sizeof *e);
    if (!e)
        return 0;
    int found = 0;
    if (vkEnumerateInstanceExtensionProperties(NULL, &n, e) == VK_SUCCESS)
        for (uint32_t i = 0; i < n; i++)
            if (!strcmp(e[i].extensionName, want))
                found = 1;
    free(e);
    return found;
}

int main(int argc, char **argv)
{
    unsigned minor = 3;
    int make_device = 1;
    int groups = 0;
    unsigned timeout = 10;
    const char *t = getenv("VKPROBE_TIMEOUT");
    if (t && *t)
        timeout = (unsigned)strtoul(t, NULL, 10);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--api") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "1.0"))
                minor = 0;
            else if (!strcmp(v, "1.1"))
                minor = 1;
            else if (!strcmp(v, "1.2"))
                minor = 2;
            else if (!strcmp(v, "1.3"))
                minor = 3;
            else {
                fprintf(stderr, "vkprobe: --api takes 1.0, 1.1, 1.2 or 1.3\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--groups")) {
            groups = 1;
        } else if (!strcmp(argv[i], "--no-device")) {
            make_device = 0;
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            timeout = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr,
                    "usage: vkprobe [--api 1.0|1.1|1.2|1.3] [--no-device] [--groups] [--timeout S]\n");
            return 2;
        }
    }
    signal(SIGALRM, on_alarm);
    if (timeout)
        alarm(timeout);
    setvbuf(stdout, NULL, _IOLBF, 0);

    uint32_t api = VK_MAKE_API_VERSION(0, 1, minor, 0);
    printf("api 1.%u\n", minor);

    const char *exts[1];
    uint32_t n_ext = 0;
    int props2_khr = 0;
    if (minor == 0 && has_instance_ext(VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME)) {
        exts[n_ext++] = VK_KHR_GET_PHYSICAL_DEVICE_PROPERTIES_2_EXTENSION_NAME;
        props2_khr = 1;
    }
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "vkprobe",
        .pEngineName = "vkprobe",
        .apiVersion = api,
    };
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
        .enabledExtensionCount = n_ext,
        .ppEnabledExtensionNames = exts,
    };
    VkInstance inst;
    VkResult r = vkCreateInstance(&ci, NULL, &inst);
    if (r != VK_SUCCESS) {
        printf("error vkCreateInstance %d\n", r);
        return 3;
    }
    PFN_vkGetPhysicalDeviceProperties2 props2 = NULL;
    if (minor >= 1)
        props2 = (PFN_vkGetPhysicalDeviceProperties2)vkGetInstanceProcAddr(
            inst, "vkGetPhysicalDeviceProperties2");
    else if (props2_khr)
        props2 = (PFN_vkGetPhysicalDeviceProperties2)vkGetInstanceProcAddr(
            inst, "vkGetPhysicalDeviceProperties2KHR");

    uint32_t count = 0;
    r = vkEnumeratePhysicalDevices(inst, &count, NULL);
    if (r != VK_SUCCESS) {
        printf("error vkEnumeratePhysicalDevices %d\n", r);
        vkDestroyInstance(inst, NULL);
        return 3;
    }
    VkPhysicalDevice *pds = calloc(count ? count : 1, sizeof *pds);
    r = vkEnumeratePhysicalDevices(inst, &count, pds);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        printf("error vkEnumeratePhysicalDevices %d\n", r);
        vkDestroyInstance(inst, NULL);
        return 3;
    }
    printf("count %u\n", count);
    char first[128] = "";
    for (uint32_t i = 0; i < count; i++) {
        VkPhysicalDeviceProperties p;
        vkGetPhysicalDeviceProperties(pds[i], &p);
        char pci[32] = "?";
        if (!has_device_ext(pds[i], VK_EXT_PCI_BUS_INFO_EXTENSION_NAME)) {
            snprintf(pci, sizeof pci, "none");
        } else if (props2) {
            VkPhysicalDevicePCIBusInfoPropertiesEXT bus = {
                .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PCI_BUS_INFO_PROPERTIES_EXT,
            };
            VkPhysicalDeviceProperties2 p2 = {
                .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                .pNext = &bus,
            };
            props2(pds[i], &p2);
            snprintf(pci, sizeof pci, "%04x:%02x:%02x.%x", bus.pciDomain, bus.pciBus,
                     bus.pciDevice, bus.pciFunction);
        }
        printf("device %u %04x:%04x %s pci=%s name=%s\n", i, p.vendorID, p.deviceID,
               type_name(p.deviceType), pci, p.deviceName);
        if (i == 0)
            snprintf(first, sizeof first, "%04x:%04x pci=%s", p.vendorID, p.deviceID, pci);
    }
    if (count == 0) {
        printf("first none\n");
        vkDestroyInstance(inst, NULL);
        return 4;
    }
    printf("first %s\n", first);

    if (groups && minor >= 1) {
        uint32_t ng = 0;
        if (vkEnumeratePhysicalDeviceGroups(inst, &ng, NULL) == VK_SUCCESS && ng > 0) {
            VkPhysicalDeviceGroupProperties *g = calloc(ng, sizeof *g);
            for (uint32_t i = 0; i < ng; i++)
                g[i].sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_GROUP_PROPERTIES;
            if (g && vkEnumeratePhysicalDeviceGroups(inst, &ng, g) == VK_SUCCESS) {
                for (uint32_t i = 0; i < ng; i++) {
                    VkPhysicalDeviceProperties p;
                    vkGetPhysicalDeviceProperties(g[i].physicalDevices[0], &p);
                    printf("group %u %04x:%04x\n", i, p.vendorID, p.deviceID);
                    if (i == 0)
                        printf("first-group %04x:%04x\n", p.vendorID, p.deviceID);
                }
            }
            free(g);
        }
    }

    if (make_device) {
        float prio = 1.0f;
        VkDeviceQueueCreateInfo q = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
            .queueFamilyIndex = 0,
            .queueCount = 1,
            .pQueuePriorities = &prio,
        };
        VkDeviceCreateInfo dci = {
            .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
            .queueCreateInfoCount = 1,
            .pQueueCreateInfos = &q,
        };
        VkDevice dev;
        r = vkCreateDevice(pds[0], &dci, NULL, &dev);
        if (r != VK_SUCCESS) {
            printf("error vkCreateDevice %d\n", r);
            vkDestroyInstance(inst, NULL);
            return 3;
        }
        VkQueue queue;
        vkGetDeviceQueue(dev, 0, 0, &queue);
        vkDeviceWaitIdle(dev);
        vkDestroyDevice(dev, NULL);
        printf("created-device %.9s\n", first);
    }
    vkDestroyInstance(inst, NULL);
    free(pds);
    return 0;
}
