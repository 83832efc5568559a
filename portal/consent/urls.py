"""Connected apps, under /accounts/ (included before allauth's URLs). The authorization endpoint itself is
mounted in portal/urls.py, under DOT's namespace."""

from django.urls import path

from portal.consent import views

urlpatterns = [
    path("connected-apps/", views.connected_apps, name="connected_apps"),
    path(
        "connected-apps/<int:application_id>/revoke/", views.connected_app_revoke, name="connected_app_revoke"
    ),
]
