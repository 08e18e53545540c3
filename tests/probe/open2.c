/* The positive control of tests/launch_path.rs: opens each argument (an
 * absolute path) with openat2(2), with openat(2), and with openat2(2)
 * relative to a descriptor of its directory, as gpu-launch reads sysfs, so
 * a trace that shows these shows any open gpu-launch makes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void open2(int dir, const char *path) {
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
    long fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
    if (fd >= 0) close((int)fd);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        open2(AT_FDCWD, argv[i]);
        int fd = openat(AT_FDCWD, argv[i], O_RDONLY | O_CLOEXEC);
        if (fd >= 0) close(fd);
        char dir[4096];
        const char *slash = strrchr(argv[i], '/');
        if (!slash || slash == argv[i] || (size_t)(slash - argv[i]) >= sizeof dir) continue;
        memcpy(dir, argv[i], (size_t)(slash - argv[i]));
        dir[slash - argv[i]] = '\0';
        int d = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (d < 0) continue;
        open2(d, slash + 1);
        close(d);
    }
    return 0;
}
