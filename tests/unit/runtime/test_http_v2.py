"""Reading an HTTP API (payload 2.0) event and answering it, for the single-route webhook."""

from __future__ import annotations

import base64
import json

import pytest

from lean_webhooks.runtime import http_v2


@pytest.mark.parametrize("name", ["lean-signature", "Lean-Signature", "LEAN-SIGNATURE"])
def test_a_header_is_found_whatever_the_case_of_its_name(name):
    assert http_v2.header({"headers": {name: "sha512=ab"}}, "lean-signature") == "sha512=ab"


def test_a_missing_header_or_headers_map_is_none():
    assert http_v2.header({"headers": {"content-type": "x"}}, "lean-signature") is None
    assert http_v2.header({"headers": None}, "lean-signature") is None


def test_the_body_is_its_exact_bytes_text_or_base64():
    raw = '{"a":"\u00e9"}'.encode()
    assert http_v2.raw_body({"body": raw.decode()}) == raw
    assert http_v2.raw_body({"body": base64.b64encode(raw).decode(), "isBase64Encoded": True}) == raw
    assert http_v2.raw_body({}) == b""


def test_a_body_flagged_base64_that_does_not_decode_is_refused():
    with pytest.raises(http_v2.BadBody, match=r"^body is not valid base64$"):
        http_v2.raw_body({"body": "not base64!", "isBase64Encoded": True})


def test_the_source_ip_comes_from_the_request_context():
    assert http_v2.source_ip({"requestContext": {"http": {"sourceIp": "203.0.113.9"}}}) == "203.0.113.9"
    assert http_v2.source_ip({}) is None


def test_an_answer_is_json_with_its_content_type():
    answer = http_v2.json_answer(401, {"error": "invalid_signature"})
    assert answer["statusCode"] == 401 and answer["headers"] == {"Content-Type": "application/json"}
    assert json.loads(answer["body"]) == {"error": "invalid_signature"} and answer["isBase64Encoded"] is False


def test_an_error_answer_has_the_body_both_apis_use():
    answer = http_v2.error_answer(500, *http_v2.INTERNAL_ERROR)
    assert answer["statusCode"] == 500
    assert json.loads(answer["body"]) == {"error": "internal_error", "message": "temporary failure, please retry"}
