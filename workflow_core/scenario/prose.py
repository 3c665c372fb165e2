"""A visitor profile with any keys, described in plain English for a prompt."""

from __future__ import annotations

from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, list):
        items = [_text(v) for v in value if v not in (None, "")]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, dict):
        return "; ".join(f"{_label(k).lower()}: {_text(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


def _label(key: str) -> str:
    return str(key).replace("_", " ").replace("-", " ").strip().capitalize()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


_ALIASES = {
    "name": ("name", "full_name", "fullname"),
    "role": ("role", "title", "job_title", "position"),
    "company": ("company", "organisation", "organization", "employer", "company_name"),
    "industry": ("industry", "segment", "sector", "vertical"),
    "location": ("location", "city", "region", "country"),
    "company_size": ("company_size", "employees", "size", "headcount"),
}
_LISTED = (
    ("interests", "Interests"),
    ("goals", "Goals"),
    ("pain_points", "Pain points"),
    ("challenges", "Challenges"),
    ("recent_activity", "Recent activity"),
)
_SKIPPED = {"id"}


def profile_to_prose(profile: dict[str, Any]) -> str:
    """A deterministic English description of a profile with any keys: known keys (name, role, company,
    industry, location, company_size, interests, goals, ...) become sentences, the rest `Key: value` lines."""
    by_lower = {str(k).lower(): k for k in profile}
    used: set[Any] = set()

    def take(field: str) -> str:
        for alias in _ALIASES[field]:
            key = by_lower.get(alias)
            if key is not None and profile[key] not in (None, "", []):
                used.add(key)
                return _text(profile[key])
        return ""

    name, role, company = take("name"), take("role"), take("company")
    industry, location, size = take("industry"), take("location"), take("company_size")
    sentences: list[str] = []
    subject = name or "This visitor"
    if role or company:
        s = subject + (f" is {role}" if role else " works")
        if company:
            s += f" at {company}"
            if industry:
                sector = industry.lower()
                article = "an" if sector[:1] in "aeio" else "a"
                s += f", {article} {sector} company"
            if location:
                s += f" in {location}"
        sentences.append(_sentence(s))
        if not company and industry:
            sentences.append(_sentence(f"{subject} works in {industry}"))
        if not company and location:
            sentences.append(_sentence(f"{subject} is based in {location}"))
    else:
        if name:
            sentences.append(_sentence(f"This visitor is {name}"))
        if industry:
            sentences.append(_sentence(f"{subject} works in {industry}"))
        if location:
            sentences.append(_sentence(f"{subject} is based in {location}"))
    if size:
        who = company or "Their company"
        sentences.append(
            _sentence(
                f"{who} has {size} employees" if size.replace(",", "").isdigit() else f"Company size: {size}"
            )
        )
    for key_name, label in _LISTED:
        key = by_lower.get(key_name)
        if key is not None and profile[key] not in (None, "", []):
            used.add(key)
            sentences.append(_sentence(f"{label}: {_text(profile[key])}"))
    rest = [
        f"{_label(k)}: {_text(v)}"
        for k, v in profile.items()
        if k not in used and str(k).lower() not in _SKIPPED and v not in (None, "", [])
    ]
    prose = " ".join(sentences)
    if rest:
        prose = (prose + "\n" if prose else "") + "\n".join(rest)
    return prose or "No details are known about this visitor."
