"""Text segmentation: paragraphs, lines, words and Unicode script runs (pure Python)."""

from .segment import (
    BREAK_BETWEEN_CHARS,
    Break,
    Line,
    Paragraph,
    Run,
    Word,
    iter_paragraphs,
    iter_tokens,
    normalize,
    position,
    segment,
)

__all__ = ["BREAK_BETWEEN_CHARS", "Break", "Line", "Paragraph", "Run", "Word", "iter_paragraphs",
           "iter_tokens", "normalize", "position", "segment"]
