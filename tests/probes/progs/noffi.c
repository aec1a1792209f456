/* A library under libffi's SONAME that has none of libffi's symbols: what
 * the preload finds when the libffi it opens at run time is not the one it
 * was built against. */
int noffi_marker = 1;
