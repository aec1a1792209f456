/* One logging function for the whole server, so every line on stderr names the
 * component that wrote it, the pid and the reason in the same shape. */
#ifndef XT_SERVER_LOG_H
#define XT_SERVER_LOG_H

void xt__log(const char *component, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Silences xt__log (unit tests feed hostile input on purpose). */
void xt__log_quiet(int quiet);

#endif
