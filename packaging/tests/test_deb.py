"""The .deb itself: lintian, contents, linkage, Depends, version, maintainer scripts, man page and
completions, all read from the package that scripts/package built."""
import json
import os
import re
import subprocess

from conftest import ROOT, assert_maintainer_scripts_enable_and_start_nothing, run, source_units, source_version


def control_field(deb, field):
    return run(["dpkg-deb", "-f", deb, field]).stdout.strip()


def test_lintian_reports_no_error_and_no_warning(deb):
    # Warnings fail too: one that is kept must be overridden in packaging/debian/adjoin.lintian-overrides,
    # with a comment saying why.
    result = subprocess.run(["lintian", "--fail-on", "error,warning", deb], capture_output=True, text=True)
    tags = [line for line in result.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert result.returncode == 0 and not tags, "lintian:\n" + result.stdout + result.stderr


def test_contents_are_the_binary_units_man_page_completions_and_docs(deb):
    listing = run(["dpkg-deb", "-c", deb]).stdout
    files = {line.split()[-1].lstrip(".") for line in listing.splitlines() if not line.startswith("d")}
    expected = {
        "/usr/sbin/adjoin",
        "/usr/share/man/man8/adjoin.8.gz",
        "/usr/share/bash-completion/completions/adjoin",
        "/usr/share/zsh/vendor-completions/_adjoin",
        "/usr/share/doc/adjoin/copyright",
        "/usr/share/doc/adjoin/changelog.gz",
    }
    units = source_units() or {}
    expected |= {"/lib/systemd/system/" + name for name in units}
    assert expected <= files, "missing from the package: %s" % sorted(expected - files)
    assert len([line for line in listing.splitlines() if line.endswith("/usr/sbin/adjoin")]) == 1
    assert re.search(r"^-rwxr-xr-x root/root .* \./usr/sbin/adjoin$", listing, re.M), listing


def test_binary_links_no_swift_library_dynamically(unpacked):
    binary = str(unpacked / "files/usr/sbin/adjoin")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", run(["readelf", "-d", binary]).stdout)
    assert needed, "readelf found no NEEDED entries: not a dynamically linked ELF binary?"
    assert not [lib for lib in needed if "swift" in lib.lower() or "Foundation" in lib], needed
    assert "libswiftCore.so" not in run(["ldd", binary]).stdout


def depends_alternatives(deb):
    """Depends as a list of sets: each item's alternatives, by package name."""
    return [{re.split(r"[\s(]", alternative.strip())[0] for alternative in item.split("|")}
            for item in control_field(deb, "Depends").split(",")]


def test_depends_are_the_binarys_libraries_plus_what_logins_need(deb, unpacked):
    items = depends_alternatives(deb)
    depends = set().union(*items)
    for login_package in ("sssd-ad", "libnss-sss", "libpam-sss", "libsasl2-modules-gssapi-mit"):
        assert {login_package} in items, (login_package, items)
    # libldap and libcurl are loaded at run time (dlopen), so no NEEDED entry names them: they are listed by hand,
    # with the names Debian 13 and Ubuntu 24.04 (OpenLDAP 2.6, 64-bit time_t) and Debian 12 and Ubuntu 22.04 use.
    assert {"libldap2", "libldap-2.5-0"} in items, items
    assert {"libcurl4t64", "libcurl4"} in items, items
    # Every shared library the binary needs comes from a package in Depends (as dpkg-shlibdeps derives it).
    binary = str(unpacked / "files/usr/sbin/adjoin")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", run(["readelf", "-d", binary]).stdout)
    for library in needed:
        # "libfoo.so.1 => /lib/.../libfoo.so.1 (0x...)", or the loader's "/lib64/ld-linux-x86-64.so.2 (0x...)"
        resolved = re.search(r"^\s*(?:%s => )?(/\S*%s)\s" % (re.escape(library), re.escape(library)),
                             run(["ldd", binary]).stdout, re.M)
        assert resolved, library
        # dpkg knows a library by the path its package ships, /lib or /usr/lib (merged /usr).
        path = resolved.group(1)
        candidates = [path, path[4:] if path.startswith("/usr/lib/") else "/usr" + path]
        owners = [subprocess.run(["dpkg", "-S", c], capture_output=True, text=True).stdout for c in candidates]
        owner = next((o.split(":")[0] for o in owners if o), None)
        assert owner, "no package owns %s" % path
        assert owner in depends, "%s (%s) is needed but %s is not in Depends: %s" % (library, resolved.group(1), owner, depends)


def symbol_versions(binary):
    """{"GLIBC": [(2, 34), ...], ...}: the versions of the symbols the binary imports."""
    versions = {}
    for name, number in re.findall(r"\((GLIBC|GLIBCXX|CXXABI|GCC)_([\d.]+)\)", run(["objdump", "-T", binary]).stdout):
        versions.setdefault(name, set()).add(tuple(int(part) for part in number.split(".")))
    return versions


def test_binary_needs_no_glibc_above_2_34_and_no_libldap_libsasl_or_libcurl(unpacked):
    # Amazon Linux 2023 and RHEL 9 have glibc 2.34 and GCC 11's libstdc++ (GLIBCXX_3.4.29).
    binary = str(unpacked / "files/usr/sbin/adjoin")
    versions = symbol_versions(binary)
    assert (2, 34) in versions["GLIBC"], "objdump found no GLIBC_2.34 symbol: %s" % versions
    assert max(versions["GLIBC"]) <= (2, 34), "the binary needs GLIBC_%s" % ".".join(map(str, max(versions["GLIBC"])))
    assert max(versions.get("GLIBCXX", {(3, 4)})) <= (3, 4, 29), versions["GLIBCXX"]
    # Their sonames differ between the distributions (libldap.so.2, libldap-2.5.so.0, libldap_r-2.4.so.2;
    # libsasl2.so.2 and .3): they are loaded at run time, by soname, never linked.
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", run(["readelf", "-d", binary]).stdout)
    linked = [library for library in needed if re.match(r"lib(ldap|lber|sasl2|curl)", library)]
    assert not linked, linked
    for soname in ("libldap.so.2", "libldap-2.5.so.0", "libldap_r-2.4.so.2", "libcurl.so.4"):
        assert soname.encode() in open(binary, "rb").read(), "the binary does not name %s to load" % soname


def test_copyright_states_the_apache_licence(unpacked):
    with open(str(unpacked / "files/usr/share/doc/adjoin/copyright"), encoding="utf-8") as f:
        text = f.read()
    assert re.search(r"^Files: \*\nCopyright: .*\nLicense: Apache-2.0$", text, re.M), text
    assert "/usr/share/common-licenses/Apache-2.0" in text
    with open(os.path.join(ROOT, "LICENSE"), encoding="utf-8") as f:
        assert "Apache License\n                           Version 2.0, January 2004" in f.read()


def test_version_is_the_sources_and_the_binarys(deb, unpacked):
    version = source_version()
    assert control_field(deb, "Version") == version
    assert os.path.basename(deb) == "adjoin_%s_%s.deb" % (version, run(["dpkg", "--print-architecture"]).stdout.strip())
    assert run([str(unpacked / "files/usr/sbin/adjoin"), "--version"]).stdout.strip() == version
    changelog = run(["sh", "-c", "zcat '%s'" % (unpacked / "files/usr/share/doc/adjoin/changelog.gz")]).stdout
    assert changelog.startswith("adjoin (%s) " % version), changelog[:200]


def test_maintainer_scripts_enable_but_never_start_stop_or_run_anything(deb):
    assert_maintainer_scripts_enable_and_start_nothing(deb, source_units() or {})


def rendered_man_page(unpacked):
    page = str(unpacked / "files/usr/share/man/man8/adjoin.8.gz")
    # Wide, so no option is broken across lines; man-db drops the formatting when not on a terminal.
    result = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                            env=dict(os.environ, MANWIDTH="250", LC_ALL="C.UTF-8"))
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    return result.stdout


