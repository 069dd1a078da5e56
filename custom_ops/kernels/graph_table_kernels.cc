// Kernels of the in-graph tables: creation, initialization, updates and lookups.
#include <algorithm>
#include <atomic>
#include <limits>
#include <new>

#include "custom_ops/kernels/graph_resources.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tensorflow {
namespace tfgle_kernels {
namespace {

// InvalidArgument naming the first name[i] outside [0, limit), followed by
// `what` (e.g. " (source nodes)").
Status CheckIndices(const Tensor& t, const char* name, int64_t limit, const char* what) {
  const auto flat = t.flat<int64_t>();
  for (int64_t i = 0; i < flat.size(); ++i) {
    if (static_cast<uint64_t>(flat(i)) >= static_cast<uint64_t>(limit)) {
      return errors::InvalidArgument(name, "[", i, "] = ", flat(i), " is not in [0, ", limit, ")",
                                     what);
    }
  }
  return OkStatus();
}

// The vector input `index`, `name`, whose values must lie in [0, limit).
Status GetIndexVector(OpKernelContext* ctx, int index, const char* name, int64_t limit,
                      const char* what, const Tensor** out) {
  *out = &ctx->input(index);
  TF_RETURN_IF_ERROR(CheckVector(**out, name));
  return CheckIndices(**out, name, limit, what);
}

// ---------------------------------------------------------------- id map

void IdMapInit(OpKernelContext* ctx, IdMapResource* table) {
  const Tensor& ids = ctx->input(1);
  OP_REQUIRES_OK(ctx, CheckVector(ids, "ids"));
  OP_REQUIRES_OK(ctx, table->InitializeWith("id map", [&] {
    return table->map.Init(ids.flat<int64_t>().data(), ids.NumElements(), MakeExecutor(ctx));
  }));
}

void IdMapAppend(OpKernelContext* ctx, IdMapResource* table) {
  const Tensor& ids = ctx->input(1);
  OP_REQUIRES_OK(ctx, CheckVector(ids, "ids"));
  int64_t size;
  OP_REQUIRES_OK(ctx, CatchingOom("appending to the id map", [&] {
    return table->map.Append(ids.flat<int64_t>().data(), ids.NumElements(), MakeExecutor(ctx),
                             &size);
  }));
  OP_REQUIRES_OK(ctx, SetScalarOutput(ctx, 0, size));
}

class IdMapLookupOp : public VersionKernel<IdMapResource> {
 public:
  explicit IdMapLookupOp(OpKernelConstruction* ctx) : VersionKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("allow_missing", &allow_missing_));
  }

 protected:
  void ComputeWithVersion(OpKernelContext* ctx, const ::tfgle::IdMap& map) override {
    const Tensor& ids = ctx->input(1);
    Tensor* out;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, ids.shape(), &out));
    const auto in = ids.flat<int64_t>();
    auto indices = out->flat<int64_t>();
    const int64_t n = in.size();
    std::atomic<int64_t> first_missing{n};
    MakeExecutor(ctx).parallel_for(n, 20, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        indices(i) = map.Find(in(i));
        if (indices(i) < 0 && i < first_missing.load()) {
          int64_t cur = first_missing.load();
          while (i < cur && !first_missing.compare_exchange_weak(cur, i)) {
          }
        }
      }
    });
    const int64_t missing = first_missing.load();
    OP_REQUIRES(ctx, allow_missing_ || missing == n,
                errors::InvalidArgument("ids[", missing, "] = ", missing < n ? in(missing) : 0,
                                        " is not a known id of this node type (", map.size(),
                                        " ids)"));
  }

 private:
  bool allow_missing_;
};

void IdMapSize(OpKernelContext* ctx, const ::tfgle::IdMap& map) {
  OP_REQUIRES_OK(ctx, SetScalarOutput(ctx, 0, map.size()));
}

// ---------------------------------------------------------------- CSR

