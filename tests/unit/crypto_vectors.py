#!/usr/bin/python3
"""Prints the reference vectors of tests/unit/test_seal.c, test_custody.c and test_audit.c, computed from the
published algorithms with Python's standard library (and an RFC 7748 X25519 written here), never
with the code under test."""
import base64
import hashlib
import struct

KEY = bytes(range(32))          # 00 01 .. 1f: the fixed key of every vector


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def mac(key, domain, msg):
    """lib/seal.c seal_mac: keyed BLAKE2b-256 of domain || 0 || msg."""
    return hashlib.blake2b(domain.encode() + b"\0" + msg, key=key, digest_size=32).digest()


# RFC 7748 X25519 (section 5), the Montgomery ladder as written there.
P = 2 ** 255 - 19
A24 = 121665


def x25519(k, u):
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(k, "little")
    u = int.from_bytes(u, "little") % (2 ** 255)
    x1, x2, z2, x3, z3, swap = u, 1, 0, u, 1, 0
    for t in reversed(range(255)):
        kt = (k >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        a, b = (x2 + z2) % P, (x2 - z2) % P
        aa, bb = a * a % P, b * b % P
        e = (aa - bb) % P
        c, d = (x3 + z3) % P, (x3 - z3) % P
        da, cb = d * a % P, c * b % P
        x3, z3 = (da + cb) ** 2 % P, x1 * (da - cb) ** 2 % P
        x2, z2 = aa * bb % P, e * (aa + A24 * e) % P
    if swap:
        x2, x3, z2, z3 = x3, x2, z3, z2
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


BASE = (9).to_bytes(32, "little")
# RFC 7748 section 6.1: Alice's key pair, to check the function above before using it
assert x25519(bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), BASE).hex() == \
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"


# Salsa20 (Bernstein's specification), HSalsa20 and XSalsa20 ("Extending the Salsa20 nonce"), Poly1305
# (RFC 8439 section 2.5): crypto_box_beforenm and crypto_secretbox as NaCl defines them.
M32 = 0xffffffff
SIGMA = b"expand 32-byte k"


def rotl(v, c):
    return ((v << c) & M32) | (v >> (32 - c))


def salsa20_rounds(x):
    x = list(x)
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (5, 9, 13, 1), (10, 14, 2, 6), (15, 3, 7, 11),     # columns
                           (0, 1, 2, 3), (5, 6, 7, 4), (10, 11, 8, 9), (15, 12, 13, 14)):   # rows
            x[b] ^= rotl((x[a] + x[d]) & M32, 7)
            x[c] ^= rotl((x[b] + x[a]) & M32, 9)
            x[d] ^= rotl((x[c] + x[b]) & M32, 13)
            x[a] ^= rotl((x[d] + x[c]) & M32, 18)
    return x


def salsa20_state(k, n16):
    w = lambda b: list(struct.unpack("<4I", b))
    c, k1, k2, n = w(SIGMA), w(k[:16]), w(k[16:]), w(n16)
    return [c[0]] + k1 + [c[1]] + n + [c[2]] + k2 + [c[3]]


def hsalsa20(k, n16):
    x = salsa20_rounds(salsa20_state(k, n16))
    return struct.pack("<8I", *[x[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)])


def xsalsa20_stream(k, n24, length):
    sub, out, block = hsalsa20(k, n24[:16]), b"", 0
    while len(out) < length:
        x0 = salsa20_state(sub, n24[16:] + struct.pack("<Q", block))
        out += struct.pack("<16I", *[(a + b) & M32 for a, b in zip(salsa20_rounds(x0), x0)])
        block += 1
    return out[:length]


def poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0ffffffc0ffffffc0ffffffc0fffffff
    acc, p = 0, 2 ** 130 - 5
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    return ((acc + int.from_bytes(key[16:], "little")) % 2 ** 128).to_bytes(16, "little")


