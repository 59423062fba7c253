#!/usr/bin/python
"""From a production host: can the backup repository be reached? It must not be (offline copy)."""

from __future__ import annotations

import os
import re
import socket
from typing import Any
from urllib.parse import urlsplit

DOCUMENTATION = r"""
module: backup_reach
short_description: Tell whether a restic repository can be reached from this host
description:
  - Run it on a production host. A local path counts as reachable when a restic repository (its
    C(config) file) is there, mounted or copied; a network repository when a TCP connection to its
    server opens. Needs no password and no restic, so the production host learns nothing secret.
  - Changes nothing; supports check mode.
options:
  repository: {description: The restic repository string., type: str, required: true}
  timeout: {description: Seconds to wait for a TCP connection., type: float, default: 3}
author: carehard
"""

RETURN = r"""
reachable: {description: Whether the repository can be reached from this host., type: bool}
how: {description: What was tried and what happened., type: str}
"""

CLOUD_ENDPOINTS = {
    "b2": ("api.backblazeb2.com", 443),
    "gs": ("storage.googleapis.com", 443),
    "azure": ("blob.core.windows.net", 443),
}


def endpoint(repository: str) -> tuple[str, int] | None:
    """The server and port behind a network repository, or None for a local path."""
    scheme, _, rest = repository.partition(":")
    if scheme == "sftp":
        if rest.startswith("//"):
            parts = urlsplit("sftp:" + rest)
            return parts.hostname or "", parts.port or 22
        host = rest.split(":", 1)[0].rsplit("@", 1)[-1]
        return host, 22
    if scheme == "rest":
        parts = urlsplit(rest)
        return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    if scheme == "s3":
        if "://" in rest:
            parts = urlsplit(rest)
            return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        return rest.split("/", 1)[0], 443
    if scheme in CLOUD_ENDPOINTS:
        return CLOUD_ENDPOINTS[scheme]
    if scheme in ("swift", "rclone"):
        return None
    return None


def probe(repository: str, timeout: float) -> tuple[bool, str]:
    scheme = repository.partition(":")[0]
    if scheme in ("swift", "rclone"):
        return True, f"{scheme}: repositories cannot be probed; count as reachable until proven otherwise"
    target = endpoint(repository)
    if target is None:
        return probe_path(repository.removeprefix("local:"))
    host, port = target
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, f"TCP connection to {host}:{port} opened"
    except OSError as exc:
        return False, f"no TCP connection to {host}:{port} ({exc.strerror or exc})"


def probe_path(path: str) -> tuple[bool, str]:
    config = os.path.join(path, "config")
    if os.path.isfile(config):
        return True, f"repository files present at {path} ({mount_of(path)})"
    if os.path.isdir(path):
        return False, f"{path} exists but holds no restic repository"
    return False, f"{path} is absent"


def mount_of(path: str) -> str:
    path = os.path.realpath(path)
    best = ("/", "")
    try:
        with open("/proc/self/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                fields = line.split()
                point = re.sub(r"\\040", " ", fields[1])
                if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) >= len(best[0]):
                    best = (point, f"{fields[0]} {fields[2]}")
    except OSError:
        return "mount unknown"
    return f"on {best[0]}: {best[1]}" if best[1] else f"on {best[0]}"


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "repository": {"type": "str", "required": True},
            "timeout": {"type": "float", "default": 3.0},
        },
        supports_check_mode=True,
    )
    reachable, how = probe(module.params["repository"], module.params["timeout"])
    result: dict[str, Any] = {"changed": False, "reachable": reachable, "how": how}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
