// TensorFlow resources that hold tfgle's in-graph tables.
//
// Like tf.lookup tables, each is created by a *Handle op and filled once by an
// *Init op. Id maps and CSR tables then take updates (*Append, CsrRemoveBefore)
// that publish new immutable versions (core/versioned.h): a kernel takes the
// current version once, at its start (VersionKernel), and reads it without
// locks for the whole call, while updates run concurrently.
#ifndef TFGLE_KERNELS_GRAPH_RESOURCES_H_
#define TFGLE_KERNELS_GRAPH_RESOURCES_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <new>
#include <string>

#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/id_map.h"
#include "custom_ops/core/node_distribution.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/versioned.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/resource_mgr.h"
#include "tensorflow/core/lib/core/threadpool.h"
#include "tensorflow/core/platform/mutex.h"
#include "tensorflow/core/util/work_sharder.h"

namespace tensorflow {
namespace tfgle_kernels {

// Converts a core Status into the matching TensorFlow error.
inline Status ToTfStatus(const ::tfgle::Status& status) {
  switch (status.code()) {
    case ::tfgle::Status::Code::kOk:
      return OkStatus();
    case ::tfgle::Status::Code::kInvalidArgument:
      return errors::InvalidArgument(status.message());
    case ::tfgle::Status::Code::kFailedPrecondition:
      return errors::FailedPrecondition(status.message());
    case ::tfgle::Status::Code::kResourceExhausted:
      return errors::ResourceExhausted(status.message());
  }
  return errors::Internal(status.message());
}

// Runs fn() (a ::tfgle::Status) and turns a failed allocation into
// ResourceExhausted("out of memory <what>").
template <typename Fn>
Status CatchingOom(const std::string& what, Fn fn) {
  try {
    return ToTfStatus(fn());
  } catch (const std::bad_alloc&) {
    return errors::ResourceExhausted("out of memory ", what);
  }
}

// Calls estimated below this many cycles (about 3 ms) run on the calling
// thread. Handing a shard to another pool thread and waiting for it costs more
// than it saves on calls this small (W1 at batch 1024: the op alone scaled 1.08x
// on two threads), and tf.data's parallel map keeps the cores busy with whole
// calls instead: W1 on two threads went from 1.51-1.61x to 1.62-1.74x one thread.
constexpr int64_t kMinCyclesToShard = int64_t{8} << 20;

// An Executor backed by the kernel's intra-op thread pool.
inline ::tfgle::Executor MakeExecutor(OpKernelContext* ctx) {
  thread::ThreadPool* pool = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  ::tfgle::Executor executor;
  // Shard() honours tf.data's threading.max_intra_op_parallelism (a per-thread
  // cap), as TensorFlow's own kernels do.
  executor.num_threads =
      std::max(1, std::min(pool->NumThreads(), GetPerThreadMaxParallelism()));
  executor.parallel_for = [pool](int64_t n, int64_t cost,
                                 const std::function<void(int64_t, int64_t)>& fn) {
    if (n <= 0) return;
    if (cost < kMinCyclesToShard && n < kMinCyclesToShard / std::max<int64_t>(cost, 1)) {
      fn(0, n);
      return;
    }
    Shard(pool->NumThreads(), pool, n, cost, fn);
  };
  return executor;
}

// Base for tables that are filled exactly once.
class InitOnceResource : public ResourceBase {
 public:
  bool initialized() const {
    tf_shared_lock lock(mu_);
    return initialized_;
  }
  // Runs `build` as the table's one initialization. The table counts as
  // initialized only when `build` succeeds (readers never see a half-built
  // table); a failed or out-of-memory build can be retried.
  Status InitializeWith(const std::string& what, const std::function<::tfgle::Status()>& build) {
    {
      mutex_lock lock(mu_);
      if (initialized_ || initializing_) {
        return errors::FailedPrecondition(what, " is already initialized");
      }
      initializing_ = true;
    }
    const Status status = CatchingOom("building the " + what, build);
    mutex_lock lock(mu_);
    initializing_ = false;
    initialized_ = status.ok();
    return status;
  }
  Status CheckInitialized(const std::string& what) const {
    if (!initialized()) return errors::FailedPrecondition(what, " is not initialized");
    return OkStatus();
  }

