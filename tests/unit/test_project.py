"""The project frame: Space metadata, pins, and the README's two commands."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "README.md must start with Space front matter"
    return yaml.safe_load(match.group(1))


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("#")[0].split("==")
            found[name.split("[")[0].strip().lower()] = version.strip()
    return found


def test_readme_front_matter_matches_space_yaml():
    assert front_matter() == yaml.safe_load((ROOT / "space.yaml").read_text())


def test_space_metadata_points_at_what_exists_and_is_pinned():
    meta = front_matter()
    assert (ROOT / meta["app_file"]).is_file()
    assert meta["sdk"] == "gradio"
    assert meta["sdk_version"] == pins()["gradio"]
    assert str(meta["python_version"]) == "3.11"


def test_torch_is_pinned_exactly():
    assert pins()["torch"] == "2.13.0"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert "bash scripts/run.sh" in commands and "bash scripts/test.sh" in commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^bash scripts/test.sh$", ci, re.M)
