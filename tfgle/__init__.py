"""tfgle: a TensorFlow Graph Learning Engine.

Graphs live in TensorFlow resources, custom C++ ops sample them, tf.data
streams the batches and Keras trains the models. See README.md. The model zoo
`tfgle.models` is the top-level models/ folder, which setup.py installs as that
package (import it as `tfgle.models`; it is not imported here).
"""
import os as _os

# tensorflow-gnn and tfgle's layers use the Keras 2 API (tf-keras). This must be
# set before TensorFlow is first imported; a user who imported TensorFlow
# earlier sets it themselves.
_os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

# pylint: disable=g-import-not-at-top,wrong-import-position
from tfgle import data
from tfgle import datasets
from tfgle import distribute
from tfgle import export
from tfgle import features
from tfgle import gsl
from tfgle import layers
from tfgle import losses
from tfgle import metrics
from tfgle import ops
from tfgle import ranking
from tfgle import training
from tfgle.graph import CategoricalAttr
from tfgle.graph import Decoder
from tfgle.graph import EdgeType
from tfgle.graph import FloatAttr
from tfgle.graph import Graph
from tfgle.graph import IntAttr
from tfgle.graph import StringAttr
from tfgle.graph import TextAttr

__version__ = "0.1.0"
