"""tfgle's model zoo, installed as the package `tfgle.models`.

EgoGraph models (batches of `tfgle.data.ego_graph_dataset`): `EgoGraphSAGE`,
`EgoGAT`, `EgoRGCN`, `EgoTGAT` (TGAT, on batches sampled with `before=` and
`time_deltas=True`) and `EgoMPNN` (edge network). SubGraph models (batches of
`tfgle.data.subgraph_dataset`): `GCN`, `GAT`, `MPNN`. EgoGAT, GAT, EgoMPNN and
MPNN read edge features (`edge_features=`, or `from_graph(..., edge_type=...)`,
on batches sampled with `edge_features=`). Each is a Keras model built from
feature specs (`Model.from_graph(graph, node_type, ...)`), whose `embed(batch)`
gives the seeds' embeddings [B, D]. User-item: `EgoBipartiteSAGE` (two towers).
Knowledge graphs (batches of `tfgle.data.triple_dataset`): `TransE`,
`DistMult`, `RotatE`, and their base `KGEModel` (subclass it for another score).
Graph classification (batches of `tfgle.data.graph_batch_dataset`): `GIN`
(`GIN.from_collection(collection, ...)`), whose `embed(batch)` gives the
graphs' embeddings [num_graphs, D].
"""
from .ego_bipartite_sage import EgoBipartiteSAGE
from .ego_gat import EgoGAT
from .ego_mpnn import EgoMPNN
from .ego_graph_sage import EgoGraphSAGE
from .ego_tgat import EgoTGAT
from .ego_rgcn import EgoRGCN
from .gin import GIN
from .subgraph_gat import GAT
from .subgraph_gcn import GCN
from .subgraph_mpnn import MPNN
from .lightgcn import LightGCN
from .mf_bpr import BPRMF
from .mf_bpr import bpr_dataset
from .node2vec import Node2Vec
from .kge import KGEModel
from .distmult import DistMult
from .rotate import RotatE
from .transe import TransE
