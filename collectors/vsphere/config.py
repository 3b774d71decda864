"""The ``vsphere`` section of the config: the vCenters and how each is reached."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from model.sections import Section, unique_names


class VCenterConfig(Section):
    # Our name for it: the scope of its nodes and part of every uid, so it must not change.
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    host: str
    port: int = Field(443, ge=1, le=65535)
    user: str
    password: SecretStr  # or password_file
    # TLS verification is on unless turned off here; ca_file adds the CA to trust.
    verify_tls: bool = True
    ca_file: Path | None = None
    connect_timeout_s: float = Field(30, gt=0, le=600)
    # Objects per RetrievePropertiesEx page (a vCenter may return fewer).
    page_size: int = Field(1000, ge=1, le=10_000)

    @model_validator(mode="after")
    def _ca_file_is_readable(self) -> VCenterConfig:
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"ca_file {self.ca_file} does not exist")
        if self.ca_file is not None and not self.verify_tls:
            raise ValueError("ca_file is for verifying TLS; drop it or set verify_tls: true")
        return self


class VSphereConfig(Section):
    vcenters: list[VCenterConfig] = []

    _unique = field_validator("vcenters")(lambda items: unique_names(items, "vCenter"))
