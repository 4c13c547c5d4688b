// The resize plugin library.
#include "resize.h"

SLUICE_EXPORT_NODES(sluice::preproc::Resize)
