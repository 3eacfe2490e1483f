#!/usr/bin/env python3
"""Renders adjoin(8): the hand-written source (packaging/man/adjoin.8.in) with its @SYNOPSIS@ and
@COMMANDS@ lines replaced by every command and option that the built binary reports through
`adjoin --experimental-dump-help`, so the reference is always the binary's own.

usage: manpage.py TEMPLATE DUMP_HELP_JSON VERSION DATE > adjoin.8
"""
import json
import re
import sys


def escape(text):
    """Roff-safe text: backslashes doubled as \\e, and no line may start a request."""
    lines = text.replace("\\", "\\e").split("\n")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in lines)


def literal(text):
    """A command-line token: as escape(), with every hyphen a real minus so it copies as typed."""
    return escape(text).replace("-", "\\-")


def option_names(argument):
    """The argument's spellings, short first: ['-q', '--quiet']."""
    names = argument.get("names") or []
    ordered = sorted(names, key=lambda name: name["kind"] != "short")
    return [("-" if name["kind"] == "short" else "--") + name["name"] for name in ordered]


def preferred(argument):
    name = argument.get("preferredName")
    if not name:
        return option_names(argument)[-1]
    return ("-" if name["kind"] == "short" else "--") + name["name"]


def usage_token(argument):
    """One argument as the synopsis shows it, in roff."""
    kind = argument["kind"]
    value = literal(argument.get("valueName", ""))
    if kind == "positional":
        token = "\\fI" + value + "\\fR"
    elif kind == "option":
        token = "\\fB" + literal(preferred(argument)) + "\\fR \\fI" + value + "\\fR"
    else:
        token = "\\fB" + literal(preferred(argument)) + "\\fR"
    if argument.get("isRepeating"):
        token += " .\\|.\\|."
    if argument.get("isOptional"):
        token = "[" + token + "]"
    # \% first: groff never hyphenates the token (it would split option names at a line break).
    return "\\%" + token


def shown(command):
    return [argument for argument in command.get("arguments", []) if argument.get("shouldDisplay", True)]


def synopsis_line(path, command):
    tokens = " ".join(usage_token(argument) for argument in shown(command))
    return ".B " + literal(" ".join(path)) + ("\n" + tokens if tokens else "")


def paragraphs(text):
    """Discussion text: flowed paragraphs, and indented blocks (tables, examples) kept as written."""
    out = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith(" ") for line in lines):
            out.append(".PP\n.nf\n" + escape(block) + "\n.fi")
        else:
            out.append(".PP\n" + escape(" ".join(line.strip() for line in lines)))
    return out


def describe_argument(argument):
    kind = argument["kind"]
    value = literal(argument.get("valueName", ""))
    if kind == "positional":
        head = ".TP\n.I " + value
    else:
        names = ", ".join("\\%\\fB" + literal(name) + "\\fR" for name in option_names(argument))
        head = ".TP\n" + names + (" \\fI" + value + "\\fR" if kind == "option" else "")
    body = [escape(argument.get("abstract", "").strip())]
    if argument.get("discussion"):
        body.append(escape(argument["discussion"].strip()))
    if argument.get("allValues"):
        body.append("Values: " + ", ".join(literal(v) for v in argument["allValues"]) + ".")
    if argument.get("defaultValue") is not None:
        body.append("Default: " + literal(str(argument["defaultValue"])) + ".")
    if argument.get("isRepeating"):
        body.append("May be given more than once.")
    return head + "\n" + "\n".join(part for part in body if part)


EXAMPLE = re.compile(r'^\.\\" example: ([^\n]+)\n(.*?)^\.\\" example end\n', re.M | re.S)


def examples(template):
    """The template without its per-command example blocks, and {command path: roff} of them. A block is
    written between `.\\" example: adjoin join` and `.\\" example end` anywhere in the template; the reference
    puts it after the command's description and before its options, as realm(8) and adcli(8) do."""
    found = {}
    for match in EXAMPLE.finditer(template):
        name = match.group(1).strip()
        if name in found:
            sys.exit("manpage.py: two examples for '%s'" % name)
        found[name] = match.group(2).rstrip("\n")
    return EXAMPLE.sub("", template), found


def commands(path, command, found=None):
    """The reference for a command and, depth first, for each of its subcommands."""
    found = {} if found is None else found
    out = []
    for sub in command.get("subcommands", []):
        sub_path = path + [sub["commandName"]]
        section = [".SS \"" + literal(" ".join(sub_path)) + "\"", synopsis_line(sub_path, sub)]
        if sub.get("abstract"):
            section.append(".PP\n" + escape(sub["abstract"].strip()))
        if sub.get("discussion"):
            section.extend(paragraphs(sub["discussion"]))
        example = found.pop(" ".join(sub_path), None)
        if example:
            section.append(".PP\nExample:\n" + example)
        arguments = shown(sub)
        if arguments:
            section.append(".PP\nArguments and options:")
            section.extend(describe_argument(argument) for argument in arguments)
        out.append("\n".join(section))
        out.extend(commands(sub_path, sub, found))
    return out


def synopsis(root):
    """One line per leaf command, then the top level's own flags."""
    lines = []

    def leaves(path, command):
        subs = command.get("subcommands", [])
        if not subs and len(path) > 1:
            lines.append("\\fB" + literal(" ".join(path)) + "\\fR [\\fIoptions\\fR]" +
                         "".join(" " + usage_token(a) for a in shown(command) if a["kind"] == "positional"))
        for sub in subs:
            leaves(path + [sub["commandName"]], sub)

    leaves([root["commandName"]], root)
    lines.append(synopsis_line([root["commandName"]], root))
    return "\n.br\n".join(lines)


def main():
    template_path, dump_path, version, date = sys.argv[1:5]
    with open(dump_path, encoding="utf-8") as f:
        root = json.load(f)["command"]
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    for placeholder in ("@SYNOPSIS@\n", "@COMMANDS@\n", "@VERSION@", "@DATE@"):
        if placeholder not in template:
            sys.exit("manpage.py: %s has no %s" % (template_path, placeholder.strip()))
    template, found = examples(template)
    reference = commands([root["commandName"]], root, found)
    if found:
        sys.exit("manpage.py: examples for commands the binary does not have: %s" % ", ".join(sorted(found)))
    page = (template
            .replace("@SYNOPSIS@\n", synopsis(root) + "\n")
            .replace("@COMMANDS@\n", "\n".join(reference) + "\n")
            .replace("@VERSION@", version)
            .replace("@DATE@", date))
    sys.stdout.write(page)


if __name__ == "__main__":
    main()
