"""The golden-image recipes (packaging/imagebuilder, packaging/packer): their documents are what Image Builder
and Packer accept, the units they enable are the package's, and their shell steps leave an image that carries
no join. The steps run here with stand-ins for adjoin and systemctl that record what they were asked."""
import json
import os
import re
import stat
import subprocess

import hcl2
import pytest
import yaml

from conftest import ROOT, install_targets, source_units

COMPONENT = os.path.join(ROOT, "packaging/imagebuilder/adjoin-component.yaml")
PACKER = os.path.join(ROOT, "packaging/packer/adjoin.pkr.hcl")
# AWSTOE's action modules that a Linux component may use (the ones this recipe could reasonably name).
TOE_ACTIONS = {"ExecuteBash", "ExecuteBinary", "ExecuteDocument", "S3Download", "S3Upload", "WebDownload", "CreateFile",
               "DeleteFile", "MoveFile", "CopyFile", "SetFilePermissions", "Reboot", "UpdateOS", "InstallRpm", "InstallDebPackage"}
TOE_PHASES = {"build", "validate", "test"}


def component():
    with open(COMPONENT, encoding="utf-8") as f:
        return yaml.safe_load(f)


def packer():
    with open(PACKER, encoding="utf-8") as f:
        return hcl2.load(f)


def hcl_string(value):
    """python-hcl2 keeps a literal's quotes and escapes; HCL's escapes are JSON's for these strings."""
    return json.loads(value) if value.startswith('"') else value


def component_steps(phase):
    return next(p for p in component()["phases"] if p["name"] == phase)["steps"]


def bash_of(step):
    assert step["action"] == "ExecuteBash", step
    return "\n".join(step["inputs"]["commands"])


def packer_shell_commands():
    provisioners = packer()["build"][0]["provisioner"]
    shell = next(p['"shell"'] for p in provisioners if '"shell"' in p)
    return [hcl_string(command) for command in shell["inline"]]


def enabled_units(script):
    units = []
    for match in re.finditer(r"systemctl enable ([^\n\"]+)", script):
        units += match.group(1).split()
    return units


@pytest.fixture
def stand_ins(tmp_path):
    """A PATH whose adjoin answers `status` with ADJOIN_STATUS_EXIT and logs every call, as systemctl does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name, body in (("adjoin", 'if [ "$1" = status ]; then exit "${ADJOIN_STATUS_EXIT:?}"; fi\nexit 0'), ("systemctl", "exit 0")):
        path = bin_dir / name
        path.write_text('#!/bin/sh\necho "%s $*" >> "%s"\n%s\n' % (name, log, body))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)

    def run(script, status_exit, shell=("bash", "-c")):
        env = dict(os.environ, PATH="%s:%s" % (bin_dir, os.environ["PATH"]), ADJOIN_STATUS_EXIT=str(status_exit))
        if log.exists():
            log.unlink()
        result = subprocess.run([*shell, script], capture_output=True, text=True, env=env)
        calls = log.read_text().splitlines() if log.exists() else []
        return result.returncode, calls

    return run


def test_the_component_document_has_image_builders_form():
    document = component()
    assert set(document) <= {"name", "description", "schemaVersion", "parameters", "constants", "phases"}, set(document)
    assert document["name"] and document["description"]
    assert str(document["schemaVersion"]) == "1.0"
    parameters = {}
    for entry in document["parameters"]:
        (name, spec), = entry.items()
        assert spec["type"] == "string" and spec["description"], (name, spec)
        parameters[name] = spec
    names = [phase["name"] for phase in document["phases"]]
    assert set(names) <= TOE_PHASES and "build" in names and len(names) == len(set(names)), names
    used = set()
    for phase in document["phases"]:
        step_names = [step["name"] for step in phase["steps"]]
        assert len(step_names) == len(set(step_names)), step_names
        for step in phase["steps"]:
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", step["name"]), step["name"]
            assert step["action"] in TOE_ACTIONS, step["action"]
            assert "inputs" in step, step
            used |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", json.dumps(step["inputs"])))
    assert used == set(parameters), (used, set(parameters))
    download = next(step for step in component_steps("build") if step["action"] == "S3Download")
    assert download["inputs"] == [{"source": "{{ PackageUri }}", "destination": "/tmp/adjoin/package"}]


@pytest.mark.parametrize("recipe", ["component", "packer"])
def test_the_recipes_enable_the_packages_units_and_join_nothing(recipe):
    script = ("\n".join(bash_of(step) for step in component_steps("build") if step["action"] == "ExecuteBash") if recipe == "component"
              else "\n".join(packer_shell_commands()))
    units = source_units()
    enabled = enabled_units(script)
    assert set(enabled) == {"adjoin-join.service", "adjoin-leave.service", "adjoin-rotate.timer"}, enabled
    for unit in enabled:
        assert unit in units, "%s is not in packaging/systemd" % unit
        assert install_targets(units[unit]), "%s has no [Install] section: enabling it does nothing" % unit
    assert not re.search(r"adjoin\s+join", script), "the recipe joins the build instance"
    assert not re.search(r"systemctl\s+(start|restart)", script), "the recipe starts a unit"


@pytest.mark.parametrize("recipe", ["component", "packer"])
def test_a_build_instance_that_joined_leaves_before_the_image_is_taken(recipe, stand_ins):
    if recipe == "component":
        script = bash_of(next(step for step in component_steps("build") if step["name"] == "LeaveIfTheBuildInstanceJoined"))
        shell = ("bash", "-c")
    else:
        script = next(command for command in packer_shell_commands() if "adjoin status" in command)
        shell = ("sh", "-euc")
    rc, calls = stand_ins(script, 20, shell)
    assert rc == 0 and calls == ["adjoin status --quiet"], calls
    for joined in (0, 21, 23, 25):
        rc, calls = stand_ins(script, joined, shell)
        assert rc == 0 and calls == ["adjoin status --quiet", "adjoin leave"], (joined, calls)


def test_the_components_validation_refuses_an_image_that_carries_a_join(stand_ins):
    script = bash_of(component_steps("validate")[0])
    rc, calls = stand_ins(script, 20)
    assert rc == 0, calls
    assert "systemctl is-enabled adjoin-join.service adjoin-leave.service adjoin-rotate.timer" in calls
    for joined in (0, 24, 25):
        rc, _ = stand_ins(script, joined)
        assert rc == 1, joined


def test_the_packer_snippet_uploads_the_package_it_installs():
    document = packer()
    variable = document["variable"][0]['"adjoin_package"']
    assert variable["type"] == "string" and hcl_string(variable["description"])
    provisioners = document["build"][0]["provisioner"]
    upload = next(p['"file"'] for p in provisioners if '"file"' in p)
    assert upload["source"] == "${var.adjoin_package}"
    destination = hcl_string(upload["destination"])
    install = packer_shell_commands()[0]
    assert "mv %s " % destination in install and "apt-get install -y" in install and "dnf install -y" in install
    # The file provisioner comes first, then the shell that installs it.
    assert list(provisioners[0]) == ['"file"'] and list(provisioners[1]) == ['"shell"']
