// What AdjoinCore's POSIX layer cannot call from Swift: prctl is variadic, and memfd_create is declared
// only under _GNU_SOURCE, which Swift's Glibc module is not built with.
#ifndef ADJOIN_POSIX_H
#define ADJOIN_POSIX_H

/// No core file and no ptrace attach by other users: PR_SET_DUMPABLE cleared, RLIMIT_CORE set to zero
/// (soft and hard, so a child cannot raise it). Returns 0, or -1 when either call failed.
int adjoin_process_undumpable(void);

/// An anonymous file in memory (memfd_create, close-on-exec), for configuration that libraries insist
/// on reading from a path; -1 with errno on failure.
int adjoin_memory_file(const char *name);

#endif
