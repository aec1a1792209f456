/*
 * pubsub framing, as spoken by the reference X-Trace clients and server: a
 * 4-byte big-endian topic length, the topic, a 4-byte big-endian message
 * length, the message. Both lengths are bounded before anything is allocated.
 */
#ifndef XTRACE_FRAME_H
#define XTRACE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XT_FRAME_TOPIC "xtrace"
#define XT_FRAME_TOPIC_LEN 6
#define XT_FRAME_MAX_TOPIC 255u
#define XT_FRAME_MAX_MESSAGE (1u << 20) /* a report is a few hundred bytes */
#define XT_FRAME_HEADER_LEN (4 + XT_FRAME_TOPIC_LEN + 4)

/* Writes the header for an "xtrace" frame carrying msg_len bytes into out,
 * which must hold XT_FRAME_HEADER_LEN bytes. Returns XT_FRAME_HEADER_LEN. */
size_t xt_frame_header(uint8_t out[XT_FRAME_HEADER_LEN], uint32_t msg_len);

typedef struct xt_frame {
  const uint8_t *topic;
  uint32_t topic_len;
  const uint8_t *msg;
  uint32_t msg_len;
} xt_frame;

/* Parses one frame at the start of buf. Returns the bytes it spans (> 0) and
 * fills out (pointers into buf); 0 if buf holds only part of a frame; -EMSGSIZE
 * if a length passes its bound: the stream cannot be trusted past that point. */
long xt_frame_parse(const uint8_t *buf, size_t len, xt_frame *out);

#ifdef __cplusplus
}
#endif
#endif
