/* Small helpers the subcommands share for parsing their flags. */
#ifndef VT_CLI_ARGS_H
#define VT_CLI_ARGS_H

/* Value of a flag: "--name=value" or "--name value" at argv[*i];
 * advances *i past a separate value.  NULL if argv[*i] is not this flag;
 * on a missing value prints an error and exits with status 2. */
const char *args_value(int argc, char **argv, int *i, const char *name);

#define VANTHU_DEFAULT_DATA "./vanthu-data"

#endif
