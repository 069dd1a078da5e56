"""Export for serving: SavedModels that stock TensorFlow (and TF Serving) loads.

Neither SavedModel contains tfgle's custom ops: the embedding table maps ids to
precomputed embeddings, and the encoder maps raw ego-graph features to
embeddings with the feature preprocessing inside. Imports tfgle.graph and
tfgle.data (and Keras models given to it); nothing imports it but binaries.
"""
from tfgle.export.embedding_table import EmbeddingTable
from tfgle.export.embedding_table import export_embedding_table
from tfgle.export.encoder import EgoEncoder
from tfgle.export.encoder import export_encoder
from tfgle.export.encoder import raw_inputs
from tfgle.export.raw_features import RawAttrEncoder
