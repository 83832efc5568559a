"""`manage.py adopt_dot_install` takes over a real stock DOT database in place, on SQLite and PostgreSQL.

The stock database is built by DOT's own migrations under a throwaway DOT project (stock_dot_settings),
filled through DOT's built-in models (seed_stock_dot), adopted by the portal's command in a subprocess,
then used by the old clients' credentials against the portal's real endpoints (probe).
"""

from __future__ import annotations

import json
import re

from django.db.backends.utils import names_digest

from tests.helpers.databases import STOCK_SETTINGS, application_content_types

DEPRECATED = {"implicit", "password", "openid-hybrid"}


def _confidential(manifest: dict) -> list[dict]:
    return [app for app in manifest["apps"] if app["secret"]]


# --- The adoption itself --------------------------------------------------------------------------------


def test_adoption_succeeds_and_says_what_it_did(adopted):
    out = adopted.result.stdout
    assert f"Adopted: {len(adopted.manifest['apps'])} apps" in out
    assert "Record clients.0001_initial as applied" in out
    assert "Applying clients.0002_portal_fields... OK" in out
    assert "the whole adoption is one transaction" in out


def test_every_row_keeps_its_primary_key_client_id_and_hashed_secret(adopted):
    assert adopted.after == adopted.before
    # Not vacuous: the stock database really held all of it.
    counts = {name: len(rows) for name, rows in adopted.after.items()}
    assert counts["applications"] == len(adopted.manifest["apps"]) == 9
    assert counts["access tokens"] == 18
    assert counts["refresh tokens"] == len(adopted.manifest["refresh_tokens"]) == 5
    assert counts["grants"] == 2
    assert counts["ID tokens"] == 3
    assert counts["device grants"] == 1
    secrets = [row[2] for row in adopted.after["applications"]]
    assert sum(secret.startswith("pbkdf2_sha256$1000000$") for secret in secrets) == 8  # DOT's hashes, kept


def test_the_application_content_type_moves_with_its_permissions(adopted):
    [(content_type_id, label)] = adopted.content_types_before
    assert label == "oauth2_provider"
    assert adopted.content_types_after == [(content_type_id, "clients")]
    assert len(adopted.after["application permissions"]) == 4  # same rows, now the portal's model's


# --- What the old clients notice: nothing ---------------------------------------------------------------


def test_live_access_tokens_still_introspect_as_active(adopted):
    for token in adopted.manifest["live_tokens"]:
        introspection = adopted.probe["introspection"][str(token["pk"])]
        assert introspection["active"] is True, token
        app = next(app for app in adopted.manifest["apps"] if app["pk"] == token["app"])
        assert introspection["client_id"] == app["client_id"]


def test_expired_access_tokens_stay_inactive(adopted):
    for token in adopted.manifest["expired_tokens"]:
        assert adopted.probe["introspection"][str(token["pk"])] == {"active": False}


def test_live_user_tokens_still_call_api_me(adopted):
    user_tokens = [token for token in adopted.manifest["live_tokens"] if token["user"]]
    assert len(user_tokens) == 6
    for token in user_tokens:
        answer = adopted.probe["api_me"][str(token["pk"])]
        assert answer["status"] == 200, answer
        assert answer["body"]["username"] == "erin"


def test_connected_apps_list_every_app_holding_adopted_tokens_and_revoke_them(adopted):
    # Adopted tokens have no portal consent record (issue 9, finding 11).
    apps = {app["pk"]: app["client_id"] for app in adopted.manifest["apps"]}
    holding = {apps[token["app"]] for token in adopted.manifest["live_tokens"] if token["user"] == "erin"}
    assert holding and holding <= set(adopted.probe["connected_apps"])
    revoke = adopted.probe["connected_app_revoke"]
    assert revoke["status"] == 302
    assert revoke["api_me_after"] and set(revoke["api_me_after"]) == {401}


