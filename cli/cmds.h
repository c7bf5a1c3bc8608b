/* Subcommands of the vanthu binary.  Each takes the arguments after its own
 * name (argv[0] is the subcommand name) and returns the process exit
 * status. */
#ifndef VT_CLI_CMDS_H
#define VT_CLI_CMDS_H

int cmd_index(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_ocr(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
