"""`make webhook` against a deployed stack refuses the types that change its data unless confirmed, and says why."""

from __future__ import annotations

import json

import pytest

from local.harness import send_webhook

DEPLOYED = "https://a1b2c3d4e5.execute-api.me-central-1.amazonaws.com/webhooks/lean"


class Post:
    """Stands in for requests.post: records what would be sent and answers 200."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def __call__(self, url: str, data: bytes, headers: dict, timeout: float):
        self.sent.append({"url": url, "body": json.loads(data), "headers": headers})
        return type("Response", (), {"status_code": 200, "text": "{}", "ok": True})()


@pytest.mark.parametrize("kind", sorted(send_webhook.CHANGES_STORED_DATA))
def test_a_type_that_changes_data_is_refused_against_a_deployed_stack_and_the_reason_given(kind, capsys):
    post = Post()
    assert send_webhook.main([kind, "--url", DEPLOYED, "--secret", "s"], post=post) == 2
    assert post.sent == []
    error = capsys.readouterr().err
    assert "Lean answers 404" in error and "15 minutes" in error and "Payment Source Deleted" in error
    assert "CONFIRM=1" in error


@pytest.mark.parametrize("kind", sorted(send_webhook.CHANGES_STORED_DATA))
def test_confirm_sends_it(kind):
    post = Post()
    assert send_webhook.main([kind, "--url", DEPLOYED, "--secret", "s", "--confirm"], post=post) == 0
    assert [(s["url"], s["body"]["type"]) for s in post.sent] == [(DEPLOYED, kind)]
    assert post.sent[0]["headers"]["lean-signature"].startswith("sha512=")


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000/webhooks/lean", "http://localhost:3001/webhooks/lean"])
def test_the_local_stack_takes_every_type_unconfirmed(url):
    post = Post()
    assert send_webhook.main(["payment_source.beneficiary.updated", "--url", url], post=post) == 0
    assert len(post.sent) == 1


def test_payment_source_created_changes_nothing_and_is_sent_anywhere():
    post = Post()
    assert send_webhook.main(["payment_source.created", "--url", DEPLOYED, "--secret", "s"], post=post) == 0
    assert len(post.sent) == 1


def test_make_webhook_passes_confirm():
    from local.aws.template import ROOT

    target = (ROOT / "Makefile").read_text().split("\nwebhook:", 1)[1].split("\n\n", 1)[0]
    assert "$(if $(CONFIRM),--confirm,)" in target
