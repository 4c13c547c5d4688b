#include "stream_source.h"

SLUICE_EXPORT_NODES(sluice::sources::StreamSource)
