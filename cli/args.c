#include "config.h"

#include "cli/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *args_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "vanthu: %s needs a value\n", name);
        exit(2);
    }
    return argv[++*i];
}
