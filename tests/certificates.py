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


def make_server_certificate(ca: Path, name: str, addresses: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """A server certificate for `name` (and `addresses`), signed by make_ca's CA `ca`: (cert, key)."""
    directory = ca.parent
    key, request, cert = (directory / f"{name}.{suffix}" for suffix in ("key", "csr", "pem"))
    command = ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    command += ["-subj", f"/CN={name}", "-keyout", str(key), "-out", str(request)]
    subprocess.run(command, check=True, capture_output=True)
    names = ",".join([f"DNS:{name}", *(f"IP:{a}" for a in addresses)])
    extensions = directory / f"{name}.ext"
    extensions.write_text(f"subjectAltName={names}\nextendedKeyUsage=serverAuth\n", encoding="utf-8")
    command = [
        "openssl",
        "x509",
        "-req",
        "-in",
        str(request),
        "-CA",
        str(ca),
        "-CAkey",
        str(directory / "ca.key"),
    ]
    command += ["-CAcreateserial", "-days", "2", "-extfile", str(extensions), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key
