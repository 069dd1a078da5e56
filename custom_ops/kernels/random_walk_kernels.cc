// Kernel of Tfgle>SampleRandomWalks: a thin adapter from tensors to the walker
// in custom_ops/core/random_walk.h.
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "custom_ops/core/random_walk.h"
#include "custom_ops/core/sampling_random.h"
#include "custom_ops/kernels/graph_resources.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/tensor.h"

namespace tensorflow {
namespace tfgle_kernels {
namespace {

// The Philox stream tag of walks (neighbor hops use 0.., negatives 0x80).
constexpr uint8_t kWalkTag = 0x40;

class SampleRandomWalksOp : public OpKernel {
 public:
  explicit SampleRandomWalksOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    float p, q;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("N", &num_tables_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("length", &options_.length));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("p", &p));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("q", &q));
    options_.p = p;
    options_.q = q;
    OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::CheckWalkOptions(options_, num_tables_)));
  }

  void Compute(OpKernelContext* ctx) override {
    std::vector<core::RefCountPtr<CsrResource>> resources(num_tables_);
    // One version of each table for the whole call (updates publish new ones).
    std::vector<std::shared_ptr<const CsrResource::Version>> versions(num_tables_);
    std::vector<::tfgle::WalkTable> tables(num_tables_);
    for (int i = 0; i < num_tables_; ++i) {
      OP_REQUIRES_OK(ctx, LookupResource(ctx, HandleFromInput(ctx, i), &resources[i]));
      OP_REQUIRES_OK(ctx, resources[i]->CheckInitialized(strings::StrCat("tables[", i, "]")));
      versions[i] = resources[i]->Current();
      tables[i].graph = &versions[i]->graph();
      tables[i].index = versions[i]->index();
    }
    const Tensor& starts = ctx->input(num_tables_);
    OP_REQUIRES_OK(ctx, CheckVector(starts, "starts"));
    const Tensor& seed = ctx->input(num_tables_ + 1);
    OP_REQUIRES(ctx, TensorShapeUtils::IsVector(seed.shape()) && seed.NumElements() == 2,
                errors::InvalidArgument("seed must have shape [2], got ",
                                        seed.shape().DebugString()));
    const auto s = seed.flat<int64_t>();
    const ::tfgle::Philox philox = ::tfgle::MakePhilox(s(0), s(1), kWalkTag);
    const int64_t num_walks = starts.NumElements();
    const int64_t width = options_.length + 1;  // no overflow: CheckWalkOptions bounds length
    OP_REQUIRES(ctx, num_walks <= ::tfgle::kMaxSampledEntries / width,
                errors::InvalidArgument(num_walks, " starts x (length + 1) = ",
                                        static_cast<double>(num_walks) * width,
                                        " nodes is more than the ", ::tfgle::kMaxSampledEntries,
                                        " one call may produce"));
    Tensor* walks;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, TensorShape({num_walks, width}), &walks));
    try {
      OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::SampleRandomWalks(
                              tables, options_, starts.flat<int64_t>().data(), num_walks, philox,
                              MakeExecutor(ctx), walks->flat<int64_t>().data())));
    } catch (const std::bad_alloc&) {
      ctx->SetStatus(errors::ResourceExhausted("out of memory sampling random walks"));
    }
  }

 private:
  int num_tables_;
  ::tfgle::RandomWalkOptions options_;
};

REGISTER_KERNEL_BUILDER(Name("Tfgle>SampleRandomWalks").Device(DEVICE_CPU), SampleRandomWalksOp);

}  // namespace
}  // namespace tfgle_kernels
}  // namespace tensorflow
