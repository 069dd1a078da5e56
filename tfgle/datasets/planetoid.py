"""The raw Planetoid files (Cora, Citeseer, PubMed) and their conversion to citation tables.

Yang et al. (2016) distribute each data set as eight files `ind.<name>.<part>`:
- `x`, `tx`, `allx`: scipy sparse feature matrices of the labeled training
  papers, the test papers and all non-test papers (`x` is the first `len(y)`
  rows of `allx`);
- `y`, `ty`, `ally`: the matching one-hot label matrices (numpy arrays);
- `graph`: a dict `{paper: [cited or citing papers]}`;
- `test.index`: the paper id of each row of `tx`, one per line.

All but `test.index` are Python 2 pickles. Unpickling can run arbitrary code,
so they are read with `RestrictedUnpickler`, which resolves only the few numpy,
scipy and collections names these files refer to.

The conversion follows the split of Yang et al. as used by Kipf & Welling and
PyTorch Geometric: papers 0..len(allx)-1 are the rows of `allx`; row i of
`tx`/`ty` is paper `test.index[i]`; train = the first `len(y)` papers, val = the
next 500, test = the papers of `test.index`. Citeseer's test ids leave 15 gaps
(isolated papers missing from the data): as in PyTorch Geometric they become
papers with no words; their label is -1 (unknown; PyTorch Geometric's argmax
of an all-zero row makes it 0) and their split "none". Citations are undirected:
self-loops and duplicates are dropped and each pair is listed once, src < dst.

Example:
  data = read_planetoid("raw_dir", "cora")
  write_citation_tables(data, "cora")     # nodes.tsv, edges.tsv, cora.npz
  graph, info = tfgle.datasets.load_citation("cora")
"""
from __future__ import annotations

import collections
import dataclasses
import os
import pickle
import uuid
from typing import Any

import numpy as np
import scipy.sparse as sp

PLANETOID_NAMES = ("cora", "citeseer", "pubmed")
RAW_PARTS = ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")
NUM_VAL = 500


def raw_file_names(name: str) -> tuple[str, ...]:
  """The eight raw file names of data set `name`: `ind.<name>.x` ... `ind.<name>.test.index`."""
  return tuple(f"ind.{name}.{part}" for part in RAW_PARTS)


def _allowed_globals() -> dict[tuple[str, str], Any]:
  """(module, name) -> object for every global the Planetoid pickles may name.

  The files were written by Python 2 with numpy and scipy of their time, so
  both those module paths and today's are listed. Nothing is imported by name
  while unpickling: each entry is resolved here, from the libraries' public
  objects.
  """
  # numpy's array-reconstruction function, whatever module it lives in.
  reconstruct = np.ndarray((0,)).__reduce__()[0]
  allowed = {
      ("numpy", "ndarray"): np.ndarray,
      ("numpy", "dtype"): np.dtype,
      ("numpy.core.multiarray", "_reconstruct"): reconstruct,
      ("numpy._core.multiarray", "_reconstruct"): reconstruct,
      ("collections", "defaultdict"): collections.defaultdict,
  }
  for module in ("__builtin__", "builtins"):
    allowed[(module, "list")] = list
    allowed[(module, "dict")] = dict
  for fmt, cls in (("csr", sp.csr_matrix), ("csc", sp.csc_matrix)):
    for module in ("scipy.sparse", f"scipy.sparse.{fmt}", f"scipy.sparse._{fmt}"):
      allowed[(module, f"{fmt}_matrix")] = cls
  return allowed


class RestrictedUnpickler(pickle.Unpickler):
  """An unpickler that resolves only the numpy/scipy types the Planetoid files hold.

  Any other global (a function such as `os.system`, or any other class) is an
  `pickle.UnpicklingError` naming it, raised before anything is called.

  Example:
    with open(path, "rb") as f:
      matrix = RestrictedUnpickler(f, encoding="latin1").load()
  """

  def __init__(self, file, **kwargs):
    super().__init__(file, **kwargs)
    self._allowed = _allowed_globals()

  def find_class(self, module, name):
    obj = self._allowed.get((module, name))
    if obj is None:
      raise pickle.UnpicklingError(
          f"global '{module}.{name}' is not allowed in a Planetoid file; allowed: numpy "
          "arrays and dtypes, scipy csr/csc matrices, collections.defaultdict, list, dict")
    return obj


def load_pickle(path: str) -> Any:
  """Reads one (Python 2) Planetoid pickle with `RestrictedUnpickler`.

  Raises:
    pickle.UnpicklingError: the file names a global that is not allowed, or
      is not a valid pickle (the message names the file).
  """
  with open(path, "rb") as f:
    try:
      return RestrictedUnpickler(f, encoding="latin1").load()
    except pickle.UnpicklingError as e:
      raise pickle.UnpicklingError(f"{path}: {e}") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
      raise pickle.UnpicklingError(f"{path}: not a valid Planetoid pickle: "
                                   f"{type(e).__name__}: {e}") from None


