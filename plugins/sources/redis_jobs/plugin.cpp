// The node types of this library: they share the jobs running in this process (job.h).
#include "redis_sink.h"
#include "redis_source.h"

SLUICE_EXPORT_NODES(sluice::sources::RedisSource, sluice::sources::RedisSink)
