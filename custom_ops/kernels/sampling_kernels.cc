// Kernels of the sampling ops: thin adapters from tensors to the samplers in
// custom_ops/core (neighbor_sampler.h, negative_sampler.h).
#include <cmath>
#include <new>
#include <string>
#include <vector>

#include "custom_ops/core/negative_sampler.h"
#include "custom_ops/core/neighbor_sampler.h"
#include "custom_ops/core/node_distribution.h"
#include "custom_ops/core/sampling_random.h"
#include "custom_ops/kernels/graph_resources.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/tensor.h"

namespace tensorflow {
namespace tfgle_kernels {
namespace {

// Runs fn() and turns a failed allocation into ResourceExhausted.
template <typename Fn>
void RunCatchingOom(OpKernelContext* ctx, const char* what, Fn fn) {
  OP_REQUIRES_OK(ctx, CatchingOom(what, fn));
}

// The Philox generator of a `seed` input: int64 [2], as tf.random.stateless_*.
Status GetPhilox(const Tensor& seed, uint8_t tag, ::tfgle::Philox* out) {
  if (!(TensorShapeUtils::IsVector(seed.shape()) && seed.NumElements() == 2)) {
    return errors::InvalidArgument("seed must have shape [2], got ", seed.shape().DebugString());
  }
  const auto s = seed.flat<int64_t>();
  *out = ::tfgle::MakePhilox(s(0), s(1), tag);
  return OkStatus();
}

// The `ids` [B] and `seed` [2] inputs every sampler takes, at `first` and
// `first + 1`; `philox` is the seed's generator for `tag`.
Status GetIdsAndSeed(OpKernelContext* ctx, int first, uint8_t tag, const Tensor** ids,
                     ::tfgle::Philox* philox) {
  *ids = &ctx->input(first);
  TF_RETURN_IF_ERROR(CheckVector(**ids, "ids"));
  return GetPhilox(ctx->input(first + 1), tag, philox);
}

// An optional per-row input: empty, or one value per row.
Status GetOptionalRows(const Tensor& t, const char* name, int64_t rows, const int64_t** out) {
  TF_RETURN_IF_ERROR(CheckVector(t, name));
  if (t.NumElements() == 0) {
    *out = nullptr;
    return OkStatus();
  }
  if (t.NumElements() != rows) {
    return errors::InvalidArgument(name, " must be empty or have one value per id (", rows,
                                   "), got ", t.NumElements());
  }
  *out = t.flat<int64_t>().data();
  return OkStatus();
}

Status CheckRows(int64_t rows, int64_t per_row, const char* what) {
  if (per_row > 0 && rows > ::tfgle::kMaxSampledEntries / per_row) {
    return errors::InvalidArgument(rows, " ids x ", what, " ", per_row,
                                   " is more than the ", ::tfgle::kMaxSampledEntries,
                                   " samples one call may produce");
  }
  return OkStatus();
}

// A sampler over one version of a CSR table. Its inputs begin with table,
// ids [B] and seed [2]; Sample gets them checked, with the seed's generator
// for `philox_tag`.
class CsrSamplerKernel : public VersionKernel<CsrResource> {
 public:
  CsrSamplerKernel(OpKernelConstruction* ctx, uint8_t philox_tag)
      : VersionKernel(ctx), philox_tag_(philox_tag) {}

 protected:
  virtual void Sample(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table, const Tensor& ids,
                      const ::tfgle::Philox& philox) = 0;

 private:
  void ComputeWithVersion(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table) final {
    const Tensor* ids;
    ::tfgle::Philox philox(0, 0);
    OP_REQUIRES_OK(ctx, GetIdsAndSeed(ctx, 1, philox_tag_, &ids, &philox));
    Sample(ctx, table, *ids, philox);
  }

