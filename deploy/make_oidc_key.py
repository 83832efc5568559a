"""Print a new 2048-bit RSA private key for OIDC signing, as PEM (default) or base64 of the PEM (--base64).

    python deploy/make_oidc_key.py > oidc.pem                       # a file for OIDC_RSA_PRIVATE_KEY_FILE
    echo "OIDC_RSA_PRIVATE_KEY_BASE64=$(python deploy/make_oidc_key.py --base64)" >> portal.env

The image build uses it for a throwaway key that lives only during collectstatic.
"""

import base64
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pem = key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
print(base64.b64encode(pem).decode() if "--base64" in sys.argv[1:] else pem.decode(), end="")
