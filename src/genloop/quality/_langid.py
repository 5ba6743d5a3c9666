"""Language identification with py3langid, whose model ships inside its PyPI package (no download).

py3langid is part of the ``quality`` extra; without it, a profile leaves languages out (with a note)
and a ``keep_languages`` clean step raises :class:`MissingDependency` with the install hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genloop.errors import MissingDependency

__all__ = ["LANGUAGE_MODEL", "detect_languages", "langid_available"]

LANGUAGE_MODEL = "py3langid (langid.py model bundled in the package, 97 languages)"
_MAX_CHARS = 2000  # a text's first characters decide its language; longer texts only cost time
_identifier: Any = None


def langid_available() -> bool:
    """Whether py3langid can be imported."""
    try:
        import py3langid  # noqa: F401
    except ImportError:
        return False
    return True


def _classifier() -> Any:
    global _identifier
    if _identifier is None:
        try:
            import py3langid
        except ImportError as exc:
            raise MissingDependency.for_extra("py3langid", "quality") from exc
        _identifier = py3langid
    return _identifier


def detect_languages(texts: Iterable[str]) -> list[str]:
    """The ISO 639-1 code of each text (``"und"`` for a text without letters)."""
    classifier = _classifier()
    out = []
    for text in texts:
        head = text[:_MAX_CHARS]
        if not any(ch.isalpha() for ch in head):
            out.append("und")
            continue
        out.append(classifier.classify(head)[0])
    return out
