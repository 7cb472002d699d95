"""Every word the kiosk shows comes from one catalogue: gettext, with Chinese as the source.

Code marks a text with ``_()`` where it is shown (translated then, in the active language) or
with ``N_()`` where it is only named (a constant; translated where it is shown). A text with
values takes them by name, so a translation may order them as its language needs:
``_("办件编号：{case_no}").format(case_no=…)``. Babel extracts the marks into
assets/locale/kiosk.pot (`make i18n`); each language's .po beside it is a file to translate,
compiled to .mo when the kiosk is installed. Chinese needs no file: the source is the text.
Names that are data (an item's name, a department) come from the platform and are not marked.
"""

from __future__ import annotations

import gettext
import threading
from collections.abc import Callable

from kiosk import assets

DOMAIN = "kiosk"
SOURCE = "zh_CN"  # the language the code is written in
LANGUAGES = ("zh_CN", "en")

_lock = threading.Lock()
_active = SOURCE
_catalogues: dict[str, gettext.NullTranslations] = {}
_listeners: list[Callable[[str], None]] = []


def N_(msgid: str) -> str:
    """Mark a text for the catalogue without translating it here."""
    return msgid


def _(msgid: str) -> str:
    """The text in the active language (the source when the catalogue has no translation)."""
    if _active == SOURCE or not msgid:
        return msgid
    return _catalogue(_active).gettext(msgid)


def language() -> str:
    return _active


def set_language(lang: str) -> None:
    """Switch every text from now on; listeners (the screens) re-render."""
    global _active
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    if lang == _active:
        return
    _active = lang
    for listener in list(_listeners):
        listener(lang)


def on_language(listener: Callable[[str], None]) -> None:
    _listeners.append(listener)


def _catalogue(lang: str) -> gettext.NullTranslations:
    with _lock:
        found = _catalogues.get(lang)
        if found is None:
            found = gettext.translation(
                DOMAIN, localedir=str(assets.root() / "locale"), languages=[lang], fallback=True
            )
            _catalogues[lang] = found
        return found


def extract_kv(fileobj, keywords, comment_tags, options):
    """Babel extractor for .kv files: their rules are Python expressions, and a text is marked
    as ``tr._('…')`` (screens/tr.py), which the catalogue must hold like any other."""
    import ast
    import re

    pattern = re.compile(r"""\b_\(\s*(?P<q>['"])(?P<text>.*?)(?<!\\)(?P=q)\s*\)""")
    for lineno, raw in enumerate(fileobj, start=1):
        line = raw.decode(options.get("encoding", "utf-8")) if isinstance(raw, bytes) else raw
        for match in pattern.finditer(line):
            # the text as the rule's Python sees it ('\\n' is a line break), or tr._ misses it
            yield (
                lineno,
                "_",
                ast.literal_eval(match.group("q") + match.group("text") + match.group("q")),
                [],
            )
