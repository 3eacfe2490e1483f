#include "adjoin_posix.h"

#include <sys/prctl.h>
#include <sys/resource.h>

int adjoin_process_undumpable(void) {
    // prctl is variadic, which Swift cannot call.
    int failed = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0;
    struct rlimit none = {0, 0};
    failed |= setrlimit(RLIMIT_CORE, &none) != 0;
    return failed ? -1 : 0;
}
