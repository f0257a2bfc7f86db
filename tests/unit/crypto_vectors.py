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
