/*
 * syslog(3): one event per message (a message is one record, even if it
 * holds newlines), recorded when its priority is at or above the
 * XTRACE_LOG_LEVEL threshold and the program's own setlogmask lets it out,
 * within the syslog budget (logbudget.c), which is checked before the
 * message is formatted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "common.h"
#include "logging.h"

extern int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt,
                           va_list ap);

static const char *const level_names[] = {"emerg", "alert",  "crit", "err",
                                          "warning", "notice", "info", "debug"};

static void record(int pri, int flag, const char *fmt, va_list ap, const void *caller) {
  int level = LOG_PRI(pri);
  if (level > xt__cfg.log_level || !(setlogmask(0) & LOG_MASK(level)))
    return;
  if (!xt__budget_take(XT_BUDGET_SYSLOG, xt__budget_now())) {
    xt__budget_drop(XT_BUDGET_SYSLOG, 1, 0);
    return;
  }
  size_t cap;
  char *buf = xt__line_scratch(&cap);
  if (!buf)
    return;
  int n = flag < 0 ? vsnprintf(buf, cap, fmt, ap) : __vsnprintf_chk(buf, cap, flag, cap, fmt, ap);
  if (n < 0)
    return;
  size_t len = (size_t)n;
  if (len >= cap - 1) {
    len = XT_LABEL_MAX;
    memcpy(buf + len - (sizeof XT_CUT_MARKER - 1), XT_CUT_MARKER, sizeof XT_CUT_MARKER - 1);
  }
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    len--;
  if (len == 0)
    return;
  xt_kv kv[] = {{"priority", level_names[level]}};
  xt_event_info ev = {.agent = "syslog", .label = buf, .label_len = len, .caller = caller,
                      .kv = kv, .nkv = 1};
  xt__emit(&ev);
}

/* The real vsyslog, or its fortified form when flag >= 0. */
static void real_vsyslog(int pri, int flag, const char *fmt, va_list ap) {
  if (flag < 0) {
    vsyslog_fn real = REAL(vsyslog);
    if (real)
      real(pri, fmt, ap);
  } else {
    __vsyslog_chk_fn real = REAL(__vsyslog_chk);
    if (real)
      real(pri, flag, fmt, ap);
  }
}

static void hook_vsyslog(int pri, int flag, const char *fmt, va_list ap, const void *caller) {
  int saved = errno;
  if (!xt__enter(XT_FAM_SYSLOG)) {
    real_vsyslog(pri, flag, fmt, ap);
    return;
  }
  va_list again;
  va_copy(again, ap);
  real_vsyslog(pri, flag, fmt, ap);
  int after = errno;
  errno = saved; /* %m names the caller's errno */
  record(pri, flag, fmt, again, caller);
  va_end(again);
  errno = after;
  xt__leave();
}

#define RA __builtin_return_address(0)

XT_HOOK void vsyslog(int pri, const char *fmt, va_list ap) { hook_vsyslog(pri, -1, fmt, ap, RA); }
XT_HOOK void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap) {
  hook_vsyslog(pri, flag, fmt, ap, RA);
}
XT_HOOK void syslog(int pri, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vsyslog(pri, -1, fmt, ap, RA);
  va_end(ap);
}
XT_HOOK void __syslog_chk(int pri, int flag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vsyslog(pri, flag, fmt, ap, RA);
  va_end(ap);
}
