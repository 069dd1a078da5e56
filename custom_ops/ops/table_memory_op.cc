// Tfgle>TableMemory: the bytes an in-graph table holds, read where it lives.
#include "custom_ops/ops/shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tensorflow {

REGISTER_OP("Tfgle>TableMemory")
    .Input("table: resource")
    .Output("bytes: int64")
    .SetShapeFn(tfgle_shape_fns::TableScalars)
    .Doc(R"doc(
The bytes held by a tfgle CSR table (topology plus any sampling index built so
far) or id-map table. Runs on the device that holds the table, so it also
tells where a table lives (for example a parameter server).
)doc");

}  // namespace tensorflow
