"""RFC 3161 time-stamp responses read and checked: the status, the imprint, the CMS SignedData signature (RFC 5652
§5.4), the signer's certificate and its chain. Parsing is asn1crypto's, signatures are cryptography's; what is
checked, and in what words a failure is told, is here once, for the client that asks for a stamp and for
`firehouse evidence verify`.

Every check raises `Invalid` with one line saying what is wrong; nothing else escapes for a malformed answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import algos, core, tsp
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID

# Digests a stamp may use: SHA-1 and MD5 are refused, as a collision would let one stamp stand for two files.
DIGESTS = {"sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
           "sha3_256": hashes.SHA3_256, "sha3_384": hashes.SHA3_384, "sha3_512": hashes.SHA3_512}
MAX_CHAIN = 8  # certificates from the signer to the anchor; a longer path is a loop or a trick
GRANTED = {"granted", "granted_with_mods"}


class Response(core.Sequence):
    """`TimeStampResp` as RFC 3161 §2.4.2 has it: asn1crypto's makes the token mandatory, so a refusal (which has
    none) would read as garbage instead of in the TSA's own words."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", asn1_cms.ContentInfo, {"optional": True})]


class Invalid(Exception):
    """A time-stamp response that is not what it should be; the message says why, in one line."""


def rfc_word(name: str) -> str:
    """asn1crypto's `granted_with_mods` as RFC 3161 spells it: `grantedWithMods`."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def digest(algorithm: str, data: bytes) -> bytes:
    if algorithm not in DIGESTS:
        raise Invalid(f"it uses the digest {algorithm}, which is not accepted")
    return hashlib.new(algorithm, data).digest()


@dataclass(frozen=True)
class Token:
    """A granted response's time-stamp token: the SignedData, its TSTInfo, and the certificates it carries."""

    signed: asn1_cms.SignedData
    info: tsp.TSTInfo

    @property
    def time(self) -> datetime:
        return self.info["gen_time"].native

    @property
    def nonce(self) -> int | None:
        return self.info["nonce"].native

    @property
    def certificates(self) -> list[x509.Certificate]:
        return [x509.load_der_x509_certificate(choice.chosen.dump()) for choice in self.signed["certificates"]
                if choice.name == "certificate"]

    @property
    def signer_info(self) -> asn1_cms.SignerInfo:
        return self.signed["signer_infos"][0]

    def check_imprint(self, data: bytes, *, what: str) -> None:
        """The token stamps `data`: the TSA signed the digest of exactly these bytes."""
        imprint = self.info["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if imprint["hashed_message"].native != digest(algorithm, data):
            raise Invalid(f"the stamp is over other data than {what} (its {algorithm} imprint differs)")


def read(response: bytes) -> Token:
    """The token of a granted `TimeStampResp`; Invalid for anything else, with the TSA's status and reasons."""
    try:
        parsed = Response.load(response, strict=True)
        status = parsed["status"]
        word = status["status"].native
    except (ValueError, TypeError, KeyError):
        raise Invalid("the answer is not a time-stamp response (RFC 3161 TimeStampResp)") from None
    if word not in GRANTED:
        reasons = ", ".join(sorted(rfc_word(bit) for bit in status["fail_info"].native or ()))
        said = "; ".join(status["status_string"].native or ())
        raise Invalid(f"refused: {rfc_word(str(word))}" + (f" ({reasons})" if reasons else "")
                      + (f": {said}" if said else ""))
    try:
        token = parsed["time_stamp_token"]
        if token.native is None:
            raise Invalid(f"{rfc_word(word)}, but the answer holds no time-stamp token")
        if token["content_type"].native != "signed_data":
            raise Invalid("its token is not CMS SignedData")
        signed = token["content"]
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].native != "tst_info":
            raise Invalid("its token holds no TSTInfo")
        info = encapsulated["content"].parsed
        info.native, signed.native  # parse it all now, so a malformed field fails here and not in a later check
        if len(signed["signer_infos"]) != 1:
            raise Invalid(f"its token has {len(signed['signer_infos'])} signers instead of one")
        return Token(signed, info)
    except (ValueError, TypeError, KeyError):
        raise Invalid("its time-stamp token is malformed") from None


