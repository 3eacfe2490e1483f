"""The AWS Systems Manager Distributor package scripts/package built (ADJOIN_DISTRIBUTOR_MANIFEST), checked against
the manifest format AWS documents (schemaVersion 2.0; platforms, release versions and architectures mapped to
zips; every zip listed under "files" with its SHA-256; each zip holding install.sh and uninstall.sh)."""
import hashlib
import json
import os
import re
import zipfile

import pytest
import yaml

from conftest import ROOT, built, source_version

# Distributor's platform codes for the distributions adjoin supports, and its architecture codes.
PLATFORMS = {"debian", "ubuntu", "amazon", "redhat"}
ARCHITECTURES = {"x86_64", "386", "arm64", "_any"}


@pytest.fixture(scope="session")
def manifest_path():
    return built("ADJOIN_DISTRIBUTOR_MANIFEST")


@pytest.fixture(scope="session")
def manifest(manifest_path):
    with open(manifest_path, encoding="utf-8") as f:
        return json.load(f)


def referenced(manifest):
    """{(platform, release, architecture): zip name} from the manifest's packages section."""
    return {(platform, release, architecture): entry["file"]
            for platform, releases in manifest["packages"].items()
            for release, architectures in releases.items()
            for architecture, entry in architectures.items()}


def test_manifest_has_the_documented_shape(manifest):
    assert set(manifest) <= {"schemaVersion", "version", "publisher", "packages", "files"}, sorted(manifest)
    assert manifest["schemaVersion"] == "2.0"
    # A version: letters, digits, underscores, hyphens and periods, at most 128; the package's own.
    assert re.fullmatch(r"[A-Za-z0-9_.-]{1,128}", manifest["version"]) and manifest["version"] == source_version()
    for (platform, release, architecture), name in referenced(manifest).items():
        assert platform in PLATFORMS, platform
        assert release == "_any" or re.fullmatch(r"\d+(\.\d+)*", release), release
        assert architecture in ARCHITECTURES, architecture
        assert name in manifest["files"], "%s is referenced but not under files" % name
    for name, entry in manifest["files"].items():
        assert set(entry) == {"checksums"} and set(entry["checksums"]) == {"sha256"}, entry
        assert re.fullmatch(r"[0-9a-f]{64}", entry["checksums"]["sha256"]), entry
    assert set(manifest["files"]) == set(referenced(manifest).values()), "a listed zip is referenced by no platform"
    assert len(manifest["files"]) <= 20  # Distributor's limit of attachments per package


def test_each_supported_release_gets_the_right_package_format(manifest):
    packages = referenced(manifest)
    for key in [("debian", "12"), ("debian", "13"), ("ubuntu", "22.04"), ("ubuntu", "24.04")]:
        assert packages[key + ("x86_64",)].endswith("-deb.zip"), key
    for key in [("amazon", "2023"), ("redhat", "_any")]:
        assert packages[key + ("x86_64",)].endswith("-rpm.zip"), key
    # scripts/test builds both architectures: Graviton instances get the same formats, built for arm64.
    for key in [("debian", "12"), ("debian", "13"), ("ubuntu", "22.04"), ("ubuntu", "24.04")]:
        assert packages[key + ("arm64",)] == "adjoin-deb-arm64.zip", key
    for key in [("amazon", "2023"), ("redhat", "_any")]:
        assert packages[key + ("arm64",)] == "adjoin-rpm-arm64.zip", key
    assert not [key for key in packages if key[2] not in ("x86_64", "arm64")], "only x86_64 and arm64 are built"


def test_each_zip_holds_its_architectures_package(manifest, manifest_path):
    folder = os.path.dirname(manifest_path)
    for (_, _, architecture), name in referenced(manifest).items():
        with zipfile.ZipFile(os.path.join(folder, name)) as archive:
            package = [member for member in archive.namelist() if member.endswith((".deb", ".rpm"))][0]
        expected = {"x86_64": ("_amd64.deb", ".x86_64.rpm"), "arm64": ("_arm64.deb", ".aarch64.rpm")}[architecture]
        assert package.endswith(expected), (architecture, name, package)


