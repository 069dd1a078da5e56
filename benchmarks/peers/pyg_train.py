"""Peer W4: the GraphSAGE of training_benchmark.py in PyTorch Geometric, back to back.

usage (in the PyG environment of ../shared/peers/pyg/setup.sh, /tmp/venv-pyg; it
imports ../training_common.py, which needs numpy only):
  /tmp/venv-pyg/bin/python benchmarks/peers/pyg_train.py DATA_DIR [--fanouts 10,5]
      [--batch 1024] [--hidden 128] [--steps 200] [--warmup 20] [--threads N]
      [--workers N] [--replace] [--workloads fit,compute_only]

Sampling is PyG's NeighborLoader on DATA_DIR's edges.npy / feats.npy /
labels.npy, as ../shared/peers/pyg/bench_pyg.py builds it: the graph is handed
to PyG as edge_index = [dst; src], so that the neighbors sampled for a seed are
its out-neighbors (the hops of tfgle and TF-GNN), and messages flow from them
to the seed. Uniform WITHOUT replacement by default (NeighborLoader's default;
--replace samples with replacement, as tfgle's "random" does); shuffled seeds,
every node a training seed, epochs chained without end; the batch gathers x
and y of its nodes. torch.set_num_threads(--threads); --workers DataLoader
worker processes (0: sampling in the training process, between steps).

The model, PyG's standard mini-batch GraphSAGE: SAGEConv(aggr="mean") per
fanout (--hidden wide, lin_l(mean of neighbors) + lin_r(self), ReLU after each,
as tfgle's EgoSAGEConv with aggregator="mean"), over every node of the sampled
subgraph, then a Linear layer of one logit per class on the batch's seeds
(the first batch_size nodes); Adam, cross-entropy.

Workloads (JSON lines as training_benchmark.py's, "system": "pyg"):
  W4_train_fit           sampling (NeighborLoader) and training steps back to back.
  W4_train_compute_only  the same steps on K batches of the loader held in memory
                         (K = warm-up + timed steps, at most --cache-mb).
  W4_fit_over_compute_only  their ratio.
"""
import itertools
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402  pylint: disable=wrong-import-position

# pylint: disable=wrong-import-position
from training_common import checked, load_arrays, parser, peak_rss_mb, run_workloads  # noqa: E402


def _cpu_seconds():
  """CPU seconds of this process and its live children (DataLoader workers)."""
  import psutil  # pylint: disable=g-import-not-at-top
  me = psutil.Process()
  total = sum(me.cpu_times()[:2])
  for child in me.children(recursive=True):
    try:
      total += sum(child.cpu_times()[:2])
    except psutil.Error:
      pass
  return total


def _parse_args(argv):
  p = parser(__doc__, threads=os.cpu_count(), threads_help="torch.set_num_threads")
  p.add_argument("--workers", type=int, default=0, help="NeighborLoader num_workers")
  p.add_argument("--replace", action="store_true", help="sample with replacement")
  return p.parse_args(argv)


