// Op definitions of the in-graph tables: id maps and CSR topologies, and their updates.
#include "custom_ops/ops/shape_fns.h"
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tensorflow {

using shape_inference::InferenceContext;
using shape_inference::ShapeHandle;
using tfgle_shape_fns::RaggedOutputs;
using tfgle_shape_fns::Scalar;
using tfgle_shape_fns::TableAndVector;
using tfgle_shape_fns::TableLookup;
using tfgle_shape_fns::TableScalars;
using tfgle_shape_fns::Vector;

namespace {

Status CsrInitShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(Scalar(c, 0));
  ShapeHandle src, dst, column;
  TF_RETURN_IF_ERROR(Vector(c, 1, &src));
  TF_RETURN_IF_ERROR(Vector(c, 2, &dst));
  TF_RETURN_IF_ERROR(c->Merge(src, dst, &src));
  for (int i = 3; i <= 5; ++i) TF_RETURN_IF_ERROR(Vector(c, i, &column));
  TF_RETURN_IF_ERROR(Scalar(c, 6));  // num_src
  return Scalar(c, 7);                // num_dst
}

// CsrAppend: CsrInit's inputs, with one edge id per edge; outputs a scalar.
Status CsrAppendShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(CsrInitShape(c));
  ShapeHandle src, edge_ids;
  TF_RETURN_IF_ERROR(Vector(c, 1, &src));
  TF_RETURN_IF_ERROR(Vector(c, 3, &edge_ids));
  TF_RETURN_IF_ERROR(c->Merge(src, edge_ids, &src));
  c->set_output(0, c->Scalar());
  return OkStatus();
}

// An update with a scalar argument: table and a scalar in, a scalar out.
Status ScalarUpdateShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(Scalar(c, 1));
  return TableScalars(c);
}

// An update with a vector argument: table and a vector in, a scalar out.
Status VectorUpdateShape(InferenceContext* c) {
  ShapeHandle vector;
  TF_RETURN_IF_ERROR(Vector(c, 1, &vector));
  return TableScalars(c);
}

Status CsrNeighborsShape(InferenceContext* c) {
  TF_RETURN_IF_ERROR(Scalar(c, 0));
  ShapeHandle indices;
  TF_RETURN_IF_ERROR(Vector(c, 1, &indices));
  return RaggedOutputs(c, indices, 4);
}

}  // namespace

REGISTER_OP("Tfgle>IdMapHandle")
    .Output("table: resource")
    .Attr("container: string = ''")
    .Attr("shared_name: string = ''")
    .SetIsStateful()
    .SetShapeFn(shape_inference::ScalarShape)
    .Doc("A table mapping one node type's external int64 ids to dense indices.");

REGISTER_OP("Tfgle>IdMapInit")
    .Input("table: resource")
    .Input("ids: int64")
    .SetShapeFn(TableAndVector)
    .Doc("Fills the id map with ids[i] -> i; fails on duplicate ids.");

REGISTER_OP("Tfgle>IdMapAppend")
    .Input("table: resource")
    .Input("ids: int64")
    .Output("size: int64")
    .SetIsStateful()
    .SetShapeFn(VectorUpdateShape)
    .Doc(R"doc(
Grows the id map with ids[i] -> size + i and returns the new size. An id
already in the map, or twice in `ids`, is an InvalidArgument naming it (the
map is then unchanged). Lookups running meanwhile see the map before or after.
)doc");

REGISTER_OP("Tfgle>IdMapLookup")
    .Input("table: resource")
    .Input("ids: int64")
    .Output("indices: int64")
    .Attr("allow_missing: bool = false")
    .SetShapeFn(TableLookup)
    .Doc("Dense indices of ids (any shape). Unknown ids are an error, or -1 with allow_missing.");

REGISTER_OP("Tfgle>IdMapSize")
    .Input("table: resource")
    .Output("size: int64")
    .SetShapeFn(TableScalars)
    .Doc("The number of ids in the id map.");

REGISTER_OP("Tfgle>CsrHandle")
    .Output("table: resource")
    .Attr("container: string = ''")
    .Attr("shared_name: string = ''")
    .SetIsStateful()
    .SetShapeFn(shape_inference::ScalarShape)
    .Doc("The CSR topology of one edge type.");

