"""``hwrender write --help`` texts read from the code's own tables, so the help cannot drift.

The tables live in modules that import Pillow and numpy (``hwrender.render``) or load every plugin
(the registry), which ``hwrender --help`` and every other command must not pay for. So the texts
are filled in only when ``write``'s help is shown: ``WriteCommand.format_help`` replaces the
options' short fallback help with these (torch is never imported).
"""

from __future__ import annotations

from typing import Callable

from typer.core import TyperCommand


def _names(items, last: str = "or") -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def output_help() -> str:
    from ..render import FORMATS, WRITERS, page_paths

    pages = ", ".join(page_paths("page.png", 3))
    each = _names([w.name.upper() for w in WRITERS.values() if w.pages_per_file == "one"], "and")
    return (f"Output file, its suffix naming the format ({_names(FORMATS)}; .jpg is jpeg), or '-' "
            f"for standard output. A PDF holds every page; {each} write one file per page: "
            f"{pages}, … or a {{n}} pattern such as scan-{{n:03d}}.png.")


def format_help() -> str:
    from ..render import FORMATS

    return f"{_names(FORMATS)} (default: from the output's suffix)."


def generator_help() -> str:
    from ..registry import ANY_SCRIPT, default_registry
    from ..text.segment import COMMON

    registry = default_registry()
    scripts = [s for s in registry.scripts() if s != ANY_SCRIPT]
    shown = [f"{s} (digits, punctuation)" if s == COMMON else s for s in scripts]
    names = [s.name for s in registry.specs()]
    anything = "; the fallback takes any other ISO 15924 code" if registry.fallback() else ""
    return (f"Use generator NAME for a script, e.g. Latn=font (repeatable). Scripts: "
            f"{', '.join(shown)}{anything}. Generators: {', '.join(names)} "
            f"(what each writes: hwrender generators).")


def style_help() -> str:
    return ("A style of the generator that writes: a name, or a number for a seeded hand where "
            "the generator takes one. Each generator's styles and default: hwrender generators.")


def _colors(light: bool) -> list[str]:
    from ..render.colors import NAMED_COLORS

    # NAMED_COLORS mixes inks, papers and rule colours; dark ones suit ink, light ones paper,
    # and the mid-tones (rule-blue, margin-red) are for rules.
    def luma(rgb) -> float:
        return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]

    return [n for n, rgb in NAMED_COLORS.items() if (luma(rgb) > 200 if light else luma(rgb) < 128)]


def ink_help() -> str:
    return f"Ink colour: {', '.join(_colors(light=False))}, a CSS colour name or #rrggbb."


def paper_color_help() -> str:
    return f"Paper colour: white, {', '.join(_colors(light=True))}, a CSS colour name or #rrggbb."


def paper_help() -> str:
    from ..render import PAPER_KINDS

    return f"{_names(PAPER_KINDS)}."


def page_size_help() -> str:
    from ..layout import PAGE_SIZES

    sizes = [k.upper() if k[1:].isdigit() else k.title() for k in PAGE_SIZES]
    return f"{_names(sizes)}, or WxH with a unit (210x297mm, 8.5x11in)."


def device_help() -> str:
    from ..device import DEVICES

    return f"{_names(DEVICES)} (or cuda:N) for neural generators."


WRITE_HELP: dict[str, Callable[[], str]] = {
    "output": output_help,
    "fmt": format_help,
    "generator": generator_help,
    "style": style_help,
    "ink": ink_help,
    "paper_color": paper_color_help,
    "paper": paper_help,
    "page_size": page_size_help,
    "device": device_help,
}


def fill_help(params, texts: dict[str, Callable[[], str]]) -> None:
    """Replace each named parameter's help with its computed text (once)."""
    for param in params:
        make = texts.get(param.name)
        if make is not None and not getattr(param, "_help_filled", False):
            try:
                param.help = make()
            except Exception:  # a broken plugin must not take the help away: keep the fallback
                pass
            param._help_filled = True


class WriteCommand(TyperCommand):
    """``hwrender write``, whose option help is computed when the help is shown."""

    def format_help(self, ctx, formatter) -> None:
        fill_help(self.params, WRITE_HELP)
        return super().format_help(ctx, formatter)
