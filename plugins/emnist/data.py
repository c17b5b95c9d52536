"""Read the EMNIST release in each of its published formats, and write sets in its IDX format.

Formats, each found by ``load`` from a folder or a file path:

* IDX (``emnist-<set>-<split>-images-idx3-ubyte[.gz]`` + ``...-labels-idx1-ubyte[.gz]``): magic
  0x00000803 / 0x00000801, big-endian uint32 dimensions, then uint8 data.
* Kaggle CSV (``emnist-<set>-<split>.csv``): one row per image, the label then 784 pixels.
* MATLAB (``emnist-<set>.mat``): struct ``dataset`` with ``train`` and ``test`` (each ``images``
  N x 784 uint8, ``labels`` N x 1, ``writers`` N x 1) and ``mapping`` (K x 2: label, ASCII code).

All three store every image transposed: the 784 bytes of an image, read row by row, walk the
upright character column by column. (The .mat rows are that same byte order, which MATLAB and
numpy's ``order="F"`` read as the upright image; the common Python loaders do ``reshape(N, 28, 28,
order="F")``, or a C-order reshape followed by a transpose.) ``load`` always returns upright
images, and ``write_idx`` transposes back, so synthetic sets and the real release go through the
same reader.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from hwrender.atomic import write_atomic
from hwrender.errors import InputError, UsageError

from . import classes as cls

SIDE = 28
IMAGES_MAGIC = 0x00000803  # unsigned byte data, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned byte data, 1 dimension
SPLITS = ("train", "test")
CSV_CHUNK_ROWS = 20_000  # rows parsed per numpy call: bounds memory on the 700k-row byclass file
_GZIP_MAGIC = b"\x1f\x8b"
_SET_NAME = re.compile(r"emnist-([a-z]+)")


@dataclass
class EmnistSet:
    """EMNIST images and labels, images upright (already transposed back from the files)."""

    images: np.ndarray  # uint8, N x 28 x 28, white ink (255) on black (0)
    labels: np.ndarray  # int64, N, in 0..len(class set)-1
    classes: str  # class set name: "byclass" or "balanced"
    mapping: dict[int, str] | None = None  # label -> character, as the files gave it (None: no mapping)
    writers: np.ndarray | None = None  # int64, N (the .mat files carry writer ids)
    source: str = ""  # where the data came from, for messages and model cards

    def __post_init__(self):
        images = self.images
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
            raise UsageError(f"EMNIST images must be uint8 N x {SIDE} x {SIDE}",
                             f"got {images.dtype} {images.shape}")
        if self.labels.shape != (len(images),):
            raise UsageError("EMNIST labels must be one per image",
                             f"{len(images)} images, labels of shape {self.labels.shape}")

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def class_set(self) -> cls.ClassSet:
        return cls.get(self.classes)


def load(path: str | Path, split: str = "train", classes: str = "byclass") -> EmnistSet:
    """Load one split of EMNIST from a folder (format found automatically) or from one file.

    In a folder, ``emnist-<classes>-<split>`` IDX files (gzipped or not) are tried first, then the
    Kaggle CSV, then ``emnist-<classes>.mat``. ``classes="balanced"`` also accepts ``bymerge``
    files (same 47 labels) and, failing both, byclass files whose labels it merges. A file path
    may name the images or labels IDX file, a CSV file or a .mat file.
    """
    if split not in SPLITS:
        raise UsageError(f"unknown EMNIST split {split!r}", f"use one of: {', '.join(SPLITS)}")
    cls.get(classes)
    path = Path(path).expanduser()
    if path.is_dir():
        found = _find_in_folder(path, split, classes)
    elif path.is_file():
        found = _identify_file(path)
    else:
        raise InputError(f"{path}: no such file or folder",
                         "give the folder holding the EMNIST files, or one of the files")
    kind, files, set_name = found
    if kind == "idx":
        images = _transpose(_read_idx(files[0], IMAGES_MAGIC))
        labels = _read_idx(files[1], LABELS_MAGIC).astype(np.int64)
        if images.shape[1:] != (SIDE, SIDE):
            raise InputError(f"{files[0]}: images are {images.shape[1]} x {images.shape[2]}, "
                             f"not {SIDE} x {SIDE}", "EMNIST images are 28 x 28")
        if len(images) != len(labels):
            raise InputError(f"{files[0].parent}: {len(images)} images but {len(labels)} labels "
                             f"({files[0].name}, {files[1].name})",
                             "the two files must come from the same split; download them again")
        writers, mapping = None, _mapping_beside(files[0], set_name)
    elif kind == "csv":
        images, labels = _read_csv(files[0])
        writers, mapping = None, _mapping_beside(files[0], set_name)
    else:
        images, labels, writers, mapping = _read_mat(files[0], split)
    return _as_class_set(images, labels, writers, mapping, set_name, classes,
                         source=", ".join(str(f) for f in files))


def write_idx(dataset: EmnistSet, out_dir: str | Path, split: str, *, name: str | None = None,
              compress: bool = True) -> tuple[Path, Path]:
    """Save a set as the release's ``emnist-<name>-<split>-{images-idx3,labels-idx1}-ubyte[.gz]``.

    Images are transposed on disk, as in the release. ``name`` defaults to the set's class set.
    gzip output has no timestamp, so the same set always gives the same bytes. Returns the
    (images, labels) paths.
    """
    if split not in SPLITS:
        raise UsageError(f"unknown EMNIST split {split!r}", f"use one of: {', '.join(SPLITS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images_path, labels_path = (out_dir / n for n in idx_names(name or dataset.classes, split, compress))
    if len(dataset) and (dataset.labels.min() < 0 or dataset.labels.max() > 255):
        raise UsageError("IDX labels are single bytes", "labels must lie in 0-255")
    on_disk = np.ascontiguousarray(dataset.images.transpose(0, 2, 1))
    labels = dataset.labels.astype(np.uint8)
    # written whole or not at all: an interrupted build never leaves half a file in place
    for path, data in ((images_path, _idx_header(IMAGES_MAGIC, on_disk.shape) + on_disk.tobytes()),
                       (labels_path, _idx_header(LABELS_MAGIC, labels.shape) + labels.tobytes())):
        write_atomic(path, _gzip(data) if compress else data)
    return images_path, labels_path


def idx_names(set_name: str, split: str, compress: bool = True) -> tuple[str, str]:
    """The release's file names for one split's images and labels."""
    suffix = ".gz" if compress else ""
    stem = f"emnist-{set_name}-{split}"
    return f"{stem}-images-idx3-ubyte{suffix}", f"{stem}-labels-idx1-ubyte{suffix}"


# --- finding the files -------------------------------------------------------------------------

def _find_in_folder(folder: Path, split: str, classes: str) -> tuple[str, list[Path], str]:
    """(format, files, release set name) of the first matching files in ``folder``."""
    set_names = ["byclass"] if classes == "byclass" else ["balanced", "bymerge", "byclass"]
    expected = []
    for set_name in set_names:
        for compress in (True, False):
            images, labels = (folder / n for n in idx_names(set_name, split, compress))
            if images.is_file() or labels.is_file():
                # One of a pair present: reading it reports the missing partner by name.
                return "idx", [images, labels], set_name
            expected.append(f"{images.name} + {labels.name}")
        candidates = [("csv", folder / f"emnist-{set_name}-{split}.csv"),
                      ("mat", folder / f"emnist-{set_name}.mat")]
        for kind, candidate in candidates:
            if candidate.is_file():
                return kind, [candidate], set_name
            expected.append(candidate.name)
    raise InputError(f"{folder}: no EMNIST {classes} {split} data; "
                     f"expected one of: {'; '.join(expected)}",
                     "download the EMNIST release (IDX, Kaggle CSV or MATLAB) into this folder")


def _identify_file(path: Path) -> tuple[str, list[Path], str | None]:
    """(format, files, release set name or None) for a file path given directly."""
    name = path.name
    match = _SET_NAME.match(name)
    set_name = match.group(1) if match else None
    if "-images-idx3-" in name:
        return "idx", [path, path.with_name(name.replace("-images-idx3-", "-labels-idx1-"))], set_name
    if "-labels-idx1-" in name:
        return "idx", [path.with_name(name.replace("-labels-idx1-", "-images-idx3-")), path], set_name
    lower = name.lower()
    if lower.endswith((".csv", ".csv.gz")):
        return "csv", [path], set_name
    if lower.endswith(".mat"):
        return "mat", [path], set_name
    raise InputError(f"{path}: not an EMNIST file name",
                     "expected *-images-idx3-ubyte[.gz], *-labels-idx1-ubyte[.gz], *.csv or *.mat")


def _mapping_beside(data_file: Path, set_name: str | None) -> dict[int, str] | None:
    """The release's mapping file next to a data file, if there is one."""
    if set_name is None:
        return None
    mapping_file = data_file.with_name(f"emnist-{set_name}-mapping.txt")
    return cls.parse_mapping(mapping_file) if mapping_file.is_file() else None