def main(argv):
  args = _parse_args(argv)
  fanouts, workloads = checked(args)

  import torch  # pylint: disable=g-import-not-at-top
  import torch.nn.functional as F  # pylint: disable=g-import-not-at-top
  torch.set_num_threads(args.threads)
  import torch_geometric  # pylint: disable=g-import-not-at-top
  import torch_geometric.typing as pyg_typing  # pylint: disable=g-import-not-at-top
  from torch_geometric.data import Data  # pylint: disable=g-import-not-at-top
  from torch_geometric.loader import NeighborLoader  # pylint: disable=g-import-not-at-top
  from torch_geometric.nn import SAGEConv  # pylint: disable=g-import-not-at-top
  backend = ("pyg-lib" if pyg_typing.WITH_PYG_LIB else
             "torch-sparse" if pyg_typing.WITH_TORCH_SPARSE else "none")

  t0 = time.perf_counter()
  edges, feats, labels, num_classes = load_arrays(args.data_dir)
  num_nodes = len(feats)
  data = Data(x=torch.from_numpy(feats), y=torch.from_numpy(labels),
              edge_index=torch.from_numpy(np.ascontiguousarray(edges[:, ::-1].T)),
              num_nodes=num_nodes)
  num_edges = len(edges)
  del edges
  loader = NeighborLoader(data, num_neighbors=fanouts, batch_size=args.batch, shuffle=True,
                          drop_last=True, replace=args.replace, num_workers=args.workers,
                          persistent_workers=args.workers > 0)
  load_s = time.perf_counter() - t0
  print(json.dumps({"system": "pyg", "event": "load", "data": args.data_dir,
                    "load_s": round(load_s, 2), "nodes": num_nodes, "edges": num_edges,
                    "classes": num_classes, "nproc": os.cpu_count(), "threads": args.threads,
                    "sampler_backend": backend}), flush=True)

  def endless(loader):
    while True:
      yield from loader

  class SAGE(torch.nn.Module):
    """SAGEConv(mean) x len(fanouts), ReLU, Linear head on the seeds."""

    def __init__(self, in_dim):
      super().__init__()
      dims = [in_dim] + [args.hidden] * len(fanouts)
      self.convs = torch.nn.ModuleList(SAGEConv(a, b, aggr="mean")
                                       for a, b in zip(dims[:-1], dims[1:]))
      self.head = torch.nn.Linear(args.hidden, num_classes)

    def forward(self, x, edge_index, batch_size):
      for conv in self.convs:
        x = conv(x, edge_index).relu()
      return self.head(x[:batch_size])

  def train(batches, workload, extra):
    torch.manual_seed(0)
    model = SAGE(data.num_features)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    model.train()

    def step():
      batch = next(batches)
      optimizer.zero_grad()
      out = model(batch.x, batch.edge_index, batch.batch_size)
      loss = F.cross_entropy(out, batch.y[:batch.batch_size])
      loss.backward()
      optimizer.step()
      return loss.detach()

    t0 = time.perf_counter()
    for _ in range(args.warmup):
      step()
    warmup_s = time.perf_counter() - t0
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    for _ in range(args.steps):
      loss = step()
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    result = {"system": "pyg", "workload": workload,
              "seeds_per_s": round(args.steps * args.batch / seconds, 1),
              "steps": args.steps, "seconds": round(seconds, 4), "batch_size": args.batch,
              "peak_rss_mb": round(peak_rss_mb(), 1),
              "peak_rss_children_mb": round(peak_rss_mb(children=True), 1),
              "loadavg1": round(os.getloadavg()[0], 2),
              "ms_per_step": round(1000 * seconds / args.steps, 3),
              "cpu_util": round(cpu / seconds, 2), "warmup_steps": args.warmup,
              "warmup_s": round(warmup_s, 3), "final_loss": round(loss.item(), 4),
              "fanouts": fanouts, "hidden": args.hidden, "threads": args.threads,
              "model": (f"SAGEConv(mean) x{len(fanouts)} ({args.hidden}, relu) + "
                        f"Linear({num_classes}), softmax"),
              "optimizer": f"Adam({args.learning_rate})",
              "sampler": f"NeighborLoader, num_workers={args.workers}",
              "with_replacement": bool(args.replace), "sampler_backend": backend,
              "versions": {"torch": torch.__version__,
                           "torch_geometric": torch_geometric.__version__}, **extra}
    return result

  def compute_only():
    source = endless(loader)
    first = next(source)
    batch_mb = sum(t.numel() * t.element_size()
                   for t in (first.x, first.y, first.edge_index, first.n_id)) / 2**20
    k = int(max(1, min(args.warmup + args.steps, args.cache_mb // max(batch_mb, 1e-9))))
    t0 = time.perf_counter()
    cached = [first] + [next(source) for _ in range(k - 1)]
    fill_s = time.perf_counter() - t0
    return train(itertools.cycle(cached), "W4_train_compute_only", {
        "cached_batches": k, "cached_mb": round(k * batch_mb, 1),
        "cache_fill_s": round(fill_s, 3)})

  run_workloads("pyg", workloads, lambda: train(endless(loader), "W4_train_fit", {}),
                compute_only, fanouts=fanouts, batch_size=args.batch, threads=args.threads)


if __name__ == "__main__":
  main(sys.argv[1:])