  const uint8_t philox_tag_;
};

// ------------------------------------------------------------- neighbors

class SampleNeighborsOp : public CsrSamplerKernel {
 public:
  explicit SampleNeighborsOp(OpKernelConstruction* ctx)
      : CsrSamplerKernel(ctx, /*philox_tag=*/0) {
    std::string strategy, padding;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("fanout", &options_.fanout));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("strategy", &strategy));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("padding", &padding));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("default_id", &options_.default_id));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("return_edge_ids", &return_edge_ids_));
    OP_REQUIRES(ctx, options_.fanout > 0,
                errors::InvalidArgument("fanout must be > 0, got ", options_.fanout));
    OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::ParseNeighborStrategy(strategy, &options_.strategy)));
    OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::ParsePadding(padding, &options_.padding)));
  }

 protected:
  void Sample(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table, const Tensor& ids,
              const ::tfgle::Philox& philox) override {
    const int64_t rows = ids.NumElements();
    ::tfgle::NeighborRequest request;
    request.ids = ids.flat<int64_t>().data();
    request.num_rows = rows;
    OP_REQUIRES_OK(ctx, GetOptionalRows(ctx->input(3), "before", rows, &request.before));
    OP_REQUIRES_OK(ctx, CheckRows(rows, options_.fanout, "fanout"));
    const TensorShape shape({rows, options_.fanout});
    Tensor *neighbors, *edge_ids, *mask;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, shape, &neighbors));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(
                            1, TensorShape({rows, return_edge_ids_ ? options_.fanout : 0}),
                            &edge_ids));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, shape, &mask));
    ::tfgle::NeighborOutput output;
    output.neighbors = neighbors->flat<int64_t>().data();
    output.edge_ids = return_edge_ids_ ? edge_ids->flat<int64_t>().data() : nullptr;
    output.mask = mask->flat<bool>().data();
    RunCatchingOom(ctx, "sampling neighbors", [&] {
      return ::tfgle::SampleNeighbors(table.graph(), table.index(), options_, request, philox,
                                      MakeExecutor(ctx), output);
    });
  }

 private:
  ::tfgle::NeighborSamplerOptions options_;
  bool return_edge_ids_;
};

