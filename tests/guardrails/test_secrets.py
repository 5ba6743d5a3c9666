"""Credential formats and high-entropy tokens."""

from __future__ import annotations

import base64
import random
import string

import pytest

from genloop.guardrails import APIKeyCheck, HighEntropyCheck, shannon_entropy

RNG = random.Random(42)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def jwt() -> str:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(b'{"sub":"1234567890","name":"Dana"}').decode().rstrip("=")
    return f"{head}.{body}.{rand(43, ALNUM + '-_')}"


PEM_BODY = "\n".join(rand(64, ALNUM + "+/") for _ in range(3))
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
KEYS = [
    ("openai", "sk-" + rand(48)),
    ("openai", "sk-proj-" + rand(40, ALNUM + "_-")),
    ("anthropic", "sk-ant-api03-" + rand(80, ALNUM + "_-")),
    ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
    ("github", "ghp_" + rand(36)),
    ("github", "github_pat_" + rand(22) + "_" + rand(59)),
    ("slack", "xoxb-123456789012-1234567890123-" + rand(24)),
    ("google_api_key", "AIza" + rand(35, ALNUM + "_-")),
    ("stripe", "sk_live_" + rand(24)),
    ("jwt", jwt()),
    ("private_key", PEM),
]


@pytest.mark.parametrize(("kind", "key"), KEYS, ids=[k for k, _ in KEYS])
def test_known_key_formats(kind: str, key: str) -> None:
    text = f"my key is {key} ok"
    (finding,) = APIKeyCheck().scan(text)
    assert (finding.kind, text[finding.start : finding.end]) == (kind, key)
    assert finding.category == "secret" and finding.evidence and finding.evidence.startswith("sha256:")


def test_private_key_header_without_footer_takes_the_body_lines() -> None:
    body = [rand(64, ALNUM + "+/") for _ in range(2)]
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(body) + "\nand that is all."
    (finding,) = APIKeyCheck().scan(text)
    assert text[finding.start : finding.end].endswith(body[-1])


@pytest.mark.parametrize(
    "text",
    [
        "use sk-learn or scikit-learn",
        "the task-force met; ask-me-anything",
        "AKIA alone, or AKIAshort",
        "eyJ is how base64 JSON starts",
        "sk_live_ is the prefix",
        "xoxb- tokens are for bots",
        "mask-" + "a" * 30,  # 'sk-' inside a word
        "-----BEGIN PUBLIC KEY-----",
    ],
)
def test_not_keys(text: str) -> None:
    assert APIKeyCheck().scan(text) == []


def test_key_kinds_param() -> None:
    text = "AKIAIOSFODNN7EXAMPLE and ghp_" + rand(36)
    assert [f.kind for f in APIKeyCheck(kinds=["github"]).scan(text)] == ["github"]
    with pytest.raises(ValueError, match="unknown kind"):
        APIKeyCheck(kinds=["azure"])


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


@pytest.mark.parametrize("token", [rand(40, ALNUM + "+/"), rand(32, ALNUM), rand(40, "0123456789abcdef")])
def test_high_entropy_tokens_found(token: str) -> None:
    text = f"token={token} end"
    (finding,) = HighEntropyCheck().scan(text)
    assert text[finding.start : finding.end] == token
    assert finding.score and finding.score > 3


@pytest.mark.parametrize(
    "text",
    [
        "internationalization-and-localization-guidelines are long words",
        "see /usr/local/lib/python3.11/site-packages/numpy/core",
        "request 550e8400-e29b-41d4-a716-446655440000 failed",  # a UUID
        "release-2024-candidate-build-number-7 is out",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
        "deadbeefdeadbeefdeadbeefdeadbeef",  # hex but repetitive
        "Supercalifragilisticexpialidocious is a word",
        "The quick brown fox jumps over the lazy dog " * 5,
        "MyCompanyName_ProductionDatabase_2024",
        "k8s-prod-eu-west-1-node-pool-7f9c2",
        "feature/add-user-settings-page-v2",
    ],
)
def test_high_entropy_ignores_words_paths_and_uuids(text: str) -> None:
    assert HighEntropyCheck().scan(text) == []


def test_high_entropy_params_validate() -> None:
    assert HighEntropyCheck(min_length=16, threshold=3.5).scan("k=" + "x7Kq2Zr9Bw4Pv8Mn3Tj6") != []
    with pytest.raises(ValueError, match="min_length"):
        HighEntropyCheck(min_length=2)
    with pytest.raises(ValueError, match="threshold"):
        HighEntropyCheck(threshold=0)
