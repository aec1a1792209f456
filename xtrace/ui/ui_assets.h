/*
 * The web UI's files, embedded into xtrace-server at build time so the server
 * needs nothing on disk and nothing from the network at run time.
 */
#ifndef XTRACE_UI_ASSETS_H
#define XTRACE_UI_ASSETS_H

#include <stddef.h>

typedef struct xt_ui_asset {
  const char *path;         /* "/index.html", "/app.js", "/vendor/dagre.min.js" */
  const char *content_type; /* "text/html; charset=utf-8", ... */
  const unsigned char *data;
  size_t len;
} xt_ui_asset;

/* The asset served at path, or NULL. "/" finds "/index.html". */
const xt_ui_asset *xt_ui_asset_find(const char *path);

#endif
