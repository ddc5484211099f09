"""The history store: per-owner entries, atomic writes, deletion and retention."""

import json
import os
import time

import pytest

from genai_studio.history import ENTRY_FILE, History, Retention
from genai_studio.owners import Owner

ANN, BOB = Owner.for_user("ann"), Owner.for_user("bob")


def test_entries_survive_a_new_store_and_come_newest_first(tmp_path):
    store = History(tmp_path)
    first = store.save(ANN, "text", "smollm2", {"prompt": "a", "seed": 1}, "first", {"output.txt": b"one"})
    second = store.save(ANN, "text", "smollm2", {"prompt": "b", "seed": 2}, "second", {"output.txt": b"two"})
    reopened = History(tmp_path)  # as after a restart
    assert [e.id for e in reopened.entries(ANN)] == [second.id, first.id]
    entry = reopened.get(ANN, second.id)
    assert entry.params == {"prompt": "b", "seed": 2}
    assert entry.file("output.txt").read_bytes() == b"two"


def test_one_owner_never_sees_or_deletes_anothers_entries(tmp_path):
    store = History(tmp_path)
    mine = store.save(ANN, "speech", "hibari", {}, "ann's", {"speech.wav": b"RIFF"})
    assert store.entries(BOB) == [] and store.page(BOB) == ([], 0)
    assert store.get(BOB, mine.id) is None
    assert store.delete(BOB, mine.id) is False and store.delete_all(BOB) == 0
    assert store.get(ANN, mine.id) is not None


def test_pages_filter_by_task_and_count_all(tmp_path):
    store = History(tmp_path)
    made = [store.save(ANN, "text" if i % 3 else "music", "m", {"i": i}, str(i)).id for i in range(10)]
    entries, total = store.page(ANN, offset=2, limit=3)
    assert total == 10 and [e.id for e in entries] == made[::-1][2:5]
    music, count = store.page(ANN, task="music")
    assert count == 4 and {e.task for e in music} == {"music"}
    assert store.tasks(ANN) == ["music", "text"]


def test_entries_made_within_one_second_keep_their_order(tmp_path):
    store = History(tmp_path)
    made = [store.save(ANN, "text", "m", {"i": i}, str(i)).id for i in range(20)]
    assert [e.id for e in store.entries(ANN)] == made[::-1]


def test_unreadable_and_incomplete_entries_are_skipped(tmp_path):
    store = History(tmp_path)
    for i in range(3):
        store.save(ANN, "text", "m", {"i": i}, str(i), {"output.txt": b"x"})
    newest, middle, _ = store.entries(ANN)
    (newest.folder / ENTRY_FILE).write_text("{not json")
    (middle.folder / "output.txt").unlink()  # listed files must all exist
    assert len(store.entries(ANN)) == 1
    assert len(store.entries(ANN, limit=1)) == 1


def test_ids_from_users_never_become_paths(tmp_path):
    store = History(tmp_path / "h")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / ENTRY_FILE).write_text(json.dumps({"id": "x", "task": "t", "created": 0}))
    assert store.get(ANN, "../secret") is None
    assert store.get(ANN, "") is None
    with pytest.raises(ValueError):
        Owner("../h", "sneaky")


def test_no_partial_entry_is_left_when_saving_fails(tmp_path):
    store = History(tmp_path)
    with pytest.raises(OSError):
        store.save(ANN, "text", "m", {}, "s", {"a.txt": b"x", "b.txt": os.path.join(tmp_path, "missing")})
    assert store.entries(ANN) == []
    assert list((tmp_path / ANN.key).iterdir()) == []


def test_file_names_are_fixed_not_user_text(tmp_path):
    store = History(tmp_path)
    for name in ("../x", "entry.json", "a/b"):
        with pytest.raises(ValueError):
            store.save(ANN, "text", "m", {}, "s", {name: b"x"})


def test_delete_removes_the_files_from_disk_and_tells_listeners(tmp_path):
    store = History(tmp_path)
    removed = []
    store.on_removal(lambda owner_key, entry_id: removed.append((owner_key, entry_id)))
    one = store.save(ANN, "speech", "hibari", {}, "s", {"speech.wav": b"RIFF" * 100})
    two = store.save(ANN, "text", "m", {}, "s", {"output.txt": b"x"})
    assert store.delete(ANN, one.id)
    assert not one.folder.exists() and store.get(ANN, one.id) is None
    assert store.delete_all(ANN) == 1 and not two.folder.exists()
    assert removed == [(ANN.key, one.id), (ANN.key, two.id)]
    assert [p.name for p in (tmp_path / ANN.key).iterdir()] == []


