import json
import os

import pytest

from genai_studio.history import ENTRY_FILE, History


def test_entries_survive_a_new_store_and_come_newest_first(tmp_path):
    store = History(tmp_path)
    first = store.save("text", "smollm2", {"prompt": "a", "seed": 1}, "first", {"output.txt": b"one"})
    second = store.save("text", "smollm2", {"prompt": "b", "seed": 2}, "second", {"output.txt": b"two"})
    reopened = History(tmp_path)  # as after a restart
    entries = reopened.entries()
    assert [e.id for e in entries][:2] == sorted([first.id, second.id], reverse=True)
    entry = reopened.get(second.id)
    assert entry.params == {"prompt": "b", "seed": 2}
    assert entry.file("output.txt").read_bytes() == b"two"


def test_entries_made_within_one_second_keep_their_order(tmp_path):
    store = History(tmp_path)
    made = [store.save("text", "m", {"i": i}, str(i)).id for i in range(20)]
    assert [e.id for e in store.entries()] == made[::-1]


def test_limit_and_unreadable_entries_are_skipped(tmp_path):
    store = History(tmp_path)
    for i in range(3):
        store.save("text", "m", {"i": i}, str(i))
    broken = store.entries()[0].folder / ENTRY_FILE
    broken.write_text("{not json")
    assert len(store.entries()) == 2
    assert len(store.entries(limit=1)) == 1


def test_ids_from_users_never_become_paths(tmp_path):
    store = History(tmp_path / "h")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / ENTRY_FILE).write_text(json.dumps({"id": "x", "task": "t", "created": 0}))
    assert store.get("../secret") is None
    assert store.get("") is None


def test_no_partial_entry_is_left_when_saving_fails(tmp_path):
    store = History(tmp_path)
    with pytest.raises(OSError):
        store.save("text", "m", {}, "s", {"a.txt": b"x", "b.txt": os.path.join(tmp_path, "missing")})
    assert store.entries() == []
    assert [p.name for p in tmp_path.iterdir()] == []


def test_file_names_are_fixed_not_user_text(tmp_path):
    store = History(tmp_path)
    for name in ("../x", "entry.json", "a/b"):
        try:
            store.save("text", "m", {}, "s", {name: b"x"})
        except ValueError:
            continue
        raise AssertionError(f"{name!r} was accepted")
