// Tfgle>GatherRows: tf.gather along axis 0 that reads rows ahead (core/gather_rows.h).
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tensorflow {

using shape_inference::InferenceContext;
using shape_inference::ShapeHandle;

REGISTER_OP("Tfgle>GatherRows")
    .Input("params: T")
    .Input("indices: int64")
    .Output("output: T")
    .Attr("T: {float, double, half, bfloat16, int8, uint8, int16, int32, int64, bool}")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle params, row, out;
      TF_RETURN_IF_ERROR(c->WithRankAtLeast(c->input(0), 1, &params));
      TF_RETURN_IF_ERROR(c->Subshape(params, 1, &row));
      TF_RETURN_IF_ERROR(c->Concatenate(c->input(1), row, &out));
      c->set_output(0, out);
      return OkStatus();
    })
    .Doc(R"doc(
tf.gather(params, indices) along axis 0: output is indices.shape +
params.shape[1:]. Fails with InvalidArgument, naming the position, when an
index is outside [0, params.shape[0]). Made for the feature rows of sampled
batches (rows scattered over a table larger than the caches).
)doc");

}  // namespace tensorflow
