/* actorscope-top: `actorscope top` (report/main.c executes it with its own arguments, argv[1]
 * being "top"), an executable of its own so that only it loads ncurses. `top -- PROGRAM`
 * executes itself again as `run` (report/top/top_program.c), which it therefore also answers. */
#include "commands.h"

#include <string.h>

int main(int argc, char **argv)
{
  if (argc < 2)
    return cmd_top(argc, argv);
  if (strcmp(argv[1], "run") == 0)
    return cmd_run(argc - 1, argv + 1);
  return cmd_top(argc - 1, argv + 1);
}
