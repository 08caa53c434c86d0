/* The subcommands of the actorscope tool, one file each. Each returns the process exit
 * status: 0 success, 1 a check failed, 2 bad usage or unreadable input. */
#ifndef ACTORSCOPE_COMMANDS_H
#define ACTORSCOPE_COMMANDS_H

#define CMD_OK 0
#define CMD_FAILED 1
#define CMD_USAGE 2

int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_ctl(int argc, char **argv);

#endif
