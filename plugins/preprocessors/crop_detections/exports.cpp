// The crop_detections plugin library: crop_detections and its partner
// attach_classifications, which puts the crops' results back onto the detections.
#include "attach_classifications.h"
#include "crop_detections.h"

SLUICE_EXPORT_NODES(sluice::preproc::CropDetections, sluice::preproc::AttachClassifications)
