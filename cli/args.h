/* Small helpers the subcommands share for parsing their flags. */
#ifndef VT_CLI_ARGS_H
#define VT_CLI_ARGS_H

/* Parse a whole decimal number in [min, max] into *out; 0 or -1. */
int args_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Value of a flag: "--name=value" or "--name value" at argv[*i];
 * advances *i past a separate value.  NULL if argv[*i] is not this flag;
 * on a missing value prints an error and exits with status 2. */
const char *args_value(int argc, char **argv, int *i, const char *name);

#define VANTHU_DEFAULT_DATA "./vanthu-data"

#endif
