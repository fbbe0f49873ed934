"""Which HL7 senders become chairs and what they are called (``runtime._hl7_admission``)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalsdash.adapters.hl7._parse import Hl7Error
from vitalsdash.config import BedConfig
from vitalsdash.runtime._hl7_admission import (
    LABEL_MAX,
    SENDER_KEY_MAX,
    Admission,
    bed_id_for,
    clean_label,
    sender_key,
    unique_label,
)

pytestmark = pytest.mark.unit


def test_labels_lose_control_characters_and_hl7_delimiters() -> None:
    assert clean_label("BAD\x00NAME|X^^BED\x07") == "BAD NAME X BED"
    assert clean_label("  Chair\t\n 1  ") == "Chair 1"
    assert clean_label("\u202eevil\u200b") == "evil"  # format characters too
    assert clean_label("\x00|^~\\&") == "HL7 device"
    assert clean_label("ZÜRICH/BETT1") == "ZÜRICH/BETT1"
    assert len(clean_label("x" * 500)) == LABEL_MAX


def test_labels_are_unique_without_regard_to_case() -> None:
    assert unique_label("Chair 1", ["Chair 2"]) == "Chair 1"
    assert unique_label("chair 1", ["Chair 1"]) == "chair 1 (HL7)"
    assert unique_label("Chair 1", ["Chair 1", "Chair 1 (HL7)"]) == "Chair 1 (HL7 2)"
    long = "y" * LABEL_MAX
    assert len(unique_label(long, [long])) == LABEL_MAX


def test_bed_ids_are_ascii_unique_and_valid() -> None:
    assert bed_id_for("ZÜRICH/BETT1", []) == "ZURICH-BETT1"
    assert bed_id_for("INFUSION/CHAIR7", ["INFUSION-CHAIR7"]) == "INFUSION-CHAIR7-2"
    assert bed_id_for("北京", []) == "hl7"
    assert bed_id_for("北京", ["hl7", "hl7-2"]) == "hl7-3"


@given(st.text(max_size=300), st.lists(st.text(max_size=40), max_size=5))
def test_any_key_gives_a_bed_id_the_clinic_config_accepts(key: str, taken: list[str]) -> None:
    bed_id = bed_id_for(key, taken)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", bed_id)
    assert bed_id not in taken
    BedConfig(id=bed_id, source="hl7", label=clean_label(key), hl7_source=key)


@given(st.text(max_size=300))
def test_any_key_gives_a_clean_bounded_label(key: str) -> None:
    label = clean_label(key)
    assert 1 <= len(label) <= LABEL_MAX
    assert label.isprintable()
    assert not set(label) & set("|^~\\&")


def test_long_sender_keys_are_shortened_but_stay_distinct() -> None:
    a, b = "L" * 300 + "a", "L" * 300 + "b"
    assert sender_key("short") == "short"
    assert len(sender_key(a)) == SENDER_KEY_MAX
    assert sender_key(a) != sender_key(b)


def test_new_chairs_are_capped_per_minute_and_in_total() -> None:
    now = [0.0]
    adm = Admission(per_min=2, total=3, now=lambda: now[0])
    for _ in range(2):
        adm.check("k")
        adm.record()
    with pytest.raises(Hl7Error, match=r"limit \(hl7_new_beds_per_min\) is 2") as err:
        adm.check("k")
    assert (err.value.code, err.value.kind) == ("AR", "sender_rate")
    now[0] = 60.0
    adm.check("k")
    adm.record()
    with pytest.raises(Hl7Error, match=r"limit \(hl7_max_new_beds\) is 3"):
        adm.check("k")
    assert (adm.created, adm.refused) == (3, 2)
