"""What README files say is what the code has: the checks table is the registry's, and every
role's variable table is its argument_specs (and its defaults)."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from layerwise import docs
from layerwise.collection import HOME as COLLECTION

from .conftest import ROOT

ROLES = sorted(
    p.parent.parent
    for home in (ROOT, COLLECTION)
    for p in home.glob("roles/*/meta/argument_specs.yml")
)
MODULES_PACKAGE = "ansible_collections.layerwise.docker.plugins.modules"


def test_readme_checks_table_is_the_registry() -> None:
    text = docs.README.read_text()
    assert docs.with_table(text) == text, "README's checks table is stale: python -m layerwise.docs"


def test_checks_doc_is_the_registry() -> None:
    assert docs.CHECKS_DOC.read_text() == docs.checks_doc(), (
        "docs/checks.md is stale: python -m layerwise.docs"
    )


def test_cli_doc_is_the_parser() -> None:
    """docs/cli.md is what `layerwise [COMMAND] --help` prints today: every option, its
    default and the exit codes."""
    assert docs.CLI_DOC.read_text() == docs.cli_doc(), (
        "docs/cli.md is stale: python -m layerwise.docs"
    )
    assert "--forks FORKS         hosts checked at once (default 20)" in docs.cli_doc()


def test_a_readme_without_the_table_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="no checks table"):
        docs.with_table("# README\n")
    with pytest.raises(ValueError, match="no snapshot table"):
        docs.with_snapshot_table("# README\n")


def test_readme_snapshot_table_is_the_schema() -> None:
    text = docs.README.read_text()
    assert docs.with_snapshot_table(text) == text, (
        "README's snapshot table is stale: python -m layerwise.docs"
    )
    assert "| `overlay2` | dict | when layers is true and the engine does not use" in text


def test_the_facts_modules_return_is_the_schema() -> None:
    source = docs.FACTS_MODULE.read_text()
    assert docs.with_return(source) == source, (
        "overlay2_facts' RETURN is stale: python -m layerwise.docs"
    )


def drop_userns(schema: dict[str, Any]) -> None:
    del schema["properties"]["docker"]["properties"]["userns"]


def reword_usage(schema: dict[str, Any]) -> None:
    schema["properties"]["usage"]["description"] = "where it went"


def elapsed_whole(schema: dict[str, Any]) -> None:
    schema["properties"]["elapsed"]["type"] = "integer"


def summary_sometimes(schema: dict[str, Any]) -> None:
    schema["required"].remove("summary")
    schema["properties"]["summary"]["x-returned"] = "when summarised"


@pytest.mark.parametrize(
    ("edit", "in_readme"),
    [(drop_userns, False), (reword_usage, True), (elapsed_whole, True), (summary_sometimes, True)],
    ids=["a nested key dropped", "a description", "a type", "no longer always there"],
)
def test_an_edit_of_the_schema_makes_return_and_readme_stale(
    monkeypatch: pytest.MonkeyPatch, edit: Callable[[dict[str, Any]], None], in_readme: bool
) -> None:
    """What the two tests above compare with moves with the schema: an edit of it fails them
    until the documents are generated again (README's table shows the top-level keys)."""
    schema = docs.snapshot_schema()
    edit(schema)
    monkeypatch.setattr(docs, "snapshot_schema", lambda: schema)
    source, readme = docs.FACTS_MODULE.read_text(), docs.README.read_text()
    assert docs.with_return(source) != source
    assert (docs.with_snapshot_table(readme) != readme) == in_readme


def test_a_module_without_a_return_block_is_refused() -> None:
    with pytest.raises(ValueError, match="no RETURN"):
        docs.with_return('DOCUMENTATION = r"""\n"""\n')


def test_return_documents_each_key_of_the_schema_as_ansible_doc_reads_it() -> None:
    """ansible-doc reads RETURN: the snapshot's keys and the module's own, each dict with
    the keys the schema gives it, each with its type and when it is returned."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-doc")),
            "--json",
            "layerwise.docker.overlay2_facts",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    documented = json.loads(proc.stdout)["layerwise.docker.overlay2_facts"]["return"]
    schema = docs.snapshot_schema()
    assert sorted(documented) == sorted([*schema["properties"], *docs.MODULE_RETURNS])
    assert sorted(documented["docker"]["contains"]) == sorted(
        schema["properties"]["docker"]["properties"]
    )
    backing = documented["backing_fs"]["contains"]
    assert (backing["fstype"]["returned"], backing["bytes_free"]["type"]) == ("always", "int")
    assert backing["bytes_free"]["returned"].startswith("when the data root's filesystem")
    assert documented["overlay_mounts"]["elements"] == "dict"
    assert set(documented["overlay_mounts"]["contains"]) == {
        "mount_point",
        "lowerdir",
        "upperdir",
        "workdir",
    }
    assert documented["usage"]["returned"] == "when usage and layers are true"


def shown(value: Any) -> str:
    """A default as the README tables write it: YAML's flow style, "" for an empty string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    return '""' if value == "" else str(value)


TYPES = {
    "str": str,
    "bool": bool,
    "int": int,
    "list": list,
    "dict": dict,
    "path": str,
    "raw": object,
}


def role_options(role: Path) -> dict[str, dict[str, Any]]:
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    return {name: spec for entry in specs.values() for name, spec in entry["options"].items()}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_defaults_are_the_argument_specs_value_by_value(role: Path) -> None:
    """defaults/main.yml holds exactly the argument_specs defaults: the same value, of the
    declared type, within the choices; a required variable has no default anywhere."""
    options = role_options(role)
    defaults = yaml.safe_load((role / "defaults/main.yml").read_text()) or {}
    assert options, role
    assert defaults, role
    for name, spec in options.items():
        if spec.get("required"):
            assert "default" not in spec, f"{name}: required, yet argument_specs gives a default"
            assert name not in defaults, f"{name}: required, yet defaults/main.yml sets it"
            continue
        assert "default" in spec, f"{name}: no default in argument_specs (nor required)"
        assert name in defaults, f"{name}: argument_specs has a default, defaults/main.yml not"
        assert defaults[name] == spec["default"], f"{name}: defaults/main.yml and argument_specs"
        kind = TYPES[spec.get("type", "str")]
        assert spec["default"] is None or isinstance(spec["default"], kind), f"{name}: type"
        if "choices" in spec:
            chosen = spec["default"] if spec.get("type") == "list" else [spec["default"]]
            assert set(chosen) <= set(spec["choices"]), f"{name}: default not among the choices"
    assert set(defaults) <= set(options), "defaults/main.yml has a variable argument_specs lacks"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_readme_table_shows_each_default_as_argument_specs(role: Path) -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*?) \|", (role / "README.md").read_text(), re.M))
    for name, spec in role_options(role).items():
        if spec.get("required"):
            assert rows[name].startswith("(required)"), f"{name}: README says it has a default"
        else:
            assert rows[name] == f"`{shown(spec['default'])}`", f"{name}: README's default"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_readme_documents_every_variable_once(role: Path) -> None:
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    options = {name for entry in specs.values() for name in entry.get("options", {})}
    defaults = set(yaml.safe_load((role / "defaults/main.yml").read_text()) or {})
    documented = re.findall(r"^\| `(\w+)` \|", (role / "README.md").read_text(), flags=re.M)
    assert len(documented) == len(set(documented)), "a variable is in the README table twice"
    assert set(documented) == options, "README table and meta/argument_specs.yml differ"
    assert defaults <= options, "defaults/main.yml has a variable argument_specs lacks"


