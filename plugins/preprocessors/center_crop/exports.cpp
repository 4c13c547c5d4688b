// The center_crop plugin library.
#include "center_crop.h"

SLUICE_EXPORT_NODES(sluice::preproc::CenterCrop)
