"""examples/train_supervised.py on a user's own tables: a random node split, the human summary,
and TensorFlow's start-up logs shown only with --verbose."""
import os

import numpy as np
import tensorflow as tf
from tests.examples import binaries

# A line TensorFlow's C++ runtime logs (at INFO) whenever it loads on a CPU machine.
_START_UP_LINE = "cpu_feature_guard"


def _run(*flags):
  # TF_CPP_MIN_LOG_LEVEL unset: the binary decides.
  return binaries.run("train_supervised.py", *flags,
                      environment=binaries.env(TF_CPP_MIN_LOG_LEVEL=None))


class OwnTablesTest(tf.test.TestCase):

  def test_random_node_split_and_summary(self):
    directory = self.get_temp_dir()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 600)
    # Features that give the label away, no split column; edges within a class.
    with open(os.path.join(directory, "papers.csv"), "w") as f:
      f.write("paper_id,topic,x\n" + "".join(
          f"{1000 + i},{y},{y + rng.normal(0, 0.1):.4f}\n" for i, y in enumerate(labels)))
    with open(os.path.join(directory, "cites.csv"), "w") as f:
      f.write("src_id,dst_id\n" + "".join(
          f"{1000 + i},{1000 + j}\n" for i in range(600) for j in rng.choice(
              np.flatnonzero(labels == labels[i]), 3)))
    proc = _run("--dataset=tables", f"--node_table=paper={directory}/papers.csv",
                f"--edge_table=paper,paper,cites={directory}/cites.csv", "--id_column=paper_id",
                "--label_column=topic", "--features=x:float", "--split=random",
                "--val_fraction=0.2", "--test_fraction=0.2", "--preset=synthetic",
                "--epochs=3", "--batch_size=32", "--progress=0", f"--model_dir={directory}/model")
    self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
    summary = proc.stdout.split("Results:", 1)[1]
    accuracy = float(summary.split("test accuracy", 1)[1].split()[0])
    self.assertGreater(accuracy, 0.9)  # 3 classes: chance is 1/3
    self.assertIn(f"model directory              {directory}/model", summary)
    self.assertNotIn(_START_UP_LINE, proc.stderr)

  def test_start_up_logs_only_with_verbose(self):
    # A usage error still loads TensorFlow (the flags are checked after the imports).
    quiet = _run("--fanouts=0")
    verbose = _run("--fanouts=0", "--verbose")
    for proc in (quiet, verbose):
      self.assertEqual(proc.returncode, 1, proc.stderr[-3000:])
      self.assertIn("--fanouts must be positive ints", proc.stderr)
    self.assertNotIn(_START_UP_LINE, quiet.stderr)
    self.assertIn(_START_UP_LINE, verbose.stderr)


if __name__ == "__main__":
  tf.test.main()
