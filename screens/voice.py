"""The voice: each screen's prompt played as the screen opens (kiosk.voice), again on 再听一遍.

Kivy's SoundLoader plays the files (SDL2's mixer), each loaded once and kept: there are a few
dozen, and a prompt must start at once. What was played is kept in ``played`` (state and
language): the tests observe the sound layer, not a loudspeaker. A file that cannot be loaded
(no sound device, a damaged recording) is logged once and skipped: a kiosk without sound works.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kivy.core.audio import Sound, SoundLoader

from kiosk import voice
from kiosk.config import VoiceConfig
from kiosk.journey.states import State

log = logging.getLogger("kiosk.voice")


class Voice:
    def __init__(self, config: VoiceConfig, root: Path | None = None) -> None:
        self.enabled = config.enabled
        self.volume = config.volume
        self.root = root
        self.played: list[tuple[str, str]] = []  # (state, language), for the tests
        self._sounds: dict[Path, Sound | None] = {}
        self._playing: Sound | None = None
        self._last: tuple[State, str] | None = None

    def entered(self, state: State, language: str) -> None:
        """A screen opened: its prompt, unless it is one nobody may be in front of (idle)."""
        if voice.prompt(state) is None:
            self._last = None
            return
        self._last = (state, language)
        if state in voice.SPOKEN_ON_ENTRY:
            self.say(state, language)

    def repeat(self) -> None:
        """再听一遍: the current screen's prompt again, from the start."""
        if self._last is not None:
            self.say(*self._last)

    def say(self, state: State, language: str) -> None:
        if not self.enabled:
            return
        path = voice.sound_file(state, language, self.root)
        if path is None:
            return  # not made (or not translated) yet: shown, not spoken
        sound = self._load(path)
        if sound is None:
            return
        self.stop()
        sound.volume = self.volume
        sound.play()
        self._playing = sound
        self.played.append((state.value, language))

    def stop(self) -> None:
        if self._playing is not None and self._playing.state == "play":
            self._playing.stop()
        self._playing = None

    def _load(self, path: Path) -> Sound | None:
        if path not in self._sounds:
            sound = SoundLoader.load(str(path))
            if sound is None:
                log.warning("voice prompt %s could not be loaded: not spoken", path.name)
            self._sounds[path] = sound
        return self._sounds[path]