@dataclasses.dataclass(frozen=True)
class PlanetoidData:
  """A Planetoid data set in paper-id order.

  Attributes:
    name: "cora", "citeseer" or "pubmed".
    features: scipy csr_matrix float32 [num_papers, num_words] (binary bags of
      words for Cora and Citeseer, TF-IDF weights for PubMed).
    labels: int64 [num_papers], the class of each paper; -1 where unknown.
    edges: int64 [num_citations, 2], each undirected citation once, src < dst,
      sorted.
    train_idx, val_idx, test_idx: int64 paper ids of the splits, sorted.
  """
  name: str
  features: sp.csr_matrix
  labels: np.ndarray
  edges: np.ndarray
  train_idx: np.ndarray
  val_idx: np.ndarray
  test_idx: np.ndarray

  @property
  def num_papers(self) -> int:
    return self.features.shape[0]


def read_planetoid(raw_dir: str, name: str) -> PlanetoidData:
  """Reads and converts the raw files `ind.<name>.*` in `raw_dir`.

  Args:
    raw_dir: the directory holding the eight raw files.
    name: the data set: "cora", "citeseer" or "pubmed" (any other name whose
      files follow the same format works too).

  Returns:
    A `PlanetoidData` (see the module docstring for the rules).

  Raises:
    FileNotFoundError: a raw file is missing.
    pickle.UnpicklingError: a pickle names a forbidden global or is corrupt.
    ValueError: the files do not fit together (types, shapes, ids out of range).
  """
  paths = dict(zip(RAW_PARTS, (os.path.join(raw_dir, f) for f in raw_file_names(name))))
  missing = [path for path in paths.values() if not os.path.isfile(path)]
  if missing:
    raise FileNotFoundError(f"raw Planetoid files missing: {missing}")
  x, tx, allx = (_features(load_pickle(paths[p]), paths[p]) for p in ("x", "tx", "allx"))
  y, ty, ally = (_one_hot(load_pickle(paths[p]), paths[p]) for p in ("y", "ty", "ally"))
  graph = load_pickle(paths["graph"])
  test_index = _read_test_index(paths["test.index"])

  for feats, labels, what in ((x, y, "x/y"), (tx, ty, "tx/ty"), (allx, ally, "allx/ally")):
    if feats.shape[0] != labels.shape[0]:
      raise ValueError(f"{name}: {what} have {feats.shape[0]} and {labels.shape[0]} rows; "
                       "expected one label row per feature row")
  for other, what in ((tx, "tx"), (allx, "allx")):
    if other.shape[1] != x.shape[1]:
      raise ValueError(f"{name}: {what} has {other.shape[1]} columns but x has {x.shape[1]}")
  for other, what in ((ty, "ty"), (ally, "ally")):
    if other.shape[1] != y.shape[1]:
      raise ValueError(f"{name}: {what} has {other.shape[1]} classes but y has {y.shape[1]}")
  num_all, num_train = allx.shape[0], y.shape[0]
  if num_train + NUM_VAL > num_all:
    raise ValueError(f"{name}: allx has {num_all} rows, fewer than the {num_train} training + "
                     f"{NUM_VAL} validation papers")
  if len(test_index) != tx.shape[0]:
    raise ValueError(f"{name}: test.index has {len(test_index)} ids but tx has {tx.shape[0]} rows")
  if len(np.unique(test_index)) != len(test_index):
    raise ValueError(f"{name}: test.index lists a paper id twice")
  if len(test_index) and test_index.min() < num_all:
    raise ValueError(f"{name}: test.index holds id {int(test_index.min())}, which is a row of "
                     f"allx; test ids must be >= {num_all}")
  num_papers = int(test_index.max()) + 1 if len(test_index) else num_all

  # Papers 0..num_all-1 are the rows of allx; paper test_index[i] is row i of tx;
  # ids in neither (Citeseer's gaps) get an empty row.
  row_of_paper = np.full(num_papers, -1, np.int64)
  row_of_paper[:num_all] = np.arange(num_all)
  row_of_paper[test_index] = num_all + np.arange(len(test_index))
  gaps = np.flatnonzero(row_of_paper < 0)
  stacked = sp.vstack([allx, tx, sp.csr_matrix((len(gaps), x.shape[1]), dtype=np.float32)],
                      format="csr")
  row_of_paper[gaps] = num_all + len(test_index) + np.arange(len(gaps))
  features = stacked[row_of_paper].tocsr()
  features.sum_duplicates()
  features.eliminate_zeros()
  features.sort_indices()
  all_labels = np.concatenate([ally, ty, np.zeros((len(gaps), y.shape[1]), ally.dtype)])
  all_labels = all_labels[row_of_paper]
  labels = np.where(all_labels.max(axis=1) > 0, all_labels.argmax(axis=1), -1).astype(np.int64)

  return PlanetoidData(
      name=name, features=features, labels=labels,
      edges=_edges(graph, num_papers, paths["graph"]),
      train_idx=np.arange(num_train, dtype=np.int64),
      val_idx=np.arange(num_train, num_train + NUM_VAL, dtype=np.int64),
      test_idx=np.sort(test_index))


