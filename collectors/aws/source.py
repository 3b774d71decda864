"""AWS reached through boto3: accounts x regions, each scope collected independently."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError

from collectors.aws.config import AwsAccountConfig, AwsConfig
from collectors.aws.session import MAX_AGE_S, AccountClients, AwsSession, describe
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


class AwsSource(Source[AwsAccountConfig, AccountClients]):
    def __init__(self, config: AwsConfig) -> None:
        # Clients are made again before assumed credentials expire.
        connect = partial(AccountClients, detail_concurrency=config.detail_concurrency)
        super().__init__("AWS account", config.accounts, connect, MAX_AGE_S)

    def scopes(self, kind: Kind, within: dict[str, Any]) -> Iterator[dict[str, Any]]:
        # Two steps: first one task per account (no API call, so one bad account cannot
        # stop the others), then that task finds its account's regions.
        name = within.get("account")
        if name is not None:
            for region in self.connection(name).regions():
                yield {"account": name, "region": region}
            return
        region = within.get("region") if "region" in kind.scope else None
        for account in self.items:
            yield {"account": account, **({"region": region} if region else {})}

    @contextmanager
    def open(self, kind: Kind, payload: dict[str, Any]) -> Iterator[AwsSession]:
        name, region = payload.get("account"), payload.get("region")
        if name is None:
            raise PermanentError(f"{kind.task} needs an account to run in")
        account = self.item(name)
        regional = "region" in kind.scope
        if regional != (region is not None):
            need = "needs a region" if regional else "takes no region"
            raise PermanentError(f"{kind.task} {need}")
        if region and isinstance(account.regions, list) and region not in account.regions:
            raise PermanentError(f"region {region} is not configured for account {name}")
        yield AwsSession(self.connection(name), region)

    def is_permanent(self, exc: BaseException) -> bool:
        if isinstance(exc, NoCredentialsError):
            return True
        if isinstance(exc, ClientError):
            return exc.response.get("Error", {}).get("Code") in DENIED
        return False

    def describe(self, exc: BaseException) -> str:
        return describe(exc)
