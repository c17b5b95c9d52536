"""hwrender: turn text into realistic handwriting pages (PNG, JPEG, PDF).

The public API loads lazily so that ``import hwrender`` (and ``hwrender --help``) stay light:

    import hwrender
    hwrender.write("Hello World", "page.pdf")
    images = hwrender.render_pages("Hello World")
"""

__version__ = "0.1.0"

_API = {"write", "render_pages", "iter_pages", "RenderOptions", "RenderedPage"}

__all__ = sorted(_API | {"__version__"})


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'hwrender' has no attribute {name!r}")
