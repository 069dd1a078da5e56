"""Wrappers of tfgle's custom TensorFlow ops (never call the generated ops directly)."""
from tfgle.ops.tables import CsrTable
from tfgle.ops.tables import IdMapTable
