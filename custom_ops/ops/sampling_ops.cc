// Op definitions of the samplers: neighbors (fixed fanout, fused multi-hop,
// full lists) and negatives. Every sampling op takes `seed`, int64 [2], as
// tf.random.stateless_* do: the same seed gives bit-identical outputs.
#include <string>
#include <vector>

#include "custom_ops/core/negative_sampler.h"
#include "custom_ops/core/neighbor_sampler.h"
#include "custom_ops/ops/shape_fns.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tensorflow {

using shape_inference::DimensionHandle;
using shape_inference::InferenceContext;
using shape_inference::ShapeHandle;
using tfgle_shape_fns::RaggedOutputs;
using tfgle_shape_fns::SamplerInputs;
using tfgle_shape_fns::Scalar;
using tfgle_shape_fns::Vector;

namespace {

Status FromCore(const ::tfgle::Status& status) {
  return status.ok() ? OkStatus() : errors::InvalidArgument(status.message());
}

Status CheckNeighborAttrs(InferenceContext* c, const std::vector<std::string>& strategies) {
  for (const std::string& strategy : strategies) {
    ::tfgle::NeighborStrategy unused;
    TF_RETURN_IF_ERROR(FromCore(::tfgle::ParseNeighborStrategy(strategy, &unused)));
  }
  std::string padding;
  TF_RETURN_IF_ERROR(c->GetAttr("padding", &padding));
  ::tfgle::Padding unused;
  return FromCore(::tfgle::ParsePadding(padding, &unused));
}

// The inputs of the neighbor samplers: `num_tables` tables, ids [B] (its shape
// goes to `ids`), seed and before [B] or [].
Status NeighborSamplerInputs(InferenceContext* c, int num_tables, ShapeHandle* ids) {
  TF_RETURN_IF_ERROR(SamplerInputs(c, num_tables, ids));
  ShapeHandle before;
  return Vector(c, num_tables + 2, &before);
}

// Sets the outputs neighbors[hop], edge_ids[hop] and mask[hop] of a sampler of
// `num_hops` hops: [rows, fanout] ([rows, 0] edge ids without return_edge_ids).
Status SetHopOutputs(InferenceContext* c, int hop, int num_hops, DimensionHandle rows,
                     int64_t fanout) {
  bool return_edge_ids;
  TF_RETURN_IF_ERROR(c->GetAttr("return_edge_ids", &return_edge_ids));
  ShapeHandle out = c->Matrix(rows, fanout);
  c->set_output(hop, out);
  c->set_output(num_hops + hop, c->Matrix(rows, return_edge_ids ? fanout : 0));
  c->set_output(2 * num_hops + hop, out);
  return OkStatus();
}

Status SampleNeighborsShape(InferenceContext* c) {
  ShapeHandle ids;
  TF_RETURN_IF_ERROR(NeighborSamplerInputs(c, 1, &ids));
  std::string strategy;
  int64_t fanout;
  TF_RETURN_IF_ERROR(c->GetAttr("strategy", &strategy));
  TF_RETURN_IF_ERROR(c->GetAttr("fanout", &fanout));
  TF_RETURN_IF_ERROR(CheckNeighborAttrs(c, {strategy}));
  return SetHopOutputs(c, 0, 1, c->Dim(ids, 0), fanout);
}

Status SampleFanoutsShape(InferenceContext* c) {
  int num_hops;
  TF_RETURN_IF_ERROR(c->GetAttr("N", &num_hops));
  std::vector<int64_t> fanouts;
  std::vector<std::string> strategies;
  TF_RETURN_IF_ERROR(c->GetAttr("fanouts", &fanouts));
  TF_RETURN_IF_ERROR(c->GetAttr("strategies", &strategies));
  if (static_cast<int>(fanouts.size()) != num_hops) {
    return errors::InvalidArgument("fanouts has ", fanouts.size(),
                                   " entries but the meta-path has ", num_hops,
                                   " edge types");
  }
  if (static_cast<int>(strategies.size()) != num_hops) {
    return errors::InvalidArgument("strategies has ", strategies.size(),
                                   " entries but the meta-path has ", num_hops,
                                   " edge types");
  }
  for (int i = 0; i < num_hops; ++i) {
    if (fanouts[i] <= 0) {
      return errors::InvalidArgument("fanouts[", i, "] must be > 0, got ", fanouts[i]);
    }
  }
  TF_RETURN_IF_ERROR(CheckNeighborAttrs(c, strategies));
  ShapeHandle ids;
  TF_RETURN_IF_ERROR(NeighborSamplerInputs(c, num_hops, &ids));
  DimensionHandle rows = c->Dim(ids, 0);
  for (int i = 0; i < num_hops; ++i) {
    TF_RETURN_IF_ERROR(SetHopOutputs(c, i, num_hops, rows, fanouts[i]));
    TF_RETURN_IF_ERROR(c->Multiply(rows, fanouts[i], &rows));
  }
  return OkStatus();
}

Status SampleFullNeighborsShape(InferenceContext* c) {
  ShapeHandle ids;
  TF_RETURN_IF_ERROR(NeighborSamplerInputs(c, 1, &ids));
  int64_t max_neighbors;
  TF_RETURN_IF_ERROR(c->GetAttr("max_neighbors", &max_neighbors));
  if (max_neighbors < -1) {
    return errors::InvalidArgument("max_neighbors must be >= 0, or -1 for no cap, got ",
                                   max_neighbors);
  }
  return RaggedOutputs(c, ids, 2);
}

Status NodeDistributionInitShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(Scalar(c, 0));
  TF_RETURN_IF_ERROR(Scalar(c, 1));
  ShapeHandle weights, categories;
  TF_RETURN_IF_ERROR(Vector(c, 2, &weights));
  return Vector(c, 3, &categories);
}