REGISTER_OP("Tfgle>CsrInit")
    .Input("table: resource")
    .Input("src: int64")
    .Input("dst: int64")
    .Input("edge_ids: int64")
    .Input("weights: float")
    .Input("timestamps: int64")
    .Input("num_src: int64")
    .Input("num_dst: int64")
    .Attr("symmetric: bool = false")
    .Attr("order: {'input', 'weight', 'timestamp'} = 'input'")
    .Attr("weighted: bool = false")
    .Attr("timed: bool = false")
    .SetShapeFn(CsrInitShape)
    .Doc(R"doc(
Builds the CSR from dense-index edges src[i] -> dst[i].

edge_ids, weights, timestamps: one value per edge, or empty when absent
(edge ids then default to the row number).
weights: each 0 or a finite number >= 1.17549435e-38 (the smallest normal
float32); a negative, non-finite or subnormal weight is an InvalidArgument
naming it (TensorFlow flushes denormals to zero, so a subnormal weight could
never be drawn).
weighted, timed: the edge type has weights / timestamps even when it has no
edges (non-empty weights / timestamps imply them).
symmetric: also add dst -> src for every non-self-loop edge (one node type).
order: neighbor order within a row: input order, weight descending or
timestamp descending (ties keep input order).
)doc");

REGISTER_OP("Tfgle>CsrAppend")
    .Input("table: resource")
    .Input("src: int64")
    .Input("dst: int64")
    .Input("edge_ids: int64")
    .Input("weights: float")
    .Input("timestamps: int64")
    .Input("num_src: int64")
    .Input("num_dst: int64")
    .Output("version: int64")
    .SetIsStateful()
    .SetShapeFn(CsrAppendShape)
    .Doc(R"doc(
Appends edges src[i] -> dst[i] to the table and publishes the result as a new
version (returns its number; the first version is 0).

edge_ids: one per edge. weights, timestamps: one per edge if the table has
them, else empty (as in CsrInit). num_src, num_dst: the new node counts, at
least the table's (new nodes start without edges), or -1 to keep the table's;
src and dst must lie in the new ranges. A symmetric table also adds the reverse
of each new non-loop edge.
Rows keep their entries and order; new entries join in the table's order
(input: last; weight / timestamp: merged in, after old entries of equal key).
An append costs O(k log k + num_src) to sort the k new edges, then one
parallel copy of the table (no re-sort). Samplers running meanwhile each see one whole
version, before or after. Appending nothing without growing publishes nothing.
)doc");

REGISTER_OP("Tfgle>CsrRemoveBefore")
    .Input("table: resource")
    .Input("timestamp: int64")
    .Output("version: int64")
    .SetIsStateful()
    .SetShapeFn(ScalarUpdateShape)
    .Doc(R"doc(
Drops the edges with timestamp < `timestamp` (a sliding window) and publishes
the result as a new version (returns the number of the current version; none
is published when no edge is that old). Needs a table with timestamps.
)doc");

REGISTER_OP("Tfgle>CsrVersion")
    .Input("table: resource")
    .Output("version: int64")
    .SetIsStateful()
    .SetShapeFn(TableScalars)
    .Doc("The number of the table's current version: 0 when built, + 1 per published update.");

REGISTER_OP("Tfgle>CsrInfo")
    .Input("table: resource")
    .Output("num_src: int64")
    .Output("num_dst: int64")
    .Output("num_edges: int64")
    .SetShapeFn(TableScalars)
    .Doc("The numbers of source nodes, destination nodes and edges of the table.");

REGISTER_OP("Tfgle>CsrFingerprint")
    .Input("table: resource")
    .Output("fingerprint: int64")
    .SetShapeFn(TableScalars)
    .Doc("A 64-bit hash of the table's whole topology, for detecting a changed graph.");

REGISTER_OP("Tfgle>CsrDegree")
    .Input("table: resource")
    .Input("indices: int64")
    .Output("degree: int64")
    .Attr("direction: {'out', 'in'} = 'out'")
    .SetShapeFn(TableLookup)
    .Doc("Out-degree (of source indices) or in-degree (of destination indices).");

REGISTER_OP("Tfgle>CsrNeighbors")
    .Input("table: resource")
    .Input("indices: int64")
    .Output("neighbors: int64")
    .Output("edge_ids: int64")
    .Output("weights: float")
    .Output("timestamps: int64")
    .Output("row_splits: int64")
    .SetShapeFn(CsrNeighborsShape)
    .Doc(R"doc(
All neighbors of each source index, as ragged rows (values + row_splits) in
CSR order. weights/timestamps are empty when the edge type has none.
)doc");

REGISTER_OP("Tfgle>CsrEdgesAt")
    .Input("table: resource")
    .Input("positions: int64")
    .Output("src: int64")
    .Output("dst: int64")
    .Output("edge_ids: int64")
    .SetShapeFn(TableAndVector)
    .Doc(R"doc(
The edges at CSR positions [0, num_edges): source index, destination index and
edge id of each. Traversing positions 0..num_edges-1 visits every edge once.
)doc");

}  // namespace tensorflow
