// Kernel of Tfgle>TableMemory.
#include "custom_ops/kernels/graph_resources.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/type_index.h"

namespace tensorflow {
namespace tfgle_kernels {
namespace {

template <typename T>
Status MemoryOf(OpKernelContext* ctx, int64_t* bytes) {
  core::RefCountPtr<T> table;
  TF_RETURN_IF_ERROR(GetInitializedResource(ctx, 0, "table", &table));
  *bytes = table->MemoryUsed();
  return OkStatus();
}

class TableMemoryOp : public OpKernel {
 public:
  using OpKernel::OpKernel;
  void Compute(OpKernelContext* ctx) override {
    const ResourceHandle& handle = HandleFromInput(ctx, 0);
    int64_t bytes = 0;
    if (handle.hash_code() == TypeIndex::Make<CsrResource>().hash_code()) {
      OP_REQUIRES_OK(ctx, MemoryOf<CsrResource>(ctx, &bytes));
    } else if (handle.hash_code() == TypeIndex::Make<IdMapResource>().hash_code()) {
      OP_REQUIRES_OK(ctx, MemoryOf<IdMapResource>(ctx, &bytes));
    } else {
      OP_REQUIRES(ctx, false,
                  errors::InvalidArgument("table must be a tfgle CSR or id-map table, got a "
                                          "handle to ", handle.maybe_type_name()));
    }
    OP_REQUIRES_OK(ctx, SetScalarOutput(ctx, 0, bytes));
  }
};

REGISTER_KERNEL_BUILDER(Name("Tfgle>TableMemory").Device(DEVICE_CPU), TableMemoryOp);

}  // namespace
}  // namespace tfgle_kernels
}  // namespace tensorflow
