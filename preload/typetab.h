/* Interned message-type names. A name is copied the first time it is seen; afterwards a
 * lookup takes no lock and allocates nothing. Ids are small integers; 0 means "no type". */
#ifndef AS_TYPETAB_H
#define AS_TYPETAB_H

#include <stddef.h>
#include <stdint.h>

#define AS_TYPE_NONE 0u
#define AS_TYPE_NAME_MAX 48u
/* Distinct names kept; later new names are all counted under AS_TYPE_OVERFLOW_NAME. */
#define AS_TYPETAB_CAPACITY 4096u
#define AS_TYPE_OVERFLOW_NAME "<other>"

uint32_t as_typetab_intern(const char *name, size_t len);
/* Never NULL for an id as_typetab_intern returned; "" for AS_TYPE_NONE. */
const char *as_typetab_name(uint32_t id);

#endif
