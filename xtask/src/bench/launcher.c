/*
 * The measuring instrument of `cargo xtask bench`: runs one command and prints
 * "<ru_maxrss KiB> <wall ns> <exit code>" on stdout.
 *
 * Why C, linked statically: Linux carries a process's RSS high-water mark across execve, so a
 * child's ru_maxrss is never below its launcher's RSS at fork time. A static C launcher is
 * the smallest floor we can get (a few hundred KiB), so the figures are the agents' own.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: launcher PROGRAM [ARGS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) {
        perror("launcher");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("%ld %lld %d\n", ru.ru_maxrss, ns, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
