"""The floor plan of ARCHITECTURE.md, held by reading every module's imports: `models/` runs
with torch alone, `schemas/` and `assets/` never reach up, a source never reaches into another,
and each stage imports only the stages before it."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The stages of assets/, in the order a workout travels; each may import the ones before it.
STAGES = [
    "assets.lake",
    "assets.sources",
    "assets.quality",
    "assets.features",
    "assets.training",
    "assets.evaluation",
    "assets.prediction",
    "assets.personalize",
    "assets.reality",
]
MODELS_MAY_IMPORT = {"torch", "numpy", "models"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, as written (relative imports resolved)."""
    found = set()
    package = module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: 1 - node.level or None], base]).strip(".")
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_models_import_only_torch_numpy_and_the_standard_library():
    for path in modules("models"):
        allowed = MODELS_MAY_IMPORT | ({"dagster_pipes"} if path.name == "entry.py" else set())
        for name in imports(path):
            top = name.split(".")[0]
            assert top in allowed or top in sys.stdlib_module_names, f"{path}: {name}"


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [("schemas", ("assets", "pipelines")), ("assets", ("pipelines",))],
)
def test_lower_layers_never_import_upper_ones(folder, forbidden):
    for path in modules(folder):
        bad = {n for n in imports(path) if any(within(n, top) for top in forbidden)}
        assert not bad, f"{path} imports {sorted(bad)}"


def test_a_source_never_imports_another_source():
    sources = [
        p.name for p in (ROOT / "assets" / "sources").iterdir() if (p / "__init__.py").exists()
    ]
    for source in sources:
        others = [f"assets.sources.{other}" for other in sources if other != source]
        for path in modules(f"assets/sources/{source}"):
            bad = {n for n in imports(path) if any(within(n, other) for other in others)}
            assert not bad, f"{path} imports {sorted(bad)}"


def test_each_stage_imports_only_the_stages_before_it():
    for rank, stage in enumerate(STAGES):
        later = STAGES[rank + 1 :]
        for path in modules(stage.replace(".", "/")):
            bad = {n for n in imports(path) if any(within(n, other) for other in later)}
            assert not bad, f"{path} ({stage}) imports later stages {sorted(bad)}"


def test_every_assets_package_is_a_known_stage():
    packages = {
        f"assets.{p.name}" for p in (ROOT / "assets").iterdir() if (p / "__init__.py").exists()
    }
    assert packages == set(STAGES)
    assert {p.name for p in (ROOT / "assets").glob("*.py")} == {"__init__.py"}
