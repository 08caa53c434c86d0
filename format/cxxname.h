/* Demangled C++ function names made short, for the tracer (actor names) and the tool (stuck
 * stacks in one line): allocation-free, in place. */
#ifndef AS_CXXNAME_H
#define AS_CXXNAME_H

#include <stddef.h>

/* "ns::f<T>(int, char*) const" -> "ns::f<T>": cut at the first '(' outside template arguments
 * and lambda braces ("{lambda(int)#1}"), "(anonymous namespace)" and "operator()" aside; found
 * from the front, so a name cut short still loses all of its list. Returns whether it cut. */
int as_cxxname_strip_parameters(char *name);

/* A demangled function's name as a reader wants it: without its parameter list, nor the return
 * type a function template's symbol names ("caf::behavior ns::f<int>(int)" -> "ns::f<int>"),
 * nor a leading "decltype (...) " ("decltype ({parm#1}(...)) caf::detail::apply_args<...>(...)"
 * -> "caf::detail::apply_args<...>"). */
void as_cxxname_function(char *name);

/* CAF 0.17 runs a handler through "caf::trivial_match_case<F>::invoke", F being the program's
 * own code (the lambda of its actor's behaviour): a stack shows F, without its parameters
 * ("ns::worker::make_behavior"). Applied to a name already without parameters; returns whether
 * it unwrapped. */
int as_cxxname_unwrap_handler(char *name);

/* Shortens name in place towards room bytes by writing its deepest template argument lists
 * "<...>", then the next deepest, and so on: a name too long for a stack frame's room keeps its
 * shape (brackets balanced, the class around a lambda, its parameter list) where a cut in its
 * middle made it unreadable to as_cxxname_strip_parameters. Returns whether it fits. A name whose
 * angle brackets do not balance ("operator<") is left as it is. */
int as_cxxname_elide_templates(char *name, size_t room);

#endif
