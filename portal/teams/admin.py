"""The user admin: Django's own, plus the one thing a change of a person's name does to their personal
team. Staff changing a name or username here is the only way either changes (people have no profile
form), so this is where the personal team's name follows."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from portal.teams.services import personal_team_name, team_personal_name_follow

User = get_user_model()


class PortalUserAdmin(UserAdmin):
    def save_model(self, request, obj, form, change):
        # The name the personal team was derived from, as stored before this save.
        previous = personal_team_name(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if previous is not None:
            team_personal_name_follow(user=obj, previous_name=previous, actor=request.user, request=request)


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