// The inputs CsrInit and CsrAppend share: src and dst (inputs 1, 2) are
// vectors of one length, `num_edges`; edge_ids, weights and timestamps
// (inputs 3-5) are vectors, empty or of that length; num_src and num_dst
// (inputs 6, 7) are scalars.
Status GetEdgeInputs(OpKernelContext* ctx, int64_t* num_edges) {
  const Tensor& src = ctx->input(1);
  const Tensor& dst = ctx->input(2);
  TF_RETURN_IF_ERROR(CheckVector(src, "src"));
  TF_RETURN_IF_ERROR(CheckVector(dst, "dst"));
  *num_edges = src.NumElements();
  if (dst.NumElements() != *num_edges) {
    return errors::InvalidArgument("src and dst must have the same length, got ", *num_edges,
                                   " and ", dst.NumElements());
  }
  TF_RETURN_IF_ERROR(CheckOptionalColumn(ctx->input(3), "edge_ids", *num_edges, "edge"));
  TF_RETURN_IF_ERROR(CheckOptionalColumn(ctx->input(4), "weights", *num_edges, "edge"));
  TF_RETURN_IF_ERROR(CheckOptionalColumn(ctx->input(5), "timestamps", *num_edges, "edge"));
  for (int i : {6, 7}) {
    const Tensor& t = ctx->input(i);
    if (!TensorShapeUtils::IsScalar(t.shape())) {
      return errors::InvalidArgument(i == 6 ? "num_src" : "num_dst", " must be a scalar, got shape ",
                                     t.shape().DebugString());
    }
  }
  return OkStatus();
}

// Per-node arrays of larger counts could not be allocated (and sizes near
// 2^63 would overflow std::vector): they are refused before building.
Status CheckNodeCounts(int64_t num_src, int64_t num_dst) {
  constexpr int64_t kMaxNodes = int64_t{1} << 40;
  if (num_src > kMaxNodes || num_dst > kMaxNodes) {
    return errors::InvalidArgument("num_src and num_dst must be at most 2^40, got ", num_src,
                                   " and ", num_dst);
  }
  return OkStatus();
}

class CsrInitOp : public TableKernel<CsrResource, TableAccess::kCreate> {
 public:
  explicit CsrInitOp(OpKernelConstruction* ctx) : TableKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("symmetric", &symmetric_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("weighted", &weighted_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("timed", &timed_));
    std::string order;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("order", &order));
    order_ = order == "weight"      ? ::tfgle::NeighborOrder::kWeightDescending
             : order == "timestamp" ? ::tfgle::NeighborOrder::kTimestampDescending
                                    : ::tfgle::NeighborOrder::kInput;
  }

 protected:
  void ComputeWithTable(OpKernelContext* ctx, CsrResource* table) override {
    const Tensor& src = ctx->input(1);
    const Tensor& dst = ctx->input(2);
    const Tensor& edge_ids = ctx->input(3);
    const Tensor& weights = ctx->input(4);
    const Tensor& timestamps = ctx->input(5);
    const Tensor& num_src = ctx->input(6);
    const Tensor& num_dst = ctx->input(7);
    int64_t num_edges;
    OP_REQUIRES_OK(ctx, GetEdgeInputs(ctx, &num_edges));

    ::tfgle::EdgeList edges;
    edges.src = src.flat<int64_t>().data();
    edges.dst = dst.flat<int64_t>().data();
    edges.num_edges = num_edges;
    if (edge_ids.NumElements() > 0) edges.edge_ids = edge_ids.flat<int64_t>().data();
    OP_REQUIRES_OK(ctx, GetDeclaredColumn(weights, num_edges, "edge", weighted_, "weighted",
                                          "weight", &edges.weights));
    OP_REQUIRES_OK(ctx, GetDeclaredColumn(timestamps, num_edges, "edge", timed_, "timed",
                                          "timestamp", &edges.timestamps));
    edges.num_src = num_src.scalar<int64_t>()();
    edges.num_dst = num_dst.scalar<int64_t>()();
    OP_REQUIRES_OK(ctx, CheckNodeCounts(edges.num_src, edges.num_dst));
    edges.symmetric = symmetric_;
    OP_REQUIRES_OK(ctx, table->InitializeWith("CSR table", [&] {
      return table->csr.Init(edges, order_, MakeExecutor(ctx));
    }));
  }

 private:
  bool symmetric_;
  bool weighted_;
  bool timed_;
  ::tfgle::NeighborOrder order_;
};

