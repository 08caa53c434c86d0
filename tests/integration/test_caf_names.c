/* Issue 10.5: names a person can read, for each kind of CAF actor (the table in docs/runtimes.md). */
#include "harness.h"

#include <criterion/criterion.h>
#include <string.h>

TestSuite(caf_names, .timeout = 60);

/* The one actor named `name` has this full_name (NULL: the member is absent) and is (or is
 * not) marked internal. */
static void assert_named(json_t *snapshot, const char *name, const char *full_name, int internal)
{
  json_t *actor = as_test_actor_named(snapshot, name);
  cr_assert_not_null(actor, "no actor named %s", name);
  const char *full = as_test_str(actor, "full_name");
  if (full_name)
    cr_assert(full && strcmp(full, full_name) == 0, "%s: full_name %s", name,
              full ? full : "absent");
  else
    cr_assert_null(json_object_get(actor, "full_name"), "%s has a full_name %s", name, full);
  json_t *flag = json_object_get(actor, "internal");
  if (internal)
    cr_assert(json_is_true(flag), "%s is not marked internal", name);
  else
    cr_assert_null(flag, "%s is marked internal", name);
}

Test(caf_names, each_kind_of_actor_gets_a_readable_name)
{
  const char *argv[] = {"caf_names", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "answers 5\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  assert_named(last, "my_named", "named_actor", 0); /* its own name() */
  assert_named(last, "tagged<'ping'>", "tagged<(caf::atom_value)265743596>", 0); /* atom */
  assert_named(last, "shop::wrapper<job, int>", "shop::wrapper<shop::inner::job, int>", 0);
  assert_named(last, "shop::long_worker", NULL, 0);       /* a function, without its parameters */
  assert_named(last, "shop::templ_worker<int>", NULL, 0); /* ... and without its return type */
  assert_named(last, "scoped_actor", "caf::(anonymous namespace)::impl", 0);
  assert_named(last, "spawn_server",
               "caf::stateful_actor<caf::(anonymous namespace)::spawn_serv_state, "
               "caf::event_based_actor>",
               1);
  assert_named(last, "config_server",
               "caf::stateful_actor<caf::(anonymous namespace)::kvstate, caf::event_based_actor>",
               1);
  assert_named(last, "printer_actor", "caf::scheduler::(anonymous namespace)::printer_actor", 1);
  cr_assert_eq(as_test_type_count(as_test_actor_named(last, "tagged<'ping'>"), "hi"), 1);
  size_t i;
  json_t *actor;
  json_array_foreach(json_object_get(last, "actors"), i, actor)
      cr_assert_null(strstr(as_test_str(actor, "name"), "<unknown>"));
  json_decref(lines);
  as_test_run_free(&run);
}

/* Issue 21 §3: an event_based_actor made and never launched (a test fixture's) is named by its
 * class in every line that shows it, not <unknown>. */
Test(caf_names, a_never_launched_event_based_actor_is_named_by_its_class)
{
  const char *argv[] = {"caf_names", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=10", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run), *line, *actor;
  size_t i, k, named = 0;
  /* Listed in full, or (format 3) once compactly among the line's ended actors. */
  static const char *const lists[] = {"actors", "ended"};
  for (size_t l = 0; l < 2; l++)
    json_array_foreach(lines, i, line) json_array_foreach(json_object_get(line, lists[l]), k, actor)
    {
      const char *name = as_test_str(actor, "name");
      if (!name)
        continue;
      /* A line may catch an actor between its record and its class's constructor (CAF builds
       * the base first); by the final line every actor has its name. */
      if (i + 1 == json_array_size(lines))
        cr_expect_null(strstr(name, "<unknown>"), "line %zu: actor %lld is %s", i,
                       (long long)as_test_int(actor, "id"), name);
      named += strcmp(name, "caf::event_based_actor") == 0;
    }
  cr_assert_gt(named, 0, "the never-launched actor is never shown by its class");
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_names, the_middleman_and_basp_broker_are_internal)
{
  const char *argv[] = {"caf_remote", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  assert_named(last, "middleman_actor", "caf::io::middleman_actor_impl", 1);
  assert_named(last, "basp-broker", "caf::io::basp_broker", 1);
  assert_named(last, "greeter", NULL, 0);
  json_decref(lines);
  as_test_run_free(&run);
}

Test(caf_names, a_czmq_task_without_a_symbol_is_named_after_its_spawner)
{
  const char *argv[] = {"czmq_stripped", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  cr_assert_str_eq(run.out, "acks=3\n");
  json_t *lines = as_test_run_lines(&run);
  json_t *actor = as_test_actor_named(as_test_last_snapshot(lines), "<task in start_worker>");
  cr_assert_not_null(actor);
  cr_assert_eq(as_test_type_count(actor, "JOB"), 3);
  json_decref(lines);
  as_test_run_free(&run);
}

/* Issue 21 §3: a forwarding proxy is named when it is made, not when it first forwards a
 * message or stops: Broker's two endpoints make proxies for each other that may stay silent.
 * Every line (snapshot or delta) that shows a proxy shows its name. */
Test(caf_names, forwarding_proxies_are_named_from_the_first_snapshot_they_appear_in)
{
  const char *argv[] = {"/usr/bin/python3", AS_TEST_PROGRAMS "/broker_pubsub.py", "200", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=20", NULL};
  struct as_test_run run;
  as_test_run(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s%s", run.out, run.err);
  json_t *lines = as_test_run_lines(&run);
  json_t *last = as_test_last_snapshot(lines);
  json_t *proxies = json_array(), *actor, *line;
  size_t i, k;
  json_array_foreach(json_object_get(last, "actors"), i,
                     actor) if (strcmp(as_test_str(actor, "name"), "caf::forwarding_actor_proxy") ==
                                0) json_array_append(proxies, json_object_get(actor, "id"));
  cr_assert_gt(json_array_size(proxies), 0, "Broker's endpoints made no proxy");
  size_t seen = 0;
  json_array_foreach(lines, k, line)
  {
    json_array_foreach(json_object_get(line, "actors"), i, actor)
    {
      json_t *id, *name = json_object_get(actor, "name");
      size_t p;
      json_array_foreach(proxies, p, id) if (json_equal(id, json_object_get(actor, "id")) && name)
      {
        seen++;
        cr_expect_str_eq(json_string_value(name), "caf::forwarding_actor_proxy",
                         "line %zu: proxy %lld is %s", k, (long long)json_integer_value(id),
                         json_string_value(name));
      }
    }
  }
  cr_assert_gt(seen, json_array_size(proxies), "no proxy was seen before the end");
  json_decref(proxies);
  json_decref(lines);
  as_test_run_free(&run);
}

/* A record is published as the abstract_actor part of an actor is built; its name, and whether
 * it is one of CAF's own, are known once its most-derived class is (at launch, a proxy's or a
 * scoped actor's first message). caf_names hold keeps every actor 20 ms at that point while
 * the collector writes a line every millisecond: no line may list an actor under a name (or an
 * internal flag) other than its last one, and every line's totals still count exactly the
 * actors listed so far. An actor never named (made, never launched) is still listed before it
 * ends, and stopped when it is destroyed. */
Test(caf_names, an_actor_not_yet_named_is_listed_only_once_it_is)
{
  const char *argv[] = {"caf_names", "hold", NULL};
  const char *env[] = {"ACTORSCOPE_INTERVAL_MS=1", NULL};
  struct as_test_run run;
  as_test_run_both(argv, env, 1, &run);
  cr_assert_eq(run.status, 0, "%s", run.err);
  cr_assert_str_eq(run.out, "answers 5\n");
  json_t *lines = as_test_run_lines(&run), *line;
  json_t *last = as_test_last_snapshot(lines);
  json_t *seen = json_object(); /* ids listed so far */
  json_t *never = as_test_actor_named(last, "caf::event_based_actor");
  cr_assert_not_null(never, "the never-launched actor is not listed");
  cr_assert_str_eq(as_test_str(never, "status"), "stopped");
  size_t i, k, snapshots = 0, never_listed_before_end = 0;
  json_array_foreach(lines, i, line)
  {
    if (strcmp(as_test_str(line, "type"), "snapshot") != 0)
      continue;
    snapshots++;
    json_t *actors = as_test_line_actors(line), *actor;
    json_array_foreach(actors, k, actor)
    {
      json_int_t id = as_test_int(actor, "id");
      json_t *final = as_test_actor_by_id(last, id);
      cr_assert_not_null(final, "line %zu: actor %lld is not in the last line", i, (long long)id);
      const char *name = as_test_str(actor, "name"), *kept = as_test_str(final, "name");
      cr_expect(name && kept && strcmp(name, kept) == 0, "line %zu: actor %lld is %s, then %s", i,
                (long long)id, name ? name : "(none)", kept ? kept : "(none)");
      cr_expect_eq(json_is_true(json_object_get(actor, "internal")),
                   json_is_true(json_object_get(final, "internal")),
                   "line %zu: %s's internal flag changes", i, kept ? kept : "?");
      if (id == as_test_int(never, "id") && !json_is_true(json_object_get(line, "final")))
        never_listed_before_end++;
      char key[32];
      snprintf(key, sizeof key, "%lld", (long long)id);
      json_object_set_new(seen, key, json_true());
    }
    json_decref(actors);
    cr_expect_eq(as_test_int(line, "totals.total_spawned"), (json_int_t)json_object_size(seen),
                 "line %zu counts %lld actors, lists %zu so far", i,
                 (long long)as_test_int(line, "totals.total_spawned"), json_object_size(seen));
  }
  /* Eight actors held 20 ms each: lines were written while one was held. */
  cr_assert_gt(snapshots, 40, "only %zu lines", snapshots);
  /* An actor never named waits AS_REGISTRY_NAMING_WAIT_MS at most, not until it ends. */
  cr_assert_gt(never_listed_before_end, 0, "the never-launched actor was listed only at the end");
  json_decref(seen);
  json_decref(lines);
  as_test_run_free(&run);
}

/* The tracer's frames are left out of spawn sites wherever they are: an event_based_actor's
 * constructor hook calls the real constructor, which calls abstract_actor's (hooked too), so
 * the wrapper's frame lies between CAF's and the spawning code's. */
Test(caf_names, spawn_sites_name_the_spawning_code_and_none_of_the_tracer)
{
  const char *argv[] = {"caf_names", NULL};
  struct as_test_run run;
  as_test_run_both(argv, NULL, 1, &run);
  cr_assert_eq(run.status, 0);
  json_t *lines = as_test_run_lines(&run);
  /* Every line's sites: on a loaded machine the first line can come after every actor ended,
   * and the last then lists none. */
  size_t l, i, j, listed = 0, programs = 0;
  json_t *line, *site, *frame;
  json_array_foreach(lines, l, line)
  {
    json_array_foreach(json_object_get(line, "spawn_sites"), i, site)
    {
      int of_program = 0;
      json_array_foreach(site, j, frame)
      {
        const char *text = json_string_value(frame);
        cr_assert_not_null(text);
        cr_assert_null(strstr(text, "libactorscope"), "line %zu site %zu: %s", l, i, text);
        of_program |= strstr(text, "(caf_names)") != NULL;
      }
      listed++;
      programs += of_program;
    }
  }
  cr_assert_gt(listed, 0);
  cr_assert_gt(programs, 0, "no site names the program's own code");
  json_decref(lines);
  as_test_run_free(&run);
}
