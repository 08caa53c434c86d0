/* What actorscope knows of C++ Actor Framework 0.17.6's object layouts (see
 * docs/hooks.md and CAF's headers at tag 0.17.6), and the helpers that read them.
 * Nothing here is used before caf_layout_verify() accepted the loaded libcaf_core. */
#ifndef AS_CAF_LAYOUT_H
#define AS_CAF_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* actor_control_block: the actor object follows it. */
#define CAF_CTRL_TO_ACTOR 64
#define CAF_CTRL_STRONG_REFS 0
#define CAF_CTRL_WEAK_REFS 8
#define CAF_CTRL_ID 16
#define CAF_CTRL_SYSTEM 32
/* actor_storage pads the 56-byte control block to a cache line: the tracer keeps its record
 * of the actor in those 8 unused bytes, so a hook finds it with one load. */
#define CAF_CTRL_PADDING 56
/* actor_config */
#define CAF_CONFIG_PARENT 8
#define CAF_CONFIG_INIT_HOLDS_WRAPPER 32
#define CAF_CONFIG_INIT_POINTER 40
/* init_fun_factory_helper: vptr, hook_ (unique_function, 16 bytes), fun_ */
#define CAF_INIT_HELPER_FUN 24
/* mailbox_element: memory_managed vptr, next, message_view subobject, sender, mid */
#define CAF_ELEMENT_MESSAGE_VIEW 16
#define CAF_ELEMENT_SENDER 24
#define CAF_ELEMENT_MID 32
/* message: a type_erased_tuple (vptr) whose one member is its data (message_data *, NULL when
 * empty) */
#define CAF_MESSAGE_DATA 8
/* message_id */
#define CAF_MID_RESPONSE_FLAG 0x8000000000000000ULL
#define CAF_MID_REQUEST_ID_MASK 0x0FFFFFFFFFFFFFFFULL
/* actor_registry: running_ (std::atomic<size_t>) first; the back reference system_
 * (actor_system&) after running_mtx_, running_cv_, instances_mtx_, entries_, named_entries_,
 * named_entries_mtx_ (CAF's constructor stores it at +0xe0). A registry is believed only when
 * system_ reads back as the system it was asked of (caf_running.c). */
#define CAF_REGISTRY_RUNNING 0
#define CAF_REGISTRY_SYSTEM 0xe0
/* invoke_message_result::skipped, intrusive::task_result::skip */
#define CAF_CONSUME_SKIPPED 1
#define CAF_VISIT_SKIP 1

static inline void *caf_actor_of_ctrl(const void *ctrl)
{
  return ctrl ? (char *)ctrl + CAF_CTRL_TO_ACTOR : NULL;
}

static inline const void *caf_ctrl_of_actor(const void *actor)
{
  return (const char *)actor - CAF_CTRL_TO_ACTOR;
}

static inline uint64_t caf_read_u64(const void *base, size_t offset)
{
  return *(const uint64_t *)((const char *)base + offset);
}

static inline void *caf_read_ptr(const void *base, size_t offset)
{
  return *(void *const *)((const char *)base + offset);
}

/* Checks that the libcaf_core defining `real_ctor` is 0.17.6 with the layouts above.
 * Returns 0, or -1 with `why` saying what differs. */
int caf_layout_verify(const void *real_ctor, char *why, size_t why_len);

/* A thread's memo of the last two element classes it met: whether the class alone gives its
 * message's type (mailbox_element_vals<i32, str>), or where its leading atom lies (the atom
 * names the type), with the types of the last few atoms met in it. A wrapper of a caf::message
 * (a response, a message built by make_message) is read through the message's data, whose
 * class says the same. A message of a known class costs a few compares and loads
 * (caf_layout_message_type), where content() and the class caches cost a virtual call and
 * some 70 instructions. Kept by the hooks with the rest of their thread state (caf.c). */