 protected:
  mutable mutex mu_;
  bool initialized_ TF_GUARDED_BY(mu_) = false;
  bool initializing_ TF_GUARDED_BY(mu_) = false;
};

// A resource holding one core table (a node distribution) as `table`.
template <typename Table>
class CoreTableResource : public InitOnceResource {
 public:
  std::string DebugString() const override;
  int64_t MemoryUsed() const override { return table.ByteSize(); }
  Table table;
};

// A distribution over the nodes of one type, for negative sampling.
using NodeDistributionResource = CoreTableResource<::tfgle::NodeDistribution>;

template <>
inline std::string NodeDistributionResource::DebugString() const {
  return strings::StrCat("tfgle NodeDistribution over ", table.num_nodes(), " nodes");
}

// The external ids of one node type, mapped to dense indices; grows.
class IdMapResource : public InitOnceResource {
 public:
  using Version = ::tfgle::IdMap;
  std::string DebugString() const override {
    const std::shared_ptr<const Version> map = Current();
    return strings::StrCat("tfgle IdMap of ", map ? map->size() : 0, " ids");
  }
  int64_t MemoryUsed() const override {
    const std::shared_ptr<const Version> map = Current();
    return map ? map->ByteSize() : 0;
  }
  // The current version (null before Init).
  std::shared_ptr<const Version> Current() const { return map.Current(); }
  ::tfgle::LiveIdMap map;
};

// The CSR topology of one edge type, with the sampling tables built over it;
// takes appended edges and expires old ones.
class CsrResource : public InitOnceResource {
 public:
  // A version: CsrSnapshot::graph() and its sampling index, index().
  using Version = ::tfgle::CsrSnapshot;
  std::string DebugString() const override {
    int64_t number = 0;
    const std::shared_ptr<const Version> current = csr.Current(&number);
    if (current == nullptr) return "tfgle CSR (not built)";
    return strings::StrCat("tfgle CSR with ", current->graph().num_src, " source nodes and ",
                           current->graph().num_edges(), " edges (version ", number, ")");
  }
  int64_t MemoryUsed() const override { return csr.ByteSize(); }
  // The current version (null before Init).
  std::shared_ptr<const Version> Current() const { return csr.Current(); }
  ::tfgle::LiveCsr csr;
};

// InvalidArgument naming `name` unless `t` is a vector.
inline Status CheckVector(const Tensor& t, const char* name) {
  if (!TensorShapeUtils::IsVector(t.shape())) {
    return errors::InvalidArgument(name, " must be a vector, got shape ", t.shape().DebugString());
  }
  return OkStatus();
}

// InvalidArgument naming `name` unless the optional column `t` is a vector,
// empty or with one value per `row` ("edge", "node"; `rows` of them).
inline Status CheckOptionalColumn(const Tensor& t, const char* name, int64_t rows,
                                  const char* row) {
  TF_RETURN_IF_ERROR(CheckVector(t, name));
  if (t.NumElements() != 0 && t.NumElements() != rows) {
    return errors::InvalidArgument(name, " must be empty or have one value per ", row, " (",
                                   rows, "), got ", t.NumElements());
  }
  return OkStatus();
}

// Points `out` at the optional column `t` (checked by CheckOptionalColumn:
// edge weights, node categories, ...), or leaves it null when `t` is empty. A
// table that declares the column (attr `declared_by`=true) has it even when
// empty: then it must have no rows, and `out` points at a dummy value (an empty
// column alone cannot tell a table of 0 rows with the column from one without).
template <typename T>
Status GetDeclaredColumn(const Tensor& t, int64_t rows, const char* row, bool declared,
                         const char* declared_by, const char* value, const T** out) {
  static const T kNone[1] = {T{0}};
  if (t.NumElements() > 0) {
    *out = t.flat<T>().data();
  } else if (declared) {
    if (rows != 0) {
      return errors::InvalidArgument(declared_by, "=true needs one ", value, " per ", row, " (",
                                     rows, "), got none");
    }
    *out = kNone;
  }
  return OkStatus();
}

// Sets int64 scalar output `index` to `value`.
inline Status SetScalarOutput(OpKernelContext* ctx, int index, int64_t value) {
  Tensor* out;
  TF_RETURN_IF_ERROR(ctx->allocate_output(index, TensorShape({}), &out));
  out->scalar<int64_t>()() = value;
  return OkStatus();
}

// The table behind handle input `index`, which must be initialized (`what`
// names it in the error).
template <typename T>
Status GetInitializedResource(OpKernelContext* ctx, int index, const std::string& what,
                              core::RefCountPtr<T>* out) {
  TF_RETURN_IF_ERROR(LookupResource(ctx, HandleFromInput(ctx, index), out));
  return (*out)->CheckInitialized(what);
}

// The table behind handle input 0, created on first use (the handle op only
// names it).
template <typename T>
Status CreateTable(OpKernelContext* ctx, core::RefCountPtr<T>* table) {
  return LookupOrCreateResource<T>(ctx, HandleFromInput(ctx, 0), table, [](T** created) {
    *created = new T;
    return OkStatus();
  });
}

// How a TableKernel gets its table: created on first use (the *Init ops), or
// already initialized (every reader).
enum class TableAccess { kCreate, kInitialized };

// A kernel over the table of its input 0, "table": Compute gets the table and
// hands it to ComputeWithTable.
template <typename Resource, TableAccess kAccess = TableAccess::kInitialized>
class TableKernel : public OpKernel {
 public:
  using OpKernel::OpKernel;
  void Compute(OpKernelContext* ctx) final {
    core::RefCountPtr<Resource> table;
    OP_REQUIRES_OK(ctx, kAccess == TableAccess::kCreate
                            ? CreateTable(ctx, &table)
                            : GetInitializedResource(ctx, 0, "table", &table));
    ComputeWithTable(ctx, table.get());
  }

