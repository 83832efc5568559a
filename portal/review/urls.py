"""Staff pages, mounted at /staff/. Every view 404s for anyone who is not staff (portal/access.py)."""

from django.urls import path

from portal.audit import views as audit_views
from portal.review import dashboard, introspection, views
from portal.review.decisions import DECISIONS

app_name = "staff"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("queue/", views.review_queue, name="review_queue"),
    path("apps/<int:pk>/", views.application_review, name="application_review"),
    path("apps/<int:pk>/usage/", dashboard.application_usage, name="application_usage"),
    path("apps/<int:pk>/usage.csv", dashboard.application_usage_csv, name="application_usage_csv"),
    # One URL per staff decision, named staff:application_<code>, all served by one view.
    *(
        path(
            f"apps/<int:pk>/{decision.path}",
            views.application_decide,
            {"code": decision.code},
            name=f"application_{decision.code}",
        )
        for decision in DECISIONS
    ),
    path("apps/<int:pk>/allow-grant/", views.application_allow_grant, name="application_allow_grant"),
    path(
        "apps/<int:pk>/introspection/",
        introspection.application_introspection,
        name="application_introspection",
    ),
    path("audit/", audit_views.event_list, name="audit_log"),
]
