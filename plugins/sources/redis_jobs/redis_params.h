// The params naming a Redis server, declared once for redis_source and redis_sink, and the
// RedisEndpoint they give. The password is never in the pipeline file: `password_env`
// names the environment variable that holds it.
#pragma once

#include <cstdlib>

#include "redis_client.h"
#include "sluice/params.h"

namespace sluice::sources::redis_params {

inline const Param<std::string> kHost{.name = "host",
                                      .default_value = "127.0.0.1",
                                      .description = "the Redis server's host name or address"};
inline const Param<int> kPort{.name = "port",
                              .default_value = 6379,
                              .description = "the Redis server's port",
                              .min = 1,
                              .max = 65535};
inline const Param<std::string> kPasswordEnv{
    .name = "password_env",
    .default_value = "",
    .description = "the environment variable holding the password (AUTH); empty: none"};
inline const Param<int> kDb{.name = "db",
                            .default_value = 0,
                            .description = "the database number (SELECT)",
                            .min = 0,
                            .max = 65535};
inline const Param<int> kTimeoutMs{
    .name = "timeout_ms",
    .default_value = 5000,
    .description =
        "longest wait to connect, and for each answer, before the connection counts as lost",
    .min = 10,
    .max = 600000};
inline const Param<int> kReconnectInitialMs{
    .name = "reconnect_initial_ms",
    .default_value = 200,
    .description = "wait before reconnecting to Redis; doubles after each failure",
    .min = 0,
    .max = 600000};
inline const Param<int> kReconnectMaxMs{
    .name = "reconnect_max_ms",
    .default_value = 5000,
    .description = "longest wait between attempts to reconnect to Redis",
    .min = 0,
    .max = 3600000};

// The endpoint; an error when password_env names a variable that is not set.
inline Result<RedisEndpoint> read(const Params& p) {
  RedisEndpoint e;
  e.host = p.get(kHost);
  e.port = p.get(kPort);
  e.db = p.get(kDb);
  e.timeout_ms = p.get(kTimeoutMs);
  e.reconnect_initial_ms = p.get(kReconnectInitialMs);
  e.reconnect_max_ms = p.get(kReconnectMaxMs);
  if (const std::string var = p.get(kPasswordEnv); !var.empty()) {
    const char* value = std::getenv(var.c_str());
    if (value == nullptr)
      return invalid_argument("password_env: the environment variable " + var + " is not set");
    e.password = value;
  }
  return e;
}

}  // namespace sluice::sources::redis_params
