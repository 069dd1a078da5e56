// Kernel of Tfgle>GatherRows.
#include "custom_ops/core/gather_rows.h"
#include "custom_ops/kernels/graph_resources.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.h"

namespace tensorflow {
namespace tfgle_kernels {
namespace {

class GatherRowsOp : public OpKernel {
 public:
  using OpKernel::OpKernel;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& params = ctx->input(0);
    const Tensor& indices = ctx->input(1);
    OP_REQUIRES(ctx, params.dims() >= 1,
                errors::InvalidArgument("params must have at least one dimension (its rows), "
                                        "got shape ", params.shape().DebugString()));
    TensorShape out_shape = indices.shape();
    int64_t row_elements = 1;
    for (int d = 1; d < params.dims(); ++d) {
      out_shape.AddDim(params.dim_size(d));
      row_elements *= params.dim_size(d);
    }
    Tensor* out = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, out_shape, &out));
    const int64_t row_bytes = row_elements * DataTypeSize(params.dtype());
    const char* table = static_cast<const char*>(params.tensor_data().data());
    char* dst = const_cast<char*>(out->tensor_data().data());
    OP_REQUIRES_OK(ctx, ToTfStatus(::tfgle::GatherRows(
                            table, params.dim_size(0), row_bytes, indices.flat<int64_t>().data(),
                            indices.NumElements(), dst, MakeExecutor(ctx))));
  }
};

REGISTER_KERNEL_BUILDER(Name("Tfgle>GatherRows").Device(DEVICE_CPU), GatherRowsOp);

}  // namespace
}  // namespace tfgle_kernels
}  // namespace tensorflow
