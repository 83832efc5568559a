"""Re-authentication before dangerous actions, with allauth's own flow.

`reauthentication_require(request)` is called by each dangerous write (rotating or revoking a secret,
deleting an app, revoking all tokens, changing redirect URIs or grant types, staff decisions marked
`reauthenticate = true` in portal/review/decisions.toml). Unless the person confirmed their password or
second factor within ACCOUNT_REAUTHENTICATION_TIMEOUT (allauth's records in the session; a sign-in itself
does not count), it raises allauth's ReauthenticationRequired. allauth's AccountMiddleware then keeps the
POST in the session, sends the person to the re-authentication page with `next` set to the POST's URL, and
afterwards replays the POST: what they typed (a name to confirm, a grace period, a reason) is not lost, and
the action completes.

allauth keeps the POST's fields, not its files. A view whose form carries one (an app edit with a new logo)
passes the validated file as `keep`: it is stored through Django's storage (the file system, or S3) under a
random name, the session remembers it, and a random token is added to the kept POST. The replay, and only
the replay, brings that token back; `kept_file_take` then returns the file and deletes the stored copy.
A file whose re-authentication is never finished is deleted by the daily `cleartokens`
(`kept_files_purge`).

An htmx request cannot follow a redirect to a full page (htmx would paste it into the fragment), so
`HtmxReauthenticationMiddleware` answers it with HX-Redirect to the same page. The kept POST is stored
without its htmx headers, so the replay answers as a plain form post would (a full page or a redirect).
"""

from __future__ import annotations

import posixpath
import secrets
import uuid
from collections.abc import Callable
from datetime import timedelta

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows import reauthentication
from allauth.core.exceptions import ReauthenticationRequired
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

# The field added to a kept POST that carried a file, and where the session remembers that file.
KEPT_FILE_FIELD = "reauth_kept_file"
_KEPT_FILE_SESSION_KEY = "portal_reauth_kept_file"
KEPT_FILE_DIRECTORY = "reauth-kept"
# A kept file is an already validated one (a logo is a 256×256 PNG by then); this only bounds the storage
# a session can hold and what is read back.
KEPT_FILE_MAX_BYTES = 1024 * 1024
KEPT_FILE_MAX_AGE = timedelta(days=1)


def reauthentication_require(request: HttpRequest, *, keep: File | None = None) -> None:
    """Raise ReauthenticationRequired unless the person re-authenticated recently. `keep`: a validated
    file of this POST, which the replay gets back from `kept_file_take`."""
    if reauthentication.did_recently_reauthenticate(request):
        return
    if keep is not None:
        _keep_file(request, keep)
    raise ReauthenticationRequired()


def _keep_file(request: HttpRequest, content: File) -> None:
    if content.size is None or content.size > KEPT_FILE_MAX_BYTES:
        raise ValueError(f"A file kept through re-authentication is at most {KEPT_FILE_MAX_BYTES} bytes.")
    _kept_file_discard(request)  # one kept at a time: an earlier re-authentication was not finished
    extension = posixpath.splitext(content.name or "")[1][:8]
    name = default_storage.save(f"{KEPT_FILE_DIRECTORY}/{uuid.uuid4().hex}{extension}", content)
    token = secrets.token_urlsafe(24)
    request.session[_KEPT_FILE_SESSION_KEY] = {
        "token": token,
        "name": name,
        "path": request.path,
        "user": str(request.user.pk),
    }
    # allauth serialises request.POST when the exception reaches its middleware: the token goes with it.
    post = request.POST.copy()
    post[KEPT_FILE_FIELD] = token
    post._mutable = False
    request.POST = post  # type: ignore[assignment]  # the stubs' immutable QueryDict is a typing-only class


def kept_file_expected(request: HttpRequest) -> bool:
    """Whether this POST is a replay that had a file kept for it (which `kept_file_take` may no longer
    find, after a day or once taken)."""
    return bool(request.POST.get(KEPT_FILE_FIELD))


def kept_file_take(request: HttpRequest) -> ContentFile | None:
    """The file kept for this replayed POST, read back into memory; the stored copy is deleted. None when
    this POST is not such a replay, or the file is gone. The caller validates it again, as any upload."""
    token = request.POST.get(KEPT_FILE_FIELD)
    if not token:
        return None
    entry = request.session.get(_KEPT_FILE_SESSION_KEY)
    if not entry or not constant_time_compare(token, entry["token"]):
        return None
    if entry["path"] != request.path or entry["user"] != str(request.user.pk):
        return None
    del request.session[_KEPT_FILE_SESSION_KEY]
    try:
        with default_storage.open(entry["name"], "rb") as stored:
            data = stored.read(KEPT_FILE_MAX_BYTES + 1)
    except FileNotFoundError:  # purged: the re-authentication came more than a day later
        return None
    finally:
        default_storage.delete(entry["name"])
    if len(data) > KEPT_FILE_MAX_BYTES:
        return None
    return ContentFile(data, name=posixpath.basename(entry["name"]))


def _kept_file_discard(request: HttpRequest) -> None:
    entry = request.session.pop(_KEPT_FILE_SESSION_KEY, None)
    if entry:
        default_storage.delete(entry["name"])


def kept_files_purge(*, older_than: timedelta = KEPT_FILE_MAX_AGE) -> int:
    """Delete kept files whose re-authentication was never finished; return how many."""
    try:
        _directories, names = default_storage.listdir(KEPT_FILE_DIRECTORY)
    except FileNotFoundError:  # nothing was ever kept (the file system; S3 lists an empty prefix)
        return 0
    cutoff = timezone.now() - older_than
    purged = 0
    for name in names:
        path = f"{KEPT_FILE_DIRECTORY}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            purged += 1
    return purged


class HtmxReauthenticationMiddleware:
    """Listed after allauth's AccountMiddleware, so it sees the exception first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ReauthenticationRequired) or not getattr(request, "htmx", False):
            return None
        for header in [key for key in request.META if key.startswith("HTTP_HX_")]:
            del request.META[header]
        methods = get_adapter().get_reauthentication_methods(request.user)
        target = methods[0]["url"] if methods else "/accounts/login/"
        redirect = reauthentication.suspend_request(request, target)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = redirect["Location"]
        return response
