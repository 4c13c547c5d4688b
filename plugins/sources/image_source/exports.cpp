#include "image_source.h"

SLUICE_EXPORT_NODES(sluice::sources::ImageSource)
