"""Subtitle languages as ISO 639-1 codes ("en", "fr"), read and checked by babelfish."""
from __future__ import annotations

from functools import lru_cache

from babelfish import Error as BabelfishError  # type: ignore[import-untyped]  # ships no types
from babelfish import Language


@lru_cache(maxsize=512)
def iso_639_1(code: str) -> str | None:
    """The two-letter code of a language given as ``en``, ``eng``, ``fre`` or ``pt-BR``; None if none is known."""
    code = code.strip()
    readers = (Language.fromalpha2, Language.fromalpha3b, Language.fromietf) if code.isascii() else ()
    for read in readers:
        try:
            return str(read(code.lower() if read is not Language.fromietf else code).alpha2)
        except (BabelfishError, ValueError, KeyError):
            continue
    return None


def is_iso_639_1(code: str) -> bool:
    """Whether ``code`` is itself a two-letter ISO 639-1 code, in lower case ("en", not "eng" or "EN")."""
    return len(code) == 2 and code.isascii() and code.islower() and iso_639_1(code) == code
