"""The ``aws`` section of the config: the accounts and how each is reached."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from model.sections import Section, unique_names


class AwsAccountConfig(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    account_id: str | None = Field(None, pattern=r"^\d{12}$")
    regions: list[str] | Literal["all"] = "all"
    endpoint_url: str | None = None
    profile: str | None = None
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    role_arn: str | None = Field(None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    external_id: SecretStr | None = None
    role_session_name: str = "inventory"
    max_attempts: int = Field(5, ge=1, le=20)

    @model_validator(mode="after")
    def _keys_come_in_pairs(self) -> AwsAccountConfig:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("access_key_id and secret_access_key must be given together")
        if self.profile and self.access_key_id:
            raise ValueError("give either profile or access keys, not both")
        return self


class AwsConfig(Section):
    accounts: list[AwsAccountConfig] = []
    # Detail calls (a bucket's location, a balancer's target groups, a function's tags)
    # made at once per account and region; botocore's adaptive retries still pace them.
    detail_concurrency: int = Field(8, ge=1, le=64)

    _unique = field_validator("accounts")(lambda items: unique_names(items, "account"))