#define CAF_TYPE_MEMO_ATOMS 4
#define CAF_TYPE_MEMO_CLASSES 2
struct caf_type_memo_atom {
  uint64_t atom;
  uint32_t id; /* 0: free */
};
struct caf_type_memo_class {
  const void *vptr; /* the element class's; NULL: none yet */
  /* A wrapper: where the pointer to its message's data lies in the element, and the data's
   * class (the type is read from the data as from an element below); 0: the element holds
   * its values itself. */
  uint32_t data_at;
  uint32_t atom_offset; /* where the atom lies; 0: every message of the class is of type `id` */
  const void *data_vptr;
  uint32_t id; /* with an atom: the type of `atom`, the last atom named (0: none) */
  uint64_t atom;
  struct caf_type_memo_atom atoms[CAF_TYPE_MEMO_ATOMS];
};
struct caf_type_memo {
  struct caf_type_memo_class classes[CAF_TYPE_MEMO_CLASSES];
  unsigned next; /* the class a new one replaces */
};

static inline struct caf_type_memo_atom *caf__type_memo_atom(struct caf_type_memo_class *c,
                                                             uint64_t atom)
{
  /* Multiplicative hashing: atoms "ping" and "pong" differ in one 6-bit character. */
  return &c->atoms[(atom * 0x9e3779b97f4a7c15ULL) >> 62];
}
_Static_assert(CAF_TYPE_MEMO_ATOMS == 4, "the hash above picks one of 4");
_Static_assert(CAF_TYPE_MEMO_CLASSES == 2, "caf_layout_message_type looks at two");

/* The message type of an element the memo does not know; fills the memo. */
uint32_t caf__message_type_slow(struct caf_type_memo *memo, const void *element);

/* The type of an element of the memo's class C, or 0 when the memo cannot tell. */
static inline __attribute__((always_inline)) uint32_t
caf__type_memo_class_type(struct caf_type_memo_class *c, const void *element)
{
  const void *base = element;
  if (__builtin_expect(c->data_at != 0, 0)) {
    base = caf_read_ptr(element, c->data_at);
    if (!base || *(const void *const *)base != c->data_vptr)
      return 0;
  }
  if (!c->atom_offset)
    return c->id;
  uint64_t atom = caf_read_u64(base, c->atom_offset);
  if (__builtin_expect(atom == c->atom && c->id, 1))
    return c->id;
  const struct caf_type_memo_atom *known = caf__type_memo_atom(c, atom);
  return known->atom == atom ? known->id : 0;
}

/* The interned type of a message: its leading atom decoded ("ping"), or its element types
 * ("i32, std::string"). Lock-free after the first message of each type; a thread's messages
 * of one type (an actor's own, a request's) cost two compares and a load. */
static inline __attribute__((always_inline)) uint32_t
caf_layout_message_type(struct caf_type_memo *memo, const void *element)
{
  const void *vptr = *(const void *const *)element;
  uint32_t id = 0;
  if (__builtin_expect(vptr == memo->classes[0].vptr, 1))
    id = caf__type_memo_class_type(&memo->classes[0], element);
  else if (vptr == memo->classes[1].vptr)
    id = caf__type_memo_class_type(&memo->classes[1], element);
  return __builtin_expect(id != 0, 1) ? id : caf__message_type_slow(memo, element);
}

/* The registry of an actor_system, as its exported registry() says (it computes an address,
 * reads nothing); NULL before caf_layout_verify() accepted libcaf_core. */
void *caf_layout_registry_of(const void *system);

/* Renders an exit reason as CAF does: "normal", "user_shutdown", "sec::runtime_error"... */
void caf_layout_render_error(const void *error_object, char *out, size_t len);
/* The same as a static string, without a copy; NULL for a reason CAF has no name for (an
 * application's error category): render that one. */
const char *caf_layout_error_text(const void *error_object);

/* Decodes an atom_value. */
void caf_layout_atom_decode(uint64_t atom, char out[16]);

/* The std::type_info of a polymorphic object's dynamic type (vptr[-1]), or NULL. */
static inline const void *caf_layout_type_info_of(const void *object)
{
  void *const *vptr = *(void *const *const *)object;
  return vptr ? vptr[-1] : NULL;
}

/* The demangled dynamic type of an actor object ("my::worker"), interned (as_intern_string);
 * NULL if unknown. Cached per type. */
const char *caf_layout_class_name(const void *actor);

/* The spawned function of a function-based actor, or NULL (class-based or a lambda). */
const void *caf_layout_init_function(const void *config);

/* Reads an actor's reference counts from its control block (behind as_runtime.probe_refs);
 * -ENOENT for a NULL actor. */
int caf_layout_probe_refs(const void *actor, uint64_t *strong, uint64_t *weak);

#endif
