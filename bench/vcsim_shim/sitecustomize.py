"""Put on the bench worker's PYTHONPATH by ``bench/collect_vsphere.py --vcsim-task-shim``,
and nowhere else: Python imports it at start-up.

pyVim's ``WaitForTask`` (which ``collectors/vsphere/session.py`` uses to wait for a
datastore search) reads ``info.name.info.name`` of a task it sees running.  vcsim names
its tasks after its own Go types (``SearchDatastore``), which pyVmomi does not know: the
name comes back as an ``UnknownManagedMethod``, which has no ``info``, and the wait fails
with AttributeError.  It does so only when the search is still running at the first
status read, which on vcsim happens with a thousand VM folders on a datastore (not with
the demo's 96 VMs).  A real vCenter sends a method name pyVmomi knows.  This skips the
question check (whether the task waits on a VM question: never, for a search) for a name
pyVmomi does not know, and changes nothing else.
"""

from typing import Any

from pyVim import task as _task
from pyVmomi.VmomiSupport import UnknownManagedMethod

_NO_QUESTION = ("Destroy", "Relocate", "CreateVm")


def _status(task: Any, version: Any, pc: Any) -> tuple[Any, Any]:
    update = pc.WaitForUpdates(version)
    info = task.info
    name = info.name
    known = name is not None and not isinstance(name, UnknownManagedMethod)
    if info.state == "running" and known and name.info.name not in _NO_QUESTION:
        _task.CheckForQuestionPending(info)
    return update.version, info.state


_task.GetTaskStatus = _status