void CsrAppend(OpKernelContext* ctx, CsrResource* table) {
  int64_t num_edges;
  OP_REQUIRES_OK(ctx, GetEdgeInputs(ctx, &num_edges));
  const Tensor& edge_ids = ctx->input(3);
  const Tensor& weights = ctx->input(4);
  const Tensor& timestamps = ctx->input(5);
  OP_REQUIRES(ctx, edge_ids.NumElements() == num_edges,
              errors::InvalidArgument("edge_ids must have one value per appended edge (",
                                      num_edges, "), got ", edge_ids.NumElements()));
  ::tfgle::EdgeList edges;
  edges.src = ctx->input(1).flat<int64_t>().data();
  edges.dst = ctx->input(2).flat<int64_t>().data();
  edges.num_edges = num_edges;
  edges.edge_ids = edge_ids.flat<int64_t>().data();
  if (weights.NumElements() > 0) edges.weights = weights.flat<float>().data();
  if (timestamps.NumElements() > 0) edges.timestamps = timestamps.flat<int64_t>().data();
  edges.num_src = ctx->input(6).scalar<int64_t>()();
  edges.num_dst = ctx->input(7).scalar<int64_t>()();
  for (const auto& [count, name] : {std::pair<int64_t, const char*>{edges.num_src, "num_src"},
                                    {edges.num_dst, "num_dst"}}) {
    OP_REQUIRES(ctx, count >= -1,
                errors::InvalidArgument(name, " must be >= 0, or -1 to keep the table's, got ",
                                        count));
  }
  OP_REQUIRES_OK(ctx, CheckNodeCounts(edges.num_src, edges.num_dst));
  int64_t version;
  OP_REQUIRES_OK(ctx, CatchingOom("appending edges", [&] {
    return table->csr.Append(edges, MakeExecutor(ctx), &version);
  }));
  OP_REQUIRES_OK(ctx, SetScalarOutput(ctx, 0, version));
}

void CsrRemoveBefore(OpKernelContext* ctx, CsrResource* table) {
  const Tensor& timestamp = ctx->input(1);
  OP_REQUIRES(ctx, TensorShapeUtils::IsScalar(timestamp.shape()),
              errors::InvalidArgument("timestamp must be a scalar, got shape ",
                                      timestamp.shape().DebugString()));
  int64_t version;
  OP_REQUIRES_OK(ctx, CatchingOom("removing edges", [&] {
    return table->csr.RemoveBefore(timestamp.scalar<int64_t>()(), MakeExecutor(ctx), &version);
  }));
  OP_REQUIRES_OK(ctx, SetScalarOutput(ctx, 0, version));
}

void CsrVersion(OpKernelContext* ctx, CsrResource* table) {
  int64_t version;
  table->csr.Current(&version);
  OP_REQUIRES_OK(ctx, SetScalarOutput(ctx, 0, version));
}

void CsrInfo(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table) {
  const ::tfgle::CsrGraph& g = table.graph();
  const int64_t values[3] = {g.num_src, g.num_dst, g.num_edges()};
  for (int i = 0; i < 3; ++i) OP_REQUIRES_OK(ctx, SetScalarOutput(ctx, i, values[i]));
}

void CsrFingerprint(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table) {
  OP_REQUIRES_OK(ctx,
                 SetScalarOutput(ctx, 0, static_cast<int64_t>(table.graph().Fingerprint())));
}

class CsrDegreeOp : public VersionKernel<CsrResource> {
 public:
  explicit CsrDegreeOp(OpKernelConstruction* ctx) : VersionKernel(ctx) {
    std::string direction;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("direction", &direction));
    out_ = direction == "out";
  }

 protected:
  void ComputeWithVersion(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table) override {
    const ::tfgle::CsrGraph& g = table.graph();
    const Tensor& indices = ctx->input(1);
    OP_REQUIRES_OK(ctx, CheckIndices(indices, "indices", out_ ? g.num_src : g.num_dst,
                                     out_ ? " (source nodes)" : " (destination nodes)"));
    Tensor* out;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, indices.shape(), &out));
    const auto in = indices.flat<int64_t>();
    auto degree = out->flat<int64_t>();
    for (int64_t i = 0; i < in.size(); ++i) {
      degree(i) = out_ ? g.OutDegree(in(i)) : g.in_degree[in(i)];
    }
  }

 private:
  bool out_;
};

