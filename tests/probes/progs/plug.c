/* Loaded with dlopen after start-up; calls into its own dependency through
 * its PLT, the entry a probe must find although neither object existed
 * when the program started. */
int plug_helper(int x);

int plug_run(int x) { return plug_helper(x) + 1; }
