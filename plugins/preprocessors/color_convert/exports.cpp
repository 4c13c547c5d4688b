// The color_convert plugin library.
#include "color_convert.h"

SLUICE_EXPORT_NODES(sluice::preproc::ColorConvert)
