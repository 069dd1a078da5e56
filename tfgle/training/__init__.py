"""Training as a library: checkpoints, resume, chief-side evaluation, presets, model manifest.
May import TensorFlow, numpy and tfgle's other packages; never tfgle.models or examples/.

The training binaries in examples/ are flags wired to these pieces:
- `DataConfig` / `load_graph`: the graph of a run, as a value the manifest keeps.
- `resolve_preset`: hyper-parameters per data set (`PRESETS`), as data.
- `make_strategy`: the tf.distribute strategy, refused if the TF_CONFIG
  cluster cannot use it; `claim_model_dir`: a model directory serves one run
  configuration.
- `fit_callbacks`, `BestCheckpoint`, `resumption` (`TrainingCheckpoint`):
  checkpoints, the best validation epoch's weights, the step a killed run
  resumes at (one process, parameter servers) and `Resumption.fit`, which trains from it.
- `ParameterServerFailure`: a lost parameter server ends a run with a
  one-line error that says to restart every task (`faults`).
- `LocalEvaluation` / `LocalValidation`: evaluation on the chief under
  ParameterServerStrategy.
- `ModelManifest` (`read_manifest` / `write_manifest`): model_info.json, what
  an export needs to use the trained model.
"""
from tfgle.training import cli
from tfgle.training.bulk_inference import embed_nodes
from tfgle.training.bulk_inference import write_embeddings
from tfgle.training.checkpoints import BestCheckpoint
from tfgle.training.checkpoints import fit_callbacks
from tfgle.training.data_config import DataConfig
from tfgle.training.data_config import load_graph
from tfgle.training.evaluation import LocalEvaluation
from tfgle.training.evaluation import LocalValidation
from tfgle.training.faults import ParameterServerFailure
from tfgle.training.manifest import ManifestError
from tfgle.training.manifest import MissingManifestError
from tfgle.training.manifest import ModelManifest
from tfgle.training.manifest import Tower
from tfgle.training.manifest import read_manifest
from tfgle.training.manifest import write_manifest
from tfgle.training.presets import PRESETS
from tfgle.training.presets import NodeClassificationSettings
from tfgle.training.presets import resolve_preset
from tfgle.training.report import report_metrics
from tfgle.training.resume import Resumption
from tfgle.training.resume import TrainingCheckpoint
from tfgle.training.resume import backup_dir
from tfgle.training.resume import resumption
from tfgle.training.resume import resume_epoch
from tfgle.training.run_config import ModelDirInUseError
from tfgle.training.run_config import claim_model_dir
from tfgle.training.strategy import STRATEGIES
from tfgle.training.strategy import check_strategy
from tfgle.training.strategy import fit_verbosity
from tfgle.training.strategy import is_parameter_server
from tfgle.training.strategy import make_strategy
from tfgle.training.strategy import task_dir
from tfgle.training.throughput import Throughput

__all__ = [
    "BestCheckpoint",
    "DataConfig",
    "LocalEvaluation",
    "LocalValidation",
    "ManifestError",
    "MissingManifestError",
    "ModelDirInUseError",
    "ModelManifest",
    "NodeClassificationSettings",
    "PRESETS",
    "ParameterServerFailure",
    "Resumption",
    "STRATEGIES",
    "Throughput",
    "Tower",
    "TrainingCheckpoint",
    "backup_dir",
    "check_strategy",
    "claim_model_dir",
    "embed_nodes",
    "fit_callbacks",
    "fit_verbosity",
    "is_parameter_server",
    "load_graph",
    "make_strategy",
    "read_manifest",
    "report_metrics",
    "resolve_preset",
    "resume_epoch",
    "resumption",
    "task_dir",
    "write_embeddings",
]
