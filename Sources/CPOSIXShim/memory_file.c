#define _GNU_SOURCE
#include "adjoin_posix.h"

#include <sys/mman.h>

int adjoin_memory_file(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}
