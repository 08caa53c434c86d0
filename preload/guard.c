#include "guard.h"

__thread int as__guard __attribute__((tls_model("initial-exec")));
