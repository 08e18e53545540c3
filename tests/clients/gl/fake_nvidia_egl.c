/*
 * fake_nvidia_egl.c - an EGL vendor library for libglvnd that stands in for
 * NVIDIA's (libEGL_nvidia.so, listed by NVIDIA's driver as
 * egl_vendor.d/10_nvidia.json), for gpu-launch's GL test (tests/gl.rs).
 *
 * It does what NVIDIA's EGL does on a desktop NVIDIA drives: it returns a
 * display for the platform asked (it has a GPU to render on), so libglvnd,
 * which asks its vendors in file-name order, never gets to Mesa's
 * 50_mesa.json. eglQueryString(dpy, EGL_VENDOR) then names this library.
 *
 * libglvnd's vendor ABI (glvnd/libeglabi.h, version 0.x): __egl_Main fills
 * the imports table; every core EGL 1.5 function must be found through
 * getProcAddress (libeglvendor.c, LookupVendorEntrypoints), so the ones this
 * test never reaches share one stub that fails.
 */
#include <stdint.h>
#include <string.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <glvnd/libeglabi.h>

#define EXPORT __attribute__((visibility("default")))

static int display_marker;

static EGLDisplay get_platform_display(EGLenum platform, void *native, const EGLAttrib *attribs)
{
    (void)platform, (void)native, (void)attribs;
    return (EGLDisplay)&display_marker;
}

static EGLBoolean supports_api(EGLenum api)
{
    return api == EGL_OPENGL_API || api == EGL_OPENGL_ES_API;
}

static const char *vendor_string(int name)
{
    if (name == __EGL_VENDOR_STRING_PLATFORM_EXTENSIONS)
        return "EGL_EXT_platform_base EGL_KHR_platform_gbm EGL_KHR_platform_wayland "
               "EGL_KHR_platform_x11 EGL_MESA_platform_surfaceless EGL_EXT_platform_device";
    return NULL;
}

static EGLBoolean EGLAPIENTRY initialize(EGLDisplay dpy, EGLint *major, EGLint *minor)
{
    if (dpy != (EGLDisplay)&display_marker)
        return EGL_FALSE;
    if (major)
        *major = 1;
    if (minor)
        *minor = 5;
    return EGL_TRUE;
}

static const char *EGLAPIENTRY query_string(EGLDisplay dpy, EGLint name)
{
    if (dpy != (EGLDisplay)&display_marker)
        return NULL;
    switch (name) {
    case EGL_VENDOR:
        return "NVIDIA Corporation (gpu-launch test stand-in)";
    case EGL_VERSION:
        return "1.5 fake";
    case EGL_CLIENT_APIS:
        return "OpenGL_ES OpenGL";
    case EGL_EXTENSIONS:
        return "";
    default:
        return NULL;
    }
}

static EGLint EGLAPIENTRY get_error(void)
{
    return EGL_SUCCESS;
}

static EGLBoolean EGLAPIENTRY true_stub(void)
{
    return EGL_TRUE;
}

static EGLBoolean EGLAPIENTRY false_stub(void)
{
    return EGL_FALSE;
}

static void *proc_address(const char *name)
{
    if (!strcmp(name, "eglInitialize"))
        return (void *)initialize;
    if (!strcmp(name, "eglQueryString"))
        return (void *)query_string;
    if (!strcmp(name, "eglGetError"))
        return (void *)get_error;
    if (!strcmp(name, "eglTerminate") || !strcmp(name, "eglReleaseThread") ||
        !strcmp(name, "eglBindAPI"))
        return (void *)true_stub;
    if (!strncmp(name, "egl", 3))
        return (void *)false_stub;
    return NULL;
}

static void *dispatch_address(const char *name)
{
    (void)name;
    return NULL;
}

static void set_dispatch_index(const char *name, int index)
{
    (void)name, (void)index;
}

EXPORT EGLBoolean __egl_Main(uint32_t version, const __EGLapiExports *exports,
                             __EGLvendorInfo *vendor, __EGLapiImports *imports)
{
    (void)exports, (void)vendor;
    if (EGL_VENDOR_ABI_GET_MAJOR_VERSION(version) != EGL_VENDOR_ABI_MAJOR_VERSION)
        return EGL_FALSE;
    memset(imports, 0, sizeof *imports);
    imports->getPlatformDisplay = get_platform_display;
    imports->getSupportsAPI = supports_api;
    imports->getVendorString = vendor_string;
    imports->getProcAddress = proc_address;
    imports->getDispatchAddress = dispatch_address;
    imports->setDispatchIndex = set_dispatch_index;
    return EGL_TRUE;
}
