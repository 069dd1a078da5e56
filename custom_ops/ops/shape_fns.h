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

// The inputs every sampler begins with: `num_tables` table handles, then
// ids [B] (its shape goes to `ids`) and a seed.
inline Status SamplerInputs(shape_inference::InferenceContext* c, int num_tables,
                            shape_inference::ShapeHandle* ids) {
  for (int i = 0; i < num_tables; ++i) TF_RETURN_IF_ERROR(Scalar(c, i));
  TF_RETURN_IF_ERROR(Vector(c, num_tables, ids));
  return Seed(c, num_tables + 1);
}

// Outputs of ragged rows, one row per entry of `rows`: outputs [0, num_values)
// are values of unknown length, output num_values the row splits [rows + 1].
inline Status RaggedOutputs(shape_inference::InferenceContext* c,
                            shape_inference::ShapeHandle rows, int num_values) {
  for (int i = 0; i < num_values; ++i) {
    c->set_output(i, c->Vector(shape_inference::InferenceContext::kUnknownDim));
  }
  shape_inference::DimensionHandle splits;
  TF_RETURN_IF_ERROR(c->Add(c->Dim(rows, 0), 1, &splits));
  c->set_output(num_values, c->Vector(splits));
  return OkStatus();
}

// The shape function of a table lookup: input 0 is the table, every output
// has the shape of input 1 (ids or indices of any shape).
inline Status TableLookup(shape_inference::InferenceContext* c) {
  TF_RETURN_IF_ERROR(Scalar(c, 0));
  for (int i = 0; i < c->num_outputs(); ++i) c->set_output(i, c->input(1));
  return OkStatus();
}

// The shape function of an op over a vector: input 0 is the table, input 1 a
// vector, every output has its shape.
inline Status TableAndVector(shape_inference::InferenceContext* c) {
  shape_inference::ShapeHandle vector;
  TF_RETURN_IF_ERROR(Vector(c, 1, &vector));
  return TableLookup(c);
}

// The shape function of an op that reads scalars off a table: input 0 is the
// table, every output a scalar.
inline Status TableScalars(shape_inference::InferenceContext* c) {
  TF_RETURN_IF_ERROR(Scalar(c, 0));
  for (int i = 0; i < c->num_outputs(); ++i) c->set_output(i, c->Scalar());
  return OkStatus();
}

}  // namespace tfgle_shape_fns
}  // namespace tensorflow

#endif  // TFGLE_OPS_SHAPE_FNS_H_
