/* Who talks to whom (docs/peers.md). */
#include "harness.h"
#include <criterion/criterion.h>
TestSuite(pairs, .timeout = 240);
