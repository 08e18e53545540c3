/*
 * sysfs_shim.c - make a program read a fixture machine's sysfs instead of
 * the real /sys, so the real client code in it (Mesa's Vulkan device-select
 * layer, libdrm) sees the fake GPUs of a gpu-launch test fixture.
 *
 * Use: link this file into the program itself, with -rdynamic (the tests
 * build vulkan/vkprobe.c and gl/drmtag.c that way): the executable's
 * definitions come first in the global symbol scope, so libvulkan, libdrm
 * and the layers they dlopen call them. Or build it as a shared object and
 * LD_PRELOAD it; the tests do not, so that nothing of it enters gpu-launch's
 * own process (see tests/vulkan.rs).
 *
 * Environment:
 *   SYSFS_SHIM_ROOT      the directory that stands in for /sys (the fixture
 *                        root, laid out like GPU_LAUNCH_SYSFS_ROOT's).
 *                        Unset or empty: the shim does nothing but log.
 *   SYSFS_SHIM_DEV_ROOT  optional: the directory that stands in for /dev/dri.
 *                        Unset: /dev paths are left alone (and logged).
 *   SYSFS_SHIM_LOG       optional file: one line per /sys or /dev path seen,
 *                        "<pid> <call> <path> -> <path used> = <result>",
 *                        appended with one O_APPEND write. A test can assert
 *                        from it that no /dev node was opened and what was read.
 *
 * Rewriting: a path equal to "/sys" or starting with "/sys/" becomes
 * SYSFS_SHIM_ROOT + the rest ("/sys/class/drm/card0/device/boot_vga" ->
 * "$ROOT/class/drm/card0/device/boot_vga"); "/dev/dri" and "/dev/dri/..."
 * likewise under SYSFS_SHIM_DEV_ROOT. The kernel then follows the fixture's
 * relative links (class/drm/card0 -> ../../devices/.../drm/card0,
 * device -> ../../../0000:01:00.0) inside the fixture. Relative paths and
 * *at() calls with a directory fd other than AT_FDCWD are not rewritten:
 * such an fd was already opened inside the fixture.
 *
 * What is hooked, and why:
 *   open64, open         Mesa 22.3's device-select layer reads
 *                        /sys/bus/pci/devices/<addr>/boot_vga (Vulkan 1.1+
 *                        programs) or /sys/class/drm/cardN/device/{boot_vga,
 *                        config} (Vulkan 1.0 programs) with open() (the
 *                        symbol it imports is open64). The only hook the
 *                        measured runs need.
 *   openat, openat64, __open_2, __open64_2, __openat_2, __openat64_2
 *                        the same call compiled with -D_FORTIFY_SOURCE or as
 *                        openat; libdrm (drmGetDevice2, reached by the
 *                        layer's Wayland/X11 paths) and newer Mesa use these.
 *   fopen, fopen64       glibc's fopen calls its internal open, which no
 *                        hook sees; libdrm reads uevent/config with fopen.
 *   opendir              libdrm lists /sys/class/drm and /dev/dri.
 *   stat, stat64, lstat, lstat64, fstatat, fstatat64, __xstat, __xstat64,
 *   __lxstat, __lxstat64, __fxstatat, __fxstatat64, statx
 *                        existence checks (libdrm, loaders); the __x forms
 *                        for binaries built against glibc < 2.33.
 *   access, faccessat    existence checks.
 *   readlink, readlinkat libdrm reads the device/subsystem links.
 *   realpath, __realpath_chk
 *                        glibc's realpath resolves links internally (no
 *                        hook sees those readlinks), so the whole call is
 *                        rewritten and the answer mapped back under /sys, as
 *                        the caller expects a /sys path.
 * Not hooked: syscall(SYS_open...), io_uring, and glibc-internal opens
 * (sysconf reading /sys/devices/system/cpu/possible for lavapipe's thread
 * count stays on the real /sys, which is what we want).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#define NEXT(name) ((__typeof__(&name))next_sym(#name))
#define NEXT_T(type, name) ((type)next_sym(name))

static void *next_sym(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static void shim_log(const char *call, const char *path, const char *used, long result, int err)
{
    const char *log = getenv("SYSFS_SHIM_LOG");
    if (!log || !*log)
        return;
    char line[PATH_MAX * 2 + 128];
    int n;
    if (result < 0)
        n = snprintf(line, sizeof line, "%d %s %s -> %s = -1 %s\n", (int)getpid(), call, path, used,
                     strerror(err));
    else
        n = snprintf(line, sizeof line, "%d %s %s -> %s = %ld\n", (int)getpid(), call, path, used,
                     result);
    if (n <= 0)
        return;
    if (n >= (int)sizeof line)
        n = (int)sizeof line - 1;
    int (*real_open)(const char *, int, ...) = NEXT_T(int (*)(const char *, int, ...), "open");
    int fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

/* Returns 1 when `path` is one we watch; `out` then holds the path to use. */
static int rewrite(const char *path, char *out, size_t size)
{
    if (!path || path[0] != '/')
        return 0;
    const char *root = NULL;
    const char *rest = NULL;
    if (!strncmp(path, "/sys", 4) && (path[4] == '\0' || path[4] == '/')) {
        root = getenv("SYSFS_SHIM_ROOT");
        rest = path + 4;
    } else if (!strncmp(path, "/dev/dri", 8) && (path[8] == '\0' || path[8] == '/')) {
        root = getenv("SYSFS_SHIM_DEV_ROOT");
        rest = path + 8;
    } else if (!strncmp(path, "/dev/", 5)) {
        root = NULL; /* other /dev nodes: logged, never rewritten */
        rest = path;
    } else {
        return 0;
    }
    if (!root || !*root) {
        snprintf(out, size, "%s", path);
        return 1;
    }
    if ((size_t)snprintf(out, size, "%s%s", root, rest) >= size)
        snprintf(out, size, "%s", path);
    return 1;
}

