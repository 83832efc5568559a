from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneIterationPBKDF2Hasher(PBKDF2PasswordHasher):
    """What an operator of a stock DOT install can do by settings alone: a hasher with no stretching."""

    algorithm = "pbkdf2_one_iteration"
    iterations = 1
