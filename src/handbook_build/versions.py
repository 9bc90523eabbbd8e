"""``--version``: this tool's version and those of the two engines that shape every edition."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from handbook_build import __version__


def version_line() -> str:
    return (f"handbook-build {__version__} (WeasyPrint {_package('weasyprint')}, "
            f"pandoc {_pandoc()}, Python {_python()})")


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _pandoc() -> str:
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_version())
    except (ImportError, OSError, RuntimeError):
        return "not found"


def _python() -> str:
    import platform

    return platform.python_version()