#define PATH_CALL(call, path, expr)                                                        \
    do {                                                                                   \
        char used_[PATH_MAX];                                                              \
        if (!rewrite(path, used_, sizeof used_)) {                                         \
            const char *p_ = path;                                                         \
            return expr;                                                                   \
        }                                                                                  \
        const char *p_ = used_;                                                            \
        __typeof__(expr) r_ = expr;                                                        \
        int e_ = errno;                                                                    \
        shim_log(call, path, used_, (long)(r_ < 0 ? -1 : r_), e_);                         \
        errno = e_;                                                                        \
        return r_;                                                                         \
    } while (0)

static mode_t mode_arg(int flags, va_list ap)
{
    if (flags & (O_CREAT | __O_TMPFILE))
        return (mode_t)va_arg(ap, int);
    return 0;
}

/* ---- open family -------------------------------------------------------- */

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int (*real)(const char *, int, ...) = NEXT_T(int (*)(const char *, int, ...), "open");
    PATH_CALL("open", path, real(p_, flags, mode));
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int (*real)(const char *, int, ...) = NEXT_T(int (*)(const char *, int, ...), "open64");
    PATH_CALL("open64", path, real(p_, flags, mode));
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int (*real)(int, const char *, int, ...) =
        NEXT_T(int (*)(int, const char *, int, ...), "openat");
    PATH_CALL("openat", path, real(dirfd, p_, flags, mode));
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    int (*real)(int, const char *, int, ...) =
        NEXT_T(int (*)(int, const char *, int, ...), "openat64");
    PATH_CALL("openat64", path, real(dirfd, p_, flags, mode));
}

int __open_2(const char *path, int flags)
{
    int (*real)(const char *, int) = NEXT_T(int (*)(const char *, int), "__open_2");
    PATH_CALL("__open_2", path, real(p_, flags));
}

int __open64_2(const char *path, int flags)
{
    int (*real)(const char *, int) = NEXT_T(int (*)(const char *, int), "__open64_2");
    PATH_CALL("__open64_2", path, real(p_, flags));
}

