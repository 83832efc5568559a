from django.urls import path

from portal.api import views

urlpatterns = [
    path("me", views.me, name="api-me"),
    path("groups", views.groups, name="api-groups"),
]
