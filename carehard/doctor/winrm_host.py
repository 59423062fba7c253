"""A Windows host (WinRM): the connection settings carehard would use, then that the WinRM port answers."""

from __future__ import annotations

import socket

from carehard.doctor.problem import StepFailed, describe, step
from carehard.engine import winrm
from carehard.engine.inventory import InventoryHost
from carehard.errors import UsageError


def check_winrm(host: InventoryHost, timeout: float) -> None:
    with step("winrm-auth"):
        # The settings carehard runs the host with (transport, scheme, port), and what they need here.
        try:
            settings = winrm.connection_vars(host)
        except winrm.WinRMSettingError as exc:
            raise StepFailed("winrm-auth", exc.detail) from None
        except UsageError as exc:
            raise StepFailed("winrm-auth", str(exc)) from None
    scheme, port = winrm.endpoint(settings)
    if port is None:
        raise StepFailed(
            "winrm-port",
            "the WinRM port or scheme is a template doctor cannot evaluate: "
            "give ansible_port (and ansible_winrm_scheme) as plain values to check it",
        )
    https = scheme != "http"
    listener = "HTTPS" if https else "HTTP"
    fix = (
        f"enable the WinRM {listener} listener on the host "
        f"(`winrm quickconfig{' -transport:https' if https else ''}`) "
        f"and allow TCP {port} in Windows Defender Firewall"
    )
    with step("winrm-port"):
        try:
            socket.create_connection((host.address, port), timeout=timeout).close()
        except socket.gaierror as exc:
            raise StepFailed(
                "winrm-port", f"cannot resolve {host.address} ({exc.strerror}): fix ansible_host or DNS"
            ) from None
        except ConnectionRefusedError:
            raise StepFailed(
                "winrm-port", f"WinRM port {port} is closed (connection refused): {fix}"
            ) from None
        except TimeoutError:
            raise StepFailed(
                "winrm-port",
                f"no answer on WinRM port {port} within {timeout:g}s (host down or port filtered): "
                f"check the address and network, then {fix}",
            ) from None
        except OSError as exc:
            raise StepFailed(
                "winrm-port",
                f"WinRM port {port} unreachable: {describe(exc)}: check address and network, then {fix}",
            ) from None
