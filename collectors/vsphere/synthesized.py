"""The keys a vSphere session (``collectors.vsphere.session``) puts in each record besides
the properties asked for, declared once: the session builds them as a ``Synthesized``, and
``SYNTHESIZED``, the names no kind asks vCenter for, is read off it. No SDK here, so that
the kind modules may import it (through ``collectors.vsphere.common``)."""

from __future__ import annotations

from typing import TypedDict


class Synthesized(TypedDict):
    uid: str  # <vcenter>:<moref>
    moref: str
    wsdl_type: str
    datacenter: str | None  # the uid of the datacenter the object lies in, if any


SYNTHESIZED = frozenset(Synthesized.__annotations__)
