"""Saved voices are per owner and private: one owner never lists, uses or deletes another's."""

from __future__ import annotations

import stat

import pytest

from genai_studio.errors import InvalidInput
from genai_studio.owners import Owner
from genai_studio.voice_library import MAX_VOICES, VoiceLibrary

ANN, BOB = Owner.for_user("ann"), Owner.for_user("bob")


def test_a_saved_voice_is_its_owners_alone(tmp_path):
    library = VoiceLibrary(tmp_path)
    assert library.save(ANN, "  Warm   narrator ", "af_heart(0.5)+bf_emma(0.5)") == "my:Warm narrator"
    assert library.resolve(ANN, "my:Warm narrator") == "af_heart(0.5)+bf_emma(0.5)"
    assert library.choices(ANN) == {"my:Warm narrator": "★ Warm narrator (yours: af_heart(0.5)+bf_emma(0.5))"}
    assert library.choices(BOB) == {}
    with pytest.raises(InvalidInput, match="no saved voice named 'Warm narrator'"):
        library.resolve(BOB, "my:Warm narrator")
    with pytest.raises(InvalidInput, match="no saved voice"):
        library.delete(BOB, "my:Warm narrator")
    assert library.resolve(BOB, "af_bella") == "af_bella"  # not a saved name: the model checks it
    folder = tmp_path / ANN.key
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "voices.json").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [ANN.key]  # the owner's hash, never a user string
    library.delete(ANN, "my:Warm narrator")
    assert library.saved(ANN) == {}


def test_saving_again_replaces_and_the_count_is_bounded(tmp_path):
    library = VoiceLibrary(tmp_path)
    library.save(ANN, "A", "af_heart")
    library.save(ANN, "A", "bf_emma")
    assert library.saved(ANN) == {"A": "bf_emma"}
    for n in range(MAX_VOICES - 1):
        library.save(ANN, f"v{n}", "af_heart")
    with pytest.raises(InvalidInput, match="delete one first"):
        library.save(ANN, "one more", "af_heart")


@pytest.mark.parametrize("name", ["", "   ", None, "../etc", "x" * 41, "<b>", 7])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(InvalidInput):
        VoiceLibrary(tmp_path).save(ANN, name, "af_heart")


def test_a_damaged_file_reads_as_no_voices(tmp_path):
    library = VoiceLibrary(tmp_path)
    library.save(ANN, "A", "af_heart")
    (tmp_path / ANN.key / "voices.json").write_text("{not json")
    assert library.saved(ANN) == {}