void CsrNeighbors(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table) {
  const ::tfgle::CsrGraph& g = table.graph();
  const Tensor* indices;
  OP_REQUIRES_OK(ctx, GetIndexVector(ctx, 1, "indices", g.num_src, " (source nodes)", &indices));
  const auto in = indices->flat<int64_t>();
  const int64_t n = in.size();
  Tensor* splits;
  OP_REQUIRES_OK(ctx, ctx->allocate_output(4, TensorShape({n + 1}), &splits));
  auto row_splits = splits->flat<int64_t>();
  row_splits(0) = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t degree = g.OutDegree(in(i));
    OP_REQUIRES(ctx, row_splits(i) <= std::numeric_limits<int64_t>::max() - degree,
                errors::InvalidArgument("total number of neighbors overflows int64"));
    row_splits(i + 1) = row_splits(i) + degree;
  }
  const int64_t total = row_splits(n);
  Tensor *neighbors, *edge_ids, *weights, *timestamps;
  OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({total}), &neighbors));
  OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({total}), &edge_ids));
  OP_REQUIRES_OK(ctx, ctx->allocate_output(
                          2, TensorShape({g.weighted() ? total : 0}), &weights));
  OP_REQUIRES_OK(ctx, ctx->allocate_output(3, TensorShape({g.timed() ? total : 0}),
                                           &timestamps));
  auto nbr = neighbors->flat<int64_t>();
  auto eid = edge_ids->flat<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t begin = g.indptr[in(i)];
    const int64_t out_begin = row_splits(i);
    const int64_t degree = row_splits(i + 1) - out_begin;
    std::copy_n(g.indices.data() + begin, degree, nbr.data() + out_begin);
    std::copy_n(g.edge_ids.data() + begin, degree, eid.data() + out_begin);
    if (g.weighted()) {
      std::copy_n(g.weights.data() + begin, degree, weights->flat<float>().data() + out_begin);
    }
    if (g.timed()) {
      std::copy_n(g.timestamps.data() + begin, degree,
                  timestamps->flat<int64_t>().data() + out_begin);
    }
  }
}

void CsrEdgesAt(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table) {
  const ::tfgle::CsrGraph& g = table.graph();
  const Tensor* positions;
  OP_REQUIRES_OK(ctx, GetIndexVector(ctx, 1, "positions", g.num_edges(), "", &positions));
  const auto pos = positions->flat<int64_t>();
  Tensor *src, *dst, *eids;
  OP_REQUIRES_OK(ctx, ctx->allocate_output(0, positions->shape(), &src));
  OP_REQUIRES_OK(ctx, ctx->allocate_output(1, positions->shape(), &dst));
  OP_REQUIRES_OK(ctx, ctx->allocate_output(2, positions->shape(), &eids));
  auto src_out = src->flat<int64_t>();
  auto dst_out = dst->flat<int64_t>();
  auto eid_out = eids->flat<int64_t>();
  MakeExecutor(ctx).parallel_for(pos.size(), 100, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      // The row whose [indptr[v], indptr[v + 1]) holds the position.
      src_out(i) = std::upper_bound(g.indptr.begin(), g.indptr.end(), pos(i)) -
                   g.indptr.begin() - 1;
      dst_out(i) = g.indices[pos(i)];
      eid_out(i) = g.edge_ids[pos(i)];
    }
  });
}

REGISTER_KERNEL_BUILDER(Name("Tfgle>IdMapHandle").Device(DEVICE_CPU),
                        ResourceHandleOp<IdMapResource>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>IdMapInit").Device(DEVICE_CPU),
                        TableFunctionKernel<IdMapResource, IdMapInit, TableAccess::kCreate>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>IdMapAppend").Device(DEVICE_CPU),
                        TableFunctionKernel<IdMapResource, IdMapAppend>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>IdMapLookup").Device(DEVICE_CPU), IdMapLookupOp);
REGISTER_KERNEL_BUILDER(Name("Tfgle>IdMapSize").Device(DEVICE_CPU),
                        VersionFunctionKernel<IdMapResource, IdMapSize>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrHandle").Device(DEVICE_CPU),
                        ResourceHandleOp<CsrResource>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrInit").Device(DEVICE_CPU), CsrInitOp);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrAppend").Device(DEVICE_CPU),
                        TableFunctionKernel<CsrResource, CsrAppend>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrRemoveBefore").Device(DEVICE_CPU),
                        TableFunctionKernel<CsrResource, CsrRemoveBefore>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrVersion").Device(DEVICE_CPU),
                        TableFunctionKernel<CsrResource, CsrVersion>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrInfo").Device(DEVICE_CPU),
                        VersionFunctionKernel<CsrResource, CsrInfo>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrFingerprint").Device(DEVICE_CPU),
                        VersionFunctionKernel<CsrResource, CsrFingerprint>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrDegree").Device(DEVICE_CPU), CsrDegreeOp);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrNeighbors").Device(DEVICE_CPU),
                        VersionFunctionKernel<CsrResource, CsrNeighbors>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>CsrEdgesAt").Device(DEVICE_CPU),
                        VersionFunctionKernel<CsrResource, CsrEdgesAt>);

}  // namespace
}  // namespace tfgle_kernels
}  // namespace tensorflow
