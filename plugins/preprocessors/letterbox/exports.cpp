// The letterbox plugin library.
#include "letterbox.h"

SLUICE_EXPORT_NODES(sluice::preproc::Letterbox)