def _as_class_set(images, labels, writers, mapping, set_name, classes, source) -> EmnistSet:
    """Check the labels against the class set the files hold and convert them to ``classes``."""
    if mapping is not None:
        held = cls.identify(mapping)
        if held is None:
            raise InputError(f"{source}: its class mapping ({len(mapping)} classes) is neither "
                             "EMNIST byclass nor balanced/bymerge",
                             "hwrender reads the byclass, bymerge and balanced splits")
    elif set_name is not None and set_name in cls.SPLIT_ALIASES:
        held = cls.SPLIT_ALIASES[set_name]
    elif set_name is not None:
        raise InputError(f"{source}: EMNIST {set_name} is not a byclass or balanced split",
                         "hwrender reads the byclass, bymerge and balanced splits")
    else:
        held = classes  # a file named outside the release's scheme: trust the caller's class set
    n_classes = len(cls.get(held))
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise InputError(f"{source}: labels out of range {int(labels.min())}..{int(labels.max())} "
                         f"for {held} (0..{n_classes - 1})",
                         f"these files are not EMNIST {held}; pass the class set they hold")
    if held != classes:
        if classes == "byclass":
            raise InputError(f"{source}: holds the 47 merged {held} classes, not byclass",
                             "load it with classes='balanced', or use the byclass files")
        labels = cls.to_balanced(labels)
        mapping = cls.BALANCED.mapping() if mapping is not None else None
    return EmnistSet(images=images, labels=labels, classes=classes, mapping=mapping, writers=writers,
                     source=source)


