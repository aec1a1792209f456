/* A library whose constructor logs. The dynamic loader runs it before the
 * preloaded library's own constructor, so the hooks it reaches must set the
 * library up on first use. */
#include <stdio.h>

__attribute__((constructor)) static void early(void) { fprintf(stderr, "constructor line %d\n", 1); }
