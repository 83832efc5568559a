from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ClientSecretHasher(PBKDF2PasswordHasher):
    """PBKDF2 with a work factor sized for client secrets rather than passwords.

    A client secret is 128 random characters from DOT's generator (far beyond brute force), so the
    1,000,000 PBKDF2 rounds Django spends on a human password buy nothing here, while costing ~0.5 s of CPU
    on every token, introspection and revocation request and turning the token endpoint into a
    denial-of-service lever. Secrets hashed by Django's default hasher (adopted DOT installs) still verify.
    """

    algorithm = "client_secret_pbkdf2_sha256"
    iterations = 10_000
