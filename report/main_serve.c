/* actorscope-serve: `actorscope serve` (report/main.c executes it with its own arguments,
 * argv[1] being "serve"), an executable of its own so that only it loads its libraries. */
#include "commands.h"

int main(int argc, char **argv)
{
  if (argc < 2)
    return cmd_serve(argc, argv);
  return cmd_serve(argc - 1, argv + 1);
}
