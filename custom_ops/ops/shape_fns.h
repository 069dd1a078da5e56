// Input checks shared by the op shape functions.
#ifndef TFGLE_OPS_SHAPE_FNS_H_
#define TFGLE_OPS_SHAPE_FNS_H_

#include "tensorflow/core/framework/shape_inference.h"

namespace tensorflow {
namespace tfgle_shape_fns {

// Input `index` is a scalar (e.g. a resource handle).
inline Status Scalar(shape_inference::InferenceContext* c, int index) {
  shape_inference::ShapeHandle unused;
  return c->WithRank(c->input(index), 0, &unused);
}

// Input `index` is a vector; its shape goes to `out`.
inline Status Vector(shape_inference::InferenceContext* c, int index,
                     shape_inference::ShapeHandle* out) {
  return c->WithRank(c->input(index), 1, out);
}

// Input `index` is a stateless seed, int64 [2].
inline Status Seed(shape_inference::InferenceContext* c, int index) {
  shape_inference::ShapeHandle seed;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(index), 1, &seed));
  shape_inference::DimensionHandle unused;
  return c->WithValue(c->Dim(seed, 0), 2, &unused);
}

}  // namespace tfgle_shape_fns
}  // namespace tensorflow

#endif  // TFGLE_OPS_SHAPE_FNS_H_
