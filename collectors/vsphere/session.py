"""vCenter connections through pyVmomi, and the session of one vCenter.

Objects are read with the PropertyCollector over a ContainerView, a page of up to
``page_size`` objects per call (``RetrievePropertiesEx``, then
``ContinueRetrievePropertiesEx`` until no token is left), never one call per object.
Each object becomes a record: the asked property paths, with every reference to another
object turned into that object's uid, and the keys of a ``synthesized.Synthesized``: its
``uid`` (``<vcenter>:<moref>``), ``moref``, ``wsdl_type`` and the ``datacenter`` it lies in.
A data object (a snapshot tree, a file layout) becomes a dict of its properties, the same
way down.  ``details`` reads some properties of named objects, in one call; ``tags`` reads
the vCenter's tags from its vAPI tagging service (``collectors.vsphere.tagging``);
``disk_files`` lists a datastore's virtual disks with its browser.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTasks
from pyVmomi import vim, vmodl
from pyVmomi.VmomiSupport import DataObject, ManagedObject

from collectors.base import Session
from collectors.vsphere import tagging
from collectors.vsphere.config import VCenterConfig
from collectors.vsphere.synthesized import Synthesized

PC = vmodl.query.PropertyCollector
BROWSER = vim.host.DatastoreBrowser
# Faults that mean the login session is gone (expired, logged out, vCenter restarted):
# a view belongs to the session that made it, so a lost session also loses its views.
SESSION_LOST = (vim.fault.NotAuthenticated, vmodl.fault.ManagedObjectNotFound)


class VCenter:
    """One vCenter's service instance, shared by a worker's threads; a lost login session
    is renewed once, transparently, by ``retrieve``."""

    def __init__(self, config: VCenterConfig) -> None:
        self.config = config
        self._si: Any = None
        self._lock = threading.Lock()

    def context(self) -> ssl.SSLContext:
        if not self.config.verify_tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def _connect(self) -> Any:
        c = self.config
        return SmartConnect(
            host=c.host,
            port=c.port,
            user=c.user,
            pwd=c.password.get_secret_value(),
            sslContext=self.context(),
            httpConnectionTimeout=c.connect_timeout_s,
            # A fresh pool per login: connections of a dead session are not reused.
            connectionPoolTimeout=-1,
        )

    def service(self, renew: Any = None) -> Any:
        """The logged-in service instance; ``renew`` (the one that failed) forces a new one."""
        with self._lock:
            if self._si is None or self._si is renew:
                if self._si is not None:
                    self._close()
                self._si = self._connect()
            return self._si

    def _close(self) -> None:
        # The session may already be gone, which is often why we are here.
        with contextlib.suppress(Exception):
            Disconnect(self._si)
        self._si = None

    def close(self) -> None:
        with self._lock:
            if self._si is not None:
                self._close()

    def retrieve(self, vim_type: str, paths: list[str]) -> Iterator[list[dict[str, Any]]]:
        """Pages of (object, {path: value}) pairs of every object of ``vim_type``; a lost
        session is renewed and the listing started again, once."""
        si = self.service()
        try:
            yield from _retrieve(si, vim_type, paths, self.config.page_size)
        except SESSION_LOST:
            yield from _retrieve(self.service(renew=si), vim_type, paths, self.config.page_size)

    def retrieve_objects(self, vim_type: str, morefs: list[str], paths: list[str]) -> list[Any]:
        """(object, {path: value}) pairs of the ``vim_type`` objects named: a detail call,
        so not renewed on a lost session (the next listing renews it); an object gone since
        it was listed fails the call (ManagedObjectNotFound)."""
        si = self.service()
        content = si.RetrieveContent()
        cls = getattr(vim, vim_type)
        spec = PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=cls(moref, si._stub), skip=False) for moref in morefs],
            propSet=[PC.PropertySpec(type=cls, pathSet=paths, all=False)],
        )
        collector = content.propertyCollector
        options = PC.RetrieveOptions(maxObjects=self.config.page_size)
        result = collector.RetrievePropertiesEx([spec], options)
        out = []
        while result is not None:
            out += [(o.obj, {p.name: p.val for p in o.propSet or ()}) for o in result.objects]
            token = result.token
            result = collector.ContinueRetrievePropertiesEx(token) if token else None
        return out


def _retrieve(si: Any, vim_type: str, paths: list[str], page_size: int) -> Iterator[list[Any]]:
    content = si.RetrieveContent()
    cls = getattr(vim, vim_type)
    view = content.viewManager.CreateContainerView(content.rootFolder, [cls], True)
    try:
        spec = PC.FilterSpec(
            objectSet=[
                PC.ObjectSpec(
                    obj=view,
                    skip=True,
                    selectSet=[
                        PC.TraversalSpec(
                            name="view", path="view", skip=False, type=vim.view.ContainerView
                        )
                    ],
                )
            ],
            propSet=[PC.PropertySpec(type=cls, pathSet=paths, all=False)],
        )
        collector = content.propertyCollector
        result = collector.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=page_size))
        while result is not None:
            yield [(o.obj, {p.name: p.val for p in o.propSet or ()}) for o in result.objects]
            token = result.token
            result = collector.ContinueRetrievePropertiesEx(token) if token else None
    finally:
        with contextlib.suppress(Exception):  # a view of a lost session is gone with it
            view.Destroy()


class VSphereSession(Session):
    """One vCenter, read for one collection."""

    def __init__(self, vcenter: VCenter) -> None:
        super().__init__()
        self.vcenter = vcenter

    @property
    def name(self) -> str:
        return self.vcenter.config.name

    @property
    def scope(self) -> dict[str, Any]:
        return {"vcenter": self.name}

    def uid(self, moref: str) -> str:
        return f"{self.name}:{moref}"

    @cached_property
    def about(self) -> Any:
        return self.vcenter.service().RetrieveContent().about

    @cached_property
    def tree(self) -> dict[str, tuple[str, str | None]]:
        """moref -> (type, parent moref) of every folder, datacenter and compute resource:
        enough to find the datacenter of any object in a few calls."""
        out: dict[str, tuple[str, str | None]] = {}
        for vim_type in ("Folder", "Datacenter", "ComputeResource"):
            for page in self.vcenter.retrieve(vim_type, ["parent"]):
                for obj, props in page:
                    parent = props.get("parent")
                    out[obj._moId] = (obj._wsdlName, parent._moId if parent is not None else None)
        return out

    def datacenter(self, moref: str | None) -> str | None:
        """The uid of the datacenter above ``moref``, walking up the tree."""
        seen = 0
        while moref is not None and seen < 64:
            kind, parent = self.tree.get(moref, ("", None))
            if kind == "Datacenter":
                return self.uid(moref)
            moref, seen = parent, seen + 1
        return None

    def type_of(self, uid: str | None) -> str | None:
        """The type of a folder, datacenter or compute resource, by its uid."""
        if uid is None:
            return None
        return self.tree.get(uid.removeprefix(f"{self.name}:"), ("", None))[0] or None

    def objects(self, vim_type: str, paths: list[str]) -> Iterator[list[dict[str, Any]]]:
        """Pages of records of every object of ``vim_type`` (see the module's docstring);
        ``paths`` are property paths (``common.properties``), none of the synthesized keys."""
        for page in self.vcenter.retrieve(vim_type, sorted({*paths, "parent"})):
            records = []
            for obj, props in page:
                parent = props.get("parent")
                record = {path: self._plain(props.get(path)) for path in paths}
                record.update(
                    Synthesized(
                        uid=self.uid(obj._moId),
                        moref=obj._moId,
                        wsdl_type=obj._wsdlName,
                        datacenter=self.datacenter(parent._moId if parent is not None else None),
                    )
                )
                records.append(record)
            yield records

    def details(self, vim_type: str, uids: list[str], paths: list[str]) -> dict[str, Any]:
        """uid -> {path: value} of the ``vim_type`` objects ``uids`` name, in one call (with
        its continuations); values as ``objects`` gives them."""
        if not uids:
            return {}
        morefs = [uid.removeprefix(f"{self.name}:") for uid in uids]
        found = self.vcenter.retrieve_objects(vim_type, morefs, paths)
        return {
            self.uid(obj._moId): {path: self._plain(props.get(path)) for path in paths}
            for obj, props in found
        }

    def disk_files(self, browser_uid: str, datastore: str) -> list[dict[str, Any]]:
        """The virtual disks (descriptors) in every folder of the datastore named
        ``datastore``, from its browser ``browser_uid``: a vCenter task
        (SearchDatastoreSubFolders), waited for; one result (``folderPath``, ``file``) a
        folder, as ``objects`` gives values."""
        si = self.vcenter.service()
        browser = BROWSER(browser_uid.removeprefix(f"{self.name}:"), si._stub)
        details = BROWSER.FileInfo.Details(fileType=True, fileSize=True, modification=True)
        disks = BROWSER.VmDiskQuery(details=BROWSER.VmDiskQuery.Details(capacityKb=True, thin=True))
        spec = BROWSER.SearchSpec(query=[disks], details=details, matchPattern=["*.vmdk"])
        task = browser.SearchDatastoreSubFolders_Task(
            datastorePath=f"[{datastore}]", searchSpec=spec
        )
        # WaitForTasks, not WaitForTask: the latter asks a running task's method name
        # (for a VM question), which pyVmomi cannot name when vcsim calls the method after
        # its Go type (SearchDatastore): AttributeError on a long search.
        WaitForTasks([task], si=si)
        return [self._plain(result) for result in task.info.result or ()]

    @cached_property
    def tags(self) -> dict[str, list[str]]:
        """uid -> sorted ``category=tag`` strings of every tagged object of the vCenter."""
        vcenter = self.vcenter
        with tagging.rest(vcenter.config, vcenter.context()) as call:
            found = tagging.read(call)
        return {self.uid(moref): values for moref, values in found.items()}

    def _plain(self, value: Any) -> Any:
        """A property value as the graph keeps it: references as uids, enums as str, data
        objects as dicts of their properties."""
        if isinstance(value, ManagedObject):
            return self.uid(value._moId)
        if isinstance(value, DataObject):
            return {
                p.name: self._plain(getattr(value, p.name))
                for p in value._GetPropertyList()
                if p.name not in ("dynamicType", "dynamicProperty")
            }
        if isinstance(value, list):
            return [self._plain(v) for v in value]
        if isinstance(value, bool | datetime) or value is None:
            return value
        if isinstance(value, str):
            return str(value)  # enums are str subclasses
        if isinstance(value, int):
            return int(value)  # pyVmomi's long and short
        return value
