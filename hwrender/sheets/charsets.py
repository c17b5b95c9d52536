"""What each template asks a writer for (template version 1; changing anything here changes the
sheets, so it needs a new ``layout.TEMPLATE_VERSION``).

- **latin**: every character of the Latin word GAN's charset (printable ASCII without the space,
  the Latin-1 letters, Latin Extended-A: 285 characters, frozen here as :data:`LATIN_CHARSET`;
  a test checks it equals the model's) in a box twice, ASCII first so the first character page
  alone gives the common ones, and a page of ruled words and sentences before them (the word GAN
  learns from words: common words, capitals, digits and punctuation in context, letter joins).
- **emnist**: the 62 EMNIST classes (digits, capitals, small letters) three times each.
- **hangul**: 210 syllables of KS X 1001, chosen as described in :data:`HANGUL_METHOD`.
- **cjk**: frequent simplified Han characters, as described in :data:`CJK_METHOD`.
"""

from __future__ import annotations

import string

LATIN_CHARSET = "".join(sorted(
    {chr(c) for c in range(33, 127)}
    | {chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)}
    | {chr(c) for c in range(0x100, 0x180)}))
EMNIST_CHARSET = string.digits + string.ascii_uppercase + string.ascii_lowercase

# Extra boxes that fill a page's last row: the commonest letters again.
_COMMON_LETTERS = "etaoinshrdlucmfwypvbgkjqxz"

LATIN_WORDS = (
    "the", "and", "of", "to", "in", "is", "you", "that", "with", "have", "this", "from",
    "would", "there", "about", "people", "little", "happy", "running", "through",
    "quickly", "beginning", "letter", "jazz", "queen", "extra", "writing",
    "Monday", "London", "Zoë", "Dear", "I'm", "don't", "well-known", "(yes)",
    "hello!", "why?", "me@home.org", "x+y=z", "50%", "$12.99", "£5", "10:45", "2024",
    "café", "naïve", "façade", "Łódź", "Dvořák", "smörgåsbord", "Æsop",
)
LATIN_LINES = (
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs!",
    "Sphinx of black quartz, judge my vow.",
    "On 12 May 2024 at 9:30 we paid $47.85 (tax incl.);",
    "\"Well,\" said Ada, \"it's 6 o'clock - see you soon!\"",
)

HANGUL_METHOD = "placeholder: the first 210 syllables of KS X 1001"
CJK_METHOD = "placeholder: the first 363 Han characters of GB 2312 level 1"


def _ksx1001_hangul() -> str:
    return "".join(bytes([row, col]).decode("euc_kr") for row in range(0xB0, 0xC9)
                   for col in range(0xA1, 0xFF))


def _gb2312_level1() -> str:
    out = []
    for row in range(0xB0, 0xD8):
        for col in range(0xA1, 0xFF):
            if row == 0xD7 and col > 0xF9:
                break
            out.append(bytes([row, col]).decode("gb2312"))
    return "".join(out)


HANGUL = _ksx1001_hangul()[:210]
CJK = _gb2312_level1()[:363]


def charset(kind: str) -> str:
    """The characters of a kind's template, each once, in the order they are first asked for."""
    return "".join(dict.fromkeys(box_sequence(kind)))


def box_sequence(kind: str) -> str:
    """The character of every char box, page after page."""
    if kind == "latin":
        ascii_, rest = LATIN_CHARSET[:94], LATIN_CHARSET[94:]
        seq = ascii_ * 2 + rest * 2
        return seq + _fill(len(seq), 195)
    if kind == "emnist":
        seq = EMNIST_CHARSET * 3
        return seq + _fill(len(seq), 195)
    if kind == "hangul":
        return HANGUL
    if kind == "cjk":
        return CJK
    raise KeyError(kind)


def _fill(n: int, per_page: int) -> str:
    """Common letters for the empty boxes of a last page."""
    return (_COMMON_LETTERS * 8)[:(-n) % per_page]
