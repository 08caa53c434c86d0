/* A statically linked program (no dynamic loader): actorscope attach must refuse it. */
#include <unistd.h>

int main(void)
{
  for (int i = 0; i < 600; i++)
    sleep(1);
  return 0;
}
