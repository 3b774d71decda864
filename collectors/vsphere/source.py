"""vSphere reached through pyVmomi: one scope per configured vCenter."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyVmomi import vim, vmodl

from collectors.base import PermanentError, Source
from collectors.vsphere.config import VCenterConfig, VSphereConfig
from collectors.vsphere.session import VCenter, VSphereSession
from model import Kind

# What retrying cannot heal: wrong credentials or rights, an untrusted certificate.
DENIED = (vim.fault.InvalidLogin, vim.fault.NoPermission, ssl.SSLCertVerificationError)


class VSphereSource(Source[VCenterConfig, VCenter]):
    def __init__(self, config: VSphereConfig) -> None:
        super().__init__("vCenter", config.vcenters, VCenter)

    def scopes(self, kind: Kind, within: dict[str, Any]) -> Iterator[dict[str, Any]]:
        name = within.get("vcenter")
        for vcenter in [self.item(name)] if name is not None else self.items.values():
            yield {"vcenter": vcenter.name}

    @contextmanager
    def open(self, kind: Kind, payload: dict[str, Any]) -> Iterator[VSphereSession]:
        name = payload.get("vcenter")
        if name is None:
            raise PermanentError(f"{kind.task} needs a vcenter to run in")
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
