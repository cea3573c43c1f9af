"""CSV cells safe to open in a spreadsheet (OWASP "CSV injection"): text that a spreadsheet would run as a
formula (`=HYPERLINK(…)`, `+…`, `-…`, `@SUM(…)`, or behind a tab or carriage return) is written with a
leading single quote, which spreadsheets read as "this is text".

Numbers are never touched (a key result's -5 stays a number), and neither is text that is a plain number
("-5", "+3.5e2"): it cannot hold a formula and a spreadsheet reads it as that number anyway. The quote is
also added to text that already starts with quotes before such a character, so that `unescape` (the
import) gives back exactly what was exported.
"""

from __future__ import annotations

import re
from typing import Literal

CsvFormulas = Literal["escaped", "raw"]
_ESCAPABLE = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape(text: str) -> str:
    if _ESCAPABLE.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def unescape(text: str) -> str:
    """A cell as `escape` wrote it, back to the text (other cells unchanged)."""
    return text[1:] if _ESCAPED.match(text) else text