# --- IDX ---------------------------------------------------------------------------------------

def _read_bytes(path: Path) -> bytes:
    """The whole file, un-gzipped when it starts with the gzip magic (whatever its name says)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found",
                         "the images and labels files of a split must sit side by side") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})",
                         "check the path and its permissions") from None
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{path}: truncated or corrupt gzip data ({exc})",
                         "download the file again") from None


def _read_idx(path: Path, magic: int) -> np.ndarray:
    """One IDX array of unsigned bytes with the expected magic number, as stored (not transposed)."""
    raw = _read_bytes(path)
    kind = "images (idx3)" if magic == IMAGES_MAGIC else "labels (idx1)"
    if len(raw) < 4:
        raise InputError(f"{path}: truncated: {len(raw)} bytes, too short for an IDX header",
                         "download the file again")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise InputError(f"{path}: bad magic number 0x{found:08x}, expected 0x{magic:08x} "
                         f"for IDX {kind}",
                         "this is not an EMNIST IDX file of that kind; check the images and labels "
                         "files are not swapped")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"{path}: truncated inside the IDX header", "download the file again")
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    size = int(np.prod(dims, dtype=np.int64))
    have = len(raw) - header
    if have < size:
        raise InputError(f"{path}: truncated: the header announces {dims} ({size} bytes), "
                         f"the file holds {have}",
                         "download the file again")
    if have > size:
        raise InputError(f"{path}: {have - size} bytes after the {dims} data the header announces",
                         "the header's counts do not match the data; download the file again")
    return np.frombuffer(raw, np.uint8, size, header).reshape(dims)


def _transpose(images: np.ndarray) -> np.ndarray:
    """Stored (transposed) images -> upright, as a new contiguous array."""
    return np.ascontiguousarray(images.transpose(0, 2, 1))


def _idx_header(magic: int, shape: tuple[int, ...]) -> bytes:
    return magic.to_bytes(4, "big") + np.asarray(shape, dtype=">u4").tobytes()


def _gzip(data: bytes) -> bytes:
    """gzip without a time stamp or a stored file name: identical sets give identical bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=6, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


# --- Kaggle CSV --------------------------------------------------------------------------------

