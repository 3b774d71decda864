"""An open AWS scope: one account, and one region for regional kinds."""

from __future__ import annotations

from typing import Any

from app.config import AwsAccountConfig
from collectors.aws.session import AccountSession
from collectors.base import Scope


class AwsScope(Scope):
    def __init__(self, session: AccountSession, region: str | None) -> None:
        self.session = session
        self.region = region

    @property
    def account(self) -> AwsAccountConfig:
        return self.session.account

    @property
    def account_id(self) -> str:
        return self.session.account_id

    def client(self, service: str) -> Any:
        return self.session.client(service, self.region)

    @property
    def owner(self) -> dict[str, Any] | None:
        # A regional scope's own node is its AWSRegion.
        if not self.region:
            return None
        props = {"account_id": self.account_id, "region": self.region, "name": self.region}
        return {"uid": f"{self.account_id}:{self.region}", "props": props}

    @property
    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"account_id": self.account_id}
        if self.region:
            out["region"] = self.region
        return out
