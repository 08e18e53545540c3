/* The holder: a process that keeps device nodes open, as a game or a
 * browser keeps /dev/dri/renderD129 open, for the holders tests and the
 * --status bench.
 *
 *   holder [-p PROCS] [-n COUNT] PATH...
 *
 * Forks into PROCS processes (default 1); each opens every PATH COUNT times
 * (default 1) with O_PATH, which needs no driver behind a node (a node made
 * with mknod for a GPU this machine does not have) and never wakes a device,
 * prints its pid on a line of its own, then waits until its stdin reaches
 * end of file (the test dropped the pipe, or died) and exits. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int procs = 1, count = 1, opt;
    while ((opt = getopt(argc, argv, "p:n:")) != -1) {
        if (opt == 'p') procs = atoi(optarg);
        else if (opt == 'n') count = atoi(optarg);
        else return 2;
    }
    for (int i = 1; i < procs; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) break;
    }
    for (int a = optind; a < argc; a++) {
        for (int c = 0; c < count; c++) {
            if (open(argv[a], O_PATH) < 0) { perror(argv[a]); return 1; }
        }
    }
    /* One write(2) per line: lines from many processes never interleave. */
    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", (int)getpid());
    if (write(1, line, (size_t)n) != n) return 1;
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {}
    return 0;
}
