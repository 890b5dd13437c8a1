"""Short-Weierstrass elliptic-curve arithmetic over prime fields for PACE, CA and AA.

Why our own: PACE generic mapping (9303-11 section 4.4.3.3.1) needs point addition
(G' = s*G + H) and scalar multiplication by a *mapped* generator, and Dutch documents use
brainpoolP320r1; the ``cryptography`` package offers neither. We still use ``cryptography``
where it is exact and faster: k*G on the curves it supports (:meth:`Curve.mul_base`).

- Curves: brainpoolP256r1/P320r1/P384r1/P512r1 (RFC 5639), NIST P-256/P-384/P-521
  (FIPS 186-4), keyed by the 9303-11 section 9.5.1 (Table 12) standardized parameter IDs.
  The constants were taken from OpenSSL's explicit encodings; tests check G is on the
  curve, n*G = O and agreement with ``cryptography``.
- Points are affine ``(x, y)`` tuples, ``None`` is the point at infinity.
- Scalar multiplication uses Jacobian coordinates and a *regular* signed 4-bit window:
  the scalar is made odd (k or k+n) and recoded into a fixed number of odd, non-zero digits
  (Joye-Tunstall), so every multiplication performs the same sequence of doublings and
  additions whatever the scalar ("constant shape"). Python integers are not constant time;
  this removes the gross, scalar-dependent operation pattern, not every side channel.
- Fixed-base multiplication on curves ``cryptography`` lacks uses a lazily built table of
  odd multiples of 16^i * G (one mixed addition per digit, no doublings).
- Encoding (TR-03111 / 9303-11 9.4.1): uncompressed ``04 || X || Y`` with both coordinates
  LEFT-PADDED to the field size; decoding validates length, range and curve equation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec as crypto_ec

from kiosk.emrtd.errors import MalformedData

Point = tuple[int, int] | None
"""Affine point; None is the point at infinity."""

_WINDOW = 4


@dataclass(eq=False)
class Curve:
    """A prime-order short-Weierstrass curve y^2 = x^3 + a*x + b over GF(p)."""

    name: str
    param_id: int | None
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int
    h: int = 1
    crypto_curve: Callable[[], crypto_ec.EllipticCurve] | None = None
    openssl_base: bool = False  # OpenSSL's k*G beats our table only on the NIST curves
    _base_table: list[list[tuple[int, int]]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def size(self) -> int:
        """Field element size in bytes (coordinates are padded to this)."""
        return (self.p.bit_length() + 7) // 8

    @property
    def order_size(self) -> int:
        """Size of the group order in bytes."""
        return (self.n.bit_length() + 7) // 8

    @property
    def generator(self) -> tuple[int, int]:
        """The base point G."""
        return (self.gx, self.gy)

    def __repr__(self) -> str:
        return f"Curve({self.name})"

    # ------------------------------------------------------------ checks, encoding

    def contains(self, point: Point) -> bool:
        """True when ``point`` is a finite point on the curve."""
        if point is None:
            return False
        x, y = point
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + self.a * x + self.b)) % p == 0

    def encode_point(self, point: Point) -> bytes:
        """Uncompressed encoding with left-padded coordinates."""
        if point is None:
            raise ValueError("cannot encode the point at infinity")
        size = self.size
        return b"\x04" + point[0].to_bytes(size, "big") + point[1].to_bytes(size, "big")

    def decode_point(self, data: bytes) -> tuple[int, int]:
        """Parse and validate an uncompressed point; raises :class:`MalformedData`."""
        size = self.size
        if len(data) != 1 + 2 * size or data[0] != 0x04:
            raise MalformedData()
        point = (int.from_bytes(data[1 : 1 + size], "big"), int.from_bytes(data[1 + size :], "big"))
        if not self.contains(point):
            raise MalformedData()
        return point

    def encode_x(self, point: Point) -> bytes:
        """The x-coordinate as a left-padded octet string (FE2OS; the KDF input, 9.7.1)."""
        if point is None:
            raise ValueError("no x-coordinate at infinity")
        return point[0].to_bytes(self.size, "big")

    def random_scalar(self, rng: Callable[[int], bytes]) -> int:
        """A uniform scalar in [1, n-1] by rejection sampling.

        The rng's bytes are used as the scalar itself when they are in range, so a
        replayed transcript's private keys come out exactly.
        """
        size = self.order_size
        excess = 8 * size - self.n.bit_length()
        for _ in range(128):
            k = int.from_bytes(rng(size), "big") & ((1 << (8 * size - excess)) - 1)
            if 0 < k < self.n:
                return k
        raise RuntimeError("random source keeps producing out-of-range scalars")

    # ------------------------------------------------------------ affine group law

    def neg(self, point: Point) -> Point:
        """-P."""
        if point is None:
            return None
        return (point[0], (-point[1]) % self.p)

    def add(self, p1: Point, p2: Point) -> Point:
        """P1 + P2 in affine coordinates (handles doubling and infinity)."""
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        p = self.p
        x1, y1 = p1
        x2, y2 = p2
        if x1 == x2:
            if (y1 + y2) % p == 0:
                return None
            lam = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, p) % p
        else:
            lam = (y2 - y1) * pow(x2 - x1, -1, p) % p
        x3 = (lam * lam - x1 - x2) % p
        return (x3, (lam * (x1 - x3) - y1) % p)

    # ------------------------------------------------------------ scalar multiplication

    def _recode(self, k: int) -> tuple[int, list[int]]:
        """Regular signed-window recoding of k mod n: (top digit, digits low to high)."""
        k %= self.n
        if k == 0:
            return 0, []
        k += self.n * (1 - (k & 1))  # n is odd and n*P = O: same point, odd scalar; no branch
        steps = self.n.bit_length() // _WINDOW
        full = 1 << (_WINDOW + 1)
        half = 1 << _WINDOW
        digits = []
        for _ in range(steps):
            d = (k & (full - 1)) - half
            k = (k - d) >> _WINDOW
            digits.append(d)
        if not 0 < k < half:  # pragma: no cover - guarded by the bound on `steps`
            raise AssertionError("recoding overflow")
        return k, digits

    def _odd_multiples_jacobian(self, point: tuple[int, int]) -> list[tuple[int, int, int]]:
        """[P, 3P, ..., 15P] in Jacobian coordinates (one inversion, for 2P)."""
        p, a = self.p, self.a
        twice = self.add(point, point)
        if twice is None:  # only for points of order 2, which validation excludes
            raise MalformedData()
        tx, ty = twice
        table = [(point[0], point[1], 1)]
        for _ in range((1 << (_WINDOW - 1)) - 1):
            x, y, z = table[-1]
            table.append(_jadd_affine(x, y, z, tx, ty, p, a))
        return table

    def _odd_multiples(self, point: tuple[int, int]) -> list[tuple[int, int]]:
        """[P, 3P, 5P, ..., 15P] in affine coordinates (batch-normalised)."""
        return _batch_to_affine(self._odd_multiples_jacobian(point), self.p)

    def mul(self, k: int, point: Point) -> Point:
        """k * P for any point on the curve (constant-shape regular window)."""
        if point is None:
            return None
        top, digits = self._recode(k)
        if top == 0:
            return None
        table = self._odd_multiples(point)
        p, a = self.p, self.a
        x, y = table[top >> 1]
        jx, jy, jz = x, y, 1
        for d in reversed(digits):
            for _ in range(_WINDOW):
                jx, jy, jz = _jdouble(jx, jy, jz, p, a)
            qx, qy = table[abs(d) >> 1]
            if d < 0:
                qy = p - qy
            jx, jy, jz = _jadd_affine(jx, jy, jz, qx, qy, p, a)
        return _to_affine(jx, jy, jz, p)

    def mul_base(self, k: int) -> Point:
        """k * G: OpenSSL (``cryptography``) on NIST curves, else our fixed-base table.

        Measured here: OpenSSL's brainpool k*G is slower than the table (no optimised
        brainpool code), while its NIST P-256 is ~10x faster.
        """
        k %= self.n
        if k == 0:
            return None
        if self.openssl_base and self.crypto_curve is not None:
            numbers = (
                crypto_ec.derive_private_key(k, self.crypto_curve()).public_key().public_numbers()
            )
            return (numbers.x, numbers.y)
        return self._mul_base_table(k)

    def precompute(self) -> None:
        """Build the fixed-base table now (a few ms to tens of ms) instead of on first use.

        The kiosk calls this at start-up for the curves it expects (brainpoolP320r1).
        """
        if not self.openssl_base:
            self._table()

    def _table(self) -> list[list[tuple[int, int]]]:
        with self._lock:
            if self._base_table is None:
                # all rows in Jacobian coordinates, then one batch inversion
                p, a = self.p, self.a
                count = self.n.bit_length() // _WINDOW + 1
                jacobian: list[tuple[int, int, int]] = []
                base = self.generator
                for index in range(count):
                    jacobian += self._odd_multiples_jacobian(base)
                    if index + 1 < count:
                        x, y, z = base[0], base[1], 1
                        for _ in range(_WINDOW):
                            x, y, z = _jdouble(x, y, z, p, a)
                        nxt = _to_affine(x, y, z, p)
                        assert nxt is not None  # 16^i * G is never O for i*4 < log2 n
                        base = nxt
                flat = _batch_to_affine(jacobian, p)
                width = 1 << (_WINDOW - 1)
                self._base_table = [flat[i : i + width] for i in range(0, len(flat), width)]
            return self._base_table

    def _mul_base_table(self, k: int) -> Point:
        top, digits = self._recode(k)
        rows = self._table()
        p, a = self.p, self.a
        x, y = rows[len(digits)][top >> 1]
        jx, jy, jz = x, y, 1
        for i, d in enumerate(digits):
            qx, qy = rows[i][abs(d) >> 1]
            if d < 0:
                qy = p - qy
            jx, jy, jz = _jadd_affine(jx, jy, jz, qx, qy, p, a)
        return _to_affine(jx, jy, jz, p)

    def ecdh_x(self, k: int, point: tuple[int, int]) -> bytes:
        """x(k * P) left-padded: the ECKA shared secret of TR-03111 (cofactor 1 curves).

        Only x is needed, so OpenSSL's ECDH does it where ``cryptography`` knows the curve
        (any point of the prime-order group works, also one on a PACE-mapped generator's
        group, which is the same group); measured 1.3-20x faster than our own code.
        """
        if self.crypto_curve is not None and k % self.n:
            try:
                peer = crypto_ec.EllipticCurvePublicNumbers(point[0], point[1], self.crypto_curve())
                own = crypto_ec.derive_private_key(k % self.n, self.crypto_curve())
                return own.exchange(crypto_ec.ECDH(), peer.public_key())
            except ValueError as exc:  # not on the curve
                raise MalformedData() from exc
        result = self.mul(k, point)
        if result is None:
            raise MalformedData()
        return self.encode_x(result)


def _jdouble(x: int, y: int, z: int, p: int, a: int) -> tuple[int, int, int]:
    """2 * (x:y:z) in Jacobian coordinates (generic a)."""
    if z == 0 or y == 0:
        return 1, 1, 0
    xx = x * x % p
    yy = y * y % p
    zz = z * z % p
    s = 4 * x * yy % p
    m = (3 * xx + a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * yy * yy) % p
    return x3, y3, 2 * y * z % p


def _jadd_affine(  # noqa: PLR0917 - hot path, positional on purpose
    x1: int, y1: int, z1: int, x2: int, y2: int, p: int, a: int
) -> tuple[int, int, int]:
    """(x1:y1:z1) + (x2, y2): mixed Jacobian-affine addition."""
    if z1 == 0:
        return x2, y2, 1
    z1z1 = z1 * z1 % p
    u2 = x2 * z1z1 % p
    s2 = y2 * z1 * z1z1 % p
    hh_ = (u2 - x1) % p
    r = (s2 - y1) % p
    if hh_ == 0:
        if r == 0:
            return _jdouble(x1, y1, z1, p, a)
        return 1, 1, 0
    hh = hh_ * hh_ % p
    hhh = hh_ * hh % p
    v = x1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - y1 * hhh) % p
    return x3, y3, z1 * hh_ % p


def _batch_to_affine(points: list[tuple[int, int, int]], p: int) -> list[tuple[int, int]]:
    """Normalise Jacobian points with one inversion (Montgomery's trick)."""
    prefix = []
    acc = 1
    for _, _, z in points:
        if z == 0:
            raise MalformedData()  # a table entry at infinity: the point has tiny order
        acc = acc * z % p
        prefix.append(acc)
    inv = pow(acc, -1, p)
    out: list[tuple[int, int]] = [(0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        x, y, z = points[i]
        zinv = inv * prefix[i - 1] % p if i else inv
        inv = inv * z % p
        zinv2 = zinv * zinv % p
        out[i] = (x * zinv2 % p, y * zinv2 * zinv % p)
    return out


def _to_affine(x: int, y: int, z: int, p: int) -> Point:
    if z == 0:
        return None
    zinv = pow(z, -1, p)
    zinv2 = zinv * zinv % p
    return (x * zinv2 % p, y * zinv2 * zinv % p)


BRAINPOOL_P256R1 = Curve(
    "brainpoolP256r1",
    13,
    p=0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
    a=0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
    b=0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
    gx=0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
    gy=0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997,
    n=0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
    crypto_curve=crypto_ec.BrainpoolP256R1,
)
BRAINPOOL_P320R1 = Curve(
    "brainpoolP320r1",
    14,
    p=0xD35E472036BC4FB7E13C785ED201E065F98FCFA6F6F40DEF4F92B9EC7893EC28FCD412B1F1B32E27,
    a=0x3EE30B568FBAB0F883CCEBD46D3F3BB8A2A73513F5EB79DA66190EB085FFA9F492F375A97D860EB4,
    b=0x520883949DFDBC42D3AD198640688A6FE13F41349554B49ACC31DCCD884539816F5EB4AC8FB1F1A6,
    gx=0x43BD7E9AFB53D8B85289BCC48EE5BFE6F20137D10A087EB6E7871E2A10A599C710AF8D0D39E20611,
    gy=0x14FDD05545EC1CC8AB4093247F77275E0743FFED117182EAA9C77877AAAC6AC7D35245D1692E8EE1,
    n=0xD35E472036BC4FB7E13C785ED201E065F98FCFA5B68F12A32D482EC7EE8658E98691555B44C59311,
)
BRAINPOOL_P384R1 = Curve(
    "brainpoolP384r1",
    16,
    p=int(
        "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123"
        "ACD3A729901D1A71874700133107EC53",
        16,
    ),
    a=int(
        "7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F"
        "8AA5814A503AD4EB04A8C7DD22CE2826",
        16,
    ),
    b=int(
        "04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D5"
        "7CB4390295DBC9943AB78696FA504C11",
        16,
    ),
    gx=int(
        "1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8"
        "E826E03436D646AAEF87B2E247D4AF1E",
        16,
    ),
    gy=int(
        "8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF9912928"
        "0E4646217791811142820341263C5315",
        16,
    ),
    n=int(
        "8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7"
        "CF3AB6AF6B7FC3103B883202E9046565",
        16,
    ),
    crypto_curve=crypto_ec.BrainpoolP384R1,
)
BRAINPOOL_P512R1 = Curve(
    "brainpoolP512r1",
    17,
    p=int(
        "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330871"
        "7D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
        16,
    ),
    a=int(
        "7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC"
        "2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
        16,
    ),
    b=int(
        "3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A7"
        "2BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
        16,
    ),
    gx=int(
        "81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098E"
        "FF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
        16,
    ),
    gy=int(
        "7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111"
        "B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
        16,
    ),
    n=int(
        "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870"
        "553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069",
        16,
    ),
    crypto_curve=crypto_ec.BrainpoolP512R1,
)
NIST_P256 = Curve(
    "P-256",
    12,
    p=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    a=0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
    b=0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    gx=0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    gy=0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    n=0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    crypto_curve=crypto_ec.SECP256R1,
    openssl_base=True,
)
NIST_P384 = Curve(
    "P-384",
    15,
    p=int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE"
        "FFFFFFFF0000000000000000FFFFFFFF",
        16,
    ),
    a=int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE"
        "FFFFFFFF0000000000000000FFFFFFFC",
        16,
    ),
    b=int(
        "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875A"
        "C656398D8A2ED19D2A85C8EDD3EC2AEF",
        16,
    ),
    gx=int(
        "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A38"
        "5502F25DBF55296C3A545E3872760AB7",
        16,
    ),
    gy=int(
        "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C0"
        "0A60B1CE1D7E819D7A431D7C90EA0E5F",
        16,
    ),
    n=int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
    crypto_curve=crypto_ec.SECP384R1,
    openssl_base=True,
)
NIST_P521 = Curve(
    "P-521",
    18,
    p=(1 << 521) - 1,
    a=(1 << 521) - 4,
    b=int(
        "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF1"
        "09E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B50"
        "3F00",
        16,
    ),
    gx=int(
        "00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D"
        "3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5"
        "BD66",
        16,
    ),
    gy=int(
        "011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E"
        "662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD1"
        "6650",
        16,
    ),
    n=int(
        "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E9138"
        "6409",
        16,
    ),
    crypto_curve=crypto_ec.SECP521R1,
    openssl_base=True,
)

# The small curves of 9303-11 section 9.5.1 (IDs 8-11). No Dutch document uses them, but
# other states' chips may; OpenSSL has the NIST two, none of the ``cryptography`` Brainpool
# classes covers 192/224 bits, so those run on our arithmetic only (cross-checked against
# python-ecdsa in tests/unit/emrtd/test_ec_independent.py).
NIST_P192 = Curve(
    "P-192",
    8,
    p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFF,
    a=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFC,
    b=0x64210519E59C80E70FA7E9AB72243049FEB8DEECC146B9B1,
    gx=0x188DA80EB03090F67CBF20EB43A18800F4FF0AFD82FF1012,
    gy=0x07192B95FFC8DA78631011ED6B24CDD573F977A11E794811,
    n=0xFFFFFFFFFFFFFFFFFFFFFFFF99DEF836146BC9B1B4D22831,
    crypto_curve=crypto_ec.SECP192R1,
)
BRAINPOOL_P192R1 = Curve(
    "brainpoolP192r1",
    9,
    p=0xC302F41D932A36CDA7A3463093D18DB78FCE476DE1A86297,
    a=0x6A91174076B1E0E19C39C031FE8685C1CAE040E5C69A28EF,
    b=0x469A28EF7C28CCA3DC721D044F4496BCCA7EF4146FBF25C9,
    gx=0xC0A0647EAAB6A48753B033C56CB0F0900A2F5C4853375FD6,
    gy=0x14B690866ABD5BB88B5F4828C1490002E6773FA2FA299B8F,
    n=0xC302F41D932A36CDA7A3462F9E9E916B5BE8F1029AC4ACC1,
)
NIST_P224 = Curve(
    "P-224",
    10,
    p=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001,
    a=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFE,
    b=0xB4050A850C04B3ABF54132565044B0B7D7BFD8BA270B39432355FFB4,
    gx=0xB70E0CBD6BB4BF7F321390B94A03C1D356C21122343280D6115C1D21,
    gy=0xBD376388B5F723FB4C22DFE6CD4375A05A07476444D5819985007E34,
    n=0xFFFFFFFFFFFFFFFFFFFFFFFFFFFF16A2E0B8F03E13DD29455C5C2A3D,
    crypto_curve=crypto_ec.SECP224R1,
)
BRAINPOOL_P224R1 = Curve(
    "brainpoolP224r1",
    11,
    p=0xD7C134AA264366862A18302575D1D787B09F075797DA89F57EC8C0FF,
    a=0x68A5E62CA9CE6C1C299803A6C1530B514E182AD8B0042A59CAD29F43,
    b=0x2580F63CCFE44138870713B1A92369E33E2135D266DBB372386C400B,
    gx=0x0D9029AD2C7E5CF4340823B2A87DC68C9E4CE3174C1E6EFDEE12C07D,
    gy=0x58AA56F772C0726F24C6B89E4ECDAC24354B9E99CAA3F6D3761402CD,
    n=0xD7C134AA264366862A18302575D0FB98D116BC4B6DDEBCA3A5A7939F,
)

CURVES: tuple[Curve, ...] = (
    NIST_P192,
    BRAINPOOL_P192R1,
    NIST_P224,
    BRAINPOOL_P224R1,
    BRAINPOOL_P256R1,
    BRAINPOOL_P320R1,
    BRAINPOOL_P384R1,
    BRAINPOOL_P512R1,
    NIST_P256,
    NIST_P384,
    NIST_P521,
)
BY_PARAM_ID: dict[int, Curve] = {c.param_id: c for c in CURVES if c.param_id is not None}
BY_NAME: dict[str, Curve] = {c.name: c for c in CURVES}


def find_curve(p: int, a: int, b: int, gx: int, gy: int, n: int) -> Curve | None:  # noqa: PLR0917
    """The known curve with exactly these explicit parameters (9.5.2), or None."""
    for curve in CURVES:
        if (curve.p, curve.a % curve.p, curve.b, curve.gx, curve.gy, curve.n) == (
            p,
            a % p,
            b,
            gx,
            gy,
            n,
        ):
            return curve
    return None
