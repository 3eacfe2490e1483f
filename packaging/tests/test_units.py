"""The units' own settings that the boot join's retries depend on: what `systemctl status adjoin-join`
shows must be the join's outcome, and systemd must not cut the retries short or repeat them."""
import os
import re

from conftest import ROOT

JOIN_UNIT = os.path.join(ROOT, "packaging/systemd/adjoin-join.service")


def unit_settings(path):
    settings, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[]")
            elif line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                settings.setdefault((section, key.strip()), []).append(value.strip())
    return settings


def seconds(text):
    """systemd's time spans as this unit writes them (90, 90s, 35min, 1h) and adjoin's (30m)."""
    match = re.fullmatch(r"(\d+)\s*(s|sec|m|min|h)?", text)
    assert match, text
    return int(match.group(1)) * {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]


def test_the_boot_join_retries_within_what_systemd_allows():
    settings = unit_settings(JOIN_UNIT)
    (command,) = settings[("Service", "ExecStart")]
    argv = command.split()
    assert argv[:3] == ["/usr/sbin/adjoin", "join", "--unless-joined"], argv
    retry_for = seconds(argv[argv.index("--retry-for") + 1])
    assert retry_for >= 15 * 60, "a fleet's boot needs minutes of retries, not %d s" % retry_for
    # The last attempt may start just before the retries' budget ends and take its own --timeout (20 s).
    (timeout,) = settings[("Service", "TimeoutStartSec")]
    assert seconds(timeout) >= retry_for + 20 + 60, (timeout, retry_for)
    # The outcome stays visible: a oneshot that remains active after success, failed with the exit code otherwise.
    assert settings[("Service", "Type")] == ["oneshot"]
    assert settings[("Service", "RemainAfterExit")] == ["yes"]
    # The retries are the agent's own (jittered, with permanent failures told apart): systemd adds none.
    assert ("Service", "Restart") not in settings
    assert settings[("Unit", "After")] == ["network-online.target time-sync.target"], settings[("Unit", "After")]
    assert settings[("Unit", "Wants")] == ["network-online.target"]
    # time-sync.target is waited for, never pulled in: a host with no time service must still boot the join.
    assert not any("time-sync" in value for value in settings[("Unit", "Wants")])
