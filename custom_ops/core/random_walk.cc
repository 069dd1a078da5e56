#include "custom_ops/core/random_walk.h"

#include <algorithm>
#include <cmath>

#include "custom_ops/core/sampling_random.h"

namespace tfgle {

namespace {

// Walks advance in groups of this many, one step at a time for the whole
// group: the memory reads of one walk's step (its row, the proposed neighbor,
// the membership test) are prefetched while the others' are served, instead
// of one cache miss after the other.
constexpr int64_t kGroup = 16;

// node2vec's acceptance test of a proposal x from v, for a walk that came from t.
struct Bias {
  double inv_p = 1, inv_q = 1;
  double upper = 1;  // max(1/p, 1, 1/q): draws are uniform in [0, upper)
  double low = 1;    // min(1, 1/q): x != t is accepted below it, whatever d(t, x)
  double high = 1;   // max(1, 1/q): x != t is rejected from it on, whatever d(t, x)
  // A draw is one 32-bit word times upper / 2^32: acceptance probabilities are
  // exact up to 2^-32, for a third fewer random words than a 64-bit double.
  double scale = 0x1p-32;

  explicit Bias(const RandomWalkOptions& options)
      : inv_p(1.0 / options.p),
        inv_q(1.0 / options.q),
        upper(std::max({inv_p, 1.0, inv_q})),
        low(std::min(1.0, inv_q)),
        high(std::max(1.0, inv_q)),
        scale(upper * 0x1p-32) {}

  double Draw(RowRandom* rng) const { return rng->Next32() * scale; }
};

enum class Verdict : uint8_t { kAccept, kReject, kAskNeighbors };

class Walker {
 public:
  Walker(const std::vector<WalkTable>& tables, const RandomWalkOptions& options,
         const NeighborSet* neighbor_set, const int64_t* starts, const Philox& philox,
         int64_t* walks)
      : tables_(tables),
        length_(options.length),
        biased_(options.biased()),
        bias_(options),
        set_(neighbor_set),
        starts_(starts),
        philox_(philox),
        walks_(walks) {}

  // Walks [begin, end), kGroup at a time.
  void Walks(int64_t begin, int64_t end) {
    std::vector<RowRandom> rngs;
    rngs.reserve(kGroup);
    for (int64_t g = begin; g < end; g += kGroup) Group(g, std::min(end, g + kGroup), &rngs);
  }

 private:
  const CsrGraph& Table(int64_t step) const {
    return *tables_[(step - 1) % static_cast<int64_t>(tables_.size())].graph;
  }

  // The quick part of the acceptance test: decides unless d(t, x) matters.
  Verdict Decide(int64_t t, int64_t x, double r) const {
    if (x == t) return r < bias_.inv_p ? Verdict::kAccept : Verdict::kReject;
    if (r < bias_.low) return Verdict::kAccept;
    if (r >= bias_.high) return Verdict::kReject;
    return Verdict::kAskNeighbors;
  }

  bool AcceptNeighbor(const CsrGraph& g, int64_t t, int64_t x, double r) const {
    return r < (set_->Contains(g, t, x) ? 1.0 : bias_.inv_q);
  }

  // Proposes and tests until a proposal is accepted (a walk whose first
  // proposal of this step was rejected).
  int64_t Resample(const CsrGraph& g, int64_t t, int64_t v, RowRandom* rng) const {
    const int64_t begin = g.indptr[v];
    const uint64_t degree = static_cast<uint64_t>(g.indptr[v + 1] - begin);
    while (true) {
      const int64_t x = g.indices[begin + static_cast<int64_t>(UniformIndex(rng, degree))];
      const double r = bias_.Draw(rng);
      const Verdict verdict = Decide(t, x, r);
      if (verdict == Verdict::kAccept ||
          (verdict == Verdict::kAskNeighbors && AcceptNeighbor(g, t, x, r))) {
        return x;
      }
    }
  }

