#include "xtrace/frame.h"

#include <errno.h>
#include <string.h>

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t xt_frame_header(uint8_t out[XT_FRAME_HEADER_LEN], uint32_t msg_len) {
  put_be32(out, XT_FRAME_TOPIC_LEN);
  memcpy(out + 4, XT_FRAME_TOPIC, XT_FRAME_TOPIC_LEN);
  put_be32(out + 4 + XT_FRAME_TOPIC_LEN, msg_len);
  return XT_FRAME_HEADER_LEN;
}

long xt_frame_parse(const uint8_t *buf, size_t len, xt_frame *out) {
  if (len < 4) return 0;
  uint32_t topic_len = get_be32(buf);
  if (topic_len > XT_FRAME_MAX_TOPIC) return -EMSGSIZE;
  /* Check each length before using it, so a short buffer never reads past. */
  if (len - 4 < (size_t)topic_len + 4) return 0;
  uint32_t msg_len = get_be32(buf + 4 + topic_len);
  if (msg_len > XT_FRAME_MAX_MESSAGE) return -EMSGSIZE;
  size_t total = 4 + (size_t)topic_len + 4 + msg_len;
  if (len < total) return 0;
  out->topic = buf + 4;
  out->topic_len = topic_len;
  out->msg = buf + 8 + topic_len;
  out->msg_len = msg_len;
  return (long)total;
}