def sections(text, header_pattern):
    """{header: body} for each header the pattern matches at the start of a line."""
    marks = [(m.start(), m.group(1)) for m in re.finditer(header_pattern, text, re.M)]
    return {name: text[start:(marks[i + 1][0] if i + 1 < len(marks) else len(text))]
            for i, (start, name) in enumerate(marks)}


def test_man_page_documents_every_subcommand_and_option_of_the_binary(unpacked):
    text = rendered_man_page(unpacked)
    dump = json.loads(run([str(unpacked / "files/usr/sbin/adjoin"), "--experimental-dump-help"]).stdout)
    top = sections(text, r"^([A-Z][A-Z ]+)$")
    commands = sections(top["COMMANDS"], r"^   (adjoin\b.*)$")
    checked = 0

    def check(path, command):
        nonlocal checked
        for sub in command.get("subcommands", []):
            name = " ".join(path + [sub["commandName"]])
            assert name in commands, "no section for '%s' in adjoin(8): %s" % (name, sorted(commands))
            assert re.search(r"^\s+%s\b" % re.escape(name), top["SYNOPSIS"] + commands[name], re.M), name
            for argument in sub.get("arguments", []):
                if not argument.get("shouldDisplay", True):
                    continue
                for option in argument.get("names") or []:
                    spelled = ("-" if option["kind"] == "short" else "--") + option["name"]
                    assert re.search(r"(^|[\s\[,])%s\b" % re.escape(spelled), commands[name], re.M), \
                        "'%s %s' is not in adjoin(8)" % (name, spelled)
                    checked += 1
                if argument["kind"] == "positional":
                    assert argument["valueName"] in commands[name], (name, argument["valueName"])
            check(path + [sub["commandName"]], sub)

    check(["adjoin"], dump["command"])
    assert checked >= 20, "only %d options checked: the dump-help walk is broken" % checked


