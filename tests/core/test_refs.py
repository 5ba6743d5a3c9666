import pytest

from genloop.errors import InvalidInput
from genloop.refs import Ref, parse_ref, validate_label, validate_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("golden", Ref("golden")),
        ("golden@7", Ref("golden", version=7)),
        ("golden@production", Ref("golden", label="production")),
        ("golden@latest", Ref("golden")),
        (" my-set_v2.1@staging ", Ref("my-set_v2.1", label="staging")),
    ],
)
def test_parse_ref(text: str, expected: Ref) -> None:
    assert parse_ref(text) == expected
    assert parse_ref(parse_ref(text)) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty reference"),
        ("golden@", "ends with '@'"),
        ("golden@0", "versions start at 1"),
        ("../etc@1", "invalid name"),
        ("a/b", "invalid name"),
        ("golden@prod uction", "invalid selector"),
        ("golden@1x", "invalid selector"),
        ("bad\x00name", "invalid name"),
        ("golden@99999999999999999999999", "go up to 2147483647"),
        ("golden@2147483648", "go up to 2147483647"),
    ],
)
def test_parse_ref_rejects_with_a_hint(text: str, needle: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_ref(text)
    assert needle in str(info.value)
    assert info.value.hint


def test_str_round_trips() -> None:
    for text in ["a", "a@3", "a@prod"]:
        assert str(parse_ref(text)) == text


def test_names_and_labels() -> None:
    assert validate_name("x" * 128) == "x" * 128
    for bad in ["x" * 129, "-x", ".", "..", "a b", "é", "a\nb", "a\\b"]:
        with pytest.raises(InvalidInput):
            validate_name(bad)
    assert validate_label("champion") == "champion"
    for bad in ["latest", "7", "", "a b"]:
        with pytest.raises(InvalidInput):
            validate_label(bad)


@pytest.mark.parametrize("bad", ["golden\n", "golden\r\n", "golden\n\n", "\ngolden"])
def test_a_trailing_newline_is_not_a_name(bad: str) -> None:
    """``$`` matches before a final newline: every name, label and key check matches the whole string."""
    with pytest.raises(InvalidInput):
        validate_name(bad)
    with pytest.raises(InvalidInput):
        validate_label(bad)


def test_every_anchored_validation_pattern_matches_whole_strings() -> None:
    """The same class elsewhere: dataset tags, metric keys, artifact key parts (folders on disk)."""
    from genloop.datasets._tags import check_tag
    from genloop.runs._checks import check_metrics
    from genloop.store import ArtifactStore

    for check in (check_tag, lambda v: check_metrics({v: 1.0}), ArtifactStore.check_key):
        with pytest.raises(InvalidInput):
            check("accuracy\n")