class SampleFanoutsOp : public OpKernel {
 public:
  explicit SampleFanoutsOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    std::vector<std::string> strategies;
    std::string padding;
    int num_hops;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("N", &num_hops));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("fanouts", &fanouts_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("strategies", &strategies));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("padding", &padding));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("default_id", &default_id_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("return_edge_ids", &return_edge_ids_));
    OP_REQUIRES(ctx, static_cast<int>(fanouts_.size()) == num_hops,
                errors::InvalidArgument("fanouts has ", fanouts_.size(),
                                        " entries but the meta-path has ", num_hops,
                                        " edge types"));
    OP_REQUIRES(ctx, static_cast<int>(strategies.size()) == num_hops,
                errors::InvalidArgument("strategies has ", strategies.size(),
                                        " entries but the meta-path has ", num_hops,
                                        " edge types"));
    ::tfgle::Padding pad;
    OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::ParsePadding(padding, &pad)));
    for (int i = 0; i < num_hops; ++i) {
      OP_REQUIRES(ctx, fanouts_[i] > 0,
                  errors::InvalidArgument("fanouts[", i, "] must be > 0, got ", fanouts_[i]));
      ::tfgle::NeighborSamplerOptions options;
      options.fanout = fanouts_[i];
      options.padding = pad;
      options.default_id = default_id_;
      OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::ParseNeighborStrategy(strategies[i],
                                                                    &options.strategy)));
      options_.push_back(options);
    }
  }

  void Compute(OpKernelContext* ctx) override {
    const int num_hops = static_cast<int>(options_.size());
    // One version of each table for the whole call: a table on several hops
    // is read at the same version on all of them.
    std::vector<core::RefCountPtr<CsrResource>> resources(num_hops);
    std::vector<std::shared_ptr<const ::tfgle::CsrSnapshot>> tables(num_hops);
    for (int i = 0; i < num_hops; ++i) {
      OP_REQUIRES_OK(ctx, GetInitializedResource(ctx, i, strings::StrCat("tables[", i, "]"),
                                                 &resources[i]));
      for (int j = 0; j < i && tables[i] == nullptr; ++j) {
        if (resources[j].get() == resources[i].get()) tables[i] = tables[j];
      }
      if (tables[i] == nullptr) tables[i] = resources[i]->Current();
    }
    for (int i = 0; i + 1 < num_hops; ++i) {
      const int64_t dst = tables[i]->graph().num_dst, src = tables[i + 1]->graph().num_src;
      OP_REQUIRES(ctx, dst == src,
                  errors::InvalidArgument("the meta-path does not chain: edge type ", i, " has ",
                                          dst, " destination nodes but edge type ", i + 1,
                                          " has ", src, " source nodes"));
    }
    const Tensor* ids;
    ::tfgle::Philox philox(0, 0);  // hop i draws with the seed's generator for tag i
    OP_REQUIRES_OK(ctx, GetIdsAndSeed(ctx, num_hops, 0, &ids, &philox));
    const Tensor& seed = ctx->input(num_hops + 1);
    const int64_t batch = ids->NumElements();
    const int64_t* before = nullptr;
    OP_REQUIRES_OK(ctx, GetOptionalRows(ctx->input(num_hops + 2), "before", batch, &before));

    // Rows of every hop: batch x the fanouts before it, checked for overflow.
    std::vector<int64_t> rows(num_hops);
    int64_t n = batch;
    for (int i = 0; i < num_hops; ++i) {
      rows[i] = n;
      OP_REQUIRES(ctx, fanouts_[i] <= 0 || n <= ::tfgle::kMaxSampledEntries / fanouts_[i],
                  errors::InvalidArgument(
                      "batch ", batch, " x fanouts[0..", i, "] overflows: hop ", i, " would have ",
                      static_cast<double>(n) * fanouts_[i], " samples, more than the ",
                      ::tfgle::kMaxSampledEntries, " one call may produce"));
      n *= fanouts_[i];
    }
    OpOutputList neighbors, edge_ids, mask;
    OP_REQUIRES_OK(ctx, ctx->output_list("neighbors", &neighbors));
    OP_REQUIRES_OK(ctx, ctx->output_list("edge_ids", &edge_ids));
    OP_REQUIRES_OK(ctx, ctx->output_list("mask", &mask));
    std::vector<uint8_t> filled[2];
    const ::tfgle::Executor executor = MakeExecutor(ctx);
    for (int i = 0; i < num_hops; ++i) {
      const TensorShape shape({rows[i], fanouts_[i]});
      Tensor *hop_neighbors, *hop_edge_ids, *hop_mask;
      OP_REQUIRES_OK(ctx, neighbors.allocate(i, shape, &hop_neighbors));
      OP_REQUIRES_OK(ctx, edge_ids.allocate(
                              i, TensorShape({rows[i], return_edge_ids_ ? fanouts_[i] : 0}),
                              &hop_edge_ids));
      OP_REQUIRES_OK(ctx, mask.allocate(i, shape, &hop_mask));
      ::tfgle::NeighborRequest request;
      request.num_rows = rows[i];
      request.before = before;
      request.rows_per_time = rows[i] / std::max<int64_t>(batch, 1);
      if (i == 0) {
        request.ids = ids->flat<int64_t>().data();
      } else {
        request.ids = neighbors[i - 1]->flat<int64_t>().data();
        request.row_valid = filled[(i - 1) % 2].data();
        request.ids_name = "hop ids";
      }
      ::tfgle::NeighborOutput output;
      output.neighbors = hop_neighbors->flat<int64_t>().data();
      output.edge_ids = return_edge_ids_ ? hop_edge_ids->flat<int64_t>().data() : nullptr;
      output.mask = hop_mask->flat<bool>().data();
      if (i + 1 < num_hops) {
        try {
          filled[i % 2].resize(shape.num_elements());
        } catch (const std::bad_alloc&) {
          ctx->SetStatus(errors::ResourceExhausted("out of memory sampling hop ", i));
          return;
        }
        output.filled = filled[i % 2].data();
      }
      OP_REQUIRES_OK(ctx, GetPhilox(seed, static_cast<uint8_t>(i), &philox));
      RunCatchingOom(ctx, "sampling neighbors", [&] {
        return ::tfgle::SampleNeighbors(tables[i]->graph(), tables[i]->index(), options_[i],
                                        request, philox, executor, output);
      });
      if (!ctx->status().ok()) return;
    }
  }

 private:
  std::vector<int64_t> fanouts_;
  std::vector<::tfgle::NeighborSamplerOptions> options_;
  int64_t default_id_;
  bool return_edge_ids_;
};

