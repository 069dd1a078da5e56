"""Knowledge graphs as triples: a `head relation tail` TSV loader and a synthetic generator.

A knowledge graph (KG) is a set of typed edges (head entity, relation, tail
entity), split into train / valid / test triples as FB15k-237 and WN18RR ship
them (`train.txt`, `valid.txt`, `test.txt`: one `head<TAB>relation<TAB>tail`
per line, string ids). `load_triples` maps the string ids to dense indices,
entities and relations each numbered in sorted order of the training file's
names (PyKEEN's TriplesFactory does the same), and returns a `KnowledgeGraph`
of int64 [n, 3] (head, relation, tail) arrays: what `tfgle.data.triple_dataset`,
the KG models of `tfgle.models` (TransE, DistMult, RotatE) and
`tfgle.ranking.evaluate_triples` take.

`synthetic_knowledge_graph` plants relational patterns on a grid of entities
(translations, inverse pairs, a composition and a symmetric relation) and
holds out only triples that the patterns imply from the training triples: a
test set that KG models can solve, for tests and examples.

Example:
  # train.txt, valid.txt, test.txt; drop held-out triples of entities that train lacks.
  kg = tfgle.datasets.load_triples("FB15k-237", unknown="drop")
  kg.num_entities, kg.num_relations, kg.train.shape, kg.dropped
  kg.entity_index(["/m/027rn"]), kg.to_names(kg.test[:2])

  kg, patterns = tfgle.datasets.synthetic_knowledge_graph(width=16, height=16)
  patterns["inverse"]                                     # [("east", "west"), ...]
"""
from __future__ import annotations

import dataclasses
import os
from typing import Optional, Sequence, Union

import numpy as np

SPLITS = ("train", "valid", "test")
UNKNOWN = ("error", "drop")
# File names of each split in a data set directory, first match wins.
_SPLIT_FILES = {"train": ("train.txt", "train.tsv"),
                "valid": ("valid.txt", "valid.tsv", "dev.txt", "dev.tsv"),
                "test": ("test.txt", "test.tsv")}
# At most this many dropped rows are listed in `KnowledgeGraph.dropped_examples`.
_MAX_REPORTED = 10

_Triples = Union[str, os.PathLike, np.ndarray, Sequence[Sequence[str]]]


@dataclasses.dataclass
class KnowledgeGraph:
  """Triples of a knowledge graph as dense indices, and the names of the indices.

  Attributes:
    train, valid, test: int64 [n, 3] arrays of (head, relation, tail) dense
      indices (valid and test may have 0 rows).
    entities: str [num_entities]: the entity name of each index.
    relations: str [num_relations]: the relation name of each index.
    dropped: {"valid": n, "test": m}: rows of held-out splits dropped by
      `load_triples(unknown="drop")` (an entity or relation not in train).
    dropped_examples: up to 10 of them, as "file:line: reason" strings.
  """
  train: np.ndarray
  valid: np.ndarray
  test: np.ndarray
  entities: np.ndarray
  relations: np.ndarray
  dropped: dict = dataclasses.field(default_factory=dict)
  dropped_examples: list = dataclasses.field(default_factory=list)

  @property
  def num_entities(self) -> int:
    return len(self.entities)

  @property
  def num_relations(self) -> int:
    return len(self.relations)

  def all_triples(self) -> np.ndarray:
    """int64 [n, 3]: train, valid and test triples (what filtered evaluation excludes)."""
    return np.concatenate([self.train, self.valid, self.test], axis=0)

  def entity_index(self, names) -> np.ndarray:
    """Dense indices (int64) of entity names; ValueError names the first unknown one."""
    return _lookup("entity", self.entities, names)

  def relation_index(self, names) -> np.ndarray:
    """Dense indices (int64) of relation names; ValueError names the first unknown one."""
    return _lookup("relation", self.relations, names)

  def to_names(self, triples) -> np.ndarray:
    """str [n, 3]: the (head, relation, tail) names of dense-index triples [n, 3]."""
    triples = np.asarray(triples)
    if (triples.ndim != 2 or triples.shape[1:] != (3,) or triples.dtype.kind not in "iu" or
        (triples.size and (triples.min() < 0 or triples[:, 1].max() >= self.num_relations or
                           triples[:, [0, 2]].max() >= self.num_entities))):
      raise ValueError(f"triples must be an int array [n, 3] of dense indices of this graph's "
                       f"{self.num_entities} entities and {self.num_relations} relations, got "
                       f"{triples.dtype} of shape {triples.shape}")
    return np.stack([self.entities[triples[:, 0]], self.relations[triples[:, 1]],
                     self.entities[triples[:, 2]]], axis=1)


