from django.urls import path

from portal.developer import team_views, usage, views

app_name = "developer"

urlpatterns = [
    path("", views.application_list, name="application_list"),
    path("terms/", views.terms, name="terms"),
    path("apps/new/", views.application_create, name="application_create"),
    path("apps/<int:pk>/", views.application_detail, name="application_detail"),
    path("apps/<int:pk>/usage/", usage.application_usage, name="application_usage"),
    path("apps/<int:pk>/usage.csv", usage.application_usage_csv, name="application_usage_csv"),
    path("apps/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("apps/<int:pk>/delete/", views.application_delete, name="application_delete"),
    path("apps/<int:pk>/secrets/rotate/", views.secret_rotate, name="secret_rotate"),
    path("apps/<int:pk>/secrets/<int:secret_pk>/revoke/", views.secret_revoke, name="secret_revoke"),
    path("apps/<int:pk>/tokens/", views.token_list, name="token_list"),
    path("apps/<int:pk>/tokens/<int:token_pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("apps/<int:pk>/tokens/revoke-all/", views.tokens_revoke_all, name="tokens_revoke_all"),
    path("apps/<int:pk>/transfer/", team_views.application_transfer, name="application_transfer"),
    path(
        "apps/<int:pk>/transfer/withdraw/",
        team_views.application_transfer_withdraw,
        name="application_transfer_withdraw",
    ),
    path("teams/", team_views.team_list, name="team_list"),
    path("teams/<int:pk>/", team_views.team_detail, name="team_detail"),
    path("teams/<int:pk>/invite/", team_views.team_invite, name="team_invite"),
    path(
        "teams/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        team_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("teams/<int:pk>/members/<int:member_pk>/role/", team_views.member_role, name="member_role"),
    path("teams/<int:pk>/members/<int:member_pk>/remove/", team_views.member_remove, name="member_remove"),
    path("teams/<int:pk>/leave/", team_views.team_leave, name="team_leave"),
    path("teams/<int:pk>/delete/", team_views.team_delete, name="team_delete"),
    path("teams/<int:pk>/audit/", team_views.team_audit, name="team_audit"),
    path(
        "invitations/<int:pk>/accept/", team_views.invitation_waiting_accept, name="invitation_waiting_accept"
    ),
    path(
        "invitations/<int:pk>/decline/",
        team_views.invitation_waiting_decline,
        name="invitation_waiting_decline",
    ),
    path("invitations/<str:token>/", team_views.invitation_accept, name="invitation_accept"),
]
