/* clock_random: clock_time_get, clock_res_get, random_get, sched_yield and
 * poll_oneoff with clock subscriptions (nanosleep, poll with no fds).
 * Times are never printed: only their order. */
#include "common.h"
#include <poll.h>
#include <sched.h>
#include <time.h>

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(int argc, char **argv) {
  setup(argc, argv);
  struct timespec a, b, r;
  want("clock_gettime monotonic", clock_gettime(CLOCK_MONOTONIC, &a), 0);
  int mono = 1;
  for (int i = 0; i < 1000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (ns(b) < ns(a)) mono = 0;
    a = b;
  }
  check("monotonic never goes back", mono);
  want("clock_gettime realtime", clock_gettime(CLOCK_REALTIME, &a), 0);
  check("realtime after 2020", a.tv_sec > 1577836800);
  want("clock_getres monotonic", clock_getres(CLOCK_MONOTONIC, &r), 0);
  check("monotonic resolution positive", ns(r) > 0);
  want("clock_getres realtime", clock_getres(CLOCK_REALTIME, &r), 0);
  check("realtime resolution positive", ns(r) > 0);
  res("clock_gettime process cputime", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
  res("clock_gettime thread cputime", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a));
  time_t t = time(NULL);
  check("time() after 2020", t > 1577836800);

  /* Sleeping advances the monotonic clock by at least the requested time. */
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec req = {0, 20 * 1000000};
  want("nanosleep 20ms", nanosleep(&req, NULL), 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  check("slept at least 20ms", ns(b) - ns(a) >= 20 * 1000000LL);
  clock_gettime(CLOCK_MONOTONIC, &a);
  say("poll no fds 15ms: %d", poll(NULL, 0, 15));
  clock_gettime(CLOCK_MONOTONIC, &b);
  check("poll waited at least 15ms", ns(b) - ns(a) >= 15 * 1000000LL);
  /* An absolute-deadline sleep on the monotonic clock. */
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec until = a;
  until.tv_nsec += 10 * 1000000;
  if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
  errno = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  want("clock_nanosleep abstime", errno ? -1 : 0, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  check("reached the deadline", ns(b) >= ns(until));
  want("sched_yield", sched_yield(), 0);

  /* random_get: print only lengths and that two draws differ. */
  unsigned char r1[256], r2[256];
  memset(r1, 0, sizeof r1);
  memset(r2, 0, sizeof r2);
  want("getentropy 256", getentropy(r1, sizeof r1), 0);
  want("getentropy 256 again", getentropy(r2, sizeof r2), 0);
  say("random length: %zu", sizeof r1);
  check("two draws differ", memcmp(r1, r2, sizeof r1) != 0);
  int nonzero = 0;
  for (size_t i = 0; i < sizeof r1; i++) nonzero += r1[i] != 0;
  check("draw is not all zero", nonzero > 0);
  want("getentropy too long", getentropy(r1, 257), EIO);
  want("getentropy zero", getentropy(r1, 0), 0);
  static unsigned char big[100000];
  arc4random_buf(big, sizeof big);
  say("arc4random_buf length: %zu", sizeof big);
  return 0;
}
