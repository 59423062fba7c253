"""A family judged in one loop task: each item labelled "<ID> | <what>" is its control's result,
folded from the events of a real ansible-runner run (docs/writing-controls.md, "One probe, one
judgement")."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
import yaml

from carehard.engine.results import ResultFolder
from carehard.model import HostOutcome

ITEMS = [
    {"id": "WL-XX-01", "what": "Check the first thing", "status": "pass", "evidence": "first = 1 (/etc/x)."},
    {"id": "WL-XX-02", "what": "Check the 2nd thing", "status": "fail", "evidence": "second is 0, wanted 1."},
    {"id": "WL-XX-03", "what": "no such service on this host", "status": "na", "evidence": ""},
    {"id": "WL-XX-04", "what": "Read the fourth thing", "status": "error", "evidence": "cannot read /etc/y"},
]

PLAY = [
    {
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {"judged": ITEMS},
        "tasks": [
            {
                "name": "Report the controls whose state could not be read",
                "ansible.builtin.debug": {"msg": "{{ item.evidence }}"},
                "failed_when": True,
                "ignore_errors": True,
                "loop": "{{ judged | selectattr('status', 'eq', 'error') }}",
                "loop_control": {"label": "{{ item.id }} | {{ item.what }}"},
            },
            {
                "name": "Judge the controls",
                "ansible.builtin.assert": {
                    "that": "item.status == 'pass'",
                    "success_msg": "{{ item.evidence }}",
                    "fail_msg": "{{ item.evidence }}",
                    "quiet": True,
                },
                "ignore_errors": True,
                "when": "item.status != 'na'",
                "loop": "{{ judged | rejectattr('status', 'eq', 'error') }}",
                "loop_control": {"label": "{{ item.id }} | {{ item.what }}"},
            },
            {
                "name": "An ordinary loop, not a judgement",
                "ansible.builtin.debug": {"msg": "{{ item }}"},
                "loop": ["a", "b"],
            },
        ],
    }
]


def run(tmp_path: Path, check_mode: bool, play: list[dict[str, Any]]) -> tuple[HostOutcome, list[Any]]:
    """The host's outcome and what the folder said it touched, event by event."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
    (tmp_path / "pd").mkdir()
    folder = ResultFolder(check_mode, [i["id"] for i in ITEMS])
    touched: list[Any] = []
    bin_dir = str(Path(sys.executable).parent)
    result = ansible_runner.run(
        private_data_dir=str(tmp_path / "pd"),
        playbook=str(playbook),
        quiet=True,
        cmdline="--check" if check_mode else "",
        envvars={
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        },
        event_handler=lambda event: touched.extend(folder.feed(event)) or True,
    )
    assert result.rc == 0, result.stdout.read()
    return folder.outcomes()["localhost"], touched


@pytest.mark.parametrize("check_mode", [True, False])
def test_each_labelled_item_is_its_controls_result(tmp_path: Path, check_mode: bool) -> None:
    host, touched = run(tmp_path, check_mode, PLAY)
    got = {cid: (r.status, r.evidence) for cid, r in host.results.items()}
    assert got == {
        "WL-XX-01": ("pass", "first = 1 (/etc/x)."),
        "WL-XX-02": ("fail", "second is 0, wanted 1."),
        "WL-XX-03": ("not_applicable", "premise absent, skipped: no such service on this host"),
        "WL-XX-04": ("error", "Read the fourth thing: cannot read /etc/y"),
    }
    # The ignored failures are the controls' own: the host went on, and has no error of its own.
    assert host.errors == []
    # The progress display is told of each control judged.
    assert {c for _, c in touched} >= {"WL-XX-01", "WL-XX-02", "WL-XX-03", "WL-XX-04"}


def test_one_judging_loop_gives_the_errors_too(tmp_path: Path) -> None:
    """The judging assert alone, over every item: an item the judge gave status "error" fails it,
    and is that control's error, not a failed check (exit 3, not 1)."""
    judge = {**PLAY[0]["tasks"][1], "loop": "{{ judged }}"}
    host, _ = run(tmp_path, True, [{**PLAY[0], "tasks": [judge]}])
    got = {cid: (r.status, r.evidence) for cid, r in host.results.items()}
    assert got["WL-XX-04"] == ("error", "Read the fourth thing: cannot read /etc/y")
    assert got["WL-XX-02"] == ("fail", "second is 0, wanted 1.")
    assert got["WL-XX-01"][0] == "pass" and got["WL-XX-03"][0] == "not_applicable"
    assert host.errors == []


def test_a_loop_whose_items_were_all_skipped_still_gives_each_control(tmp_path: Path) -> None:
    """Ansible ends such a loop with a task event that has no items: each item's own event counts."""
    absent = [{**i, "status": "na", "what": "no such daemon on this host"} for i in ITEMS]
    play = [{**PLAY[0], "vars": {"judged": absent}, "tasks": PLAY[0]["tasks"][:2]}]
    host, _ = run(tmp_path, True, play)
    assert {cid: r.status for cid, r in host.results.items()} == {i["id"]: "not_applicable" for i in ITEMS}
    assert host.results["WL-XX-01"].evidence == "premise absent, skipped: no such daemon on this host"


def test_an_unlabelled_loop_stays_the_tasks(tmp_path: Path) -> None:
    host, touched = run(tmp_path, True, [{**PLAY[0], "tasks": [PLAY[0]["tasks"][2]]}])
    assert host.results == {} and ("localhost", None) in touched