def test_confidential_clients_authenticate_with_their_old_secret(adopted):
    for app in _confidential(adopted.manifest):
        answer = adopted.probe["client_credentials"][str(app["pk"])]
        if app["grant"] == "client-credentials":
            assert answer["status"] == 200, (app["name"], answer)
            assert answer["body"]["token_type"] == "Bearer"
        else:
            # The secret was accepted (a wrong one gets invalid_client, below); the app just never had the
            # client-credentials grant, in DOT either.
            assert answer == {"status": 400, "body": {"error": "unauthorized_client"}}, app["name"]
    assert adopted.probe["wrong_secret"] == {"status": 401, "body": {"error": "invalid_client"}}


def test_refresh_tokens_still_refresh(adopted):
    for token in adopted.manifest["refresh_tokens"]:
        answer = adopted.probe["refresh"][str(token["pk"])]
        assert answer["status"] == 200, answer
        assert answer["body"]["refresh_token"] != token["token"]  # rotated, as the portal is configured
        assert answer["api_me_status"] == 200


def test_authorization_codes_issued_before_adoption_can_still_be_redeemed(adopted):
    for grant in adopted.manifest["grants"]:
        answer = adopted.probe["code_exchange"][str(grant["pk"])]
        assert answer["status"] == 200, answer


def test_the_old_dot_deployment_keeps_issuing_tokens_until_traffic_moves(adopted):
    # Zero downtime means the old DOT site can keep serving while the portal is rolled out: its models
    # read and write only DOT's columns, which adoption leaves as they were.
    cron = next(app for app in adopted.manifest["apps"] if app["name"] == "Alice Cron")
    script = (
        "import base64, django; django.setup(); from django.test import Client; "
        f"auth = 'Basic ' + base64.b64encode(b'{cron['client_id']}:{cron['secret']}').decode(); "
        "r = Client(HTTP_HOST='localhost').post('/token/', {'grant_type': 'client_credentials'}, "
        "HTTP_AUTHORIZATION=auth); print(r.status_code, r.json()['token_type'])"
    )
    result = adopted.db.run("-c", script, settings=STOCK_SETTINGS)
    assert result.stdout.split() == ["200", "Bearer"], result.stderr


# --- What staff and developers notice --------------------------------------------------------------------


def test_admin_lists_every_adopted_app_under_its_owner_as_approved(adopted):
    rows = {row["client_id"]: row for row in adopted.probe["admin_rows"]}
    for app in adopted.manifest["apps"]:
        row = rows[app["client_id"]]
        assert row["name"] == app["name"]
        assert row["user"] == (app["owner"] or "-")
        assert row["review_status"] == "Approved"


def test_apps_using_deprecated_grants_keep_them_as_a_staff_decision(adopted):
    rows = adopted.db.query(
        "SELECT name, authorization_grant_type, staff_allowed_grants FROM oauth2_provider_application"
    )
    for name, grant, allowed in rows:
        allowed = allowed if isinstance(allowed, list) else json.loads(allowed)  # SQLite hands back text
        assert allowed == ([grant] if grant in DEPRECATED else []), name


def test_staff_permissions_and_admin_history_follow_the_application_model(adopted):
    # sam was granted DOT's "change application" in the old admin; that grant now opens the portal's.
    assert adopted.probe["staff_changelist_status"] == 200
    assert "Rotated the redirect URI (before the portal existed)" in adopted.probe["admin_history"]


def test_running_it_again_refuses_and_changes_nothing(adopted):
    before = adopted.db.dump()
    result = adopted.db.adopt()
    assert result.returncode != 0
    assert "already adopted" in result.stderr
    assert adopted.db.dump() == before


# --- Dry run, refusals, failure -------------------------------------------------------------------------


