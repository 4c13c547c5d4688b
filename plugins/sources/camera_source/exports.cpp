#include "camera_source.h"

SLUICE_EXPORT_NODES(sluice::sources::CameraSource)
