/* The probe: a program gpu-launch execs in tests. It records what it was
 * started with (pid, argv, environment, cwd, signal mask, pending and
 * ignored signals, open descriptors) to the file named by $PROBE_OUT, one
 * `key value` per line, strings hex-encoded so any byte survives. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void hex(FILE *f, const char *key, const char *s) {
    fprintf(f, "%s ", key);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) fprintf(f, "%02x", *p);
    fputc('\n', f);
}

int main(int argc, char **argv) {
    const char *out = getenv("PROBE_OUT");
    if (!out) return 99;
    FILE *f = fopen(out, "w");
    if (!f) return 98;
    fprintf(f, "pid %d\n", (int)getpid());
    fprintf(f, "ppid %d\n", (int)getppid());
    for (int i = 0; i < argc; i++) hex(f, "arg", argv[i]);
    for (char **e = environ; *e; e++) hex(f, "env", *e);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) hex(f, "cwd", cwd);
    sigset_t mask, pending;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    sigpending(&pending);
    for (int s = 1; s < NSIG; s++) {
        if (sigismember(&mask, s) == 1) fprintf(f, "blocked %d\n", s);
        if (sigismember(&pending, s) == 1) fprintf(f, "pending %d\n", s);
        struct sigaction sa;
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) fprintf(f, "ignored %d\n", s);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.') continue;
            if (atoi(de->d_name) == dirfd(d)) continue;
            if (atoi(de->d_name) == fileno(f)) continue;
            fprintf(f, "fd %s\n", de->d_name);
        }
        closedir(d);
    }
    fclose(f);
    const char *code = getenv("PROBE_EXIT");
    return code ? atoi(code) : 0;
}
