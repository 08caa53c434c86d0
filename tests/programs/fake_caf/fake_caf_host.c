/* Constructs an "actor" through a library that only pretends to be CAF. Exit status 9. */
#include <stdio.h>

extern int fake_caf_constructed;
void _ZN3caf14abstract_actorC2ERNS_12actor_configE(void *self, void *config);

int main(void)
{
  long object[32] = {0}, config[8] = {0};
  _ZN3caf14abstract_actorC2ERNS_12actor_configE(object, config);
  printf("constructed %d\n", fake_caf_constructed);
  return 9;
}
