"""Distributed training on tf.distribute: seed sharding, partitioned graphs, a local launcher.

Imports tfgle.graph, tfgle.data and tfgle.ops; the training library and binaries build on it.

- MultiWorkerMirroredStrategy: every worker holds the graph and reads its shard
  of each epoch's seeds (`ego_dataset_fn` for
  `strategy.distribute_datasets_from_function`), with equal step counts.
- ParameterServerStrategy (`parameter_server_strategy`): large variables
  (id-embedding tables) are sharded over the parameter servers; the graph
  can be too (`PartitionedGraph`: the topology, and by default node features,
  labels, ids and id maps, node i on server i mod M), sampled and gathered
  where it lives. Workers hold no graph data; with M servers the graph may
  be M times one server's memory (see "Scale-out" in
  tfgle.distribute.partitioned_graph).
- `python -m tfgle.distribute.launch --workers N [--ps M] -- BINARY FLAGS`
  runs a binary as a local cluster (one process per task, TF_CONFIG set);
  `--ps_memory_limit BYTES` caps every parameter server's address space, to
  check that a partitioned graph fits servers of a given size.
"""
from tfgle.distribute.cluster import is_chief
from tfgle.distribute.datasets import ego_dataset_fn
from tfgle.distribute.datasets import link_ego_dataset_fn
from tfgle.distribute.datasets import steps_per_epoch
from tfgle.distribute.datasets import worker_seed
from tfgle.distribute.parameter_server import parameter_server_strategy
from tfgle.distribute.parameter_server import run_server
from tfgle.distribute.partitioned_graph import PartitionedGraph
from tfgle.distribute.partitioned_graph import ps_devices

__all__ = [
    "PartitionedGraph",
    "ego_dataset_fn",
    "is_chief",
    "link_ego_dataset_fn",
    "parameter_server_strategy",
    "ps_devices",
    "run_server",
    "steps_per_epoch",
    "worker_seed",
]
