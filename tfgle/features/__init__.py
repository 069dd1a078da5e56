"""Feature columns as Keras layers: node/edge attributes -> dense vectors.

`FeatureEncoder` encodes one node (or edge) type's features, built from specs
(`numeric`, `categorical`, `node_id`, `text`: frozen `FeatureSpec` dataclasses
with `get_config`/`from_config`) or from a graph's attribute specs
(`FeatureEncoder.from_graph`); `HeteroFeatureEncoder` holds the encoders of
several node types that share embedding tables; `encode_text` turns a text
attribute into a float feature with a pre-trained encoder. Imports tfgle.graph
only; models and export build on it.
"""
from tfgle.features import specs
from tfgle.features.feature_encoder import FeatureEncoder
from tfgle.features.hetero_feature_encoder import HeteroFeatureEncoder
from tfgle.features.specs import CategoricalSpec
from tfgle.features.specs import FeatureSpec
from tfgle.features.specs import IdSpec
from tfgle.features.specs import NumericSpec
from tfgle.features.specs import TextSpec
from tfgle.features.specs import adapt_text
from tfgle.features.specs import categorical
from tfgle.features.specs import node_id
from tfgle.features.specs import numeric
from tfgle.features.specs import text
from tfgle.features.text_encoder import encode_text
from tfgle.features.warm_start import WarmStartReport
from tfgle.features.warm_start import warm_start

__all__ = [
    "CategoricalSpec",
    "FeatureEncoder",
    "FeatureSpec",
    "HeteroFeatureEncoder",
    "IdSpec",
    "NumericSpec",
    "TextSpec",
    "adapt_text",
    "categorical",
    "encode_text",
    "node_id",
    "numeric",
    "specs",
    "text",
    "warm_start",
    "WarmStartReport",
]