def test_make_help_names_every_target_readme_lists() -> None:
    """README's table of make targets and `make help` tell the same targets."""
    readme = (ROOT / "README.md").read_text()
    targets = set(re.findall(r"^\| `make ([a-z-]+)", readme, flags=re.M))
    assert {"test", "check", "unit", "fuzz", "lab"} <= targets, targets
    helped = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    named = set(re.findall(r"make ([a-z-]+)", helped)) | set(re.findall(r"\| ([a-z-]+)", helped))
    assert targets <= named, f"README lists, make help does not: {sorted(targets - named)}"


MODULES = sorted(COLLECTION.glob("plugins/modules/*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_a_modules_documentation_parses_and_is_its_argument_spec(path: Path) -> None:
    """ansible-doc reads the module's DOCUMENTATION, and its options are what the module
    takes: the same names, types, defaults, choices and required."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-doc")),
            "--json",
            f"layerwise.docker.{path.stem}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    documented = json.loads(proc.stdout)[f"layerwise.docker.{path.stem}"]["doc"]["options"]
    spec = importlib.import_module(f"{MODULES_PACKAGE}.{path.stem}").ARGUMENT_SPEC
    assert sorted(documented) == sorted(spec)
    for name, want in spec.items():
        doc = documented[name]
        assert doc["type"] == want["type"], name
        for key in ("default", "elements"):
            assert doc.get(key) == want.get(key), f"{name}: {key}"
        assert sorted(doc.get("choices") or []) == sorted(want.get("choices") or []), name
        assert bool(doc.get("required")) == bool(want.get("required")), name


def test_readme_layout_names_every_module_role_playbook_and_scenario() -> None:
    """The layout section is not left stale when a module, package, role, playbook, scenario
    or top-level directory is added."""
    text = docs.README.read_text()
    layout = text[text.index("## Layout") :]
    layout = layout[: layout.index("\n## ")]
    wanted = (
        [p.stem for p in COLLECTION.glob("plugins/*/*.py")]
        + [p.name for p in COLLECTION.glob("plugins/module_utils/*/")]
        + [p.name for p in (*ROOT.glob("roles/*/"), *COLLECTION.glob("roles/*/"))]
        + [p.name for p in (*ROOT.glob("playbooks/*.yml"), *COLLECTION.glob("playbooks/*.yml"))]
        + [p.name for p in ROOT.glob("molecule/*/")]
        + [f"{p.name}/" for p in ROOT.glob("tests/*/") if not p.name.startswith("__")]
        + [
            f"{p.name}/"
            for p in ROOT.glob("*/")
            # reports and mutants (make mutate's copy) are made by runs and ignored by git
            if not p.name.startswith((".", "__")) and p.name not in ("reports", "tests", "mutants")
        ]
    )
    assert len(wanted) > 20, wanted
    assert [name for name in wanted if name not in layout] == []
