/* hostile_poll: poll_oneoff with many subscriptions.  100,000 clock
 * subscriptions work (those already due are reported, the others are not);
 * zero subscriptions are EINVAL.  argv[2] "huge" then asks for each count in
 * argv[3..] over a small buffer: arrays that cannot lie in linear memory, which
 * must fail (ENOMEM past the per-call copy budget) or trap (out of bounds),
 * never be read or allocated. */
#include "common.h"
#include <wasi/api.h>

#define MANY 100000

static void clock_sub(__wasi_subscription_t *s, uint64_t userdata, uint64_t timeout) {
  memset(s, 0, sizeof *s);
  s->userdata = userdata;
  s->u.tag = __WASI_EVENTTYPE_CLOCK;
  s->u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  s->u.u.clock.timeout = timeout;
  s->u.u.clock.precision = 0;
  s->u.u.clock.flags = 0;
}

int main(int argc, char **argv) {
  setup(argc, argv);
  int huge = argc > 2 && strcmp(argv[2], "huge") == 0;
  __wasi_subscription_t *subs = calloc(MANY, sizeof *subs);
  __wasi_event_t *events = calloc(MANY, sizeof *events);
  if (!subs || !events)
    fatal("calloc");
  __wasi_size_t n = 0;

  say("zero subscriptions: %s", errname(__wasi_poll_oneoff(subs, events, 0, &n)));

  /* All due at once: every one is reported, each with its own userdata. */
  for (int i = 0; i < MANY; i++)
    clock_sub(&subs[i], 1000000 + (uint64_t)i, 0);
  __wasi_errno_t e = __wasi_poll_oneoff(subs, events, MANY, &n);
  int distinct = 1;
  static unsigned char seen[MANY];
  for (__wasi_size_t i = 0; i < n && i < MANY; i++) {
    uint64_t u = events[i].userdata - 1000000;
    if (u >= MANY || seen[u] || events[i].type != __WASI_EVENTTYPE_CLOCK || events[i].error)
      distinct = 0;
    else
      seen[u] = 1;
  }
  say("%d due clocks: %s, %u events, each once: %s", MANY, errname(e), (unsigned)n,
      distinct ? "yes" : "NO");

  /* One due among many far in the future (an hour): only it is reported,
   * and the call does not wait for the others. */
  for (int i = 0; i < MANY; i++)
    clock_sub(&subs[i], (uint64_t)i, 3600ULL * 1000000000ULL);
  clock_sub(&subs[MANY / 2], 424242, 0);
  e = __wasi_poll_oneoff(subs, events, MANY, &n);
  say("one due among %d: %s, %u events, userdata %llu", MANY, errname(e), (unsigned)n,
      n ? (unsigned long long)events[0].userdata : 0ULL);

  /* A short real wait among many: 1 ms, the rest an hour. */
  clock_sub(&subs[MANY / 2], 777, 1000000);
  e = __wasi_poll_oneoff(subs, events, MANY, &n);
  say("one 1 ms clock among %d: %s, %u events, userdata %llu", MANY, errname(e), (unsigned)n,
      n ? (unsigned long long)events[0].userdata : 0ULL);

  if (huge) {
    /* Counts whose arrays cannot be in linear memory: argv[3..] in order. */
    static __wasi_subscription_t small[4];
    static __wasi_event_t small_ev[4];
    for (int i = 0; i < 4; i++)
      clock_sub(&small[i], (uint64_t)i, 0);
    for (int a = 3; a < argc; a++) {
      unsigned long count = strtoul(argv[a], NULL, 0);
      say("asking for %lu subscriptions", count);
      fflush(stdout);
      n = 12345;
      e = __wasi_poll_oneoff(small, small_ev, (__wasi_size_t)count, &n);
      say("%lu subscriptions: %s, nevents %u", count, errname(e), (unsigned)n);
    }
  }
  free(subs);
  free(events);
  return 0;
}
