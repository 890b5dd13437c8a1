"""Field sealing: round trip for any text, and a cell's ciphertext opens nowhere else."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import StorageFailure
from kiosk.store.crypto import FieldCipher

CIPHER = FieldCipher(os.urandom(32))


@given(st.text(max_size=300), st.text(min_size=1, max_size=40))
def test_round_trip_any_text(value, row_id):
    sealed = CIPHER.seal("registrations", row_id, "surname", value)
    assert CIPHER.open("registrations", row_id, "surname", sealed) == value
    assert len(sealed) == 1 + 12 + len(value.encode()) + 16


@given(st.sampled_from(["table", "row", "column"]), st.text(min_size=1, max_size=50))
def test_ciphertext_is_bound_to_its_cell(which, value):
    sealed = CIPHER.seal("registrations", "row-1", "surname", value)
    where = {"table": "code_pool", "row": "row-2", "column": "given_names"}
    cell = ["registrations", "row-1", "surname"]
    cell[["table", "row", "column"].index(which)] = where[which]
    with pytest.raises(StorageFailure):
        CIPHER.open(*cell, sealed)


@given(st.binary(max_size=80))
def test_garbage_never_opens(blob):
    with pytest.raises(StorageFailure):
        CIPHER.open("registrations", "row-1", "surname", blob)


def test_another_key_cannot_open_and_audit_key_is_separate():
    sealed = CIPHER.seal("t", "r", "c", "secret")
    with pytest.raises(StorageFailure):
        FieldCipher(os.urandom(32)).open("t", "r", "c", sealed)
    assert CIPHER.audit_mac(b"", b"x") != FieldCipher(os.urandom(32)).audit_mac(b"", b"x")