class SampleFullNeighborsOp : public CsrSamplerKernel {
 public:
  explicit SampleFullNeighborsOp(OpKernelConstruction* ctx)
      : CsrSamplerKernel(ctx, /*philox_tag=*/0) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("max_neighbors", &max_neighbors_));
    OP_REQUIRES(ctx, max_neighbors_ >= -1,
                errors::InvalidArgument("max_neighbors must be >= 0, or -1 for no cap, got ",
                                        max_neighbors_));
  }

 protected:
  void Sample(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table, const Tensor& ids,
              const ::tfgle::Philox& philox) override {
    ::tfgle::FullNeighborRequest request;
    request.ids = ids.flat<int64_t>().data();
    request.num_rows = ids.NumElements();
    request.max_neighbors = max_neighbors_;
    OP_REQUIRES_OK(ctx, GetOptionalRows(ctx->input(3), "before", request.num_rows,
                                        &request.before));
    OP_REQUIRES_OK(ctx, CheckRows(request.num_rows, 1, "rows"));
    Tensor* splits;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(2, TensorShape({request.num_rows + 1}), &splits));
    int64_t* row_splits = splits->flat<int64_t>().data();
    const ::tfgle::Executor executor = MakeExecutor(ctx);
    RunCatchingOom(ctx, "counting neighbors", [&] {
      return ::tfgle::CountFullNeighbors(table.graph(), table.index(), request, executor,
                                         row_splits);
    });
    if (!ctx->status().ok()) return;
    const int64_t total = row_splits[request.num_rows];
    Tensor *neighbors, *edge_ids;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({total}), &neighbors));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, TensorShape({total}), &edge_ids));
    RunCatchingOom(ctx, "gathering neighbors", [&] {
      return ::tfgle::FillFullNeighbors(table.graph(), table.index(), request, philox, executor,
                                        row_splits, neighbors->flat<int64_t>().data(),
                                        edge_ids->flat<int64_t>().data());
    });
  }

 private:
  int64_t max_neighbors_;
};

// ------------------------------------------------------------- negatives

class NodeDistributionInitOp
    : public TableKernel<NodeDistributionResource, TableAccess::kCreate> {
 public:
  explicit NodeDistributionInitOp(OpKernelConstruction* ctx) : TableKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("weighted", &weighted_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("categorized", &categorized_));
  }

 protected:
  void ComputeWithTable(OpKernelContext* ctx, NodeDistributionResource* table) override {
    const Tensor& num_nodes_t = ctx->input(1);
    const Tensor& weights_t = ctx->input(2);
    const Tensor& categories_t = ctx->input(3);
    OP_REQUIRES(ctx, TensorShapeUtils::IsScalar(num_nodes_t.shape()),
                errors::InvalidArgument("num_nodes must be a scalar, got shape ",
                                        num_nodes_t.shape().DebugString()));
    const int64_t num_nodes = num_nodes_t.scalar<int64_t>()();
    OP_REQUIRES(ctx, num_nodes >= 0,
                errors::InvalidArgument("num_nodes must be >= 0, got ", num_nodes));
    OP_REQUIRES_OK(ctx, CheckOptionalColumn(weights_t, "weights", num_nodes, "node"));
    OP_REQUIRES_OK(ctx, CheckOptionalColumn(categories_t, "categories", num_nodes, "node"));
    const float* weights = nullptr;
    const int64_t* categories = nullptr;
    OP_REQUIRES_OK(ctx, GetDeclaredColumn(weights_t, num_nodes, "node", weighted_, "weighted",
                                          "weight", &weights));
    OP_REQUIRES_OK(ctx, GetDeclaredColumn(categories_t, num_nodes, "node", categorized_,
                                          "categorized", "category", &categories));
    OP_REQUIRES_OK(ctx, table->InitializeWith("node distribution", [&] {
      return ::tfgle::NodeDistribution::Build(num_nodes, weights, categories, &table->table);
    }));
  }

 private:
  bool weighted_;
  bool categorized_;
};