def test_man_page_shows_an_example_of_each_command_before_its_options(unpacked):
    """As realm(8) and adcli(8): each command's section shows it in use before the option reference."""
    text = rendered_man_page(unpacked)
    commands = sections(sections(text, r"^([A-Z][A-Z ]+)$")["COMMANDS"], r"^   (adjoin\b.*)$")
    for name, body in commands.items():
        if name == "adjoin help":
            continue
        example = body.find("Example:")
        options = body.find("Arguments and options:")
        assert 0 <= example < options, "adjoin(8) has no example before the options of '%s'" % name
        assert re.search(r"^\s+%s\b" % re.escape(name), body[example:options], re.M), (name, body[example:options])


def test_man_page_documents_every_status_with_its_exit_code(unpacked):
    text = rendered_man_page(unpacked)
    statuses = sections(text, r"^([A-Z][A-Z ]+)$")["STATUSES AND EXIT CODES"]
    with open(os.path.join(ROOT, "Sources/AdjoinCore/Status.swift"), encoding="utf-8") as f:
        # A declaration may be wrapped over lines (swift format).
        declared = re.findall(r'Status\(\s*"([A-Z_]+)",\s*exitCode:\s*(\d+),', f.read())
    assert len(declared) >= 10, declared
    for name, code in declared:
        assert re.search(r"^\s+%s \(exit %s\)$" % (name, code), statuses, re.M), \
            "%s (exit %s) is not in adjoin(8)'s STATUSES AND EXIT CODES" % (name, code)


def test_bash_completion_completes_the_subcommands(unpacked):
    completion = str(unpacked / "files/usr/share/bash-completion/completions/adjoin")
    dump = json.loads(run([str(unpacked / "files/usr/sbin/adjoin"), "--experimental-dump-help"]).stdout)
    # What bash does on "adjoin <TAB>": call the function that `complete -F` registered.
    script = r'''
        shopt -s extglob
        source "$1"
        function=$(complete -p adjoin | sed -n 's/.*-F \([^ ]*\).*/\1/p')
        [ -n "$function" ] || exit 3
        COMP_WORDS=(adjoin ""); COMP_CWORD=1; COMP_LINE="adjoin "; COMP_POINT=${#COMP_LINE}
        PATH="$2:$PATH" "$function" adjoin "" adjoin
        printf '%s\n' "${COMPREPLY[@]}"
    '''
    result = run(["bash", "-c", script, "bash", completion, str(unpacked / "files/usr/sbin")])
    offered = set(result.stdout.split())
    for sub in dump["command"]["subcommands"]:
        assert sub["commandName"] in offered, (sub["commandName"], offered)
    with open(str(unpacked / "files/usr/share/zsh/vendor-completions/_adjoin"), encoding="utf-8") as f:
        assert f.readline().startswith("#compdef adjoin")
