"""EMNIST class sets and the release's class mapping files.

``byclass`` (62 classes): labels 0-9 are the digits, 10-35 ``A``-``Z``, 36-61 ``a``-``z``.
``balanced`` (47 classes): digits, the 26 capitals, then the 11 lower-case letters
``a b d e f g h n q r t``; the 15 lower-case letters that look like their capitals
(``c i j k l m o p s u v w x y z``) are merged into the capital's class. EMNIST ``bymerge`` uses
the same 47 labels, so its files load as ``balanced`` too.

The release describes each split's labels in ``emnist-<split>-mapping.txt``: one line
``<label> <ascii code>`` per class (``10 65`` is ``A``). A mapping that lists a merged class gives
the capital's code.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwrender.errors import InputError, UsageError

DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
# Lower-case letters that keep a class of their own in the 47-class sets, in label order.
BALANCED_LOWER = "abdefghnqrt"
# Lower-case letters merged into their capital's class in the 47-class sets.
MERGED_LOWER = "cijklmopsuvwxyz"


@dataclass(frozen=True)
class ClassSet:
    """An ordered set of classes: ``chars[label]`` is the character a label stands for."""

    name: str
    chars: str

    def __len__(self) -> int:
        return len(self.chars)

    def label(self, char: str) -> int:
        """The label a character is written under (merged lower case maps to its capital)."""
        if self.name == "balanced" and char in MERGED_LOWER:
            char = char.upper()
        index = self.chars.find(char)
        if len(char) != 1 or index < 0:
            raise UsageError(f"{char!r} is not an EMNIST {self.name} character",
                             f"use one of {self.chars}")
        return index

    def mapping(self) -> dict[int, str]:
        """Label -> character, as the release's mapping file lists it."""
        return dict(enumerate(self.chars))


BYCLASS = ClassSet("byclass", DIGITS + UPPER + LOWER)
BALANCED = ClassSet("balanced", DIGITS + UPPER + BALANCED_LOWER)
CLASS_SETS = {s.name: s for s in (BYCLASS, BALANCED)}
# Release split names whose labels follow one of the class sets above.
SPLIT_ALIASES = {"byclass": "byclass", "balanced": "balanced", "bymerge": "balanced"}

# byclass label -> balanced label: a lookup table so whole label arrays convert in one indexing step.
_TO_BALANCED = np.array([BALANCED.label(c) for c in BYCLASS.chars], dtype=np.int64)


def get(name: str) -> ClassSet:
    """The class set called ``name`` (``byclass`` or ``balanced``)."""
    try:
        return CLASS_SETS[name]
    except KeyError:
        raise UsageError(f"unknown EMNIST class set {name!r}",
                         f"use one of: {', '.join(CLASS_SETS)}") from None


def to_balanced(byclass_labels) -> np.ndarray:
    """byclass labels (0-61) -> balanced labels (0-46), merging the 15 look-alike lower-case letters."""
    labels = np.asarray(byclass_labels, dtype=np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= len(BYCLASS)):
        raise UsageError("byclass labels must lie in 0-61",
                         f"got {int(labels.min())}..{int(labels.max())}")
    return _TO_BALANCED[labels]


def parse_mapping(path: str | Path) -> dict[int, str]:
    """Read an ``emnist-<split>-mapping.txt`` file: label -> character."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise InputError(f"{path}: mapping file not found",
                         "give the folder holding emnist-<split>-mapping.txt") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the mapping file ({exc})",
                         "it must be plain ASCII text") from None
    mapping: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        try:
            label, code = (int(f) for f in fields)
            if label < 0 or not 0 < code < 0x110000:
                raise ValueError
        except ValueError:
            raise InputError(f"{path}:{number}: expected '<label> <character code>', "
                             f"got {line.strip()!r}",
                             "each line is two integers, e.g. '10 65' for A") from None
        if label in mapping:
            raise InputError(f"{path}:{number}: label {label} is listed twice",
                             "each label appears on one line only")
        mapping[label] = chr(code)
    if not mapping:
        raise InputError(f"{path}: the mapping file is empty",
                         "it lists one '<label> <code>' line per class")
    return mapping


def write_mapping(path: str | Path, classes: ClassSet | str) -> Path:
    """Write the mapping file of a class set in the release's format; returns the path."""
    class_set = get(classes) if isinstance(classes, str) else classes
    path = Path(path)
    path.write_text("".join(f"{label} {ord(char)}\n" for label, char in enumerate(class_set.chars)),
                    encoding="ascii")
    return path


def identify(mapping: dict[int, str]) -> str | None:
    """The name of the class set a mapping describes, or None if it matches neither."""
    for class_set in CLASS_SETS.values():
        if mapping == class_set.mapping():
            return class_set.name
    return None
