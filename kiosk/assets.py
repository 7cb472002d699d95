"""Where the kiosk's assets are: the CJK font Kivy draws with, images, and the voice prompts.

In a checkout (and the production layout, /opt/kiosk with its .venv) they are the project's
``assets/`` folder; ``KIOSK_ASSETS`` points elsewhere (an image built differently). The font is
extracted from the system's Noto CJK collection when the kiosk is installed (`make` runs
``python -m screens.fonts``) and kept in ``assets/fonts/``; a kiosk whose assets folder it may
not write (it runs as its own user) keeps its extraction in its data directory instead.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "KIOSK_ASSETS"
_CHECKOUT = Path(__file__).resolve().parent.parent / "assets"


def root() -> Path:
    """The assets folder (read-only for the kiosk as far as it knows)."""
    value = os.environ.get(ENV, "").strip()
    return Path(value).expanduser() if value else _CHECKOUT


def image(name: str) -> Path:
    return root() / "images" / name


def voice(language: str) -> Path:
    """The folder of one language's voice prompts, one file per message id."""
    return root() / "voice" / language


def fonts(data_dir: Path | None = None) -> list[Path]:
    """Folders that may hold the extracted font, in order: the assets' own, then the data
    directory's (written when the assets folder is not the kiosk's to write)."""
    places = [root() / "fonts"]
    if data_dir is not None:
        places.append(Path(data_dir) / "fonts")
    return places


def writable(folder: Path) -> bool:
    """Can the kiosk keep a file here (creating the folder if need be)?"""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return os.access(probe, os.W_OK)