def write_citation_tables(data: PlanetoidData, out_dir: str) -> None:
  """Writes `data` in the citation-table layout that `load_citation` reads.

  Writes `nodes.tsv` (`id label split words`: words are the indices of the
  non-zero features, comma separated), `edges.tsv` (`src_id dst_id`) and
  `<name>.npz` (features [uint8 when binary, else float32], labels, edges,
  train_idx, val_idx, test_idx). Each file is written under a temporary name
  and then renamed, so a reader never sees a half-written file.
  """
  os.makedirs(out_dir, exist_ok=True)
  split = np.full(data.num_papers, "none", dtype=object)
  for name, idx in (("train", data.train_idx), ("val", data.val_idx), ("test", data.test_idx)):
    split[idx] = name
  indptr, indices = data.features.indptr, data.features.indices
  node_lines = ["id\tlabel\tsplit\twords\n"]
  for paper in range(data.num_papers):
    words = ",".join(map(str, indices[indptr[paper]:indptr[paper + 1]].tolist()))
    node_lines.append(f"{paper}\t{data.labels[paper]}\t{split[paper]}\t{words}\n")
  edge_lines = ["src_id\tdst_id\n"] + [f"{s}\t{d}\n" for s, d in data.edges.tolist()]

  values = data.features.data
  binary = bool(np.all(values == 1))
  features = data.features.toarray().astype(np.uint8 if binary else np.float32)

  def write(file_name, writer):
    tmp = os.path.join(out_dir, f".{file_name}.{uuid.uuid4().hex}.tmp")
    try:
      with open(tmp, "xb") as f:
        writer(f)
      os.replace(tmp, os.path.join(out_dir, file_name))
    except BaseException:
      _remove_quietly(tmp)
      raise

  write(f"{data.name}.npz", lambda f: np.savez_compressed(
      f, features=features, labels=data.labels, edges=data.edges, train_idx=data.train_idx,
      val_idx=data.val_idx, test_idx=data.test_idx))
  write("edges.tsv", lambda f: f.write("".join(edge_lines).encode()))
  write("nodes.tsv", lambda f: f.write("".join(node_lines).encode()))


def converted_files(name: str) -> tuple[str, ...]:
  """The files `write_citation_tables` writes for data set `name`."""
  return ("nodes.tsv", "edges.tsv", f"{name}.npz")


def _remove_quietly(path):
  try:
    os.remove(path)
  except FileNotFoundError:
    pass


def _features(value, path) -> sp.csr_matrix:
  if sp.issparse(value):
    return sp.csr_matrix(value, dtype=np.float32)
  if isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype.kind in "biuf":
    return sp.csr_matrix(value.astype(np.float32))
  raise ValueError(f"{path}: expected a 2-D feature matrix (scipy sparse or numpy), got "
                   f"{type(value).__name__} {getattr(value, 'shape', '')}")


def _one_hot(value, path) -> np.ndarray:
  if sp.issparse(value):
    value = value.toarray()
  if not (isinstance(value, np.ndarray) and value.ndim == 2 and value.dtype.kind in "biuf"):
    raise ValueError(f"{path}: expected a 2-D one-hot label matrix, got "
                     f"{type(value).__name__} {getattr(value, 'shape', '')}")
  return value


def _read_test_index(path) -> np.ndarray:
  ids = []
  with open(path, "rb") as f:
    for number, line in enumerate(f, start=1):
      text = line.strip()
      if not text:
        continue
      try:
        value = int(text)
      except ValueError:
        raise ValueError(f"{path}:{number}: expected a paper id (an int >= 0), got "
                         f"{text[:40]!r}") from None
      if value < 0:
        raise ValueError(f"{path}:{number}: expected a paper id (an int >= 0), got {value}")
      ids.append(value)
  return np.asarray(ids, dtype=np.int64)


def _edges(graph, num_papers, path) -> np.ndarray:
  """Undirected citations [E, 2], src < dst, unique, sorted; self-loops dropped."""
  if not isinstance(graph, dict):
    raise ValueError(f"{path}: expected a dict {{paper: [papers]}}, got {type(graph).__name__}")
  src, dst = [], []
  for paper, others in graph.items():
    if not isinstance(others, (list, tuple)):
      raise ValueError(f"{path}: the neighbors of paper {paper!r} are of type "
                       f"{type(others).__name__}, expected a list")
    src.extend([paper] * len(others))
    dst.extend(others)
  for paper in (src + dst):
    if not isinstance(paper, (int, np.integer)) or isinstance(paper, bool):
      raise ValueError(f"{path}: paper id {paper!r} is not an int")
  pairs = np.asarray([src, dst], dtype=np.int64).reshape(2, -1).T
  bad = (pairs < 0) | (pairs >= num_papers)
  if bad.any():
    raise ValueError(f"{path}: paper id {int(pairs[bad][0])} is not in [0, {num_papers})")
  pairs = np.sort(pairs, axis=1)
  pairs = pairs[pairs[:, 0] != pairs[:, 1]]
  return np.unique(pairs, axis=0).reshape(-1, 2)