 protected:
  virtual void ComputeWithTable(OpKernelContext* ctx, Resource* table) = 0;
};

// A kernel that reads one version of the table of its input 0 (an
// IdMapResource or CsrResource): Compute takes the table's current version
// ONCE and hands it to ComputeWithVersion, so that the whole call sees one
// consistent table while updates publish newer ones.
template <typename Resource>
class VersionKernel : public TableKernel<Resource> {
 public:
  using TableKernel<Resource>::TableKernel;
  using Version = typename Resource::Version;

 protected:
  virtual void ComputeWithVersion(OpKernelContext* ctx, const Version& table) = 0;

 private:
  void ComputeWithTable(OpKernelContext* ctx, Resource* table) final {
    const std::shared_ptr<const Version> version = table->Current();  // kept to the end
    ComputeWithVersion(ctx, *version);
  }
};

// The kernel of a reader without attributes: kFn(ctx, version) does the work.
template <typename Resource,
          void (*kFn)(OpKernelContext*, const typename Resource::Version&)>
class VersionFunctionKernel : public VersionKernel<Resource> {
 public:
  using VersionKernel<Resource>::VersionKernel;

 protected:
  void ComputeWithVersion(OpKernelContext* ctx,
                          const typename Resource::Version& table) override {
    kFn(ctx, table);
  }
};

// The kernel of an op without attributes: the function kFn(ctx, table) does
// the work.
template <typename Resource, void (*kFn)(OpKernelContext*, Resource*),
          TableAccess kAccess = TableAccess::kInitialized>
class TableFunctionKernel : public TableKernel<Resource, kAccess> {
 public:
  using TableKernel<Resource, kAccess>::TableKernel;

 protected:
  void ComputeWithTable(OpKernelContext* ctx, Resource* table) override { kFn(ctx, table); }
};

}  // namespace tfgle_kernels
}  // namespace tensorflow

#endif  // TFGLE_KERNELS_GRAPH_RESOURCES_H_
