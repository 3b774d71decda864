"""vSphere reached through pyVmomi: one scope per configured vCenter."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyVmomi import vim, vmodl

from collectors.base import PermanentError, Source
from collectors.vsphere.config import VSphereConfig
from collectors.vsphere.session import VCenter, VSphereSession
from model import Kind

# What retrying cannot heal: wrong credentials or rights, an untrusted certificate.
DENIED = (vim.fault.InvalidLogin, vim.fault.NoPermission, ssl.SSLCertVerificationError)


class VSphereSource(Source):
    def __init__(self, config: VSphereConfig) -> None:
        self.config = config
        self.vcenters = {v.name: v for v in config.vcenters}
        self._connections: dict[str, VCenter] = {}
        self._lock = threading.Lock()

    def connection(self, name: str) -> VCenter:
        """The vCenter's shared connection, made on first use."""
        with self._lock:
            if name not in self._connections:
                self._connections[name] = VCenter(self.vcenters[name])
            return self._connections[name]

    def scopes(self, kind: Kind, within: dict[str, Any]) -> Iterator[dict[str, Any]]:
        name = within.get("vcenter")
        if name is not None:
            self._known(name)
            yield {"vcenter": name}
            return
        for vcenter in self.config.vcenters:
            yield {"vcenter": vcenter.name}

    def _known(self, name: str) -> None:
        if name not in self.vcenters:
            known = ", ".join(sorted(self.vcenters)) or "none configured"
            raise PermanentError(f"unknown vCenter {name!r} (known: {known})")

    @contextmanager
    def open(self, kind: Kind, payload: dict[str, Any]) -> Iterator[VSphereSession]:
        name = payload.get("vcenter")
        if name is None:
            raise PermanentError(f"{kind.task} needs a vcenter to run in")
        self._known(name)
        yield VSphereSession(self.connection(name))

    def is_permanent(self, exc: BaseException) -> bool:
        return isinstance(exc, DENIED)

    def describe(self, exc: BaseException) -> str:
        if isinstance(exc, vim.fault.InvalidLogin):
            return "vCenter refused the login: check its user and password"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return (
                f"the vCenter's TLS certificate is not trusted ({exc.verify_message}): "
                "give its CA as ca_file, or set verify_tls: false to accept any"
            )
        if isinstance(exc, vmodl.MethodFault):
            return f"vSphere {type(exc).__name__}: {exc.msg or ''}".strip()
        if isinstance(exc, OSError):
            return f"vCenter not reachable: {exc}"
        return f"{type(exc).__name__}: {exc}"
