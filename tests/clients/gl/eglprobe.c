/*
 * eglprobe.c - which EGL implementation a program gets, for gpu-launch's GL
 * test (tests/gl.rs): asks libglvnd's libEGL for a surfaceless display
 * (EGL_MESA_platform_surfaceless, which needs no window system), initializes
 * it and prints the vendor string:
 *
 *   vendor Mesa Project
 *
 * Exit status: 0, 3 when no vendor gave a display or it did not initialize.
 */
#include <stdio.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>

int main(void)
{
    EGLDisplay dpy = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
    if (dpy == EGL_NO_DISPLAY) {
        printf("no-display 0x%x\n", eglGetError());
        return 3;
    }
    EGLint major = 0, minor = 0;
    if (!eglInitialize(dpy, &major, &minor)) {
        printf("no-initialize 0x%x\n", eglGetError());
        return 3;
    }
    const char *vendor = eglQueryString(dpy, EGL_VENDOR);
    printf("vendor %s\n", vendor ? vendor : "(none)");
    eglTerminate(dpy);
    return 0;
}