class SampleNegativesOp : public CsrSamplerKernel {
 public:
  explicit SampleNegativesOp(OpKernelConstruction* ctx)
      : CsrSamplerKernel(ctx, /*philox_tag=*/0x80) {
    std::string strategy;
    float exponent;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("num", &options_.num));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("strategy", &strategy));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("exponent", &exponent));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("max_trials", &options_.max_trials));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("D", &num_distributions_));
    options_.exponent = exponent;
    OP_REQUIRES(ctx, options_.num > 0,
                errors::InvalidArgument("num must be > 0, got ", options_.num));
    OP_REQUIRES(ctx, options_.max_trials > 0 && options_.max_trials <= ::tfgle::kMaxTrials,
                errors::InvalidArgument("max_trials must be in [1, ", ::tfgle::kMaxTrials,
                                        "], got ", options_.max_trials));
    OP_REQUIRES(ctx, std::isfinite(exponent),
                errors::InvalidArgument("exponent must be a finite number, got ", exponent));
    OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::ParseNegativeStrategy(strategy, &options_.strategy)));
    const bool needs = options_.strategy == ::tfgle::NegativeStrategy::kNodeWeight ||
                       options_.strategy == ::tfgle::NegativeStrategy::kConditional;
    OP_REQUIRES(ctx, num_distributions_ == (needs ? 1 : 0),
                errors::InvalidArgument("strategy '", strategy, "' takes ", needs ? 1 : 0,
                                        " node distributions, got ", num_distributions_));
  }

 protected:
  void Sample(OpKernelContext* ctx, const ::tfgle::CsrSnapshot& table, const Tensor& ids,
              const ::tfgle::Philox& philox) override {
    const int64_t rows = ids.NumElements();
    ::tfgle::NegativeSamplerOptions options = options_;
    core::RefCountPtr<NodeDistributionResource> distribution;
    if (num_distributions_ == 1) {
      OP_REQUIRES_OK(ctx, GetInitializedResource(ctx, 3, "distribution", &distribution));
      options.distribution = &distribution->table;
    }
    const Tensor& targets = ctx->input(3 + num_distributions_);
    OP_REQUIRES_OK(ctx, GetOptionalRows(targets, "target_categories", rows,
                                        &options.target_categories));
    OP_REQUIRES(ctx,
                options.strategy != ::tfgle::NegativeStrategy::kConditional ||
                    options.target_categories != nullptr || rows == 0,
                errors::InvalidArgument(
                    "strategy 'conditional' needs target_categories with one value per id (",
                    rows, ")"));
    static const int64_t kNone = 0;
    if (options.target_categories == nullptr) options.target_categories = &kNone;
    OP_REQUIRES_OK(ctx, CheckRows(rows, options.num, "num"));
    const TensorShape shape({rows, options.num});
    Tensor *negatives, *mask;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, shape, &negatives));
    OP_REQUIRES_OK(ctx, ctx->allocate_output(1, shape, &mask));
    RunCatchingOom(ctx, "sampling negatives", [&] {
      return ::tfgle::SampleNegatives(table.graph(), table.index(), options,
                                      ids.flat<int64_t>().data(), rows, "ids", philox,
                                      MakeExecutor(ctx), negatives->flat<int64_t>().data(),
                                      mask->flat<bool>().data());
    });
  }

 private:
  ::tfgle::NegativeSamplerOptions options_;
  int num_distributions_;
};

REGISTER_KERNEL_BUILDER(Name("Tfgle>SampleNeighbors").Device(DEVICE_CPU), SampleNeighborsOp);
REGISTER_KERNEL_BUILDER(Name("Tfgle>SampleFanouts").Device(DEVICE_CPU), SampleFanoutsOp);
REGISTER_KERNEL_BUILDER(Name("Tfgle>SampleFullNeighbors").Device(DEVICE_CPU),
                        SampleFullNeighborsOp);
REGISTER_KERNEL_BUILDER(Name("Tfgle>NodeDistributionHandle").Device(DEVICE_CPU),
                        ResourceHandleOp<NodeDistributionResource>);
REGISTER_KERNEL_BUILDER(Name("Tfgle>NodeDistributionInit").Device(DEVICE_CPU),
                        NodeDistributionInitOp);
REGISTER_KERNEL_BUILDER(Name("Tfgle>SampleNegatives").Device(DEVICE_CPU), SampleNegativesOp);

}  // namespace
}  // namespace tfgle_kernels
}  // namespace tensorflow