def _lookup(what: str, vocabulary: np.ndarray, names) -> np.ndarray:
  names = np.asarray(names, dtype=str)
  flat = names.reshape(-1)
  index = np.minimum(np.searchsorted(vocabulary, flat), len(vocabulary) - 1)
  missing = vocabulary[index] != flat
  if missing.any():
    raise ValueError(f"unknown {what} {str(flat[np.argmax(missing)])!r} (the knowledge graph "
                     f"has {len(vocabulary)} {what} names)")
  return index.astype(np.int64).reshape(names.shape)


# ------------------------------------------------------------------ loader


def load_triples(train: _Triples, valid: Optional[_Triples] = None,
                 test: Optional[_Triples] = None, *, delimiter: str = "\t",
                 unknown: str = "error") -> KnowledgeGraph:
  """Loads `head relation tail` triples with string ids into a `KnowledgeGraph`.

  Each split is a text file (one triple per line, fields separated by
  `delimiter`; blank lines are skipped), or an array-like [n, 3] of names
  (values are read as strings). `train` may also be a directory holding the
  split files as FB15k-237 and WN18RR do: `train.txt`, `valid.txt` (or
  `dev.txt`) and `test.txt` (`.tsv` also), of which valid and test are
  optional; then `valid` and `test` must be None.

  Entities and relations are numbered from the training triples, in sorted
  order of their names. A valid or test triple with an entity or relation
  that training lacks cannot be scored: it is an error naming the file and
  line (`unknown="error"`), or it is dropped and counted in
  `KnowledgeGraph.dropped` (`unknown="drop"`; benchmarks such as WN18RR
  have a few such triples, and PyKEEN drops them too).

  Args:
    train: the training triples (file, array-like or data set directory).
    valid, test: the held-out triples (file or array-like), optional.
    delimiter: the field separator of the files.
    unknown: "error" or "drop": what a held-out triple with a name not in
      train does.

  Returns:
    A KnowledgeGraph.

  Raises:
    FileNotFoundError: a missing file, or a directory without train.txt.
    ValueError: a line without exactly three non-empty fields (naming file
      and line), an unknown name in valid/test with unknown="error", empty
      training triples, or a bad argument.
  """
  if unknown not in UNKNOWN:
    raise ValueError(f"unknown must be one of {list(UNKNOWN)}, got {unknown!r}")
  if not isinstance(delimiter, str) or not delimiter or delimiter in "\r\n":
    raise ValueError(f"delimiter must be a non-empty string other than a line break, got "
                     f"{delimiter!r}")
  if isinstance(train, (str, os.PathLike)) and os.path.isdir(train):
    if valid is not None or test is not None:
      raise ValueError(f"train is a directory ({os.fspath(train)!r}): its split files are "
                       "read, so valid and test must be None")
    train, valid, test = _split_files(os.fspath(train))
  rows = {name: _read_rows(name, value, delimiter)
          for name, value in zip(SPLITS, (train, valid, test))}
  if not rows["train"][0]:
    source = os.fspath(train) if isinstance(train, (str, os.PathLike)) else "the array"
    raise ValueError(f"train has no triples (read from {source})")
  names = np.array(rows["train"][0], dtype=str).reshape(-1, 3)
  entities = np.unique(np.concatenate([names[:, 0], names[:, 2]]))
  relations = np.unique(names[:, 1])
  entity_index = {name: i for i, name in enumerate(entities.tolist())}
  relation_index = {name: i for i, name in enumerate(relations.tolist())}
  out = {"train": np.stack([np.searchsorted(entities, names[:, 0]),
                            np.searchsorted(relations, names[:, 1]),
                            np.searchsorted(entities, names[:, 2])], axis=1).astype(np.int64)}
  dropped, examples = {}, []
  for split in ("valid", "test"):
    triples, where = rows[split]
    kept = []
    dropped[split] = 0
    for i, (head, relation, tail) in enumerate(triples):
      h, r, t = entity_index.get(head), relation_index.get(relation), entity_index.get(tail)
      if h is not None and r is not None and t is not None:
        kept.append((h, r, t))
        continue
      what, name = (("relation", relation) if r is None else
                    ("entity", head) if h is None else ("entity", tail))
      message = f"{where(i)}: {what} {name!r} does not occur in the training triples"
      if unknown == "error":
        raise ValueError(message + " (pass unknown='drop' to drop such rows)")
      dropped[split] += 1
      if len(examples) < _MAX_REPORTED:
        examples.append(message)
    out[split] = np.array(kept, dtype=np.int64).reshape(-1, 3)
  return KnowledgeGraph(out["train"], out["valid"], out["test"], entities, relations,
                        dropped=dropped, dropped_examples=examples)