def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Labels and upright images from a Kaggle CSV (label, then the 784 transposed pixels per row)."""
    text = io.TextIOWrapper(io.BytesIO(_read_bytes(path)), encoding="ascii", errors="strict")
    first = text.readline()
    if not first.strip():
        raise InputError(f"{path}: empty CSV file", "expected one row per image: label, then 784 pixels")
    # Kaggle's files have no header; a copy saved by pandas may have one: skip a non-numeric first row.
    lines = [] if not first.split(",")[0].strip().isdigit() else [first]
    line_no = 1 + (not lines)
    chunks = []
    while True:
        block = lines + list(islice(text, CSV_CHUNK_ROWS))
        lines = []
        if not block:
            break
        try:
            rows = np.loadtxt(block, delimiter=",", dtype=np.int32, ndmin=2)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: malformed CSV in lines {line_no}-{line_no + len(block) - 1} "
                             f"({exc})",
                             "expected integers only: label, then 784 pixels per row") from None
        if rows.shape[1] != 1 + SIDE * SIDE:
            raise InputError(f"{path}: rows have {rows.shape[1]} columns, expected {1 + SIDE * SIDE}",
                             "each row is the label, then 784 pixels")
        if rows.size and (rows[:, 1:].min() < 0 or rows[:, 1:].max() > 255):
            raise InputError(f"{path}: pixel values outside 0-255 in lines "
                             f"{line_no}-{line_no + len(block) - 1}",
                             "pixels are 8-bit grey levels")
        chunks.append(rows)
        line_no += len(block)
    rows = np.concatenate(chunks) if chunks else np.zeros((0, 1 + SIDE * SIDE), np.int32)
    images = _transpose(rows[:, 1:].astype(np.uint8).reshape(-1, SIDE, SIDE))
    return images, rows[:, 0].astype(np.int64)


# --- MATLAB ------------------------------------------------------------------------------------

def _read_mat(path: Path, split: str):
    """images (upright), labels, writers, mapping of one split of an ``emnist-<set>.mat`` file."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise InputError(f"{path}: reading EMNIST .mat files needs scipy",
                         "pip install scipy (or pip install 'hwrender[emnist]'), "
                         "or use the IDX files") from None
    try:
        mat = loadmat(path)
    except NotImplementedError:  # scipy's answer to MATLAB v7.3 (HDF5) files
        raise InputError(f"{path}: a MATLAB v7.3 (HDF5) file, which scipy cannot read",
                         "use the release's IDX files, or re-save the .mat with -v7") from None
    except Exception as exc:  # scipy raises many types (ValueError, TypeError, zlib.error...)
        raise InputError(f"{path}: not a readable MATLAB file ({type(exc).__name__}: {exc})",
                         "download the file again") from None
    dataset = _mat_field(path, mat, "dataset")
    part = _mat_field(path, dataset, split)
    images = np.asarray(_mat_field(path, part, "images"))
    labels = np.asarray(_mat_field(path, part, "labels")).reshape(-1)
    writers = np.asarray(_mat_field(path, part, "writers")).reshape(-1)
    mapping_rows = np.asarray(_mat_field(path, dataset, "mapping"))
    if images.ndim != 2 or images.shape[1] != SIDE * SIDE:
        raise InputError(f"{path}: dataset.{split}.images is {images.shape}, expected N x {SIDE * SIDE}",
                         "this is not an EMNIST .mat file")
    if len(labels) != len(images) or len(writers) != len(images):
        raise InputError(f"{path}: dataset.{split} has {len(images)} images, {len(labels)} labels and "
                         f"{len(writers)} writers", "the counts must match; download the file again")
    if images.size and (images.min() < 0 or images.max() > 255):
        raise InputError(f"{path}: dataset.{split}.images has values outside 0-255",
                         "pixels are 8-bit grey levels")
    if mapping_rows.ndim != 2 or mapping_rows.shape[1] != 2:
        raise InputError(f"{path}: dataset.mapping is {mapping_rows.shape}, "
                         "expected K x 2 (label, code)",
                         "this is not an EMNIST .mat file")
    mapping = {int(label): chr(int(code)) for label, code in mapping_rows}
    # Each row is the upright image in column-major (MATLAB) order: read it in Fortran order.
    upright = np.ascontiguousarray(images.astype(np.uint8).reshape(-1, SIDE, SIDE, order="F"))
    return upright, labels.astype(np.int64), writers.astype(np.int64), mapping


def _mat_field(path: Path, container, name: str):
    """A field of a loadmat struct (1 x 1 record arrays unwrapped), or an InputError naming it."""
    try:
        value = container[name]
    except (KeyError, ValueError, IndexError):
        raise InputError(f"{path}: no '{name}' in the MATLAB file",
                         "expected the release's layout: dataset.train/test.images/labels/writers, "
                         "dataset.mapping") from None
    # loadmat wraps every struct and cell in 1 x 1 arrays: unwrap down to the record or the data.
    while isinstance(value, np.ndarray) and value.dtype == object and value.size == 1:
        value = value.item()
    if isinstance(value, np.ndarray) and value.dtype.names is not None and value.size == 1:
        value = value.reshape(-1)[0]
    return value
