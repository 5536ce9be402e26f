"""Release names read (by guessit), and releases judged for an item in one place."""
from .decide import Wanted, decide
from .decisions import Decisions, Rejection
from .parse import ParsedRelease, parse_release, title_key
from .preferences import Preferences

__all__ = ["Decisions", "ParsedRelease", "Preferences", "Rejection", "Wanted", "decide", "parse_release", "title_key"]