def _split_files(directory: str) -> tuple:
  found = []
  for split in SPLITS:
    paths = [os.path.join(directory, f) for f in _SPLIT_FILES[split]]
    path = next((p for p in paths if os.path.isfile(p)), None)
    if path is None and split == "train":
      raise FileNotFoundError(f"{directory!r} has no training file (one of "
                              f"{list(_SPLIT_FILES['train'])})")
    found.append(path)
  return tuple(found)


def _read_rows(split: str, value, delimiter: str):
  """([(head, relation, tail) strings], where(i) -> "file:line" of row i)."""
  if value is None:
    return [], lambda i: split
  if isinstance(value, (str, os.PathLike)):
    path = os.fspath(value)
    if not os.path.isfile(path):
      raise FileNotFoundError(f"{split}: no such file {path!r}")
    rows, lines = [], []
    with open(path, encoding="utf-8", newline="") as f:
      for number, line in enumerate(f, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
          continue
        fields = line.split(delimiter)
        if len(fields) != 3 or any(not field.strip() for field in fields):
          raise ValueError(f"{path}:{number}: expected 3 non-empty fields `head relation "
                           f"tail` separated by {delimiter!r}, got {line[:200]!r}")
        rows.append(tuple(field.strip() for field in fields))
        lines.append(number)
    return rows, lambda i: f"{path}:{lines[i]}" if i < len(lines) else path
  array = np.asarray(value, dtype=object)
  if array.size == 0:
    return [], lambda i: split
  if array.ndim != 2 or array.shape[1] != 3:
    raise ValueError(f"{split} must be a file, a directory (train only) or an array [n, 3] of "
                     f"(head, relation, tail) names, got {type(value).__name__} of shape "
                     f"{array.shape}")
  rows = []
  for i, row in enumerate(array):
    fields = tuple(str(v).strip() for v in row)
    if any(v is None for v in row) or not all(fields):
      raise ValueError(f"{split}[{i}]: expected 3 non-empty names, got {list(row)!r}")
    rows.append(fields)
  return rows, lambda i: f"{split}[{i}]"


# --------------------------------------------------------------- synthetic

# The planted relations: name -> (dx, dy) translation on the grid ("mirror" reflects x).
_TRANSLATIONS = {"east": (1, 0), "west": (-1, 0), "north": (0, 1), "south": (0, -1),
                 "northeast": (1, 1)}
RELATIONS = ("east", "west", "north", "south", "northeast", "mirror")
PATTERNS = {
    "translation": ("east", "north"),
    "inverse": (("east", "west"), ("north", "south")),
    "composition": (("east", "north", "northeast"),),
    "symmetric": ("mirror",),
}
_INVERSE = {"east": "west", "west": "east", "north": "south", "south": "north",
            "mirror": "mirror"}


def synthetic_knowledge_graph(width: int = 16, height: int = 16, *,
                              relations: Sequence[str] = RELATIONS, valid_fraction: float = 0.1,
                              test_fraction: float = 0.1, seed: int = 0):
  """A knowledge graph of grid cells with planted relational patterns.

  The entities are the cells "cell_x_y" of a width x height grid; the
  relations (those of `relations`) move between them:
    - translations "east" (x + 1) and "north" (y + 1),
    - their inverses "west" and "south": (a, east, b) <=> (b, west, a),
    - a composition "northeast" = east then north,
    - a symmetric relation "mirror": (x, y) <-> (width - 1 - x, y).
  About valid_fraction and test_fraction of the triples are held out, each
  only while the triples its pattern derives it from stay in train (the
  inverse or mirrored triple; the east and north steps of a northeast
  triple), so every held-out triple is implied by training triples; a triple
  whose premises are not among `relations` stays in train.

  TransE models translations, inverses and composition but not the symmetric
  relation (which, on the same cells, fights the translations: leave
  "mirror" out to test TransE alone); DistMult models the symmetric relation
  and the others up to their direction (east and west score alike).

  Args:
    width, height: the grid's size (ints >= 2).
    relations: the relations to plant, a non-empty subset of RELATIONS.
    valid_fraction, test_fraction: shares of the triples to hold out (>= 0,
      summing to less than 0.5).
    seed: of the split.

  Returns:
    (KnowledgeGraph, patterns): patterns maps "translation", "inverse",
    "composition" and "symmetric" to the planted relations (tuples of names
    for inverse pairs and compositions) that show each.

  Raises:
    ValueError: a bad argument.
  """
  for name, value in (("width", width), ("height", height)):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
      raise ValueError(f"{name} must be an int >= 2, got {value!r}")
  if (isinstance(relations, str) or not isinstance(relations, (list, tuple)) or not relations
      or any(r not in RELATIONS for r in relations)):
    raise ValueError(f"relations must be a non-empty list of names among {list(RELATIONS)}, "
                     f"got {relations!r}")
  for name, value in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 0.5:
      raise ValueError(f"{name} must be a number in [0, 0.5), got {value!r}")
  if valid_fraction + test_fraction >= 0.5:
    raise ValueError(f"valid_fraction + test_fraction must be < 0.5 (the patterns need their "
                     f"premises in train), got {valid_fraction} + {test_fraction}")
  if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
    raise ValueError(f"seed must be an int, got {seed!r}")
  width, height = int(width), int(height)
  entities = np.array(sorted(f"cell_{x}_{y}" for x in range(width) for y in range(height)))
  names = sorted(set(relations))
  cell = {(x, y): int(np.searchsorted(entities, f"cell_{x}_{y}"))
          for x in range(width) for y in range(height)}
  position = {v: k for k, v in cell.items()}

  def target(name, x, y):
    if name == "mirror":
      return None if width - 1 - x == x else (width - 1 - x, y)
    dx, dy = _TRANSLATIONS[name]
    return (x + dx, y + dy) if (x + dx, y + dy) in cell else None

  triples = sorted((head, r, cell[target(name, *xy)]) for r, name in enumerate(names)
                   for xy, head in cell.items() if target(name, *xy) is not None)
  index = {t: i for i, t in enumerate(triples)}
  rel = {name: r for r, name in enumerate(names)}

  def premises(i):
    """Indices of the triples that imply triple i, or None when some are not planted."""
    head, r, tail = triples[i]
    if names[r] in _INVERSE:
      found = [index.get((tail, rel.get(_INVERSE[names[r]]), head))]
    else:  # northeast = east, then north
      x, y = position[head]
      middle = cell[(x + 1, y)]
      found = [index.get((head, rel.get("east"), middle)),
               index.get((middle, rel.get("north"), tail))]
    return None if None in found else found

  rng = np.random.default_rng(int(seed))
  wanted = [int(round(f * len(triples))) for f in (valid_fraction, test_fraction)]
  held, needed, chosen = set(), set(), []
  for i in rng.permutation(len(triples)).tolist():
    if len(chosen) == sum(wanted):
      break
    needs = premises(i)
    if needs is None or i in needed or any(p in held for p in needs):
      continue
    held.add(i)
    needed.update(needs)
    chosen.append(i)
  if sum(wanted) and not chosen:
    raise ValueError(f"relations {list(relations)} plant no pattern whose triples can be held "
                     "out (a translation needs its inverse, northeast needs east and north)")
  array = np.array(triples, dtype=np.int64).reshape(-1, 3)
  valid = np.sort(np.array(chosen[:wanted[0]], dtype=np.int64))
  test = np.sort(np.array(chosen[wanted[0]:], dtype=np.int64))
  train = np.setdiff1d(np.arange(len(triples)), np.concatenate([valid, test]))
  kg = KnowledgeGraph(array[train], array[valid], array[test], entities, np.array(names),
                      dropped={"valid": 0, "test": 0})
  planted = {}
  for kind, members in PATTERNS.items():
    planted[kind] = [m for m in members
                     if all(r in rel for r in ((m,) if isinstance(m, str) else m))]
  return kg, planted
