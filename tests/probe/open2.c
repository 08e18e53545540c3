/* The positive control of tests/launch_path.rs: opens each argument with
 * openat2(2), then with openat(2), so a trace that shows these shows any
 * open gpu-launch makes, whichever call it uses. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
        long fd = syscall(SYS_openat2, AT_FDCWD, argv[i], &how, sizeof how);
        if (fd >= 0) close((int)fd);
        fd = openat(AT_FDCWD, argv[i], O_RDONLY | O_CLOEXEC);
        if (fd >= 0) close((int)fd);
    }
    return 0;
}
