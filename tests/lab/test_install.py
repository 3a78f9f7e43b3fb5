"""The collection and the command as a user installs them, used from a directory outside the
repository, with nothing of the checkout on any path.

A fresh venv gets ansible-core alone; the tarball ``ansible-galaxy collection build`` makes is
installed into an empty collections path (its dependencies already there, as a user has them:
Galaxy is not reachable here); a playbook in that directory, naming roles by FQCN only,
converges a lab host (already converged by ``make lab``: nothing changes). Then the wheel of
the layerwise package goes into the same venv, and its ``layerwise`` command, run in that
directory, checks the host against the default policy.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from layerwise.collection import HOME as COLLECTION

from .conftest import FRESH_ENV, ROOT

PLAYBOOK = """\
- name: Docker engine and storage, from the installed collection
  hosts: "{{ layerwise_hosts }}"
  gather_subset: ["!all", "!min", distribution]
  roles:
    - role: layerwise.docker.docker_engine
    - role: layerwise.docker.docker_storage
"""
# what the collection needs (galaxy.yml) and what the lab inventory's connection needs
DEPENDENCIES = ("ansible/posix", "community/general", "community/docker",
                "community/library_inventory_filtering_v1")  # fmt: skip


class User(NamedTuple):
    home: Path  # the user's directory: their playbook and reports
    venv: Path
    collections: Path
    env: dict[str, str]
    host: str  # the first host of make lab's lab


def run(argv: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{argv}: rc={done.returncode}\n{output[-4000:]}"
    return output


def repo_venv_collections() -> Path:
    """Where the repository's venv has the ansible package's collections."""
    found = run(
        [ROOT / ".venv/bin/python", "-c", "import ansible_collections.ansible.posix as p; "
         "print(p.__path__[0])"], ROOT, FRESH_ENV,
    )  # fmt: skip
    return Path(found.strip().splitlines()[-1]).parents[1]


@pytest.fixture(scope="module")
def user(made_lab: tuple[int, str], tmp_path_factory: pytest.TempPathFactory) -> User:
    rc, out = made_lab
    assert rc == 0, out[-3000:]
    home = tmp_path_factory.mktemp("user")
    assert not home.resolve().is_relative_to(ROOT)
    dist = home / "dist"
    run([ROOT / ".venv/bin/ansible-galaxy", "collection", "build", COLLECTION,
         "--output-path", dist], ROOT, FRESH_ENV)  # fmt: skip
    run([ROOT / ".venv/bin/pip", "wheel", ROOT, "--no-deps", "--no-build-isolation",
         "--quiet", "-w", dist], ROOT, FRESH_ENV)  # fmt: skip
    venv = home / "venv"
    run(["python3", "-m", "venv", venv], home, FRESH_ENV)
    run([venv / "bin/pip", "install", "--quiet", "--disable-pip-version-check",
         "ansible-core==2.19.14"], home, FRESH_ENV)  # fmt: skip
    collections = home / "collections"
    source = repo_venv_collections()
    for name in DEPENDENCIES:
        (collections / "ansible_collections" / name).parent.mkdir(parents=True, exist_ok=True)
        run(["cp", "-a", source / name, collections / "ansible_collections" / name], home,
            FRESH_ENV)  # fmt: skip
    env = {**FRESH_ENV, "ANSIBLE_COLLECTIONS_PATH": str(collections)}
    hosts = yaml.safe_load((ROOT / "inventories/lab/hosts.yml").read_text())["lab"]["hosts"]
    return User(home, venv, collections, env, min(hosts, key=lambda h: int(h.rsplit("-", 1)[1])))


def test_the_tarball_installs_into_an_empty_path_and_converges_a_host(user: User) -> None:
    (tarball,) = (user.home / "dist").glob("layerwise-docker-*.tar.gz")
    said = run([user.venv / "bin/ansible-galaxy", "collection", "install", tarball, "-p",
                user.collections], user.home, user.env)  # fmt: skip
    assert "layerwise.docker:0.1.0 was installed successfully" in said, said
    installed = user.collections / "ansible_collections/layerwise/docker"
    doc = run([user.venv / "bin/ansible-doc", "layerwise.docker.overlay2_facts"], user.home,
              user.env)  # fmt: skip
    assert str(installed / "plugins/modules/overlay2_facts.py") in doc, doc[:2000]
    (user.home / "site.yml").write_text(PLAYBOOK)
    out = run([user.venv / "bin/ansible-playbook", "-i", ROOT / "inventories/lab", "site.yml",
               "-e", f"layerwise_hosts={user.host}"], user.home, user.env, timeout=900)  # fmt: skip
    assert "TASK [layerwise.docker.docker_storage : " in out, out[-3000:]
    recap = out[out.index("PLAY RECAP") :]
    assert user.host in recap
    assert "changed=0" in recap
    assert "failed=0" in recap, recap


def test_without_its_dependencies_the_install_resolves_them_or_names_the_missing_one(
    user: User,
) -> None:
    """Into a path that lacks ansible.posix and community.general: with Galaxy reachable they
    are installed beside it; without (as here), the run fails naming the first one."""
    (tarball,) = (user.home / "dist").glob("layerwise-docker-*.tar.gz")
    path = user.home / "bare"
    done = subprocess.run(
        [str(user.venv / "bin/ansible-galaxy"), "collection", "install", str(tarball), "-p",
         str(path)], cwd=user.home, env={**FRESH_ENV, "ANSIBLE_COLLECTIONS_PATH": str(path)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    said = done.stdout + done.stderr
    if done.returncode == 0:
        assert (path / "ansible_collections/ansible/posix").is_dir(), said
    else:
        assert "collection ansible.posix" in said, said
        assert not (path / "ansible_collections/layerwise/docker").exists(), "half installed"


def test_the_collection_installs_from_a_git_url_of_a_commit(user: User) -> None:
    """As README's requirements.yml names it: git+URL#/ansible_collections/layerwise/docker/,
    a commit (here the URL of this checkout, at the commit under test)."""
    commit = run(["git", "rev-parse", "HEAD"], ROOT, FRESH_ENV).strip().splitlines()[-1]
    path = user.home / "from-git"
    source = f"git+file://{ROOT}#/ansible_collections/layerwise/docker/,{commit}"
    said = run([user.venv / "bin/ansible-galaxy", "collection", "install", source, "-p", path,
                "--no-deps"], user.home, user.env)  # fmt: skip
    assert "layerwise.docker:0.1.0 was installed successfully" in said, said
    assert (
        path / "ansible_collections/layerwise/docker/plugins/modules/overlay2_facts.py"
    ).is_file()


def test_the_wheel_gives_a_layerwise_command_that_checks_a_host(user: User) -> None:
    (wheel,) = (user.home / "dist").glob("layerwise-*.whl")
    run([user.venv / "bin/pip", "install", "--quiet", "--disable-pip-version-check", wheel],
        user.home, user.env)  # fmt: skip
    said = run([user.venv / "bin/layerwise", "compliance", "-i", ROOT / "inventories/lab",
                "--limit", user.host], user.home, user.env, timeout=900)  # fmt: skip
    assert "layerwise compliance: PASS (exit 0)" in said, said[-3000:]
    assert (user.home / "reports/compliance.json").is_file()
