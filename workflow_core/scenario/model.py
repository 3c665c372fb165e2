"""What a loaded scenario holds: the company (contact, palette, fonts), knowledge documents, testimonials and
visitor profiles, as pydantic models validated at the file boundary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflow_core.page.colour import DEFAULT_PALETTE

_HEX_PATTERN = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


class Contact(BaseModel):
    model_config = ConfigDict(extra="allow")
    email: str = ""
    phone: str = ""
    address: str = ""


class Palette(BaseModel):
    model_config = ConfigDict(extra="allow")
    primary: str = DEFAULT_PALETTE["primary"]
    secondary: str = DEFAULT_PALETTE["secondary"]
    accent: str = DEFAULT_PALETTE["accent"]
    background: str = DEFAULT_PALETTE["background"]
    text: str = DEFAULT_PALETTE["text"]

    @field_validator("primary", "secondary", "accent", "background", "text")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _HEX_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a hex colour; write one like #1f3a5f")
        return value


class Fonts(BaseModel):
    model_config = ConfigDict(extra="allow")
    heading: str = "system-ui, sans-serif"
    body: str = "system-ui, sans-serif"


class Company(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(min_length=1)
    tagline: str = ""
    description: str = ""
    contact: Contact = Field(default_factory=Contact)
    website: str = ""
    palette: Palette = Field(default_factory=Palette)
    fonts: Fonts = Field(default_factory=Fonts)
    # The page's main button, e.g. "Order a birthday cake"; empty: the one the guidelines quote, if any.
    call_to_action: str = ""


class Document(BaseModel):
    """One knowledge document; `name` is its path inside knowledge/ (e.g. "mining/haul-roads.md")."""

    name: str
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class Testimonial(BaseModel):
    model_config = ConfigDict(extra="allow")
    quote: str = Field(min_length=1)
    author: str = ""  # a quote may have no attribution
    role: str = ""
    segment: str | None = None


class Scenario(BaseModel):
    root: Path | None = None
    company: Company
    documents: list[Document] = Field(default_factory=list)
    offerings: dict[str, str] = Field(default_factory=dict)
    guidelines: str = ""
    design_steps: list[str] = Field(default_factory=list)
    testimonials: list[Testimonial] = Field(default_factory=list)
    logo_mime: str | None = None
    logo_data: str | None = None  # SVG text, or base64 for raster logos
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Files that were skipped with a reason (e.g. a metadata sidecar that matches no document).
    warnings: list[str] = Field(default_factory=list)