  void Group(int64_t begin, int64_t end, std::vector<RowRandom>* rngs) const {
    const int64_t n = end - begin;
    const int64_t width = length_ + 1;
    int64_t prev[kGroup], cur[kGroup], pos[kGroup], next[kGroup];
    double draw[kGroup];
    bool live[kGroup];
    Verdict verdict[kGroup];
    rngs->clear();
    for (int64_t i = 0; i < n; ++i) {
      rngs->emplace_back(philox_, static_cast<uint64_t>(begin + i));
      cur[i] = starts_[begin + i];
      prev[i] = -1;
      live[i] = true;
      walks_[(begin + i) * width] = cur[i];
      __builtin_prefetch(Table(1).indptr.data() + cur[i]);
    }
    for (int64_t s = 1; s <= length_; ++s) {
      const CsrGraph& g = Table(s);
      const bool bias = biased_ && s >= 2;
      // 1. Propose a neighbor of every live walk (a walk at a node without
      //    out-neighbors ends: the rest of its row is -1).
      int64_t num_live = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (!live[i]) continue;
        const int64_t row_begin = g.indptr[cur[i]];
        const int64_t degree = g.indptr[cur[i] + 1] - row_begin;
        if (degree == 0) {
          live[i] = false;
          int64_t* row = walks_ + (begin + i) * width;
          std::fill(row + s, row + width, int64_t{-1});
          continue;
        }
        pos[i] = row_begin + static_cast<int64_t>(
                                 UniformIndex(&(*rngs)[i], static_cast<uint64_t>(degree)));
        __builtin_prefetch(g.indices.data() + pos[i]);
        ++num_live;
      }
      if (num_live == 0) return;
      // 2. Read the proposals; biased walks test them, prefetching the
      //    membership tests that the draw alone does not decide.
      for (int64_t i = 0; i < n; ++i) {
        if (!live[i]) continue;
        next[i] = g.indices[pos[i]];
        if (!bias) continue;
        draw[i] = bias_.Draw(&(*rngs)[i]);
        verdict[i] = Decide(prev[i], next[i], draw[i]);
        if (verdict[i] == Verdict::kAskNeighbors) set_->Prefetch(g, prev[i], next[i]);
      }
      // 3. Finish the tests; walks whose proposal was rejected propose again.
      if (bias) {
        for (int64_t i = 0; i < n; ++i) {
          if (!live[i]) continue;
          bool accepted = verdict[i] == Verdict::kAccept ||
                          (verdict[i] == Verdict::kAskNeighbors &&
                           AcceptNeighbor(g, prev[i], next[i], draw[i]));
          if (!accepted) next[i] = Resample(g, prev[i], cur[i], &(*rngs)[i]);
        }
      }
      // 4. Move.
      const CsrGraph* following = s < length_ ? &Table(s + 1) : nullptr;
      for (int64_t i = 0; i < n; ++i) {
        if (!live[i]) continue;
        walks_[(begin + i) * width + s] = next[i];
        prev[i] = cur[i];
        cur[i] = next[i];
        if (following != nullptr) __builtin_prefetch(following->indptr.data() + cur[i]);
      }
    }
  }

  const std::vector<WalkTable>& tables_;
  const int64_t length_;
  const bool biased_;
  const Bias bias_;
  const NeighborSet* set_;
  const int64_t* starts_;
  const Philox& philox_;
  int64_t* walks_;
};

}  // namespace