int __openat_2(int dirfd, const char *path, int flags)
{
    int (*real)(int, const char *, int) = NEXT_T(int (*)(int, const char *, int), "__openat_2");
    PATH_CALL("__openat_2", path, real(dirfd, p_, flags));
}

int __openat64_2(int dirfd, const char *path, int flags)
{
    int (*real)(int, const char *, int) =
        NEXT_T(int (*)(int, const char *, int), "__openat64_2");
    PATH_CALL("__openat64_2", path, real(dirfd, p_, flags));
}

/* fopen returns a pointer: log NULL as -1. */
#define PTR_CALL(call, path, type, expr)                                                   \
    do {                                                                                   \
        char used_[PATH_MAX];                                                              \
        if (!rewrite(path, used_, sizeof used_)) {                                         \
            const char *p_ = path;                                                         \
            return expr;                                                                   \
        }                                                                                  \
        const char *p_ = used_;                                                            \
        type r_ = expr;                                                                    \
        int e_ = errno;                                                                    \
        shim_log(call, path, used_, r_ ? 0 : -1, e_);                                      \
        errno = e_;                                                                        \
        return r_;                                                                         \
    } while (0)

FILE *fopen(const char *path, const char *mode)
{
    FILE *(*real)(const char *, const char *) =
        NEXT_T(FILE * (*)(const char *, const char *), "fopen");
    PTR_CALL("fopen", path, FILE *, real(p_, mode));
}

FILE *fopen64(const char *path, const char *mode)
{
    FILE *(*real)(const char *, const char *) =
        NEXT_T(FILE * (*)(const char *, const char *), "fopen64");
    PTR_CALL("fopen64", path, FILE *, real(p_, mode));
}

DIR *opendir(const char *path)
{
    DIR *(*real)(const char *) = NEXT_T(DIR * (*)(const char *), "opendir");
    PTR_CALL("opendir", path, DIR *, real(p_));
}

/* ---- stat family -------------------------------------------------------- */

int stat(const char *path, struct stat *st)
{
    int (*real)(const char *, struct stat *) =
        NEXT_T(int (*)(const char *, struct stat *), "stat");
    PATH_CALL("stat", path, real(p_, st));
}

int stat64(const char *path, struct stat64 *st)
{
    int (*real)(const char *, struct stat64 *) =
        NEXT_T(int (*)(const char *, struct stat64 *), "stat64");
    PATH_CALL("stat64", path, real(p_, st));
}

int lstat(const char *path, struct stat *st)
{
    int (*real)(const char *, struct stat *) =
        NEXT_T(int (*)(const char *, struct stat *), "lstat");
    PATH_CALL("lstat", path, real(p_, st));
}

int lstat64(const char *path, struct stat64 *st)
{
    int (*real)(const char *, struct stat64 *) =
        NEXT_T(int (*)(const char *, struct stat64 *), "lstat64");
    PATH_CALL("lstat64", path, real(p_, st));
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    int (*real)(int, const char *, struct stat *, int) =
        NEXT_T(int (*)(int, const char *, struct stat *, int), "fstatat");
    PATH_CALL("fstatat", path, real(dirfd, p_, st, flags));
}

int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
    int (*real)(int, const char *, struct stat64 *, int) =
        NEXT_T(int (*)(int, const char *, struct stat64 *, int), "fstatat64");
    PATH_CALL("fstatat64", path, real(dirfd, p_, st, flags));
}

int __xstat(int ver, const char *path, struct stat *st)
{
    int (*real)(int, const char *, struct stat *) =
        NEXT_T(int (*)(int, const char *, struct stat *), "__xstat");
    PATH_CALL("__xstat", path, real(ver, p_, st));
}

int __xstat64(int ver, const char *path, struct stat64 *st)
{
    int (*real)(int, const char *, struct stat64 *) =
        NEXT_T(int (*)(int, const char *, struct stat64 *), "__xstat64");
    PATH_CALL("__xstat64", path, real(ver, p_, st));
}

