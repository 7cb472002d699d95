"""Run one harness under atheris (libFuzzer): ``python -m fuzz.engine TARGET [libFuzzer args]``.

The harness module (and with it the project's modules it imports) is imported inside
``atheris.instrument_imports``, so libFuzzer sees the branches of kiosk/ and drivers/ and keeps
the inputs that reach new ones. Nothing else is instrumented: the standard library and the
third-party packages are not ours to fuzz here.
"""

from __future__ import annotations

import importlib
import shlex
import sys

import atheris

INSTRUMENTED = ["kiosk", "drivers"]


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit("usage: python -m fuzz.engine TARGET [libFuzzer arguments]")
    target = argv[1]
    with atheris.instrument_imports(include=INSTRUMENTED):
        module = importlib.import_module(f"fuzz.{target}")
    # libFuzzer starts itself again for -merge (through the shell, from argv[0]): name the
    # whole command, since this file is not a program of its own
    program = f"{shlex.quote(sys.executable)} -m fuzz.engine {shlex.quote(target)}"
    atheris.Setup([program, *argv[2:]], module.one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
