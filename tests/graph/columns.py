"""Column declarations shared by the reader tests."""
from tfgle.graph import schema

INT64, FLOAT32, STRING = schema.INT64, schema.FLOAT32, schema.STRING


def vector(name, dim, delimiter=":"):
  return schema.Column(name, schema.FLOAT_VECTOR, dim=dim, delimiter=delimiter)


def int_list(name, delimiter=","):
  return schema.Column(name, schema.INT64_LIST, delimiter=delimiter)


def string_list(name, delimiter=","):
  return schema.Column(name, schema.STRING_LIST, delimiter=delimiter)