def test_size_retention_prunes_the_oldest_first_and_keeps_the_newest(tmp_path):
    store = History(tmp_path, Retention(megabytes=1.0))
    blob = b"x" * 400_000
    made = [store.save(ANN, "music", "m", {}, str(i), {"music.wav": blob}).id for i in range(5)]
    assert [e.id for e in store.entries(ANN)] == made[:1:-1][:2]  # two fit in 1 MB: the newest two
    huge = store.save(BOB, "music", "m", {}, "big", {"music.wav": b"x" * 3_000_000})
    assert store.get(BOB, huge.id) is not None  # the newest entry stays even alone over the limit


def test_age_retention_prunes_old_entries_of_every_owner(tmp_path):
    store = History(tmp_path, Retention(days=7))
    old = store.save(ANN, "text", "m", {}, "old")
    new = store.save(ANN, "text", "m", {}, "new")
    bob_old = store.save(BOB, "text", "m", {}, "old")
    bob_new = store.save(BOB, "text", "m", {}, "new")
    later = time.time() + 3 * 86400
    assert store.prune_all(now=later) == 0
    assert store.prune_all(now=time.time() + 8 * 86400) == 2  # the newest of each owner stays
    assert store.get(ANN, old.id) is None and store.get(ANN, new.id) is not None
    assert store.get(BOB, bob_old.id) is None and store.get(BOB, bob_new.id) is not None


def test_retention_never_touches_a_result_being_written(tmp_path):
    store = History(tmp_path, Retention(days=1, megabytes=0.001))
    store.save(ANN, "text", "m", {}, "a", {"output.txt": b"x" * 2000})
    writing = tmp_path / ANN.key / f".tmp-host-{os.getpid()}-20200101-000000-000000-text-0000abcd"
    writing.mkdir()
    (writing / "output.txt").write_bytes(b"y" * 5000)
    store.save(ANN, "text", "m", {}, "b", {"output.txt": b"x" * 2000})
    store.prune_all(now=time.time() + 30 * 86400)
    assert writing.is_dir() and (writing / "output.txt").stat().st_size == 5000


def test_leftovers_of_interrupted_writes_are_removed_when_the_store_opens(tmp_path):
    store = History(tmp_path)
    kept = store.save(ANN, "text", "m", {}, "kept", {"output.txt": b"x"})
    import genai_studio.history as history_module

    host, parent = history_module._host(), os.getppid()
    dead = tmp_path / ANN.key / f".tmp-{host}-999999999-1-{kept.id}"
    dead.mkdir()
    (dead / "output.txt").write_bytes(b"half")
    alive = tmp_path / ANN.key / f".tmp-{host}-{parent}-{history_module._started(parent)}-{kept.id}"
    alive.mkdir()
    half_deleted = tmp_path / ANN.key / f".del-0000abcd-{kept.id}"
    half_deleted.mkdir()
    History(tmp_path)
    assert not dead.exists() and not half_deleted.exists()
    assert alive.exists()  # a live process may still be writing it
    assert [e.id for e in History(tmp_path).entries(ANN)] == [kept.id]


def test_leftovers_of_an_earlier_process_with_the_same_pid_are_removed(tmp_path):
    """A restarted container runs its server under the same pid as the one that was killed:
    that pid is alive, but the staging is an earlier life's."""
    import genai_studio.history as history_module

    host, pid, life = history_module._host(), os.getpid(), history_module._LIFE
    earlier = tmp_path / ANN.key / f".tmp-{host}-{pid}-{life - 1}-20200101-000000-000000-text-0000abcd"
    earlier.mkdir(parents=True)
    (earlier / "output.txt").write_bytes(b"half")
    ours = tmp_path / ANN.key / f".tmp-{host}-{pid}-{life}-20200101-000000-000001-text-0000abcd"
    ours.mkdir()  # another thread of this process is writing it
    History(tmp_path)
    assert not earlier.exists() and ours.exists()


def test_entries_from_before_owners_belong_to_the_person_at_the_machine(tmp_path):
    legacy_id = "20251101-120000-000001-text-0000abcd"
    (tmp_path / legacy_id).mkdir()
    record = {"id": legacy_id, "task": "text", "created": 1.0, "files": []}
    (tmp_path / legacy_id / ENTRY_FILE).write_text(json.dumps(record))
    store = History(tmp_path)
    assert [e.id for e in store.entries(Owner.local())] == [legacy_id]
    assert store.entries(ANN) == []
