"""Keras GNN layers: Ego (dense per-hop) and SubGraph (edge_index) convolutions.

Ego convolutions aggregate hop i+1 ([..., k, D], with a bool mask [..., k])
into hop i ([..., D]); `EgoLayer` applies one to every hop pair and `EgoGNN`
stacks levels as GLE's pyramid does. SubGraph convolutions take node features
[N, D] and edge_index [2, E] (src -> dst) and aggregate with segment ops.
Every conv writes its math once, against an adjacency (a private base in
`_conv_base`), so an Ego conv and its SubGraph twin (`EgoSAGEConv` and
`SAGEConv`, `EgoGATConv` and `GATConv`, `EgoGINConv` and `GINConv`) share
it. SubGraph convs also take a pair (x_src, x_dst) of two node sets, and
`HeteroConv` runs one per edge type of a heterogeneous SubGraph. `EgoTGATConv`
(TGAT) also takes each neighbor's time span, encoded by `TimeEncoding`. Edge
features reach the convs that take them (`EgoGATConv`/`GATConv(
use_edge_features=True)`, the edge-network `EgoMPNNConv`/`MPNNConv`): Ego
convs where relations go, SubGraph convs as inputs (x, edge_index,
edge_features). Readouts (`GlobalSumPool`, `GlobalMeanPool`, `GlobalMaxPool`,
`GlobalAttentionPool`) pool the node states of a batch of graphs into one
vector per graph. Imports no other tfgle package; the models build on it.
"""
from tfgle.layers import aggregation
from tfgle.layers.ego_gat_conv import EgoGATConv
from tfgle.layers.ego_gin_conv import EgoGINConv
from tfgle.layers.ego_gnn import EgoGNN
from tfgle.layers.ego_inputs import encode_ego_batch
from tfgle.layers.ego_inputs import num_hops
from tfgle.layers.ego_layer import EgoLayer
from tfgle.layers.ego_mpnn_conv import EgoMPNNConv
from tfgle.layers.ego_rgcn_conv import EgoRGCNConv
from tfgle.layers.ego_sage_conv import EgoSAGEConv
from tfgle.layers.ego_tgat_conv import EgoTGATConv
from tfgle.layers.gat_conv import GATConv
from tfgle.layers.gcn_conv import GCNConv
from tfgle.layers.hetero_conv import HeteroConv
from tfgle.layers.gin_conv import GINConv
from tfgle.layers.readout import GlobalAttentionPool
from tfgle.layers.readout import GlobalMaxPool
from tfgle.layers.readout import GlobalMeanPool
from tfgle.layers.readout import GlobalSumPool
from tfgle.layers.mpnn_conv import MPNNConv
from tfgle.layers.sage_conv import SAGEConv
from tfgle.layers.time_encoding import TimeEncoding

__all__ = [
    "EgoGATConv",
    "EgoGINConv",
    "EgoGNN",
    "EgoLayer",
    "EgoMPNNConv",
    "EgoRGCNConv",
    "EgoSAGEConv",
    "EgoTGATConv",
    "GATConv",
    "GCNConv",
    "HeteroConv",
    "GINConv",
    "GlobalAttentionPool",
    "GlobalMaxPool",
    "GlobalMeanPool",
    "GlobalSumPool",
    "MPNNConv",
    "SAGEConv",
    "TimeEncoding",
    "aggregation",
    "encode_ego_batch",
    "num_hops",
]
