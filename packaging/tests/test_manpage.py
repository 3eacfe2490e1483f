"""scripts/lib/manpage.py on a small command tree: each command's example lands in its own section, after its
description and before its options; an example for a command the binary lacks stops the build."""
import json
import os
import subprocess
import sys

from conftest import ROOT

RENDER = os.path.join(ROOT, "scripts/lib/manpage.py")
TEMPLATE = """.TH ADJOIN 8 "@DATE@" "adjoin @VERSION@"
.SH SYNOPSIS
@SYNOPSIS@
.SH COMMANDS
@COMMANDS@
.\\" example: adjoin status
.PP
status-example-line
.\\" example end
.\\" example: adjoin join
.PP
join-example-line
.\\" example end
"""


def dump(*names):
    option = {"kind": "flag", "names": [{"kind": "long", "name": "quiet"}], "preferredName": {"kind": "long", "name": "quiet"},
              "abstract": "No progress.", "isOptional": True, "shouldDisplay": True}
    subs = [{"commandName": n, "abstract": "The %s command." % n, "arguments": [option]} for n in names]
    return {"command": {"commandName": "adjoin", "subcommands": subs, "arguments": []}}


def render(tmp_path, tree, template=TEMPLATE):
    (tmp_path / "t.8.in").write_text(template)
    (tmp_path / "dump.json").write_text(json.dumps(tree))
    return subprocess.run([sys.executable, RENDER, str(tmp_path / "t.8.in"), str(tmp_path / "dump.json"), "1", "today"],
                          capture_output=True, text=True)


def test_each_example_goes_between_its_commands_description_and_options(tmp_path):
    result = render(tmp_path, dump("join", "status"))
    assert result.returncode == 0, result.stderr
    page = result.stdout
    join, status = page.index('.SS "adjoin join"'), page.index('.SS "adjoin status"')
    assert join < page.index("The join command.") < page.index("join-example-line") < page.index("Arguments and options", join) < status
    assert status < page.index("status-example-line") < page.index("Arguments and options", status)
    assert "example end" not in page and "example:" not in page


def test_an_example_for_a_command_the_binary_lacks_fails(tmp_path):
    result = render(tmp_path, dump("join"))
    assert result.returncode != 0 and "adjoin status" in result.stderr
