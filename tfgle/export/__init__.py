"""Export for serving: SavedModels that stock TensorFlow (and TF Serving) loads.

None contains tfgle's custom ops: the embedding table maps ids to precomputed
embeddings; the encoder maps raw ego-graph features to embeddings with the
feature preprocessing inside; the graph servable holds the graph and samples
each id's neighborhood itself (ids -> embeddings, new nodes included). Imports tfgle.graph and
tfgle.data (and Keras models given to it); nothing imports it but binaries.
"""
from tfgle.export.embedding_table import EmbeddingTable
from tfgle.export.embedding_table import export_embedding_table
from tfgle.export.encoder import EgoEncoder
from tfgle.export.encoder import export_encoder
from tfgle.export.encoder import raw_inputs
from tfgle.export.graph_servable import GraphServable
from tfgle.export.graph_servable import export_graph_servable
from tfgle.export.raw_features import RawAttrEncoder
