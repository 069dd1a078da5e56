"""Loads tfgle's custom-op library once; every wrapper module imports `ops` from here."""
import os

import tensorflow as tf

_LIBRARY_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "_tfgle_ops.so")

if not os.path.exists(_LIBRARY_PATH):
  raise ImportError(
      f"tfgle's op library {_LIBRARY_PATH} is missing: install tfgle with "
      "`pip install --no-build-isolation -e .` (or `python setup.py build_ext --inplace` "
      "in a source checkout) so that custom_ops/ is compiled against the installed TensorFlow")

# The generated module: one function per op, e.g. ops.tfgle_csr_init.
ops = tf.load_op_library(_LIBRARY_PATH)
LIBRARY_PATH = _LIBRARY_PATH
