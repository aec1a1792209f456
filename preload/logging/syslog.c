/*
 * syslog(3): one event per message (a message is one record, even if it
 * holds newlines), recorded when its priority is at or above the
 * XTRACE_LOG_LEVEL threshold and the program's own setlogmask lets it out,
 * within the syslog budget (logging/budget.c), which is checked before the
 * message is formatted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "internal.h"
#include "logging/logging.h"

static const char *const level_names[] = {"emerg",   "alert",  "crit", "err",
                                          "warning", "notice", "info", "debug"};

static void record(int pri, int flag, const char *fmt, va_list ap, const void *caller) {
  int level = LOG_PRI(pri);
  if (level > xtp_cfg.log_level || !(setlogmask(0) & LOG_MASK(level)))
    return;
  if (!xtp_budget_take(XTP_BUDGET_SYSLOG, xtp_budget_now())) {
    xtp_budget_drop(XTP_BUDGET_SYSLOG, 1, 0);
    return;
  }
  size_t cap;
  char *buf = xtp_line_scratch(&cap);
  if (!buf)
    return;
  int n = xtp_vformat(buf, cap, flag, fmt, ap);
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
  xt_event_info ev = {
      .agent = "syslog", .label = buf, .label_len = len, .caller = caller, .kv = kv, .nkv = 1};
  xtp_emit(&ev);
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
  if (!xtp_enter(XTP_FAM_SYSLOG)) {
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
  xtp_leave();
}

XTP_HOOK void vsyslog(int pri, const char *fmt, va_list ap) {
  hook_vsyslog(pri, -1, fmt, ap, XTP_CALLER);
}
XTP_HOOK void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap) {
  hook_vsyslog(pri, flag, fmt, ap, XTP_CALLER);
}
XTP_HOOK void syslog(int pri, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vsyslog(pri, -1, fmt, ap, XTP_CALLER);
  va_end(ap);
}
XTP_HOOK void __syslog_chk(int pri, int flag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vsyslog(pri, flag, fmt, ap, XTP_CALLER);
  va_end(ap);
}
