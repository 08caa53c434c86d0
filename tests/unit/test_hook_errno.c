/* AS_HOOK_KEEP_ERRNO (hooks/hook.h) keeps each thread's own errno, through the address a
 * thread finds at its first keep: a block that changes errno leaves it as it was, also when
 * the thread's first keep comes after another thread's, and one thread's keep never writes
 * another's errno. */
#include "hook.h"

#include <criterion/criterion.h>
#include <pthread.h>

static int keep_around(int before, int inside)
{
  errno = before;
  {
    AS_HOOK_KEEP_ERRNO();
    errno = inside;
  }
  return errno;
}

#define ROUNDS 10000

static void *keeper(void *arg)
{
  int mine = (int)(intptr_t)arg;
  for (int i = 0; i < ROUNDS; i++)
    if (keep_around(mine, mine + 1000) != mine || errno != mine)
      return (void *)1;
  return NULL;
}

Test(hook_errno, a_keep_restores_the_threads_own_errno)
{
  cr_assert_eq(keep_around(EAGAIN, ENOMEM), EAGAIN);
  cr_assert_eq(keep_around(0, EINVAL), 0);
  pthread_t threads[4];
  for (intptr_t t = 0; t < 4; t++)
    cr_assert_eq(pthread_create(&threads[t], NULL, keeper, (void *)(t + 1)), 0);
  errno = EPERM;
  for (int i = 0; i < ROUNDS; i++)
    cr_assert_eq(keep_around(EPERM, EIO), EPERM, "another thread's keep wrote this errno");
  for (int t = 0; t < 4; t++) {
    void *result;
    pthread_join(threads[t], &result);
    cr_assert_null(result, "thread %d's errno was not its own after a keep", t);
  }
}
