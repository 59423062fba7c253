"""No secret of the inventory or the hosts reaches a report, in any format."""

from __future__ import annotations

from typing import Any

from carehard.catalog import load_catalog
from carehard.engine.results import ResultFolder
from carehard.model import RunRecord
from carehard.report import build_report, renderers

PASSWORD = "Sup3r-s3cret-pw"
VAULT = (
    "$ANSIBLE_VAULT;1.1;AES256\n"
    "30653562316330396137653739356461646365636265653533363634663936636566373366383032\n"
    "3234363336373036363230396163653236633032393263310a313232633532323561363865326566"
)
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
PRIVATE_KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----"


def event(
    kind: str, task: str, res: dict[str, Any], action: str = "ansible.builtin.assert"
) -> dict[str, Any]:
    return {"event": kind, "event_data": {"host": "ws-01", "task": task, "task_action": action, "res": res}}


def test_no_format_carries_a_password_a_vault_blob_or_a_private_key() -> None:
    folder = ResultFolder(check_mode=True, controls=["WL-SSH-01", "WL-SSH-02", "RA-KEY-02"])
    folder.feed(
        event("runner_on_failed", "WL-SSH-01 | Check", {"msg": f"login with password={PASSWORD} works"})
    )
    folder.feed(event("runner_on_failed", "WL-SSH-02 | Check", {"msg": f"found in sshd_config: {VAULT}"}))
    folder.feed(
        event("runner_on_failed", "RA-KEY-02 | Check", {"msg": f"key file holds {PRIVATE_KEY} and more"})
    )
    hosts = folder.outcomes()
    run = RunRecord(
        id="r1",
        mode="audit",
        started="2026-11-26T00:00:00+00:00",
        finished="2026-11-26T00:01:00+00:00",
        carehard_version="test",
        level=2,
        selection={"inventory": "site", "limit": None, "only": [], "skip": []},
        controls=sorted(folder.controls),
        exit_code=1,
        hosts=hosts,
    )
    assert hosts["ws-01"].results["RA-KEY-02"].status == "fail"
    report = build_report(run, load_catalog())
    for name, (_, render) in renderers().items():
        text = render(report)
        for secret in (PASSWORD, "30653562316330396137653739356461", KEY_BODY):
            assert secret not in text, (name, secret)
        assert "and more" in text or name == "md", name  # the evidence around the secret stays
