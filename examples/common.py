"""Flags shared by the training binaries and export_embeddings.py, checked when parsed (a bad
value stops a binary with absl's one-line usage error), and their graph: `data_config()`.
"""
import os
import sys
import tempfile

from absl import flags

# TensorFlow's C++ start-up lines (CUDA probes, CPU features) are noise to a user: hidden unless
# --verbose (read here, as they print when TensorFlow loads) or TF_CPP_MIN_LOG_LEVEL is set.
if not any(arg.lower() in ("--verbose", "--verbose=true", "--verbose=t", "--verbose=1")
           for arg in sys.argv):
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from tfgle import training  # pylint: disable=g-import-not-at-top (sets TF_USE_LEGACY_KERAS too)

_T = "--dataset=tables: "
DATASET = flags.DEFINE_enum("dataset", "synthetic", training.data_config.DATASETS, "Synthetic, "
                            "a citation (Cora) or MovieLens directory, or your --node/edge_table.")
flags.DEFINE_string("data_dir", None, "Directory of the citation or MovieLens data set.")
flags.DEFINE_multi_string("node_table", [], _T + "NODE_TYPE=PATH (file, glob, TSV/CSV, Parquet).")
flags.DEFINE_multi_string("edge_table", [], _T + "SRC_TYPE,DST_TYPE,NAME=PATH (repeated).")
flags.DEFINE_bool("undirected", True, _T + "add reverse edges (directed=False).")
flags.DEFINE_string("label_column", "label", _T + "node label column ('' for none).")
flags.DEFINE_string("split_column", "split", _T + "node split column ('' for none).")
flags.DEFINE_list("features", [], _T + "NAME:float[:DIM]|int|categorical|multi_categorical[:D]|"
                  "text")
for _n, _of in (("id", "NODE_TYPE"), ("src", "EDGE"), ("dst", "EDGE")):
  flags.DEFINE_multi_string(f"{_n}_column", [], f"{_T}the {_n} column: COLUMN or {_of}=COLUMN.")
flags.DEFINE_float("val_fraction", 0.1, _T + "share held out for validation (see --split).")
flags.DEFINE_float("test_fraction", 0.1, _T + "share held out for the test (see --split).")
flags.DEFINE_integer("synthetic_nodes", 10_000, "--dataset=synthetic: number of nodes.")
flags.DEFINE_integer("synthetic_edges", 100_000, "--dataset=synthetic: number of edges.")
MODEL = flags.DEFINE_string("model", None, "Model of the zoo to train (default: the binary's).")
FANOUTS = flags.DEFINE_list("fanouts", ["10", "5"], "Neighbors sampled per hop.")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 512, "Seeds (or edges) per batch.")
EPOCHS = flags.DEFINE_integer("epochs", 10, "Training epochs.")
LEARNING_RATE = flags.DEFINE_float("learning_rate", 0.01, "Adam learning rate.")
SEED = flags.DEFINE_integer("seed", 0, "Seed of weights, sampling and traversal.")
MODEL_DIR = flags.DEFINE_string("model_dir", None, "Checkpoints, backup, logs and the model "
                                "(default: a fresh temporary directory); one run configuration.")
METRICS_JSON = flags.DEFINE_string("metrics_json", None, "Write the final metrics here (JSON).")
PROGRESS = flags.DEFINE_integer("progress", 1, "Keras progress output: 1 bars, 2 a line per "
                                "epoch, 0 none.", lower_bound=0, upper_bound=2)
flags.DEFINE_bool("verbose", False, "Show TensorFlow's start-up and INFO logs.")
STRATEGY = flags.DEFINE_enum("strategy", "default", training.STRATEGIES,
                             "tf.distribute strategy; one that TF_CONFIG's cluster is made for.")
DATA_FLAGS = dict({n: n for n in ("dataset", "seed", "data_dir", "synthetic_nodes", "undirected",
                                   "synthetic_edges", "label_column", "split_column", "features",
                                   "val_fraction", "test_fraction")},
                   node_table="node_tables", edge_table="edge_tables", id_column="id_columns",
                   src_column="src_columns", dst_column="dst_columns")  # flag -> DataConfig field


validator, usage_errors = training.cli.validator, training.cli.usage_errors


def data_config(**changes) -> training.DataConfig:
  """The DataConfig of the data flags, with `changes` (e.g. holdout_edges)."""
  values = {field: flags.FLAGS[name].value for name, field in DATA_FLAGS.items()}
  return training.DataConfig(**values, **changes)


def model_dir() -> str:
  """--model_dir, or a fresh temporary directory."""
  return MODEL_DIR.value or tempfile.mkdtemp(prefix="tfgle_")


flags.register_validator("fanouts", lambda v: v and all(s.isdigit() and int(s) > 0 for s in v),
                         "--fanouts must be positive ints")
flags.register_validator("data_dir", lambda d: not d or os.path.isdir(d), "no such directory")
flags.register_validator("strategy", validator(
    lambda name: training.check_strategy(name, os.environ.get("TF_CONFIG"))))
flags.register_multi_flags_validator(list(DATA_FLAGS), validator(lambda _: data_config()))
