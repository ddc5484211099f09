"""Accounts from --auth pairs and --auth-file lines, plain or hashed."""

import subprocess
import sys

import pytest

from genai_studio.accounts import Accounts, AccountsError, hash_password
from genai_studio.config import Settings, SettingsError


def test_several_pairs_each_log_in_with_their_own_password():
    accounts = Accounts.from_settings("ann:one,bob:two", "")
    assert accounts.users == ["ann", "bob"]
    assert accounts.check("ann", "one") and accounts.check("bob", "two")
    assert not accounts.check("ann", "two") and not accounts.check("eve", "one")


def test_a_file_with_hashed_passwords(tmp_path):
    accounts_file = tmp_path / "accounts"
    accounts_file.write_text(f"# studio users\nann:{hash_password('s3cret:with colon')}\n\nbob:plain\n")
    accounts = Accounts.from_settings("", str(accounts_file))
    assert accounts.check("ann", "s3cret:with colon")
    assert not accounts.check("ann", hash_password("s3cret:with colon"))  # the hash is not a password
    assert accounts.check("bob", "plain")


def test_the_hashing_command_prints_a_usable_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "genai_studio.accounts", "carol"],
        input="hunter2\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out.startswith("carol:pbkdf2_sha256$") and "hunter2" not in out
    (tmp_path / "f").write_text(out + "\n")
    assert Accounts.from_settings("", str(tmp_path / "f")).check("carol", "hunter2")


@pytest.mark.parametrize(
    ("auth", "content", "message"),
    [
        ("ann", None, "pair 1"),
        ("ann:x,:y", None, "pair 2"),
        ("", "ann:x\nbroken\n", "line 2"),
        ("", "# nothing\n", "no accounts"),
        ("", "ann:pbkdf2_sha256$1$bad\n", "malformed"),
    ],
)
def test_bad_accounts_name_the_pair_or_line(tmp_path, auth, content, message):
    path = ""
    if content is not None:
        path = str(tmp_path / "accounts")
        (tmp_path / "accounts").write_text(content)
    with pytest.raises(AccountsError, match=message):
        Accounts.from_settings(auth, path)
    with pytest.raises(SettingsError, match=message):
        Settings(auth=auth, auth_file=path).check()


def test_a_missing_accounts_file_is_refused_at_start(tmp_path):
    with pytest.raises(SettingsError, match="auth-file"):
        Settings(auth_file=str(tmp_path / "nope")).check()
