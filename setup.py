"""Builds tfgle: the Python packages plus one custom-op library, `tfgle/_tfgle_ops.so`.

The op library is compiled against the TensorFlow installed in the build
environment (tf.sysconfig flags), so the two must match at run time: install
with `pip install --no-build-isolation .` into the environment that has the
pinned TensorFlow (the README does), or let `pip install .` fetch the same pin
into an isolated build environment (pyproject.toml).
"""
import concurrent.futures
import glob
import os
import shlex
import subprocess
import sys

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

OPS_LIBRARY = "tfgle._tfgle_ops"
# Everything under custom_ops/ except the standalone C++ tests of the core.
OPS_SOURCES = sorted(
    path for path in glob.glob("custom_ops/**/*.cc", recursive=True)
    if "/tests/" not in path)
OPS_HEADERS = sorted(glob.glob("custom_ops/**/*.h", recursive=True))


class BuildOps(build_ext):
  """Compiles the op sources in parallel, recompiling only what changed."""

  def build_extension(self, ext):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    compile_flags = tf.sysconfig.get_compile_flags() + [
        "-O3", "-fPIC", "-Wall", "-Wno-sign-compare", "-I."]
    link_flags = tf.sysconfig.get_link_flags()
    compiler = os.environ.get("CXX", "g++")
    obj_dir = os.path.join(self.build_temp, "custom_ops")
    newest_header = max((os.path.getmtime(h) for h in OPS_HEADERS), default=0)

    def compile_one(source):
      obj = os.path.join(obj_dir, source.replace("/", "_") + ".o")
      if (os.path.exists(obj) and not self.force and
          os.path.getmtime(obj) >= max(os.path.getmtime(source), newest_header)):
        return obj
      os.makedirs(obj_dir, exist_ok=True)
      cmd = [compiler, "-c", source, "-o", obj] + compile_flags
      print(" ".join(shlex.quote(c) for c in cmd), flush=True)
      subprocess.run(cmd, check=True)
      return obj

    jobs = int(os.environ.get("TFGLE_BUILD_JOBS", os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
      objects = list(pool.map(compile_one, ext.sources))
    target = self.get_ext_fullpath(ext.name)
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    cmd = [compiler, "-shared", "-o", target] + objects + link_flags
    print(" ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True)

  def get_ext_filename(self, ext_name):
    # A plain .so name (no Python ABI tag): it is loaded by tf.load_op_library.
    return os.path.join(*ext_name.split(".")) + ".so"


setup(
    name="tfgle",
    version="0.1.0",
    description="TensorFlow Graph Learning Engine: GNNs on large graphs, natively in TF2/Keras",
    python_requires=">=3.10",
    packages=find_packages(include=["tfgle", "tfgle.*"]) + [
        "tfgle.models" + p[len("models"):].replace("/", ".")
        for p in [root for root, _, files in os.walk("models") if "__init__.py" in files]],
    package_dir={"tfgle.models": "models"},
    ext_modules=[Extension(OPS_LIBRARY, sources=OPS_SOURCES, depends=OPS_HEADERS)],
    cmdclass={"build_ext": BuildOps},
    install_requires=[
        "tensorflow==2.17.*",
        "tf-keras==2.17.*",
        "tensorflow-gnn==1.0.3",
        "tensorflow-io==0.37.1",
        "numpy==1.26.*",
        "scipy",
        "absl-py",
        "pyarrow",
    ],
    extras_require={"test": ["pytest", "parameterized", "psutil"]},
    zip_safe=False,
)
