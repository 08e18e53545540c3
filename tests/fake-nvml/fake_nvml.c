/*
 * A fake libnvidia-ml.so for the tests: enough of the NVML C API for
 * nvml-wrapper 0.13 to initialise and read what gpu-launch asks for, with the
 * devices configured by environment variables, so the NVML path runs for real
 * on machines without NVIDIA hardware.
 *
 *   FAKE_NVML_RECORD=FILE     append "init" to FILE on every nvmlInit*, and
 *                             "shutdown" on every nvmlShutdown
 *   FAKE_NVML_INIT_RESULT=N   nvmlInit* returns N (e.g. 9: driver not loaded)
 *   FAKE_NVML_DRIVER=VERSION  nvmlSystemGetDriverVersion
 *   FAKE_NVML_DEVICES=D;D...  each D is
 *       busid|name|uuid|memory_total_mib|memory_used_mib|utilization|temperature|power_mw
 *       e.g. 00000000:01:00.0|NVIDIA GeForce RTX 4060 Laptop GPU|GPU-1234|8188|512|37|45|15250
 *
 * Built by the tests with `cc -shared -fPIC`. With -DFAKE_NVML_BROKEN it lacks
 * nvmlShutdown and nvmlDeviceGetName (a partial library: nvml-wrapper keeps a
 * per-symbol error, and its Drop would panic on the missing nvmlShutdown).
 *
 * Struct layouts follow nvml.h as nvml-wrapper-sys 0.10 binds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_INSUFFICIENT_SIZE 7

#define MAX_DEVICES 8

struct fake_device {
    char bus_id[32];
    char name[96];
    char uuid[96];
    unsigned long long total_mib, used_mib;
    unsigned int utilization, temperature, power_mw;
};

typedef struct fake_device *nvmlDevice_t;

typedef struct {
    char busIdLegacy[16];
    unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
    char busId[32];
} nvmlPciInfo_t;

typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct {
    unsigned int version;
    unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;

typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;

static struct fake_device devices[MAX_DEVICES];
static unsigned int device_count;
static int initialised;

static void record(const char *what) {
    const char *path = getenv("FAKE_NVML_RECORD");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    fprintf(f, "%s\n", what);
    fclose(f);
}

static void copy_field(char *dst, size_t size, const char *src) {
    snprintf(dst, size, "%s", src ? src : "");
}

static void load_devices(void) {
    device_count = 0;
    const char *spec = getenv("FAKE_NVML_DEVICES");
    if (!spec)
        return;
    char *copy = strdup(spec);
    if (!copy)
        return;
    char *save_dev = NULL;
    for (char *dev = strtok_r(copy, ";", &save_dev); dev && device_count < MAX_DEVICES;
         dev = strtok_r(NULL, ";", &save_dev)) {
        struct fake_device *d = &devices[device_count];
        memset(d, 0, sizeof *d);
        char *fields[8] = {0};
        int n = 0;
        char *p = dev;
        while (n < 8) {
            fields[n++] = p;
            char *bar = strchr(p, '|');
            if (!bar)
                break;
            *bar = '\0';
            p = bar + 1;
        }
        copy_field(d->bus_id, sizeof d->bus_id, fields[0]);
        copy_field(d->name, sizeof d->name, fields[1]);
        copy_field(d->uuid, sizeof d->uuid, fields[2]);
        d->total_mib = fields[3] ? strtoull(fields[3], NULL, 10) : 0;
        d->used_mib = fields[4] ? strtoull(fields[4], NULL, 10) : 0;
        d->utilization = fields[5] ? (unsigned)strtoul(fields[5], NULL, 10) : 0;
        d->temperature = fields[6] ? (unsigned)strtoul(fields[6], NULL, 10) : 0;
        d->power_mw = fields[7] ? (unsigned)strtoul(fields[7], NULL, 10) : 0;
        device_count++;
    }
    free(copy);
}

static nvmlReturn_t init(void) {
    record("init");
    const char *result = getenv("FAKE_NVML_INIT_RESULT");
    if (result && *result && atoi(result) != NVML_SUCCESS)
        return atoi(result);
    load_devices();
    initialised = 1;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void) { return init(); }
nvmlReturn_t nvmlInitWithFlags(unsigned int flags) { (void)flags; return init(); }

#ifndef FAKE_NVML_BROKEN
nvmlReturn_t nvmlShutdown(void) {
    record("shutdown");
    initialised = 0;
    return NVML_SUCCESS;
}
#endif

const char *nvmlErrorString(nvmlReturn_t result) {
    return result == NVML_SUCCESS ? "Success" : "Fake NVML error";
}

static nvmlReturn_t put_string(char *dst, unsigned int length, const char *src) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!dst)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (strlen(src) + 1 > length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(dst, src, strlen(src) + 1);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    const char *v = getenv("FAKE_NVML_DRIVER");
    return put_string(version, length, v ? v : "550.54.14");
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *count = device_count;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= device_count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = &devices[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !pci)
        return NVML_ERROR_INVALID_ARGUMENT;
    memset(pci, 0, sizeof *pci);
    unsigned int domain = 0, bus = 0, dev = 0, fn = 0;
    sscanf(device->bus_id, "%x:%x:%x.%x", &domain, &bus, &dev, &fn);
    pci->domain = domain;
    pci->bus = bus;
    pci->device = dev;
    pci->pciDeviceId = 0x28e010de;
    copy_field(pci->busId, sizeof pci->busId, device->bus_id);
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
    return NVML_SUCCESS;
}

#ifndef FAKE_NVML_BROKEN
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    if (!device)
        return NVML_ERROR_INVALID_ARGUMENT;
    return put_string(name, length, device->name);
}
#endif

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    if (!device)
        return NVML_ERROR_INVALID_ARGUMENT;
    return put_string(uuid, length, device->uuid);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !memory)
        return NVML_ERROR_INVALID_ARGUMENT;
    memory->total = device->total_mib << 20;
    memory->used = device->used_mib << 20;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !memory || (memory->version >> 24) != 2)
        return NVML_ERROR_INVALID_ARGUMENT;
    memory->total = device->total_mib << 20;
    memory->used = device->used_mib << 20;
    memory->reserved = 0;
    memory->free = memory->total - memory->used;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !utilization)
        return NVML_ERROR_INVALID_ARGUMENT;
    utilization->gpu = device->utilization;
    utilization->memory = 0;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, int sensor, unsigned int *temp) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !temp || sensor != 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    *temp = device->temperature;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    if (!initialised)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || !power)
        return NVML_ERROR_INVALID_ARGUMENT;
    *power = device->power_mw;
    return NVML_SUCCESS;
}
