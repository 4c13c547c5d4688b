// One include for plugin authors.
#pragma once

#include "sluice/contract.h"
#include "sluice/geometry.h"
#include "sluice/node.h"
#include "sluice/packet.h"
#include "sluice/params.h"
#include "sluice/payloads.h"
#include "sluice/status.h"
#include "sluice/text.h"
