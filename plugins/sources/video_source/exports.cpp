#include "video_source.h"

SLUICE_EXPORT_NODES(sluice::sources::VideoSource)
