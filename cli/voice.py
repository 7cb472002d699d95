"""`kiosk voice build`: the spoken prompts made from the catalogue with espeak-ng.

For each screen's prompt (kiosk.voice) and each language of the catalogue, the prompt's text
in that language is read by espeak-ng into ``assets/voice/<language>/<state>.wav``. A file
there that no build made (a hall's recording) is left alone and played instead; a built file
whose text has not changed is not made again, so the build is quick when nothing changed
(`make` runs it every time). A prompt the catalogue has not translated yet gets no file in
that language: it is shown and not spoken. `kiosk voice list` prints each file's name and text,
for whoever records a hall's own voice.
"""

from __future__ import annotations

import argparse
import gettext
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from kiosk import assets, voice
from kiosk.config_file import replace
from kiosk.i18n import DOMAIN, LANGUAGES, SOURCE

EXIT_OK = 0
EXIT_FAILED = 1
# espeak-ng's voice for each catalogue language, and a pace an older listener can follow
ESPEAK_VOICES = {"zh_CN": "cmn", "en": "en-gb"}
WORDS_PER_MINUTE = 150


def texts(language: str) -> dict[str, str]:
    """file name -> the words, for every prompt the catalogue has in ``language``."""
    out: dict[str, str] = {}
    catalogue = gettext.translation(
        DOMAIN, localedir=str(assets.root() / "locale"), languages=[language], fallback=True
    )
    for state, msgid in voice.PROMPTS.items():
        words = msgid if language == SOURCE else catalogue.gettext(msgid)
        if language != SOURCE and words == msgid:
            continue  # not translated yet: shown in Chinese, not spoken
        out[f"{state.value}.wav"] = words
    return out


def speak(words: str, language: str, path: Path) -> None:
    """espeak-ng's reading of ``words`` written to ``path`` (a WAV file), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            ESPEAK_VOICES[language],
            "-s",
            str(WORDS_PER_MINUTE),
            "-w",
            str(tmp),
            "--",
            words,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    tmp.replace(path)


def build(root: Path, languages=LANGUAGES, say=speak) -> dict[str, int]:
    """Make what is missing or stale under ``root``; returns counts (made, kept, recorded).

    A file is the build's when its content is what the build wrote (the manifest keeps each
    file's SHA-256): anything else at that name, or an .ogg beside it, is a hall's recording."""
    counts = {"made": 0, "kept": 0, "recorded": 0}
    for language in languages:
        folder = root / language
        folder.mkdir(parents=True, exist_ok=True)
        made_before = voice.generated(folder)
        manifest: dict[str, dict[str, str]] = {}
        for name, words in texts(language).items():
            path = folder / name
            before = made_before.get(name)
            ours = path.is_file() and before is not None and before["sha256"] == _sha(path)
            if path.with_suffix(".ogg").is_file() or (path.is_file() and not ours):
                counts["recorded"] += 1
                continue
            if ours and before["text"] == words:
                counts["kept"] += 1
            else:
                say(words, language, path)
                counts["made"] += 1
            manifest[name] = {"text": words, "sha256": _sha(path)}
        for name in made_before.keys() - manifest.keys():  # a prompt gone or untranslated
            path = folder / name
            if path.is_file() and _sha(path) == made_before[name]["sha256"]:
                path.unlink()
        replace(
            folder / voice.MANIFEST,
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode(),
            backup=False,
        )
    return counts


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser("voice", help="make the spoken prompts; list them for recording")
    sub = p.add_subparsers(dest="voice_command", required=True, metavar="{build,list}")
    b = sub.add_parser("build", help="make each prompt's sound with espeak-ng (what is missing)")
    b.add_argument("--out", type=Path, default=None, help="default: the assets' voice folder")
    sub.add_parser("list", help="each prompt's file name and text, per language")
    return p


def run(args: argparse.Namespace) -> int:
    root = args.out if getattr(args, "out", None) else assets.root() / "voice"
    if args.voice_command == "list":
        for language in LANGUAGES:
            for name, words in texts(language).items():
                print(f"{language}/{name}\t{words}")
        return EXIT_OK
    if shutil.which("espeak-ng") is None:
        print("kiosk voice: espeak-ng is missing (Debian package espeak-ng)", file=sys.stderr)
        return EXIT_FAILED
    try:
        counts = build(root)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"kiosk voice: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"voice prompts in {root}: {counts['made']} made, {counts['kept']} unchanged, "
        f"{counts['recorded']} recorded by the hall"
    )
    return EXIT_OK
