"""EC arithmetic: domain parameters, group law and agreement with OpenSSL."""

from __future__ import annotations

import contextlib
import math
import random

import pytest
from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.emrtd import ec
from kiosk.emrtd.errors import MalformedData


@pytest.mark.parametrize("curve", ec.CURVES, ids=lambda c: c.name)
def test_domain_parameters_are_consistent(curve):
    assert curve.contains(curve.generator)
    assert curve.mul(curve.n, curve.generator) is None
    assert curve.mul(curve.n - 1, curve.generator) == curve.neg(curve.generator)
    assert curve.mul_base(curve.n + 1) == curve.generator
    # Hasse bound: n close to p + 1 for cofactor 1
    assert abs(curve.p + 1 - curve.n) <= 2 * math.isqrt(curve.p) + 1


@pytest.mark.parametrize("curve", ec.CURVES, ids=lambda c: c.name)
def test_scalar_multiplication_matches_repeated_addition_and_openssl(curve):
    rnd = random.Random(curve.p)
    g = curve.generator
    acc = None
    for k in range(1, 20):
        acc = curve.add(acc, g)
        assert curve.mul(k, g) == acc
        assert curve.mul_base(k) == acc
    for _ in range(3):
        k = rnd.randrange(1, curve.n)
        point = curve.mul(k, g)
        assert point == curve.mul_base(k) == curve._mul_base_table(k)
        if curve.crypto_curve is not None:
            numbers = (
                crypto_ec.derive_private_key(k, curve.crypto_curve()).public_key().public_numbers()
            )
            assert point == (numbers.x, numbers.y)
        # variable base: (a*b)G = a(bG)
        a = rnd.randrange(1, curve.n)
        assert curve.mul(a, point) == curve.mul(a * k % curve.n, g)


@pytest.mark.parametrize("curve", ec.CURVES, ids=lambda c: c.name)
def test_ecdh_matches_openssl(curve):
    if curve.crypto_curve is None:
        pytest.skip("OpenSSL lacks this curve")
    rnd = random.Random(7)
    a, b = rnd.randrange(1, curve.n), rnd.randrange(1, curve.n)
    key_a = crypto_ec.derive_private_key(a, curve.crypto_curve())
    key_b = crypto_ec.derive_private_key(b, curve.crypto_curve())
    expected = key_a.exchange(crypto_ec.ECDH(), key_b.public_key())
    # our arithmetic agrees with OpenSSL, and ecdh_x (which delegates to it) too
    assert curve.encode_x(curve.mul(a, curve.mul_base(b))) == expected
    assert curve.ecdh_x(a, curve.mul_base(b)) == expected


def test_points_are_left_padded_and_validated():
    curve = ec.BRAINPOOL_P320R1
    # find a multiple of G whose x has a leading zero byte
    k = 1
    while True:
        point = curve.mul_base(k)
        assert point is not None
        if point[0] < 1 << (8 * (curve.size - 1)):
            break
        k += 1
    encoded = curve.encode_point(point)
    assert len(encoded) == 1 + 2 * curve.size and encoded[1] == 0
    assert curve.decode_point(encoded) == point
    with pytest.raises(MalformedData):
        curve.decode_point(encoded[:1] + encoded[2:])  # unpadded
    bad = bytearray(encoded)
    bad[-1] ^= 1
    with pytest.raises(MalformedData):
        curve.decode_point(bytes(bad))  # off the curve
    with pytest.raises(MalformedData):
        curve.decode_point(b"\x02" + encoded[1:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_decode_point_only_raises_typed_errors(data):
    for curve in (ec.BRAINPOOL_P256R1, ec.NIST_P521):
        with contextlib.suppress(MalformedData):
            assert curve.contains(curve.decode_point(data))


def test_find_curve_recognises_explicit_parameters():
    c = ec.BRAINPOOL_P512R1
    assert ec.find_curve(c.p, c.a, c.b, c.gx, c.gy, c.n) is c
    assert ec.find_curve(c.p, c.a, c.b + 1, c.gx, c.gy, c.n) is None


def test_random_scalar_uses_the_bytes_as_is_when_in_range():
    curve = ec.BRAINPOOL_P256R1
    value = bytes.fromhex("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99")
    assert curve.random_scalar(lambda n: value) == int.from_bytes(value, "big")
    draws = iter([b"\xff" * 32, value])
    assert curve.random_scalar(lambda n: next(draws)) == int.from_bytes(value, "big")
