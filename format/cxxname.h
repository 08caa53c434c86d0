/* Demangled C++ function names made short, for the tracer (actor names) and the tool (stuck
 * stacks in one line): allocation-free, in place. */
#ifndef AS_CXXNAME_H
#define AS_CXXNAME_H

/* "ns::f<T>(int, char*) const" -> "ns::f<T>": cut at the first '(' outside template arguments
 * and lambda braces ("{lambda(int)#1}"), "(anonymous namespace)" and "operator()" aside; found
 * from the front, so a name cut short still loses all of its list. Returns whether it cut. */
int as_cxxname_strip_parameters(char *name);

#endif
