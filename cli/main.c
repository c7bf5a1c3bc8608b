/* The vanthu binary: the composition root.  It picks the subcommand; each
 * subcommand (cli/cmd_*.c) parses its own flags into plain structs and
 * wires the modules together.  No module below cli/ reads argv, the
 * environment or global configuration. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cmds.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"index", cmd_index, "index files and folders into the archive index"},
    {"search", cmd_search, "search the index"},
    {"ocr", cmd_ocr, "OCR scanned images and PDFs through the worker pool"},
    {"serve", cmd_serve, "watch the archive and keep the index in step (long-running)"},
    /* further subcommands register here */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: vanthu COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'vanthu COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vanthu %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vanthu: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
