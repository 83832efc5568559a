"""A change waiting for staff review, as people read it: before and after of each field, in words (grant
names, not codes), the proposed logo as an image. The staff review page and the developer's app page show
the same rows."""

from __future__ import annotations

from dataclasses import dataclass

from oauth2_provider.models import get_application_model

from portal.clients.models import TRANSFER_FIELD
from portal.teams.models import Team


@dataclass
class ChangeRow:
    field: str
    label: str
    before: object  # a list of values; for the logo, the file's URL
    after: object
    is_logo: bool = False


_URI_LISTS = ("redirect_uris", "post_logout_redirect_uris", "allowed_origins")


def _shown(name: str, value) -> list[str]:
    if name in _URI_LISTS:
        return str(value or "").split()
    if name == "grant_types":
        labels = dict(get_application_model().GRANT_TYPES)
        return [str(labels.get(grant, grant)) for grant in value]
    if name == "client_type":
        return [str(dict(get_application_model().CLIENT_TYPES).get(value, value))]
    return [str(value)] if value else []


def proposed_change_rows(*, application) -> list[ChangeRow]:
    """Before/after of a change waiting for review, in words a reviewer reads (the proposed logo as an
    image: it is stored, but not live, until staff approve it)."""
    rows = []
    fields = {name: field for name, field in ((f.name, f) for f in application._meta.fields)}
    for name, after in application.proposed_changes.items():
        field = fields.get(name)
        label = str(field.verbose_name) if field is not None else name
        label = label[:1].upper() + label[1:]
        if name == TRANSFER_FIELD:
            team = Team.objects.filter(pk=after).first()
            before_team = [application.team.name] if application.team_id else []
            rows.append(
                ChangeRow(name, "Team (publisher)", before_team, [team.name if team else "(deleted team)"])
            )
            continue
        if name == "logo":
            storage = application.logo.storage
            before = application.logo.url if application.logo else ""
            rows.append(ChangeRow(name, label, before, storage.url(after), is_logo=True))
            continue
        before = (
            application.registered_grant_types() if name == "grant_types" else getattr(application, name, "")
        )
        rows.append(ChangeRow(name, label, _shown(name, before), _shown(name, after)))
    return rows
