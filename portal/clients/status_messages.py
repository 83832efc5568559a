"""What people are told about an app that exists but may not be used, by review status: one place for the
OAuth error description (portal.clients.validators) and the consent page's title (portal.consent.views)."""

from __future__ import annotations

from portal.clients.models import ReviewStatus

# Said to the client (and, on the authorization page, to the person). A plain "invalid_client" would send
# the app's developer hunting for a typo in the client id.
UNUSABLE_REASONS = {
    ReviewStatus.PENDING: (
        "This application is waiting for review by the portal's staff and cannot be used yet."
    ),
    ReviewStatus.REJECTED: "This application was not approved by the portal's staff and cannot be used.",
    ReviewStatus.SUSPENDED: "This application has been suspended by the portal's staff.",
}
# The heading of the authorization page that explains it to the person.
UNUSABLE_TITLES = {
    ReviewStatus.PENDING: "This application is not available yet",
    ReviewStatus.REJECTED: "This application was not approved",
    ReviewStatus.SUSPENDED: "This application has been suspended",
}
