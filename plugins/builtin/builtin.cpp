// The built-in plugin library: nodes for tests, demos and benchmarks.
#include "count_sink.h"
#include "delay.h"
#include "fail.h"
#include "null_sink.h"
#include "passthrough.h"
#include "synthetic_source.h"

SLUICE_EXPORT_NODES(sluice::builtin::SyntheticSource, sluice::builtin::Passthrough,
                    sluice::builtin::Delay, sluice::builtin::Fail, sluice::builtin::NullSink,
                    sluice::builtin::CountSink)
