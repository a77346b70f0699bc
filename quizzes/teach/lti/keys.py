"""The tool's own RSA key: from LTI_PRIVATE_KEY (PEM) in production, else generated once into
var/ like the development secret key, so the JWKS the platforms cached stays valid."""

import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pylti1p3.registration import Registration


@cache
def private_key_pem() -> str:
    pem = settings.LTI_PRIVATE_KEY
    if not pem:
        path = Path(settings.LTI_PRIVATE_KEY_FILE)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            data = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # Created readable by us alone; O_EXCL so two workers starting at once keep one key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
        pem = path.read_text()
    try:
        serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"LTI_PRIVATE_KEY is not a PEM RSA private key: {error}"
        ) from None
    return pem


@cache
def public_key_pem() -> str:
    key = serialization.load_pem_private_key(private_key_pem().encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def jwks() -> dict:
    """The public half, as the platforms fetch it from /lti/jwks/ (kid is the key's thumbprint)."""
    return {"keys": [Registration.get_jwk(public_key_pem())]}
