import io

import pytest
from django.core.management import CommandError, call_command

from directory.models import ApiToken, AuditEvent, User


def issue(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_issued_key_authenticates_the_api(cast, api_client):
    out, err = issue("integration", "--name", "VNACCS bridge")

    key = out.strip()
    assert out == key + "\n"  # nothing but the key, for scripts
    assert "not be shown again" in err
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/declarations/").status_code == 200


def test_issued_token_stores_only_the_hash_and_is_audited(cast):
    out, _err = issue("integration", "--name", "VNACCS bridge")

    key = out.strip()
    token = ApiToken.objects.get(user=cast.users.integration)
    assert token.name == "VNACCS bridge"
    assert token.key_hash != key and key not in token.key_hash
    assert token.prefix == key[:8]
    assert AuditEvent.objects.for_object(token).get().action == "api_token.issued"


def test_issue_token_unknown_user_errors(cast):
    with pytest.raises(CommandError, match="Unknown user: nobody"):
        issue("nobody")
    assert not ApiToken.objects.exists()


def test_issue_token_inactive_user_errors(cast):
    User.objects.filter(pk=cast.users.integration.pk).update(is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        issue("integration")
    assert not ApiToken.objects.exists()
