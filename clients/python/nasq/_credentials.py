"""What a Python client presents to nasq-server: TLS trust (the CA that signed the server's
certificate), an optional client certificate for mutual TLS, and a bearer token
(docs/security.md). The same rules as the CLI's (client/client_credentials.h).

Contract: `load_credentials(address, token=..., token_file=..., tls_ca=..., tls_cert=...,
tls_key=...)` fills each path left None or empty from the environment: tls_ca from $NASQ_TLS_CA,
tls_cert from $NASQ_TLS_CERT, tls_key from $NASQ_TLS_KEY; the token is `token` when not None,
else the file `token_file`, else $NASQ_TOKEN, else the file $NASQ_TOKEN_FILE. A token file's
first line is the token, without surrounding whitespace. Raises nasq.errors.InvalidArgument
naming the argument (or the environment variable it came from) for: token and token_file both
given; a client certificate without its key or the reverse; a client certificate without tls_ca;
a file that cannot be read, or a PEM setting whose file holds no PEM block; a token that is
empty or not printable ASCII without spaces (the message never quotes the token); a token
without TLS for a server that is not on this machine (it would cross the network in clear text).
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Optional

import grpc

from nasq import errors


@dataclass(frozen=True)
class Credentials:
    """What one Connection sends: `channel` None means plain text."""

    token: str                                   # "" when none
    channel: Optional[grpc.ChannelCredentials]   # TLS trust and client certificate
    # Added to UNAVAILABLE errors over TLS, where gRPC often says only "Socket closed": which
    # CA and client certificate were used and what a server refuses. "" for plain text.
    tls_hint: str = ""

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The gRPC metadata of every call: the bearer token, if any."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


@dataclass(frozen=True)
class _Setting:
    """A path or token and where it came from (an argument or an environment variable), for
    error messages."""

    value: str
    source: str


def _setting(value: Optional[str], argument: str, env: str) -> Optional[_Setting]:
    if value:
        return _Setting(value, argument)
    if os.environ.get(env):
        return _Setting(os.environ[env], env)
    return None


def _read(setting: _Setting) -> bytes:
    try:
        with open(setting.value, "rb") as f:
            return f.read()
    except OSError as e:
        raise errors.InvalidArgument(
            f"{setting.source}: cannot read {setting.value}: {e.strerror}") from e


def _read_pem(setting: Optional[_Setting]) -> Optional[bytes]:
    if setting is None:
        return None
    pem = _read(setting)
    if b"-----BEGIN " not in pem:
        raise errors.InvalidArgument(f"{setting.source}: {setting.value} is not a PEM file")
    return pem


def _parse_token(text: str, source: str) -> str:
    """The token in `text`: its first line without surrounding whitespace."""
    token = text.split("\n", 1)[0].strip()
    if not token:
        raise errors.InvalidArgument(f"{source}: the token is empty")
    if any(c <= " " or c > "~" for c in token):
        raise errors.InvalidArgument(f"{source}: the token must be printable ASCII without spaces")
    return token


def _read_token_file(path: _Setting) -> str:
    try:
        text = _read(path).decode("ascii")
    except UnicodeDecodeError:
        raise errors.InvalidArgument(
            f"{path.source}: the token must be printable ASCII without spaces") from None
    return _parse_token(text, path.source)


def _load_token(token: Optional[str], token_file: Optional[str]) -> str:
    """The token, in the CLI's order: token, token_file, $NASQ_TOKEN, $NASQ_TOKEN_FILE."""
    if token is not None and token_file:
        raise errors.InvalidArgument("token, token_file: give one of them, not both")
    if token is not None:
        return _parse_token(token, "token")
    if token_file:
        return _read_token_file(_Setting(token_file, "token_file"))
    if os.environ.get("NASQ_TOKEN"):
        return _parse_token(os.environ["NASQ_TOKEN"], "NASQ_TOKEN")
    if os.environ.get("NASQ_TOKEN_FILE"):
        return _read_token_file(_Setting(os.environ["NASQ_TOKEN_FILE"], "NASQ_TOKEN_FILE"))
    return ""


def is_loopback(address: str) -> bool:
    """Whether `address` ("host:port", "[v6]:port", "unix:...") is on this machine."""
    if address.startswith(("unix:", "unix-abstract:")):
        return True
    host = address.rsplit(":", 1)[0] if ":" in address else ""
    host = host.removeprefix("[").removesuffix("]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_credentials(address: str, *, token: Optional[str] = None,
                     token_file: Optional[str] = None, tls_ca: Optional[str] = None,
                     tls_cert: Optional[str] = None,
                     tls_key: Optional[str] = None) -> Credentials:
    """The credentials for the server at `address`; see the module contract."""
    ca = _setting(tls_ca, "tls_ca", "NASQ_TLS_CA")
    cert = _setting(tls_cert, "tls_cert", "NASQ_TLS_CERT")
    key = _setting(tls_key, "tls_key", "NASQ_TLS_KEY")
    if cert is None and key is not None:
        raise errors.InvalidArgument(
            f"{key.source}: needs the client certificate too (tls_cert or NASQ_TLS_CERT)")
    if cert is not None and key is None:
        raise errors.InvalidArgument(
            f"{cert.source}: needs its private key too (tls_key or NASQ_TLS_KEY)")
    if cert is not None and ca is None:
        raise errors.InvalidArgument(
            f"{cert.source}: needs tls_ca (or NASQ_TLS_CA): client certificates need TLS")
    channel, tls_hint = None, ""
    if ca is not None:
        channel = grpc.ssl_channel_credentials(root_certificates=_read_pem(ca),
                                               private_key=_read_pem(key),
                                               certificate_chain=_read_pem(cert))
        presented = (f"the client certificate {cert.value}" if cert is not None
                     else "no client certificate")
        tls_hint = (f"TLS trusting the CA {ca.value}, with {presented}: if the server is up, "
                    f"its certificate must be signed by that CA for {address}, and a server "
                    "with --tls-client-ca refuses clients without a certificate it signed")
    bearer = _load_token(token, token_file)
    if bearer and channel is None and not is_loopback(address):
        raise errors.InvalidArgument(
            f"tls_ca: needed to send a token to {address} (not on this machine; the token "
            "would cross the network in clear text); pass tls_ca or set NASQ_TLS_CA")
    return Credentials(token=bearer, channel=channel, tls_hint=tls_hint)
