"""tfgle: a TensorFlow Graph Learning Engine.

Graphs live in TensorFlow resources, custom C++ ops sample them, tf.data
streams the batches and Keras trains the models. See README.md.
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
from tfgle import training
from tfgle.graph import CategoricalAttr
from tfgle.graph import Decoder
from tfgle.graph import EdgeType
from tfgle.graph import FloatAttr
from tfgle.graph import Graph
from tfgle.graph import IntAttr
from tfgle.graph import StringAttr

__version__ = "0.1.0"


def _load_checkout_models():
  """In a source checkout, imports the top-level models/ directory as `tfgle.models`.

  setup.py installs models/ as the package `tfgle.models`; a checkout used
  without installing (PYTHONPATH=., or a git worktree next to an editable
  install of another checkout) gets the same package from its own models/.
  """
  import importlib.util  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
  init = _os.path.join(root, "models", "__init__.py")
  if "tfgle.models" in sys.modules or not all(
      _os.path.exists(_os.path.join(root, p)) for p in ("setup.py", "custom_ops", init)):
    return
  spec = importlib.util.spec_from_file_location(
      "tfgle.models", init, submodule_search_locations=[_os.path.dirname(init)])
  module = importlib.util.module_from_spec(spec)
  sys.modules["tfgle.models"] = module
  try:
    spec.loader.exec_module(module)
  except BaseException:
    del sys.modules["tfgle.models"]
    raise
  globals()["models"] = module


_load_checkout_models()
