"""The voices users blend and name: saved per owner, private, usable wherever a voice is asked.

A saved voice is a name and a Kokoro mix (`af_bella(0.6)+bf_emma(0.4)`); it is used as
`my:NAME` in the Speech tab, narration, Story and /v1/audio/speech, and resolved to its mix
for the owner asking before the request is checked, so a model only ever sees mixes. Each
owner's voices are one JSON file in a folder named by the owner's key (a hash: no user
string becomes a path), written atomically; nobody can list or use another owner's voices.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from pathlib import Path

from genai_studio.errors import InvalidInput
from genai_studio.inputs import shown
from genai_studio.owners import Owner

PREFIX = "my:"
MAX_VOICES = 50  # per owner
MAX_NAME_CHARS = 40
FILE = "voices.json"
_NAME = re.compile(r"^[^\W_][\w .'’-]*$")


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("Give the voice a name (e.g. Warm narrator).")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS or not _NAME.match(name):
        raise InvalidInput(
            f"The voice name {shown(name)} must be letters, digits, spaces, - or ', "
            f"at most {MAX_NAME_CHARS} characters."
        )
    return name


class VoiceLibrary:
    """Saved voices under `root/<owner key>/voices.json`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    def _file(self, owner: Owner) -> Path:
        return self.root / owner.key / FILE

    def saved(self, owner: Owner) -> dict[str, str]:
        """Name -> mix of `owner`'s voices, in the order saved."""
        try:
            data = json.loads(self._file(owner).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def save(self, owner: Owner, name: object, mix: str) -> str:
        """Save (or replace) `owner`'s voice `name` as `mix` (already checked); returns its id."""
        name = check_name(name)
        with self._lock:
            voices = self.saved(owner)
            if name not in voices and len(voices) >= MAX_VOICES:
                raise InvalidInput(f"You have {MAX_VOICES} saved voices: delete one first.")
            voices[name] = mix
            self._write(owner, voices)
        return PREFIX + name

    def delete(self, owner: Owner, voice: object) -> None:
        name = str(voice).removeprefix(PREFIX) if isinstance(voice, str) else ""
        with self._lock:
            voices = self.saved(owner)
            if name not in voices:
                raise InvalidInput(f"You have no saved voice {shown(voice)}.")
            del voices[name]
            self._write(owner, voices)

    def _write(self, owner: Owner, voices: dict[str, str]) -> None:
        folder = self._file(owner).parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as out:
            json.dump(voices, out, ensure_ascii=False, indent=1)
        os.chmod(out.name, 0o600)
        Path(out.name).replace(self._file(owner))

    def choices(self, owner: Owner) -> dict[str, str]:
        """Voice id (`my:NAME`) -> label, for pickers."""
        return {PREFIX + name: f"★ {name} (yours: {mix})" for name, mix in self.saved(owner).items()}

    def resolve(self, owner: Owner, voice: object) -> object:
        """The mix behind `owner`'s `my:NAME`; any other value is returned as it is (the model
        checks it). A `my:` name the owner has not saved is an InvalidInput."""
        if not (isinstance(voice, str) and voice.startswith(PREFIX)):
            return voice
        name = " ".join(voice[len(PREFIX) :].split())
        mix = self.saved(owner).get(name)
        if mix is None:
            raise InvalidInput(
                f"You have no saved voice named {shown(name)}: save it in the voice mixer first."
            )
        return mix
