"""ansible-test sanity on the collection, with no download but from the package index.

ansible-test makes a venv per sanity test and puts pip into it with a "bootstrap script" it
downloads from ci-files.testing.ansible.com (unreachable here, and behind many proxies). It
takes the script from its cache when it is there (~/.ansible/test/cache/get_pip_<version>.py,
as its own error message says). This writes that script: it runs ``pip install`` from the
wheel of the same pip version, which ``pip download`` fetched from the package index the
user's pip already uses (its proxy, index-url and certificates). Then it runs the tests.

    python -m scripts.sanity [ansible-test sanity options, e.g. --test pylint]
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import ansible_test

from layerwise.collection import HOME as COLLECTION

CACHE = Path.home() / ".ansible/test/cache"
# in ansible-test's venv packages: pip='24.2'
PIP_PIN = re.compile(r"\bpip='(\d+(?:\.\d+)+)'")
SHIM = """\
# Made by layerwise's scripts/sanity.py: pip {version} from its wheel, as get-pip would run it.
import runpy, sys
sys.path.insert(0, {wheel!r})
skip = ("--no-setuptools", "--no-wheel")  # get-pip's own options: nothing to install then
sys.argv = ["pip", "install", *(a for a in sys.argv[1:] if a not in skip)]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""


def pip_version() -> str:
    """The pip version ansible-test bootstraps into its venvs."""
    source = Path(ansible_test.__file__).parent / "_internal/python_requirements.py"
    found = PIP_PIN.findall(source.read_text())
    if len(set(found)) != 1:
        raise SystemExit(f"sanity: cannot tell which pip ansible-test bootstraps ({source})")
    return found[0]


def ensure_bootstrap(version: str) -> Path:
    """ansible-test's cached bootstrap script for pip ``version``, written when missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = CACHE / f"pip-{version}-py3-none-any.whl"
    if not wheel.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--only-binary=:all:", "--dest", str(CACHE), f"pip=={version}"],
            check=True,
        )  # fmt: skip
    script = CACHE / f"get_pip_{version.replace('.', '_')}.py"
    text = SHIM.format(version=version, wheel=str(wheel))
    if script.exists() and not script.read_text().startswith(SHIM.split("\n")[0][:30]):
        return script  # the user's own (e.g. get-pip.py, downloaded by hand): theirs is used
    if not script.exists() or script.read_text() != text:
        script.write_text(text)
    return script


def main(argv: list[str]) -> int:
    script = ensure_bootstrap(pip_version())
    print(f"sanity: ansible-test's pip bootstrap is {script}", flush=True)
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    command = [str(Path(sys.executable).with_name("ansible-test")), "sanity", "--python", python]
    return subprocess.run([*command, *argv[1:]], cwd=COLLECTION, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
