"""Small helpers for reading responses as a person would."""

import re
from html import unescape


def page_text(response) -> str:
    """The visible text of an HTML response, tags removed and whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(text)).strip()
