"""The anchor of the cold-start benchmark: a bare Kivy window with one label, nothing else.

Started exactly as bench/journey.py starts the kiosk (the same Python, display, window size and
Kivy settings: no argument parsing, no config.ini, Python logging, 30 frames a second at most),
it writes the wall-clock time of its first frame to KIOSK_READY_FILE, as the kiosk does, and
runs until it is terminated.

    python bench/bare_window.py 1080x1920
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main() -> None:
    width, height = sys.argv[1].split("x") if len(sys.argv) > 1 else ("1080", "1920")
    for key, value in (
        ("KIVY_NO_ARGS", "1"),
        ("KIVY_NO_CONFIG", "1"),
        ("KIVY_NO_FILELOG", "1"),
        ("KIVY_LOG_MODE", "PYTHON"),
        ("KIVY_HOME", os.path.join(tempfile.gettempdir(), "bench-bare-kivy")),
    ):
        os.environ.setdefault(key, value)
    from kivy.config import Config

    for key, value in (
        ("width", width),
        ("height", height),
        ("fullscreen", "0"),
        ("resizable", "0"),
        ("maxfps", "30"),
    ):
        Config.set("graphics", key, value)
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.label import Label

    ready = os.environ.get("KIOSK_READY_FILE")

    def first_frame(*_args) -> None:
        Window.unbind(on_flip=first_frame)
        if ready:
            with open(ready, "w") as f:
                f.write(f"{time.time():.6f}\n")

    class Bare(App):
        def build(self):
            Window.bind(on_flip=first_frame)
            return Label(text="one label", font_size=48)

    Bare().run()


if __name__ == "__main__":
    main()