def test_zips_match_their_checksums_and_hold_the_package_and_both_scripts(manifest, manifest_path):
    folder = os.path.dirname(manifest_path)
    for name, entry in manifest["files"].items():
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == entry["checksums"]["sha256"], name
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            kind = "deb" if name.startswith("adjoin-deb") else "rpm"
            packages = [member for member in members if member.endswith("." + kind)]
            assert set(members) == {"install.sh", "uninstall.sh"} | set(packages) and len(packages) == 1, members
            for script in ("install.sh", "uninstall.sh"):
                assert (members[script].external_attr >> 16) & 0o111, "%s in %s is not executable" % (script, name)
                check_script_starts_nothing(archive.read(script).decode(), kind, script)


def check_script_starts_nothing(text, kind, script):
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert text.startswith("#!/bin/sh\n"), script
    assert not re.search(r"\b(systemctl|service|invoke-rc\.d|deb-systemd-invoke)\b", code), (kind, script, text)
    assert not re.search(r"(^|[\s;&|])adjoin\s+(join|leave|rotate)", code, re.M), (kind, script, text)
    assert "purge" not in code, "%s %s purges the settings" % (kind, script)
    if script == "install.sh":
        assert re.search(r"(apt-get install|dnf install)", code), text
    else:
        assert re.search(r"(apt-get remove|dnf remove) -y -q adjoin", code), text


def test_cloudformation_creates_the_package_with_exactly_the_built_manifest(manifest):
    with open(os.path.join(ROOT, "packaging/cloudformation/adjoin.yaml"), encoding="utf-8") as f:
        template = yaml.safe_load(f)
    resource = template["Resources"]["DistributorPackage"]
    assert resource["Condition"] == "HasDistributorPackage"
    properties = resource["Properties"]
    assert properties["DocumentType"] == "Package"
    assert properties["Attachments"] == [{"Key": "SourceUrl", "Values": [{"Ref": "DistributorSource"}]}]
    assert properties["VersionName"] == {"Ref": "DistributorVersion"}
    # The template's manifest, with the parameters a deployment passes (from the built manifest), is the built one.
    checksum = lambda name: manifest["files"][name]["checksums"]["sha256"]
    parameters = {"DistributorVersion": manifest["version"],
                  "DistributorDebSha256": checksum("adjoin-deb.zip"),
                  "DistributorRpmSha256": checksum("adjoin-rpm.zip"),
                  "DistributorDebArm64Sha256": checksum("adjoin-deb-arm64.zip"),
                  "DistributorRpmArm64Sha256": checksum("adjoin-rpm-arm64.zip")}
    # Without the arm64 checksums (a build for x86_64 alone), the package is the x86_64 part of the manifest.
    x86_64_only = dict(parameters, DistributorDebArm64Sha256="", DistributorRpmArm64Sha256="")
    without_arm64 = {key: value for key, value in manifest.items() if key not in ("packages", "files")}
    without_arm64["packages"] = {platform: {release: {"x86_64": architectures["x86_64"]}
                                            for release, architectures in releases.items()}
                                 for platform, releases in manifest["packages"].items()}
    without_arm64["files"] = {name: entry for name, entry in manifest["files"].items() if "arm64" not in name}
    for given, expected in ((parameters, manifest), (x86_64_only, without_arm64)):
        assert resolve(properties["Content"], template["Conditions"], given) == expected
    for name in parameters:
        pattern = template["Parameters"][name]["AllowedPattern"]
        assert re.fullmatch(pattern, parameters[name]), (name, parameters[name], pattern)


NO_VALUE = object()


def resolve(value, conditions, parameters):
    """The template's value with parameters given: Ref, and Fn::If over the conditions (Fn::And, Fn::Not,
    Fn::Equals), AWS::NoValue leaving the key out. Any other intrinsic function fails the test."""
    def condition(name):
        return evaluate(conditions[name])

    def evaluate(expression):
        (function, arguments), = expression.items()
        if function == "Fn::And":
            return all(evaluate(argument) for argument in arguments)
        if function == "Fn::Not":
            return not evaluate(arguments[0])
        if function == "Fn::Equals":
            return resolve(arguments[0], conditions, parameters) == resolve(arguments[1], conditions, parameters)
        if function == "Condition":
            return condition(arguments)
        pytest.fail("unexpected function in a condition: %s" % function)

    if isinstance(value, dict) and set(value) == {"Ref"}:
        return NO_VALUE if value["Ref"] == "AWS::NoValue" else parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        name, when_true, when_false = value["Fn::If"]
        return resolve(when_true if condition(name) else when_false, conditions, parameters)
    if isinstance(value, dict):
        assert not [key for key in value if key.startswith("Fn::")], value
        resolved = {key: resolve(item, conditions, parameters) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}
    return value
