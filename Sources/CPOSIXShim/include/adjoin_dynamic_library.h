// Run-time loading, shared by the shims of the libraries whose soname differs between distributions (libldap)
// or that most runs never need (libcurl). For those C shims: no Swift code calls it.
#ifndef ADJOIN_DYNAMIC_LIBRARY_H
#define ADJOIN_DYNAMIC_LIBRARY_H

#include <stdbool.h>
#include <stddef.h>

/// One function to look up, and where its address goes.
typedef struct {
    const char *name;
    void **slot;
} adjoin_symbol;

#define ADJOIN_SYMBOL(table, field, symbol) { symbol, (void **)&(table).field }

/// Opens the first of the NULL-terminated `sonames` that loads, for the life of the process, and looks up
/// every symbol in it and the libraries it links. On failure writes why into `error` (naming every soname
/// tried, or the missing symbol) and returns false.
bool adjoin_library_load(const char *const *sonames, const adjoin_symbol *symbols, size_t count,
                         char *error, size_t error_size);

#endif
