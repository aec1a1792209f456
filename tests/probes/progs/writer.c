/* Writes a line to stderr with write(2), which the preload itself also
 * hooks and calls. */
#include <unistd.h>

int main(void) { return write(2, "hello\n", 6) == 6 ? 0 : 1; }
