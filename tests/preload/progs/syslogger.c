/* One message at each of two priorities. */
#include <syslog.h>

int main(void) {
  openlog("xt-syslog-test", LOG_PID, LOG_USER);
  syslog(LOG_DEBUG, "debug detail %d", 1);
  syslog(LOG_ERR, "something failed: %s", "disk");
  closelog();
  return 0;
}
