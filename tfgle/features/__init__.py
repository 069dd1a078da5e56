"""Feature columns as Keras layers: node/edge attributes -> dense vectors.

`FeatureEncoder` encodes one node (or edge) type's features, built from specs
(`numeric`, `categorical`, `node_id`) or from a graph's attribute specs
(`FeatureEncoder.from_graph`); `HeteroFeatureEncoder` holds the encoders of
several node types that share embedding tables.
"""
from tfgle.features import specs
from tfgle.features.feature_encoder import FeatureEncoder
from tfgle.features.hetero_feature_encoder import HeteroFeatureEncoder
from tfgle.features.specs import categorical
from tfgle.features.specs import node_id
from tfgle.features.specs import numeric

__all__ = [
    "FeatureEncoder",
    "HeteroFeatureEncoder",
    "categorical",
    "node_id",
    "numeric",
    "specs",
]