def test_dry_run_prints_the_plan_and_leaves_the_database_byte_for_byte_the_same(stock, scratch):
    db = scratch(stock.db)
    before = db.dump()
    result = db.adopt("--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Move content type" in result.stdout
    assert "clients.0002_portal_fields" in result.stdout
    assert "9 apps of 2 owners are adopted as approved" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout
    assert db.dump() == before


def _assert_refused(db, reason: str) -> None:
    before = db.dump()
    result = db.adopt()
    assert result.returncode != 0
    assert "Not adopting this database." in result.stderr
    assert reason in result.stderr, result.stderr
    assert db.dump() == before


def test_refuses_a_fresh_database(scratch):
    db = scratch()
    db.execute("CREATE TABLE IF NOT EXISTS unrelated (id integer)")  # makes the SQLite file exist
    db.execute("DROP TABLE unrelated")
    _assert_refused(db, "The database is empty")


def test_refuses_a_dot_schema_from_before_dot_3(scratch):
    db = scratch()
    db.migrate_stock("oauth2_provider", "0010_application_allowed_origins")
    _assert_refused(db, "DOT schema is too old: its latest oauth2_provider migration is 0010")


def test_refuses_while_dot_migrations_are_pending(scratch):
    db = scratch()
    db.migrate_stock("oauth2_provider", "0019_application_registration_source")
    _assert_refused(db, "pending django-oauth-toolkit migrations (0020_cimd_application_fields")


def test_refuses_a_dot_schema_newer_than_the_pinned_dot(stock, scratch):
    db = scratch(stock.db)
    db.execute(
        "INSERT INTO django_migrations (app, name, applied) "
        "VALUES ('oauth2_provider', '0023_from_a_newer_dot', '2030-01-01 00:00:00')"
    )
    _assert_refused(db, "0023_from_a_newer_dot): its DOT schema is newer than the portal supports")


def test_refuses_an_application_table_changed_outside_dot(stock, scratch):
    db = scratch(stock.db)
    db.execute("ALTER TABLE oauth2_provider_application ADD COLUMN tier varchar(10) NULL")
    _assert_refused(db, "does not have exactly DOT 3.4.1's columns (missing: none; unexpected: tier)")


def test_a_failure_halfway_rolls_everything_back(stock, scratch, vendor):
    db = scratch(stock.db)
    # Plant an index under the name Django gives the review_status index, so clients.0002 fails after the
    # migration is recorded, the content type moved and other apps' tables created.
    digest = names_digest("oauth2_provider_application", "review_status", length=8)
    clash = f"oauth2_provider_application_review_status_{digest}"
    db.execute(f'CREATE INDEX "{clash}" ON auth_user (username)')
    before = db.dump()
    result = db.adopt()
    assert result.returncode != 0
    assert "Adoption failed and was rolled back; the database is as it was." in result.stderr
    after = db.dump()
    if vendor == "postgresql":
        # PostgreSQL never rolls sequences back (by design); the rows, schema and everything else must match.
        before, after = (
            re.sub(rb"^SELECT pg_catalog.setval\(.*$", b"", dump, flags=re.M) for dump in (before, after)
        )
    assert after == before
    assert [label for _id, label in application_content_types(db)] == ["oauth2_provider"]


def test_adopted_apps_belong_to_their_owners_personal_teams(adopted):
    # Migration clients/0009: each owner's apps go to a team made for them, whose owner they are; an app
    # without a user (an operator's) keeps no team.
    misplaced = adopted.db.query(
        "SELECT a.id FROM oauth2_provider_application a LEFT JOIN teams_team t ON t.id = a.team_id "
        "WHERE (a.user_id IS NULL AND a.team_id IS NOT NULL) "
        "OR (a.user_id IS NOT NULL AND (t.personal_for_id IS NULL OR t.personal_for_id <> a.user_id))"
    )
    assert misplaced == []
    owners = adopted.db.query(
        "SELECT m.user_id FROM teams_membership m JOIN teams_team t ON t.id = m.team_id "
        "WHERE m.role = 'owner' AND m.user_id = t.personal_for_id ORDER BY m.user_id"
    )
    apps_owners = adopted.db.query(
        "SELECT DISTINCT user_id FROM oauth2_provider_application WHERE user_id IS NOT NULL ORDER BY user_id"
    )
    assert owners == apps_owners and owners
