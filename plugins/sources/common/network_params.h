// The params of a source that reads network streams (timeouts and reconnects), declared once
// for stream_source and uri_source, and how they become a NetworkStreamOptions.
//
//   static inline const Param<int> kOpenTimeoutMs = network_params::kOpenTimeoutMs;
//   static inline const Param<int> kMaxReconnects = network_params::max_reconnects(-1);
//   ...
//   NetworkStreamOptions o = network_params::read(p, kMaxReconnects);
//
// Only max_reconnects' default differs between the two sources, on purpose: stream_source
// runs one stream for a job that should end (10 failed attempts in a row, then the stream is
// lost), uri_source feeds an always-on service (never give up).
#pragma once

#include "network_stream_reader.h"
#include "sluice/params.h"

namespace sluice::sources::network_params {

inline const Param<int> kOpenTimeoutMs{
    .name = "open_timeout_ms",
    .default_value = 10000,
    .description = "network streams: longest wait for a stream to open (ffmpeg backend)",
    .min = 100,
    .max = 600000};
inline const Param<int> kReadTimeoutMs{
    .name = "read_timeout_ms",
    .default_value = 5000,
    .description =
        "network streams: longest wait for a frame before the stream counts as dropped "
        "(ffmpeg backend)",
    .min = 100,
    .max = 600000};
inline const Param<int> kReconnectInitialMs{
    .name = "reconnect_initial_ms",
    .default_value = 500,
    .description = "network streams: wait before the first reconnect; doubles after each failure",
    .min = 0,
    .max = 600000};
inline const Param<int> kReconnectMaxMs{
    .name = "reconnect_max_ms",
    .default_value = 10000,
    .description = "network streams: longest wait between reconnect attempts",
    .min = 0,
    .max = 3600000};
inline Param<int> max_reconnects(int default_value) {
  return {.name = "max_reconnects",
          .default_value = default_value,
          .description =
              "network streams: failed reconnect attempts in a row before the stream "
              "is lost; 0: at the first drop; -1: never give up",
          .min = -1};
}

// The options these params give; url, backend and what to do on giving up are the caller's.
inline NetworkStreamOptions read(const Params& p, const Param<int>& max_reconnects_param) {
  NetworkStreamOptions o;
  o.open_timeout_ms = p.get(kOpenTimeoutMs);
  o.read_timeout_ms = p.get(kReadTimeoutMs);
  o.reconnect_initial_ms = p.get(kReconnectInitialMs);
  o.reconnect_max_ms = p.get(kReconnectMaxMs);
  o.max_reconnects = p.get(max_reconnects_param);
  return o;
}

}  // namespace sluice::sources::network_params
