/* The attacker of tests/state_swap.rs: exchanges the names A and B
 * (renameat2 with RENAME_EXCHANGE, atomic) in a tight loop, as whatever user
 * it was started as, until the file STOP exists. Prints `ready` after its
 * first attempt, then at the end `SWAPS FAILURES LAST_ERRNO`. It also stops
 * when the test that started it is gone (a failed test must not leave it
 * spinning).
 *
 * usage: swap A B STOP */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    long swaps = 0, failures = 0;
    int last = 0;
    pid_t parent = getppid();
    for (long i = 1;; i++) {
        if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0) {
            swaps++;
        } else {
            failures++;
            last = errno;
        }
        if (i == 1) {
            puts("ready");
            fflush(stdout);
        }
        if (i % 32 == 0 && (access(argv[3], F_OK) == 0 || getppid() != parent)) break;
    }
    printf("%ld %ld %d\n", swaps, failures, last);
    return 0;
}
