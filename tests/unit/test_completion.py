"""Shell completion as a shell asks for it: the real command in a subprocess with Click's
_CAREHARD_COMPLETE protocol, and bash itself running the script `bash_source` prints."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from carehard.catalog import Catalog, load_catalog
from carehard.engine.selection import AUDIT_FAMILIES
from tests.clirun import carehard


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def complete(words: str, shell: str = "bash", cword: str | None = None, **env: str) -> list[str]:
    """What the command answers the shell for the command line `words`, the cursor on its last word."""
    position = cword if cword is not None else str(len(words.split()) - (0 if words.endswith(" ") else 1))
    result = carehard(
        env={"_CAREHARD_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": position, **env}
    )
    assert result.returncode == 0 and not result.stderr, result.stderr
    return [line for line in result.stdout.splitlines() if line]  # Click answers nothing with a blank line


def ids(catalog: Catalog, prefix: str, families: tuple[str, ...] = AUDIT_FAMILIES) -> list[str]:
    return [c.id for c in catalog.all() if c.id.startswith(prefix) and c.family in families]


def test_only_completes_the_ids_audit_runs(catalog: Catalog) -> None:
    expected = ids(catalog, "WL-SSH-0")
    assert len(expected) == 9
    assert complete("carehard audit --only WL-SSH-0") == [f"plain,{cid}" for cid in expected]
    # lower case as typed; backup controls are not audit's
    assert complete("carehard harden --skip wl-ssh-0") == [f"plain,{cid}" for cid in expected]
    assert complete("carehard audit --only BK-") == []


def test_after_a_comma_the_last_id_completes_and_those_given_are_not_offered(catalog: Catalog) -> None:
    answers = complete("carehard audit --only WL-SSH-01,WL-S")
    assert answers == [f"plain,WL-SSH-01,{cid}" for cid in ids(catalog, "WL-S") if cid != "WL-SSH-01"]
    assert complete("carehard controls list --skip WW-NET-01,RA-VND-0") == [
        f"plain,WW-NET-01,{cid}" for cid in ids(catalog, "RA-VND-0")
    ]


def test_controls_show_completes_every_id_and_family_completes_family_names(catalog: Catalog) -> None:
    expected = ids(catalog, "BK-R", tuple(catalog.families))
    assert expected and complete("carehard controls show BK-R") == [f"plain,{cid}" for cid in expected]
    assert complete("carehard controls list --family ") == [
        f"plain,{name}" for name in sorted(catalog.families)
    ]
    assert complete("carehard controls list --family work") == [
        "plain,workstation_linux",
        "plain,workstation_windows",
    ]


def test_zsh_and_fish_get_the_ids_with_their_titles(catalog: Catalog) -> None:
    zsh = complete("carehard audit --only WL-SSH-01,WL-SSH-0", shell="zsh")
    assert zsh[:3] == ["plain", "WL-SSH-01,WL-SSH-02", catalog["WL-SSH-02"].title]
    fish = complete("carehard audit --only WL-SSH-01,WL-SSH-0", shell="fish", cword="WL-SSH-01,WL-SSH-0")
    assert fish[0] == f"plain,WL-SSH-01,WL-SSH-02\t{catalog['WL-SSH-02'].title}"
    # Click's fish script cut that answer at its second comma; ours splits on the first only.
    source = carehard(env={"_CAREHARD_COMPLETE": "fish_source"}).stdout
    assert (
        'string split -m 1 "," $completion' in source and "complete --no-files --command carehard" in source
    )


def test_a_catalog_that_does_not_read_completes_what_it_can_without_an_error(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "carehard" / "catalog" / "remote_access.yml"
    (tmp_path / "remote_access.yml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "workstation_linux.yml").write_text("family: [broken\n", encoding="utf-8")
    answers = complete("carehard controls show RA-VND-0", CAREHARD_CATALOG_DIR=str(tmp_path))
    assert answers and all(a.startswith("plain,RA-VND-0") for a in answers)
    assert complete("carehard controls show WL-", CAREHARD_CATALOG_DIR=str(tmp_path)) == []


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_with_the_script_bash_source_prints(tmp_path: Path, catalog: Catalog) -> None:
    """As a user's ~/.bashrc does it: eval the script, then TAB runs its function on COMP_WORDS."""
    command = tmp_path / "carehard"
    command.write_text(f'#!/bin/sh\nexec {sys.executable} -m carehard "$@"\n', encoding="utf-8")
    command.chmod(0o755)
    script = (
        'eval "$(_CAREHARD_COMPLETE=bash_source carehard)"\n'
        "COMP_WORDS=(carehard audit --only WL-SSH-01,WL-SSH-0); COMP_CWORD=3\n"
        "_carehard_completion carehard\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
        "complete -p carehard\n"
    )
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    expected = [f"WL-SSH-01,{cid}" for cid in ids(catalog, "WL-SSH-0") if cid != "WL-SSH-01"]
    assert lines[:-1] == expected
    assert lines[-1] == "complete -o nosort -F _carehard_completion carehard"
