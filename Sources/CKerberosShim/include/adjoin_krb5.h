// What Swift cannot build for itself from libkrb5: a profile held in memory (profile_init_vtable
// takes a table of C callbacks), so that a join reads no krb5.conf and writes none.
#ifndef ADJOIN_KRB5_H
#define ADJOIN_KRB5_H

#include <krb5.h>
#include <profile.h>

/// A list of relations such as ("realms", "CORP.EXAMPLE.COM", "kdc") = "10.0.0.5:88".
typedef struct adjoin_profile_table adjoin_profile_table;

adjoin_profile_table *adjoin_profile_table_new(void);
void adjoin_profile_table_free(adjoin_profile_table *table);

/// Adds one relation; path holds `depth` names (the section first). Returns 0, or ENOMEM.
int adjoin_profile_table_add(adjoin_profile_table *table, const char *const *path, int depth, const char *value);

/// A profile whose lookups are answered from `table`. The profile owns the table from here on
/// (profile_release frees it), whether or not this succeeds.
long adjoin_profile_from_table(adjoin_profile_table *table, profile_t *ret_profile);

#endif
