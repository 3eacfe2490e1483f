#include "adjoin_krb5.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

// Path names are joined with a byte that cannot occur in krb5.conf names.
#define SEPARATOR '\x1f'

struct relation {
    char *key;
    char *value;
};

struct adjoin_profile_table {
    struct relation *relations;
    size_t count;
};

adjoin_profile_table *adjoin_profile_table_new(void) {
    return calloc(1, sizeof(adjoin_profile_table));
}

void adjoin_profile_table_free(adjoin_profile_table *table) {
    if (table == NULL) {
        return;
    }
    for (size_t i = 0; i < table->count; i++) {
        free(table->relations[i].key);
        free(table->relations[i].value);
    }
    free(table->relations);
    free(table);
}

// The names up to the first NULL (or `depth` of them) joined with SEPARATOR; NULL on ENOMEM.
static char *join_path(const char *const *names, int depth) {
    size_t length = 0;
    int count = 0;
    for (; (depth < 0 || count < depth) && names[count] != NULL; count++) {
        length += strlen(names[count]) + 1;
    }
    char *key = malloc(length + 1);
    if (key == NULL) {
        return NULL;
    }
    char *cursor = key;
    for (int i = 0; i < count; i++) {
        size_t part = strlen(names[i]);
        memcpy(cursor, names[i], part);
        cursor += part;
        *cursor++ = SEPARATOR;
    }
    *cursor = '\0';
    return key;
}

// Appends copies of key and value. Returns 0, or ENOMEM with the table unchanged.
static int append(adjoin_profile_table *table, const char *key, const char *value) {
    struct relation *grown = realloc(table->relations, (table->count + 1) * sizeof(struct relation));
    if (grown == NULL) {
        return ENOMEM;
    }
    table->relations = grown;
    char *key_copy = strdup(key);
    char *value_copy = strdup(value);
    if (key_copy == NULL || value_copy == NULL) {
        free(key_copy);
        free(value_copy);
        return ENOMEM;
    }
    table->relations[table->count].key = key_copy;
    table->relations[table->count].value = value_copy;
    table->count++;
    return 0;
}

int adjoin_profile_table_add(adjoin_profile_table *table, const char *const *path, int depth, const char *value) {
    char *key = join_path(path, depth);
    if (key == NULL) {
        return ENOMEM;
    }
    int status = append(table, key, value);
    free(key);
    return status;
}

static long get_values(void *cbdata, const char *const *names, char ***ret_values) {
    adjoin_profile_table *table = cbdata;
    char *key = join_path(names, -1);
    if (key == NULL) {
        return ENOMEM;
    }
    size_t matches = 0;
    for (size_t i = 0; i < table->count; i++) {
        matches += strcmp(table->relations[i].key, key) == 0;
    }
    if (matches == 0) {
        free(key);
        return PROF_NO_RELATION;
    }
    char **values = calloc(matches + 1, sizeof(char *));
    if (values == NULL) {
        free(key);
        return ENOMEM;
    }
    size_t filled = 0;
    for (size_t i = 0; i < table->count; i++) {
        if (strcmp(table->relations[i].key, key) != 0) {
            continue;
        }
        values[filled] = strdup(table->relations[i].value);
        if (values[filled] == NULL) {
            for (size_t j = 0; j < filled; j++) {
                free(values[j]);
            }
            free(values);
            free(key);
            return ENOMEM;
        }
        filled++;
    }
    free(key);
    *ret_values = values;
    return 0;
}

static void free_values(void *cbdata, char **values) {
    (void)cbdata;
    for (char **value = values; value != NULL && *value != NULL; value++) {
        free(*value);
    }
    free(values);
}

static void cleanup(void *cbdata) {
    adjoin_profile_table_free(cbdata);
}

// krb5_init_context_profile copies the profile; each copy gets its own table so that each can be
// released on its own.
static long copy(void *cbdata, void **ret_cbdata) {
    adjoin_profile_table *source = cbdata;
    adjoin_profile_table *target = adjoin_profile_table_new();
    if (target == NULL) {
        return ENOMEM;
    }
    for (size_t i = 0; i < source->count; i++) {
        if (append(target, source->relations[i].key, source->relations[i].value) != 0) {
            adjoin_profile_table_free(target);
            return ENOMEM;
        }
    }
    *ret_cbdata = target;
    return 0;
}

long adjoin_profile_from_table(adjoin_profile_table *table, profile_t *ret_profile) {
    // profile_init_vtable copies the vtable structure, so a stack copy is enough.
    struct profile_vtable vtable;
    memset(&vtable, 0, sizeof(vtable));
    vtable.minor_ver = 1;
    vtable.get_values = get_values;
    vtable.free_values = free_values;
    vtable.cleanup = cleanup;
    vtable.copy = copy;
    long status = profile_init_vtable(&vtable, table, ret_profile);
    if (status != 0) {
        adjoin_profile_table_free(table);
    }
    return status;
}
