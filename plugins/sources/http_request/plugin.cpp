// The node types of this library: they share the requests in flight (request_table.h).
#include "http_request.h"
#include "http_response.h"
#include "tensor_request.h"
#include "tensor_response.h"

SLUICE_EXPORT_NODES(sluice::sources::HttpRequest, sluice::sources::HttpResponse,
                    sluice::sources::TensorRequest, sluice::sources::TensorResponse)
