"""The OpenSubtitles hash of a video file: its size plus the 64-bit little-endian words of its
first and last 64 KiB, modulo 2**64 (the algorithm OpenSubtitles documents, and subliminal computes)."""
from __future__ import annotations

import os
import struct

CHUNK = 64 * 1024
_WORDS = struct.Struct(f"<{CHUNK // 8}Q")


def opensubtitles_hash(path: str) -> str | None:
    """16 hex digits, or None for a file too small to hash (under 128 KiB) or that cannot be read."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size < 2 * CHUNK:
                return None
            head = file.read(CHUNK)
            file.seek(size - CHUNK)
            tail = file.read(CHUNK)
    except OSError:
        return None
    if len(head) < CHUNK or len(tail) < CHUNK:  # shrank while we read it
        return None
    total = size + sum(_WORDS.unpack(head)) + sum(_WORDS.unpack(tail))
    return f"{total & 0xFFFFFFFFFFFFFFFF:016x}"
