// The to_tensor plugin library.
#include "to_tensor.h"

SLUICE_EXPORT_NODES(sluice::preproc::ToTensor)
