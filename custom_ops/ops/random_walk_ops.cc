// Op definition of the random walker (DeepWalk, node2vec, meta-path walks).
// Like every sampling op it takes `seed`, int64 [2], as tf.random.stateless_*
// do: the same seed gives bit-identical walks whatever the thread count.
#include "custom_ops/core/random_walk.h"
#include "custom_ops/ops/shape_fns.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tensorflow {

using shape_inference::InferenceContext;
using shape_inference::ShapeHandle;

REGISTER_OP("Tfgle>SampleRandomWalks")
    .Input("tables: N * resource")
    .Input("starts: int64")
    .Input("seed: int64")
    .Output("walks: int64")
    .Attr("N: int >= 1")
    .Attr("length: int")
    .Attr("p: float = 1.0")
    .Attr("q: float = 1.0")
    .SetShapeFn([](InferenceContext* c) {
      int num_tables;
      ::tfgle::RandomWalkOptions options;
      float p, q;
      TF_RETURN_IF_ERROR(c->GetAttr("N", &num_tables));
      TF_RETURN_IF_ERROR(c->GetAttr("length", &options.length));
      TF_RETURN_IF_ERROR(c->GetAttr("p", &p));
      TF_RETURN_IF_ERROR(c->GetAttr("q", &q));
      options.p = p;
      options.q = q;
      const ::tfgle::Status status = ::tfgle::CheckWalkOptions(options, num_tables);
      if (!status.ok()) return errors::InvalidArgument(status.message());
      for (int i = 0; i < num_tables; ++i) TF_RETURN_IF_ERROR(tfgle_shape_fns::Scalar(c, i));
      ShapeHandle starts;
      TF_RETURN_IF_ERROR(tfgle_shape_fns::Vector(c, num_tables, &starts));
      TF_RETURN_IF_ERROR(tfgle_shape_fns::Seed(c, num_tables + 1));
      c->set_output(0, c->Matrix(c->Dim(starts, 0), options.length + 1));
      return OkStatus();
    })
    .Doc(R"doc(
Random walks of `length` steps from every start, node2vec-biased when p or q != 1.

tables: step s (1-based) follows tables[(s - 1) % N]: one table walks one edge
  type; several walk a meta-path cyclically (each table's destination nodes
  are the next one's source nodes). Biased walks need N = 1.
starts: [B] dense source-node indices of tables[0], each in [0, num_src).
seed: [2] the stateless seed.
walks: [B, length + 1]: the start, then the node reached after each step. A
  walk that reaches a node without out-neighbors ends there; the rest of its
  row is -1.
p, q: node2vec's return and in-out parameters (finite, > 0, and
  max(1/p, 1, 1/q) / min(1/p, 1, 1/q) <= 10^4). A walk from t to v moves to
  a neighbor x of v with probability ∝ 1/p if x == t, 1 if x is a neighbor of
  t, 1/q otherwise; sampled by rejection (no per-edge alias tables).
)doc");

}  // namespace tensorflow
