/* A stand-in that claims to be libcaf_core (same soname, same constructor symbol) but has a
 * layout actorscope does not know: the tracer must notice and leave it alone. Built twice, as
 * "0.17.6" with a foreign vtable and as "0.18.0". */
#include <stddef.h>

int fake_caf_constructed;

/* abstract_actor::abstract_actor(actor_config&) */
void _ZN3caf14abstract_actorC1ERNS_12actor_configE(void *self, void *config)
{
  (void)self;
  (void)config;
  fake_caf_constructed++;
}

void _ZN3caf14abstract_actorC2ERNS_12actor_configE(void *self, void *config)
{
  _ZN3caf14abstract_actorC1ERNS_12actor_configE(self, config);
}

/* Everything the layout probe looks up exists, but the type_erased_tuple vtable is not
 * CAF 0.17.6's. */
void *_ZTVN3caf17type_erased_tupleE[16];
void *_ZTVN3caf12message_viewE[8];
const char *_ZN3caf19numbered_type_namesE[] = {"@actor", "@actorvec", "@addr", "@addrvec", "@atom"};
void _ZN3caf17type_erased_tuple4loadERNS_12deserializerE(void) {}
void _ZNK3caf17type_erased_tuple6sharedEv(void) {}
void _ZNK3caf17type_erased_tuple4saveERNS_10serializerE(void) {}
