"""Real certificates made with openssl for the tests: a CA, as an establishment exports its AD CS root."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_ca(directory: Path, name: str = "CHU Example Root CA") -> Path:
    """A self-signed CA certificate (PEM) in `directory`, its key beside it; the certificate's path."""
    directory.mkdir(parents=True, exist_ok=True)
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    command += ["-subj", f"/CN={name}", "-days", "2", "-keyout", str(directory / "ca.key")]
    subprocess.run([*command, "-out", str(directory / "ca.pem")], check=True, capture_output=True)
    return directory / "ca.pem"
