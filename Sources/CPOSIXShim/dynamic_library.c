#include "adjoin_dynamic_library.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

bool adjoin_library_load(const char *const *sonames, const adjoin_symbol *symbols, size_t count,
                         char *error, size_t error_size) {
    void *library = NULL;
    const char *const *soname = sonames;
    for (; *soname != NULL; soname++) {
        // RTLD_NODELETE: handles and callbacks may outlive any one user; the library stays for the process.
        if ((library = dlopen(*soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) != NULL) {
            break;
        }
    }
    if (library == NULL) {
        const char *last = dlerror();
        size_t used = (size_t)snprintf(error, error_size, "cannot load");
        for (soname = sonames; *soname != NULL && used < error_size; soname++) {
            used += (size_t)snprintf(error + used, error_size - used, "%s %s", soname == sonames ? "" : " or", *soname);
        }
        if (used < error_size) {
            snprintf(error + used, error_size - used, " (%s)", last != NULL ? last : "not found");
        }
        return false;
    }
    for (size_t index = 0; index < count; index++) {
        if ((*symbols[index].slot = dlsym(library, symbols[index].name)) == NULL) {
            snprintf(error, error_size, "%s lacks %s", *soname, symbols[index].name);
            return false;
        }
    }
    return true;
}