def secretbox(k, n24, m):
    """crypto_secretbox_easy (= crypto_box_easy_afternm): MAC || ciphertext."""
    stream = xsalsa20_stream(k, n24, 32 + len(m))
    c = bytes(a ^ b for a, b in zip(m, stream[32:]))
    return poly1305(stream[:32], c) + c


# RFC 8439 section 2.5.2, and NaCl's tests/core1.c (HSalsa20 of RFC 7748 section 6.1's shared secret):
# checks of the functions above before using them
assert poly1305(bytes.fromhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"),
                b"Cryptographic Forum Research Group").hex() == "a8061dc1305136c6c22b8baf0c0127a9"
assert hsalsa20(bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), bytes(16)).hex() \
    == "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389"


def seed_keypair(seed):
    """libsodium's crypto_box_seed_keypair: sk = SHA-512(seed)[0:32], pk = X25519(sk, 9)."""
    sk = hashlib.sha512(seed).digest()[:32]
    return x25519(sk, BASE), sk


def u64(v):
    return struct.pack(">Q", v)


def s(t):
    return u64(len(t.encode())) + t.encode()


def audit_mac(key, seq, at, actor, action, target, detail, addr, prev):
    """lib/audit.c entry_mac: seal_mac(key, "audit", seq, at, length-prefixed texts, prev)."""
    return mac(key, "audit", u64(seq) + u64(at) + s(actor) + s(action) + s(target) + s(detail) + s(addr) + prev)


print("b64url fb ff bf 00:", b64url(b"\xfb\xff\xbf\x00"))
print("hash 'abc':", hashlib.blake2b(b"abc", digest_size=32).hexdigest())
print("mac csrf 'abc':", mac(KEY, "csrf", b"abc").hex())
print("key id of KEY as pk:", hashlib.blake2b(KEY, digest_size=8).hexdigest())
rec = base64.b32encode(KEY).decode().rstrip("=")
print("recovery printable:", "-".join(rec[i:i + 4] for i in range(0, len(rec), 4)))
rpk, rsk = seed_keypair(mac(KEY, "recovery-keypair", b""))
print("recovery pk:", rpk.hex())
print("session wrap key:", mac(KEY, "session-wrap", b"").hex())
m1 = audit_mac(KEY, 1, 100, "sato", "login", "e2e-open", "", "127.0.0.1", bytes(32))
m2 = audit_mac(KEY, 2, 110, "sato", "view", "e2e-open", "", "127.0.0.1", m1)
print("audit mac 1:", m1.hex())
print("audit mac 2 (head):", m2.hex())
print("session cookie of token KEY:", b64url(KEY))
print("session hash of token KEY:", hashlib.blake2b(KEY, digest_size=32).hexdigest())
# lib/confirm.c: a confirmation token, and the keys derived from its stamp (test_confirm.c)
stamp = bytes(range(16)) + u64(1795000000)
ans = '{"name":"テスト 花子"}'.encode()
tok = stamp + mac(KEY, "confirm", b"e2e-open\0" + b"ab" * 32 + b"\0" + b"browser-cookie\0" + stamp + ans)
print("confirm token:", b64url(tok))
print("confirm submit key:", (stamp[16:] + mac(KEY, "submit", stamp)[:24]).hex())
inq = "".join("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[b & 31] for b in mac(KEY, "inquiry", stamp[:16])[:10])
print("confirm inquiry key:", inq)
print("confirm inquiry hash:", mac(KEY, "inquiry-hash", inq.encode()).hex())
# lib/seal.c batch box (format 2) to the key pair of seed KEY, from the ephemeral secret bytes(range(32, 64))
# and the nonce bytes(range(64, 88)): tag 02 || ephemeral pk || nonce || crypto_box_easy_afternm
rpk, _ = seed_keypair(KEY)
esk = bytes(range(32, 64))
shared = hsalsa20(x25519(esk, rpk), bytes(16))
nonce = bytes(range(64, 88))
print("batch box of 'ダミー花子 dummy':", (b"\x02" + x25519(esk, BASE) + nonce +
                                       secretbox(shared, nonce, "ダミー花子 dummy".encode())).hex())
