"""AWS reached through boto3: accounts x regions, each scope collected independently."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError

from collectors.aws.config import AwsAccountConfig, AwsConfig
from collectors.aws.session import AccountClients, AwsSession, describe
from collectors.base import PermanentError, Source
from model import Kind

# Error codes that mean "this scope is closed to us", which retrying cannot change.
DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "OptInRequired",
    "UnrecognizedClientException",
    "InvalidParameterValue",
}


class AwsSource(Source):
    def __init__(self, config: AwsConfig) -> None:
        self.config = config
        self.accounts = {a.name: a for a in config.accounts}
        self._clients: dict[str, AccountClients] = {}
        self._lock = threading.Lock()

    def clients(self, account: AwsAccountConfig) -> AccountClients:
        """The account's shared clients, renewed before assumed credentials expire."""
        with self._lock:
            current = self._clients.get(account.name)
            if current is None or current.stale:
                current = self._clients[account.name] = AccountClients(account)
            return current

    def scopes(self, kind: Kind, within: dict[str, Any]) -> Iterator[dict[str, Any]]:
        # Two steps: first one task per account (no API call, so one bad account cannot
        # stop the others), then that task finds its account's regions.
        regional = "region" in kind.scope
        name = within.get("account")
        if name is None:
            for account in self.config.accounts:
                yield {
                    "account": account.name,
                    **({"region": within["region"]} if regional and within.get("region") else {}),
                }
            return
        account = self.accounts.get(name)
        if account is None:
            raise PermanentError(f"unknown AWS account {name!r}")
        for region in self.clients(account).regions():
            yield {"account": name, "region": region}

    @contextmanager
    def open(self, kind: Kind, payload: dict[str, Any]) -> Iterator[AwsSession]:
        name, region = payload.get("account"), payload.get("region")
        if name is None:
            raise PermanentError(f"{kind.task} needs an account to run in")
        account = self.accounts.get(name)
        if account is None:
            known = ", ".join(sorted(self.accounts)) or "none configured"
            raise PermanentError(f"unknown AWS account {name!r} (known: {known})")
        regional = "region" in kind.scope
        if regional != (region is not None):
            need = "needs a region" if regional else "takes no region"
            raise PermanentError(f"{kind.task} {need}")
        if region and isinstance(account.regions, list) and region not in account.regions:
            raise PermanentError(f"region {region} is not configured for account {name}")
        yield AwsSession(self.clients(account), region)

    def is_permanent(self, exc: BaseException) -> bool:
        if isinstance(exc, NoCredentialsError):
            return True
        if isinstance(exc, ClientError):
            return exc.response.get("Error", {}).get("Code") in DENIED
        return False

    def describe(self, exc: BaseException) -> str:
        return describe(exc)
