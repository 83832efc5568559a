"""Staff pages, mounted at /staff/. Every view 404s for anyone who is not staff (portal/review/access.py)."""

from django.urls import path

from portal.audit import views as audit_views
from portal.review import introspection, views

app_name = "staff"

urlpatterns = [
    path("", views.review_queue, name="review_queue"),
    path("apps/<int:pk>/", views.application_review, name="application_review"),
    path("apps/<int:pk>/approve/", views.application_approve, name="application_approve"),
    path("apps/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path(
        "apps/<int:pk>/change/approve/", views.application_approve_change, name="application_approve_change"
    ),
    path("apps/<int:pk>/change/reject/", views.application_reject_change, name="application_reject_change"),
    path("apps/<int:pk>/trust/", views.application_trust, name="application_trust"),
    path("apps/<int:pk>/untrust/", views.application_untrust, name="application_untrust"),
    path("apps/<int:pk>/suspend/", views.application_suspend, name="application_suspend"),
    path("apps/<int:pk>/reinstate/", views.application_reinstate, name="application_reinstate"),
    path("apps/<int:pk>/allow-grant/", views.application_allow_grant, name="application_allow_grant"),
    path(
        "apps/<int:pk>/introspection/",
        introspection.application_introspection,
        name="application_introspection",
    ),
    path("audit/", audit_views.event_list, name="audit_log"),
]
