/* layout.c: prints the glibc struct sizes, offsets and constants the native layer uses
   (PosixBinding, PosixProcesses, PosixSockets, PosixFds), to compare processors:
     gcc -o layout layout.c && ./layout
     aarch64-linux-gnu-gcc -static -o layout-aarch64 layout.c && ./layout-aarch64   (qemu-user)
   docs/platforms.md lists the results. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <sys/stat.h>
#include <spawn.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <errno.h>
int main(void){
 printf("STAT_SIZE %zu\nSTAT_MODE_OFFSET %zu\n", sizeof(struct stat), offsetof(struct stat, st_mode));
 printf("SPAWN_FILE_ACTIONS_SIZE %zu\nSPAWN_ATTRIBUTES_SIZE %zu\nSIGSET_SIZE %zu\n", sizeof(posix_spawn_file_actions_t), sizeof(posix_spawnattr_t), sizeof(sigset_t));
 printf("SOCKADDR_STORAGE_SIZE %zu\nUCRED_SIZE %zu\n", sizeof(struct sockaddr_storage), sizeof(struct ucred));
 printf("F_GETFD %d F_SETFD %d FD_CLOEXEC %d F_DUPFD_CLOEXEC %d MSG_NOSIGNAL %d O_CLOEXEC 0%o O_DIRECTORY 0%o O_NOFOLLOW 0%o\n", F_GETFD,F_SETFD,FD_CLOEXEC,F_DUPFD_CLOEXEC,MSG_NOSIGNAL,O_CLOEXEC,O_DIRECTORY,O_NOFOLLOW);
 printf("SOL_SOCKET %d SO_TYPE %d SO_PEERCRED %d SO_ACCEPTCONN %d SO_PROTOCOL %d SO_DOMAIN %d\n", SOL_SOCKET,SO_TYPE,SO_PEERCRED,SO_ACCEPTCONN,SO_PROTOCOL,SO_DOMAIN);
 printf("AF_UNIX %d AF_INET %d AF_INET6 %d SOCK_STREAM %d SOCK_DGRAM %d SOCK_RAW %d SOCK_SEQPACKET %d SOCK_CLOEXEC 0%o\n", AF_UNIX,AF_INET,AF_INET6,SOCK_STREAM,SOCK_DGRAM,SOCK_RAW,SOCK_SEQPACKET,SOCK_CLOEXEC);
 printf("WNOHANG %d POSIX_SPAWN_SETSIGDEF %d POSIX_SPAWN_SETSIGMASK %d PRIO_PROCESS %d\n", WNOHANG, POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK, PRIO_PROCESS);
 printf("SIGHUP %d SIGINT %d SIGKILL %d SIGUSR1 %d SIGUSR2 %d SIGTERM %d SIGCHLD %d SIGCONT %d SIGSTOP %d\n", SIGHUP,SIGINT,SIGKILL,SIGUSR1,SIGUSR2,SIGTERM,SIGCHLD,SIGCONT,SIGSTOP);
 printf("EPERM %d ESRCH %d EINTR %d EBADF %d ENOSYS %d ENOTSOCK %d\n", EPERM,ESRCH,EINTR,EBADF,ENOSYS,ENOTSOCK);
 printf("SYS_close_range %d SYS_gettid %d SYS_fstat %d\n", (int)SYS_close_range, (int)SYS_gettid, (int)SYS_fstat);
#ifdef _STAT_VER
 printf("_STAT_VER %d\n", _STAT_VER);
#endif
 return 0;}
