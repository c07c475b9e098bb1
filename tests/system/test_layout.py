"""The package layout: imports go one way through the layers docs/architecture.md names, modules stay
small, and the tests mirror the package."""

import ast

from tests.support.helpers import ROOT

APP = ROOT / "app"
# Lowest first. A part may import parts of lower layers only (and itself); parts sharing a layer
# may not import each other. docs/architecture.md states the same order.
LAYERS = (("errors", "metrics"), ("config", "logs"), ("jq", "jira"), ("mapping",), ("catalog",),
          ("ingest", "access"), ("port", "reconcile"), ("runtime",), ("views", "ui"), ("cli",), ("factory",),
          ("worker", "app"))
LAYER_OF = {part: level for level, parts in enumerate(LAYERS) for part in parts}
MAX_LINES = 300


def app_modules():
    """Every Python module of app/, migrations included, as (path, dotted name)."""
    for path in sorted(APP.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module):
    """The layer part a dotted module belongs to: its subpackage or top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "app"


def imported_modules(path, module):
    """Every app module `path` imports, at the top or inside a function."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "app")
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            if target.split(".")[0] != "app":
                continue
            if target == "app":
                yield from (f"app.{alias.name}" for alias in node.names)
            else:
                yield target


def layer_violations():
    for path, module in app_modules():
        source = part_of(module)
        for target in imported_modules(path, module):
            imported = part_of(target)
            if imported == source:
                continue
            if imported not in LAYER_OF or LAYER_OF[imported] >= LAYER_OF[source]:
                yield f"{path.relative_to(ROOT)} ({source}) imports {target} ({imported})"


def test_every_part_of_app_has_a_layer():
    assert {part_of(module) for _path, module in app_modules()} == set(LAYER_OF)


def test_packages_import_one_way_down_the_layers():
    assert list(layer_violations()) == []


def test_the_architecture_page_states_the_import_order():
    order = " < ".join(", ".join(f"`{part}`" for part in parts) for parts in LAYERS)
    assert order in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_app_is_a_few_subpackages_of_small_modules():
    top_level = [path for path in APP.glob("*.py")]
    subpackages = [path for path in APP.iterdir() if (path / "__init__.py").exists()]
    too_long = [str(path.relative_to(ROOT)) for path, _module in app_modules()
                if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES]
    assert len(top_level) <= 12 and len(subpackages) >= 5
    assert too_long == []


def test_most_modules_have_a_test_module_at_the_mirrored_place():
    modules = [path.relative_to(APP) for path, _module in app_modules()
               if path.name != "__init__.py" and "migrations" not in path.parts]
    missing = [str(module) for module in modules
               if not (ROOT / "tests" / module.parent / f"test_{module.name}").exists()]
    assert len(missing) <= 0.3 * len(modules), f"no test module for {missing}"


def test_importing_the_package_loads_nothing_else():
    tree = ast.parse((APP / "__init__.py").read_text(encoding="utf-8"))
    top_level_imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert top_level_imports == []