Status SampleNegativesShape(InferenceContext* c) {
  int num_distributions;
  TF_RETURN_IF_ERROR(c->GetAttr("D", &num_distributions));
  std::string strategy;
  TF_RETURN_IF_ERROR(c->GetAttr("strategy", &strategy));
  ::tfgle::NegativeStrategy parsed;
  TF_RETURN_IF_ERROR(FromCore(::tfgle::ParseNegativeStrategy(strategy, &parsed)));
  ShapeHandle ids, targets;
  TF_RETURN_IF_ERROR(SamplerInputs(c, 1, &ids));
  for (int i = 0; i < num_distributions; ++i) TF_RETURN_IF_ERROR(Scalar(c, 3 + i));
  TF_RETURN_IF_ERROR(Vector(c, 3 + num_distributions, &targets));
  int64_t num;
  TF_RETURN_IF_ERROR(c->GetAttr("num", &num));
  ShapeHandle out = c->Matrix(c->Dim(ids, 0), num);
  c->set_output(0, out);
  c->set_output(1, out);
  return OkStatus();
}

}  // namespace

REGISTER_OP("Tfgle>SampleNeighbors")
    .Input("table: resource")
    .Input("ids: int64")
    .Input("seed: int64")
    .Input("before: int64")
    .Output("neighbors: int64")
    .Output("edge_ids: int64")
    .Output("mask: bool")
    .Attr("fanout: int >= 1")
    .Attr("strategy: string = 'random'")
    .Attr("padding: string = 'default'")
    .Attr("default_id: int = -1")
    .Attr("return_edge_ids: bool = true")
    .SetShapeFn(SampleNeighborsShape)
    .Doc(R"doc(
Samples `fanout` neighbors of every source index along one CSR table.

ids: [B] dense source-node indices, each in [0, num_src).
seed: [2] the stateless seed.
before: [B] a time per id (only edges with timestamp < it are used), or []
  for no temporal filter (needs a table with timestamps).
neighbors, edge_ids, mask: [B, fanout]. Where a row has fewer samples than
  fanout (without replacement, topk, zero-degree or all filtered out) the rest
  is padding: mask false, neighbors default_id and edge id -1 ('default'), or
  the row's samples repeated ('circular'; rows without any get default_id).
strategy: random | random_without_replacement | edge_weight | topk | in_degree.
return_edge_ids: false skips reading edge ids (edge_ids is then [B, 0]).
)doc");