def described(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "a certificate with no subject"


def signer(token: Token, more: Sequence[x509.Certificate] = ()) -> x509.Certificate:
    """The certificate the signer info names (by issuer and serial, or by subject key identifier), among the
    token's own certificates and `more`."""
    sid = token.signer_info["sid"]
    for certificate in [*token.certificates, *more]:
        ours = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
        if sid.name == "issuer_and_serial_number":
            if ours.issuer == sid.chosen["issuer"] and ours.serial_number == sid.chosen["serial_number"].native:
                return certificate
        elif ours.key_identifier == sid.chosen.native:
            return certificate
    raise Invalid("the signer's certificate is neither in the token nor in the chain given")


def check_signature(token: Token, certificate: x509.Certificate) -> None:
    """The SignedData holds (RFC 5652 §5.4): its signed attributes say they sign a TSTInfo with exactly this
    digest and name this certificate (RFC 3161 §2.4.1, ESS), and their DER, as a SET, is signed by its key."""
    info = token.signer_info
    algorithm = info["digest_algorithm"]["algorithm"].native
    if info["signed_attrs"].native is None:
        raise Invalid("its signer info has no signed attributes")
    attributes = {attribute["type"].native: attribute["values"] for attribute in info["signed_attrs"]}
    if [value.native for value in attributes.get("content_type", ())] != ["tst_info"]:
        raise Invalid("its signed attributes do not say they sign a TSTInfo")
    encapsulated = bytes(token.signed["encap_content_info"]["content"])
    if [value.native for value in attributes.get("message_digest", ())] != [digest(algorithm, encapsulated)]:
        raise Invalid("its signed message digest is not the digest of its TSTInfo")
    check_names_signer(attributes, certificate)
    # The attributes are signed as a SET OF (tag 0x31), not with the [0] IMPLICIT tag they travel under.
    signed = b"\x31" + info["signed_attrs"].dump()[1:]
    try:
        verify(certificate.public_key(), info["signature"].native, signed, algorithm=algorithm,
               scheme=info["signature_algorithm"])
    except InvalidSignature:
        raise Invalid(f"its signature does not verify with the key of {described(certificate)}") from None


def check_names_signer(attributes: dict[str, Any], certificate: x509.Certificate) -> None:
    """RFC 3161 requires the ESS signing-certificate attribute (v1: SHA-1; v2, RFC 5816: a digest it names), so
    the signer's certificate cannot be swapped for another with the same key."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    for name, default in (("signing_certificate_v2", "sha256"), ("signing_certificate", "sha1")):
        if name in attributes:
            first = attributes[name][0]["certs"][0]
            algorithm = first["hash_algorithm"]["algorithm"].native if name.endswith("v2") else default
            if first["cert_hash"].native != hashlib.new(algorithm, der).digest():
                raise Invalid(f"its signing-certificate attribute names another certificate than "
                              f"{described(certificate)}")
            return
    raise Invalid("its signed attributes lack the signing-certificate attribute RFC 3161 requires")


def verify(key: PublicKeyTypes, signature: bytes, data: bytes, *, algorithm: str,
           scheme: algos.SignedDigestAlgorithm) -> None:
    """The signature over `data` with the signer's digest: RSA (PKCS #1 v1.5 or PSS), ECDSA, or EdDSA."""
    chosen = DIGESTS[algorithm]()
    kind = scheme.signature_algo
    if isinstance(key, rsa.RSAPublicKey) and kind == "rsassa_pkcs1v15":
        key.verify(signature, data, padding.PKCS1v15(), chosen)
    elif isinstance(key, rsa.RSAPublicKey) and kind == "rsassa_pss":
        salt = scheme["parameters"]["salt_length"].native
        key.verify(signature, data, padding.PSS(padding.MGF1(chosen), salt), chosen)
    elif isinstance(key, ec.EllipticCurvePublicKey) and kind == "ecdsa":
        key.verify(signature, data, ec.ECDSA(chosen))
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey) and kind in ("ed25519", "ed448"):
        key.verify(signature, data)
    else:
        raise Invalid(f"its signature algorithm ({kind}) does not fit the signer's key, or is not supported")


def check_time_stamping(certificate: x509.Certificate) -> None:
    """RFC 3161 §2.3: a TSA's certificate has one extended key usage, timeStamping, and marks it critical."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not usage.critical or list(usage.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise Invalid(f"{described(certificate)} is not a time-stamping certificate (a critical extended key usage "
                      "of timeStamping only)")


def check_valid_at(certificate: x509.Certificate, moment: datetime) -> None:
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise Invalid(f"{described(certificate)} was not valid at the stamped time (valid "
                      f"{certificate.not_valid_before_utc:%Y-%m-%d} to {certificate.not_valid_after_utc:%Y-%m-%d})")


def chain_to(certificate: x509.Certificate, *, pool: Sequence[x509.Certificate],
             anchors: Sequence[x509.Certificate], at: datetime) -> list[x509.Certificate]:
    """The path from `certificate` through CA certificates of `pool` to one of `anchors`, each signed by the next
    and valid at `at`; Invalid when there is none."""
    path = [certificate]
    while len(path) <= MAX_CHAIN:
        current = path[-1]
        check_valid_at(current, at)
        if current in anchors:
            return path
        anchor = next((candidate for candidate in anchors if issued(current, candidate)), None)
        if anchor is not None:
            check_valid_at(anchor, at)
            return [*path, anchor]
        parent = next((candidate for candidate in pool
                       if candidate not in path and is_ca(candidate) and issued(current, candidate)), None)
        if parent is None:
            raise Invalid(f"{described(current)} is not issued by the given CA nor by a CA certificate in the chain "
                          f"(its issuer: {current.issuer.rfc4514_string()})")
        path.append(parent)
    raise Invalid(f"no path to the given CA within {MAX_CHAIN} certificates")


def issued(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def pem(certificates: Sequence[x509.Certificate]) -> bytes:
    return b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in certificates)