int __lxstat(int ver, const char *path, struct stat *st)
{
    int (*real)(int, const char *, struct stat *) =
        NEXT_T(int (*)(int, const char *, struct stat *), "__lxstat");
    PATH_CALL("__lxstat", path, real(ver, p_, st));
}

int __lxstat64(int ver, const char *path, struct stat64 *st)
{
    int (*real)(int, const char *, struct stat64 *) =
        NEXT_T(int (*)(int, const char *, struct stat64 *), "__lxstat64");
    PATH_CALL("__lxstat64", path, real(ver, p_, st));
}

int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
    int (*real)(int, int, const char *, struct stat *, int) =
        NEXT_T(int (*)(int, int, const char *, struct stat *, int), "__fxstatat");
    PATH_CALL("__fxstatat", path, real(ver, dirfd, p_, st, flags));
}

int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
    int (*real)(int, int, const char *, struct stat64 *, int) =
        NEXT_T(int (*)(int, int, const char *, struct stat64 *, int), "__fxstatat64");
    PATH_CALL("__fxstatat64", path, real(ver, dirfd, p_, st, flags));
}

struct statx;
int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *st)
{
    int (*real)(int, const char *, int, unsigned int, struct statx *) =
        NEXT_T(int (*)(int, const char *, int, unsigned int, struct statx *), "statx");
    PATH_CALL("statx", path, real(dirfd, p_, flags, mask, st));
}

int access(const char *path, int mode)
{
    int (*real)(const char *, int) = NEXT_T(int (*)(const char *, int), "access");
    PATH_CALL("access", path, real(p_, mode));
}

int faccessat(int dirfd, const char *path, int mode, int flags)
{
    int (*real)(int, const char *, int, int) =
        NEXT_T(int (*)(int, const char *, int, int), "faccessat");
    PATH_CALL("faccessat", path, real(dirfd, p_, mode, flags));
}

/* ---- links -------------------------------------------------------------- */

ssize_t readlink(const char *path, char *buf, size_t size)
{
    ssize_t (*real)(const char *, char *, size_t) =
        NEXT_T(ssize_t(*)(const char *, char *, size_t), "readlink");
    PATH_CALL("readlink", path, real(p_, buf, size));
}

ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
    ssize_t (*real)(int, const char *, char *, size_t) =
        NEXT_T(ssize_t(*)(int, const char *, char *, size_t), "readlinkat");
    PATH_CALL("readlinkat", path, real(dirfd, p_, buf, size));
}

/* Maps an answer under the fixture root back to /sys (or /dev/dri). */
static char *map_back(char *resolved)
{
    if (!resolved)
        return resolved;
    const char *pairs[2][2] = {{"SYSFS_SHIM_ROOT", "/sys"}, {"SYSFS_SHIM_DEV_ROOT", "/dev/dri"}};
    for (int i = 0; i < 2; i++) {
        const char *root = getenv(pairs[i][0]);
        if (!root || !*root)
            continue;
        char canon[PATH_MAX];
        char *(*real)(const char *, char *) =
            NEXT_T(char *(*)(const char *, char *), "realpath");
        if (!real(root, canon))
            continue;
        size_t n = strlen(canon);
        if (!strncmp(resolved, canon, n) && (resolved[n] == '\0' || resolved[n] == '/')) {
            char tmp[PATH_MAX];
            if ((size_t)snprintf(tmp, sizeof tmp, "%s%s", pairs[i][1], resolved + n) < sizeof tmp)
                strcpy(resolved, tmp);
            break;
        }
    }
    return resolved;
}

char *realpath(const char *path, char *resolved)
{
    char *(*real)(const char *, char *) = NEXT_T(char *(*)(const char *, char *), "realpath");
    char used[PATH_MAX];
    if (!rewrite(path, used, sizeof used))
        return real(path, resolved);
    char *r = map_back(real(used, resolved));
    int e = errno;
    shim_log("realpath", path, r ? r : used, r ? 0 : -1, e);
    errno = e;
    return r;
}

char *__realpath_chk(const char *path, char *resolved, size_t size)
{
    (void)size;
    return realpath(path, resolved);
}
