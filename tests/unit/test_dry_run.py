"""`harden --dry-run`: the changed tasks a run's events carry (diffs, secrets hidden), what the dry run
shows per host (diffs capped), and the question harden asks with its counts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from carehard.engine.results import ResultFolder
from carehard.engine.run import PlaybookRun, run_playbook
from carehard.model import ControlResult, HostOutcome, RunRecord, TaskChange
from carehard.report.dry_run import (
    capped,
    dry_run_of,
    nothing_to_change,
    question,
    report_lines,
    task_lines,
)
from tests.clirun import carehard
from tests.unit.test_cli import one_line_error

SSHD = "/etc/ssh/sshd_config.d/00-carehard.conf"


def changed(host: str, task: str, **res: Any) -> dict[str, Any]:
    return {
        "event": "runner_on_ok",
        "event_data": {"host": host, "task": task, "task_action": "ansible.builtin.copy", "res": res},
    }


def fold(*events: dict[str, Any]) -> dict[str, HostOutcome]:
    folder = ResultFolder(True, ())
    for e in events:
        folder.feed(e)
    return folder.outcomes()


def file_diff(path: str, before: str, after: str) -> list[dict[str, str]]:
    return [{"before": before, "after": after, "before_header": path, "after_header": path}]


def record(hosts: list[HostOutcome], level: int = 2, only: tuple[str, ...] = ()) -> RunRecord:
    controls = sorted({cid for h in hosts for cid in h.results}) or ["WL-SSH-04"]
    selection = {"inventory": "/srv/site", "limit": None, "only": list(only), "skip": []}
    return RunRecord(
        "r1", "audit", "t0", "t1", "0", level, selection, controls, 1, None, {h.name: h for h in hosts}
    )


def host_with(name: str, changes: dict[str, int], status: str = "fail") -> HostOutcome:
    """A reached host whose controls would make that many changes each."""
    host = HostOutcome(name)
    for cid, count in changes.items():
        tasks = [TaskChange(f"task {i}", (f"+line {i}",)) for i in range(count)]
        host.results[cid] = ControlResult(cid, status, "", True, tasks)
    return host


# ---- the changed tasks, as the folder reads them from the events ----------------------------


def test_a_changed_task_keeps_its_whole_diff_under_its_control() -> None:
    before = "".join(f"Setting{i} x\n" for i in range(100))
    after = before + "X11Forwarding no\n"
    out = fold(
        changed("h", "WL-SSH-04 | Disable X11 forwarding", changed=True, diff=file_diff(SSHD, before, after)),
        changed("h", "WL-SSH-04 | Read the configuration", changed=False),
    )
    result = out["h"].results["WL-SSH-04"]
    assert result.status == "fail"
    assert result.changes == [
        TaskChange(
            "Disable X11 forwarding", (f"--- {SSHD}", f"+++ {SSHD}", "@@ -100,0 +101 @@", "+X11Forwarding no")
        )
    ]


def test_every_item_of_a_loop_and_a_task_without_diff_count_as_changes() -> None:
    items = [
        {"changed": True, "diff": file_diff(f"/etc/modprobe.d/{m}.conf", "", f"install {m} /bin/false\n")}
        for m in ("cramfs", "udf")
    ]
    out = fold(
        changed("h", "WL-KRN-01 | Disable the modules", changed=True, results=items),
        changed("h", "WL-KRN-01 | Rebuild the initramfs", changed=True, msg="done"),
    )
    changes = out["h"].results["WL-KRN-01"].changes
    assert [c.task for c in changes] == ["Disable the modules", "Rebuild the initramfs"]
    assert "+install cramfs /bin/false" in changes[0].diff and "+install udf /bin/false" in changes[0].diff
    assert changes[1].diff == () and changes[1].hidden == ""


@pytest.mark.parametrize(
    "path",
    ["/etc/shadow", "/etc/gshadow-", "/etc/security/opasswd", "/etc/ssh/ssh_host_ed25519_key",
     "/etc/ssl/private/site.pem", "/root/.pgpass", "/etc/restic/password", "/etc/app/db-credentials.yml"],
)  # fmt: skip
def test_the_diff_of_a_secret_file_is_never_shown(path: str) -> None:
    out = fold(
        changed("h", "WL-ACC-01 | Lock it", changed=True, dest=path, diff=file_diff(path, "a\n", "s3cr3t\n"))
    )
    result = out["h"].results["WL-ACC-01"]
    assert result.changes == [TaskChange("Lock it", (), f"{path} holds secrets")]
    assert "s3cr3t" not in result.evidence and "holds secrets" in result.evidence


def test_public_files_next_to_secret_ones_keep_their_diff() -> None:
    for path in ("/etc/passwd", "/etc/ssh/ssh_host_ed25519_key.pub", "/etc/ssh/sshd_config"):
        out = fold(changed("h", "WL-ACC-01 | Fix it", changed=True, diff=file_diff(path, "a\n", "b\n")))
        assert "+b" in out["h"].results["WL-ACC-01"].changes[0].diff, path


def test_a_no_log_result_shows_no_diff_and_secrets_in_a_diff_are_removed() -> None:
    censored = {"censored": "hidden", "changed": True, "_ansible_no_log": True}
    leaky = file_diff("/etc/app.conf", "", "password = hunter22\n")
    out = fold(
        changed("h", "WL-ACC-02 | Set the password", **censored),
        changed("h", "WL-ACC-03 | Write the config", changed=True, diff=leaky),
    )
    assert out["h"].results["WL-ACC-02"].changes == [TaskChange("Set the password", (), "no_log")]
    assert "+password = ********" in out["h"].results["WL-ACC-03"].changes[0].diff
    assert "hunter22" not in "\n".join(out["h"].results["WL-ACC-03"].changes[0].diff)


def test_ansible_leaves_out_the_diff_of_a_no_log_task_in_its_events(tmp_path: Path) -> None:
    """Real ansible-playbook, check mode on this machine's loopback: copy shows the content of its no_log
    parameter `content` in its diff, unless the task is no_log; a file under a secret path is hidden."""
    playbook = tmp_path / "play.yml"

    def copy(name: str, dest: str, content: str, **more: Any) -> dict[str, Any]:
        return {
            "name": name,
            "ansible.builtin.copy": {"dest": str(tmp_path / dest), "content": content},
            **more,
        }

    tasks = [
        copy("WL-T-01 | Write a file", "a.conf", "visible\n"),
        copy("WL-T-02 | Write a secret", "b.conf", "hidden-by-no-log\n", no_log=True),
        copy("WL-T-03 | Write a key", "site.key", "key-bytes\n"),
    ]
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": tasks}]))
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    request = PlaybookRun(
        inventory={"all": {"hosts": {"localhost": local}}}, check_mode=True, tags=(), playbook=str(playbook)
    )
    folder = ResultFolder(True, ())
    run_playbook("dry-run-test", "dry-run-test", request, folder.feed)
    results = folder.outcomes()["localhost"].results
    assert "+visible" in results["WL-T-01"].changes[0].diff
    assert not (tmp_path / "a.conf").exists(), "check mode wrote the file"
    assert "hidden-by-no-log" not in repr(results.get("WL-T-02"))
    assert results["WL-T-03"].changes == [TaskChange("Write a key", (), f"{tmp_path}/site.key holds secrets")]


# ---- what the dry run shows --------------------------------------------------------------------


def test_a_long_diff_is_capped_with_the_count_of_lines_left_out() -> None:
    lines = [f"+line {i}" for i in range(100)]
    assert capped(lines, 40) == [*lines[:40], "... 60 more lines"]
    assert capped(lines[:40], 40) == lines[:40]
    shown = task_lines(TaskChange("Write the rules", tuple(lines)))
    assert shown[0] == "Write the rules:" and shown[-1] == "  ... 60 more lines" and len(shown) == 42


def test_a_task_without_diff_or_with_a_hidden_one_says_would_change() -> None:
    assert task_lines(TaskChange("Rebuild the initramfs")) == ["Rebuild the initramfs: would change"]
    assert task_lines(TaskChange("Lock root", (), "no_log")) == [
        "Lock root: would change (diff hidden: no_log)"
    ]


def test_the_report_lists_each_host_its_controls_and_their_diff_lines() -> None:
    busy = host_with("pacs-01", {"WL-SSH-04": 1, "WL-SSH-05": 2})
    busy.results["WL-LOG-01"] = ControlResult("WL-LOG-01", "pass", "ok")
    busy.results["WL-SVC-02"] = ControlResult("WL-SVC-02", "error", "broke")
    gone = HostOutcome("pacs-03", reachable=False)
    lines = report_lines(dry_run_of(record([busy, host_with("pacs-02", {}), gone])))
    assert lines == [
        "pacs-01: would make 3 changes on 2 controls",
        "  WL-SSH-04",
        "    task 0:",
        "      +line 0",
        "  WL-SSH-05",
        "    task 0:",
        "      +line 0",
        "    task 1:",
        "      +line 1",
        "  tasks broke, see the report: WL-SVC-02",
        "pacs-02: nothing would change",
        "pacs-03: unreachable, not evaluated",
        "Dry run: 3 changes on 2 controls, 2 hosts reached; nothing was changed.",
    ]


def test_a_waived_control_is_not_a_change_harden_would_make() -> None:
    host = host_with("h", {"WL-SSH-04": 1}, status="waived")
    dry = dry_run_of(record([host]))
    assert (dry.task_count, dry.control_count) == (0, 0)


# ---- the question harden asks ------------------------------------------------------------------


def test_the_question_counts_hosts_changes_and_distinct_controls() -> None:
    hosts = [
        host_with("a", {"WL-SSH-04": 2, "WL-SSH-05": 1}),
        host_with("b", {"WL-SSH-04": 1}),
        host_with("c", {}),
    ]
    dry = dry_run_of(record(hosts, level=2))
    assert question(dry, "site/") == "Harden 3 hosts of site/ at level 2: 4 changes on 2 controls?"


def test_the_question_in_the_singular_for_this_machine_and_with_only() -> None:
    dry = dry_run_of(record([host_with("localhost", {"WL-SSH-04": 1})], only=("WL-SSH-04",)))
    assert question(dry, None) == "Harden this machine with --only 1 control: 1 change on 1 control?"


def test_the_question_names_the_hosts_not_reached() -> None:
    hosts = [host_with("a", {"WL-SSH-04": 1}), HostOutcome("b", False), HostOutcome("c", False)]
    assert question(dry_run_of(record(hosts, level=3)), "inv.yml") == (
        "Harden 1 host of inv.yml at level 3: 1 change on 1 control (unreachable, left as they are: b, c)?"
    )


def test_nothing_to_change_is_said_instead_of_asked() -> None:
    dry = dry_run_of(record([host_with("a", {}), host_with("b", {})]))
    assert (
        nothing_to_change(dry, "site/")
        == "Nothing to change on 2 hosts of site/ at level 2: harden has nothing to do."
    )
    gone = dry_run_of(record([host_with("a", {}), HostOutcome("b", False)]))
    assert (
        nothing_to_change(gone, "site/")
        == "Nothing to change on 1 host of site/ at level 2 (unreachable, not evaluated: b)."
    )


# ---- the command line ------------------------------------------------------------------------


def test_dry_run_is_refused_where_harden_would_be(tmp_path: Path) -> None:
    result = carehard("harden", "--dry-run", "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "harden --dry-run without -i: give -i INVENTORY, or --local" in one_line_error(result.stderr)
    assert not (tmp_path / "out").exists()
