"""The catalogue for kv rules: ``text: tr._('我已取走')`` re-evaluates when the language changes.

Kivy binds a rule to every ``object.attribute`` it reads; ``tr`` answers a binding to ``_`` by
remembering the rule and calling it again on a language switch, so screens built once show
the new language without being rebuilt.
"""

from __future__ import annotations

from kivy.event import Observable

from kiosk import i18n


class Translator(Observable):
    def __init__(self) -> None:
        super().__init__()
        self._rules: list[tuple] = []
        i18n.on_language(self._switched)

    def _(self, msgid: str) -> str:
        return i18n._(msgid)

    def fbind(self, name, func, *args, **kwargs):
        if name == "_":
            self._rules.append((func, args, kwargs))
            return len(self._rules)
        return super().fbind(name, func, *args, **kwargs)

    def funbind(self, name, func, *args, **kwargs):
        if name == "_":
            self._rules = [r for r in self._rules if r[0] != func or r[1] != args]
            return None
        return super().funbind(name, func, *args, **kwargs)

    def _switched(self, _lang: str) -> None:
        for func, args, _kwargs in list(self._rules):
            # Kivy's rule callbacks take (their bound arguments, instance, value): the rule's
            # arguments came as the one extra positional of fbind
            func(*args, None, None)


tr = Translator()