REGISTER_OP("Tfgle>SampleFanouts")
    .Input("tables: N * resource")
    .Input("ids: int64")
    .Input("seed: int64")
    .Input("before: int64")
    .Output("neighbors: N * int64")
    .Output("edge_ids: N * int64")
    .Output("mask: N * bool")
    .Attr("N: int >= 1")
    .Attr("fanouts: list(int)")
    .Attr("strategies: list(string)")
    .Attr("padding: string = 'default'")
    .Attr("default_id: int = -1")
    .Attr("return_edge_ids: bool = true")
    .SetShapeFn(SampleFanoutsShape)
    .Doc(R"doc(
Fused multi-hop neighbor sampling along a meta-path, in one op call.

tables: the CSR table of each hop; hop i's destination node type must be hop
  i+1's source node type.
ids: [B] dense indices of the seeds; before: [B] or [] (every hop of a seed
  uses its time).
neighbors[i], edge_ids[i], mask[i]: [B * fanouts[0] * ... * fanouts[i-1],
  fanouts[i]]; row r of hop i samples the r-th entry of hop i-1 (flattened).
  Entries that hold default_id padding have all-padding children; circular
  repeats are real nodes and are sampled.
Hop 0 samples exactly as SampleNeighbors does with the same seed.
return_edge_ids: false skips reading edge ids (edge_ids[i] are then [rows, 0]).
)doc");

REGISTER_OP("Tfgle>SampleFullNeighbors")
    .Input("table: resource")
    .Input("ids: int64")
    .Input("seed: int64")
    .Input("before: int64")
    .Output("neighbors: int64")
    .Output("edge_ids: int64")
    .Output("row_splits: int64")
    .Attr("max_neighbors: int = -1")
    .SetShapeFn(SampleFullNeighborsShape)
    .Doc(R"doc(
All neighbors of every source index (edges with timestamp < before[i] only,
when before is given), as ragged rows: values + row_splits [B + 1], in the
row's order. max_neighbors >= 0 caps a row with a uniform random subset of
that size (kept in row order), drawn with `seed`.
)doc");

REGISTER_OP("Tfgle>NodeDistributionHandle")
    .Output("table: resource")
    .Attr("container: string = ''")
    .Attr("shared_name: string = ''")
    .SetIsStateful()
    .SetShapeFn(shape_inference::ScalarShape)
    .Doc("A distribution over the nodes of one type, for negative sampling.");

REGISTER_OP("Tfgle>NodeDistributionInit")
    .Input("table: resource")
    .Input("num_nodes: int64")
    .Input("weights: float")
    .Input("categories: int64")
    .Attr("weighted: bool = false")
    .Attr("categorized: bool = false")
    .SetShapeFn(NodeDistributionInitShape)
    .Doc(R"doc(
Fills a node distribution over num_nodes nodes: weights [num_nodes] (draws ∝
weight) or [] for uniform; categories [num_nodes] (int64 ids that conditional
draws match) or [].
weighted, categorized: the distribution has weights / categories even when it
has no nodes (non-empty weights / categories imply them), as CsrInit's
weighted and timed attrs.
A weight is 0 or a finite number >= 1.17549435e-38 (the smallest normal
float32): a subnormal weight is an InvalidArgument naming it, as a negative or
non-finite one is (TensorFlow flushes denormals to zero, so it could never be
drawn).
)doc");

REGISTER_OP("Tfgle>SampleNegatives")
    .Input("table: resource")
    .Input("ids: int64")
    .Input("seed: int64")
    .Input("distribution: D * resource")
    .Input("target_categories: int64")
    .Output("negatives: int64")
    .Output("mask: bool")
    .Attr("num: int >= 1")
    .Attr("strategy: string = 'random'")
    .Attr("exponent: float = 0.75")
    .Attr("max_trials: int >= 1 = 16")
    .Attr("D: int >= 0 = 0")
    .SetShapeFn(SampleNegativesShape)
    .Doc(R"doc(
Samples `num` negative destination nodes for every source index: candidates
that are true neighbors of the source are redrawn, up to max_trials draws.

strategy: random (uniform over the destination nodes) | in_degree (∝ in-degree
  ^ exponent) | node_weight (∝ the weights of `distribution`) | conditional
  (among the nodes of `distribution` whose category is target_categories[i]).
distribution: one NodeDistribution for node_weight and conditional, else none.
target_categories: [B] for conditional, else [].
max_trials: draws per negative, at most 1024.
negatives, mask: [B, num]; mask is false where the sampler gave up (the entry
  holds the last, true-neighbor candidate) or nothing could be drawn (-1).
)doc");

}  // namespace tensorflow