Status CheckWalkOptions(const RandomWalkOptions& options, int64_t num_tables) {
  if (num_tables < 1) {
    return Status::InvalidArgument(
        StrCat("a walk needs at least one table (edge type), got ", num_tables));
  }
  if (options.length < 1 || options.length >= kMaxSampledEntries) {
    return Status::InvalidArgument(StrCat("length must be in [1, ", kMaxSampledEntries,
                                          "), got ", options.length));
  }
  for (const auto& [name, value] : {std::pair<const char*, double>{"p", options.p},
                                    {"q", options.q}}) {
    if (!(value > 0) || !std::isfinite(value)) {
      return Status::InvalidArgument(
          StrCat(name, " must be a finite number > 0, got ", value));
    }
  }
  const double inv_p = 1.0 / options.p, inv_q = 1.0 / options.q;
  const double ratio =
      std::max({inv_p, 1.0, inv_q}) / std::min({inv_p, 1.0, inv_q});
  // (A little slack: p = 0.01, q = 100 as float32 attributes give 10000.0002.)
  if (!(ratio <= kMaxWalkBiasRatio * (1 + 1e-6))) {
    return Status::InvalidArgument(StrCat(
        "p = ", options.p, " and q = ", options.q, " give max(1/p, 1, 1/q) / min(1/p, 1, 1/q) = ",
        ratio, ", more than the ", kMaxWalkBiasRatio,
        " rejection sampling allows (the expected proposals per step can reach it)"));
  }
  if (options.biased() && num_tables != 1) {
    return Status::InvalidArgument(StrCat(
        "node2vec's bias (p = ", options.p, ", q = ", options.q,
        ") needs a single table (one edge type between nodes of one type), got ", num_tables,
        " tables; meta-path walks are uniform (p = q = 1)"));
  }
  return Status::Ok();
}

Status SampleRandomWalks(const std::vector<WalkTable>& tables, const RandomWalkOptions& options,
                         const int64_t* starts, int64_t num_walks, const Philox& philox,
                         const Executor& executor, int64_t* walks) {
  const int64_t num_tables = static_cast<int64_t>(tables.size());
  TFGLE_RETURN_IF_ERROR(CheckWalkOptions(options, num_tables));
  for (int64_t i = 0; i < num_tables; ++i) {
    if (tables[i].graph == nullptr || tables[i].index == nullptr) {
      return Status::InvalidArgument(StrCat("tables[", i, "] is missing its graph or index"));
    }
  }
  // Step s follows tables[(s - 1) % k]; steps s and s + 1 must chain.
  for (int64_t s = 1; s < options.length && s <= num_tables; ++s) {
    const int64_t a = (s - 1) % num_tables, b = s % num_tables;
    const int64_t dst = tables[a].graph->num_dst, src = tables[b].graph->num_src;
    if (dst != src) {
      return Status::InvalidArgument(StrCat(
          "the tables do not chain: step ", s, " follows tables[", a, "] to its ", dst,
          " destination nodes, but step ", s + 1, " follows tables[", b, "], which has ", src,
          " source nodes"));
    }
  }
  if (num_walks < 0) {
    return Status::InvalidArgument(StrCat("num_walks must be >= 0, got ", num_walks));
  }
  const int64_t width = options.length + 1;
  if (num_walks > kMaxSampledEntries / width) {
    return Status::InvalidArgument(StrCat(
        num_walks, " starts x (length + 1) = ", static_cast<double>(num_walks) * width,
        " nodes is more than the ", kMaxSampledEntries, " one call may produce"));
  }
  const int64_t num_src = tables[0].graph->num_src;
  for (int64_t i = 0; i < num_walks; ++i) {
    if (static_cast<uint64_t>(starts[i]) >= static_cast<uint64_t>(num_src)) {
      return Status::InvalidArgument(
          StrCat("starts[", i, "] = ", starts[i], " is not in [0, ", num_src, ")"));
    }
  }
  if (num_walks == 0) return Status::Ok();
  const NeighborSet* neighbor_set = nullptr;
  const bool biased = options.biased() && options.length >= 2;
  if (biased) TFGLE_RETURN_IF_ERROR(tables[0].index->GetNeighborSet(&neighbor_set));
  for (const WalkTable& table : tables) table.index->AdviseHugePages();
  Walker walker(tables, options, neighbor_set, starts, philox, walks);
  const int64_t num_groups = (num_walks + kGroup - 1) / kGroup;
  const int64_t cost_per_group = kGroup * options.length * (biased ? 600 : 150);
  executor.parallel_for(num_groups, cost_per_group, [&](int64_t first, int64_t last) {
    walker.Walks(first * kGroup, std::min(num_walks, last * kGroup));
  });
  return Status::Ok();
}

}  // namespace tfgle
