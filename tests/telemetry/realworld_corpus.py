"""The telemetry conformance corpus: ``realworld/cases.tsv`` rendered into the record shapes real
telemetry carries (see ``realworld/README.md`` for where each shape was learned), plus
``expected.jsonl``: per file and pid, the verdict.

    .venv/bin/python tests/telemetry/realworld_corpus.py   # rewrite the files

The test (test_telemetry_realworld.py) checks that the files are what this renders, so the table
and the files cannot drift (``CLOUDFW_UPDATE_GOLDEN=1`` rewrites them too).
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

CORPUS = Path(__file__).resolve().parent / "realworld"
ALARM_SEVERITY = {"disable": "high", "modify": "medium", "allow_process": "medium",
                  "enumerate": "low", "hardened": "info"}  # fmt: skip
# shape -> (file, platform)
SHAPES = {
    "auditd": ("auditd.log", "linux"),
    "auditd-node": ("auditd.log", "linux"),
    "auditd-enriched": ("auditd.log", "linux"),
    "osquery-linux": ("osquery.jsonl", "linux"),
    "osquery-macos": ("osquery.jsonl", "macos"),
    "eslogger": ("eslogger.jsonl", "macos"),
    "sysmon": ("sysmon.jsonl", "windows"),
    "sysmon-xml": ("sysmon.xml", "windows"),
    "security-4688": ("security-4688.jsonl", "windows"),
    "generic-linux": ("generic.jsonl", "linux"),
    "generic-argv-linux": ("generic.jsonl", "linux"),
    "generic-macos": ("generic.jsonl", "macos"),
    "generic-windows": ("generic.jsonl", "windows"),
}
T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    shape: str
    verdict: str  # category, or "none"
    severity: str  # "" for none
    command: str
    pid: int
    when: datetime

    @property
    def file(self) -> str:
        return SHAPES[self.shape][0]

    @property
    def platform(self) -> str:
        return SHAPES[self.shape][1]


def _encode(match: re.Match[str]) -> str:
    return base64.b64encode(match.group(1).encode("utf-16-le")).decode()


def load_cases(path: Path = CORPUS / "cases.tsv") -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        shape, verdict, command = line.split("\t")
        if shape not in SHAPES:
            raise ValueError(f"{path}:{n}: unknown shape {shape!r}")
        category, _, severity = verdict.partition(":")
        if category != "none" and category not in ALARM_SEVERITY:
            raise ValueError(f"{path}:{n}: unknown verdict {verdict!r}")
        severity = severity or ALARM_SEVERITY.get(category, "")
        command = re.sub(r"\{ENC:([^}]*)\}", _encode, command)
        k = len(cases)
        cases.append(Case(shape, category, severity, command, 20_000 + 7 * k,
                          T0 + timedelta(seconds=37 * k)))  # fmt: skip
    return cases


# -- Linux: the argv a process really ran ---------------------------------------------------------

# Scripts: after the kernel's #! rewrite, auditd (and osquery on top of it) log the interpreter's
# argv ("/usr/bin/python3 /usr/sbin/ufw disable").
_SCRIPTS = {
    "ufw": ["/usr/bin/python3", "/usr/sbin/ufw"],
    "firewall-cmd": ["/usr/bin/python3", "-s", "/usr/bin/firewall-cmd"],
    "SuSEfirewall2": ["/bin/bash", "/sbin/SuSEfirewall2"],
    "rcSuSEfirewall2": ["/bin/bash", "/usr/sbin/rcSuSEfirewall2"],
    "netfilter-persistent": ["/bin/sh", "/usr/sbin/netfilter-persistent"],
    "/lib/ufw/ufw-init": ["/bin/sh", "/lib/ufw/ufw-init"],
    "invoke-rc.d": ["/bin/sh", "/usr/sbin/invoke-rc.d"],
}
_BINARIES = {
    "iptables": "/usr/sbin/xtables-nft-multi", "ip6tables": "/usr/sbin/xtables-nft-multi",
    "iptables-save": "/usr/sbin/xtables-nft-multi",
    "iptables-restore": "/usr/sbin/xtables-nft-multi",
    "nft": "/usr/sbin/nft", "systemctl": "/usr/bin/systemctl", "service": "/usr/sbin/service",
    "sh": "/usr/bin/dash", "bash": "/usr/bin/bash", "python3": "/usr/bin/python3.11",
    "perl": "/usr/bin/perl", "pkill": "/usr/bin/pkill", "chkconfig": "/sbin/chkconfig",
    "update-rc.d": "/usr/sbin/update-rc.d", "sudo": "/usr/bin/sudo",
}  # fmt: skip


def linux_argv(command: str) -> tuple[list[str], str]:
    """(argv as logged, executable) of the process a typed command starts."""
    argv = shlex.split(command)
    prog = argv[0]
    script = _SCRIPTS.get(prog) or (["/bin/sh", prog] if prog.startswith("/etc/init.d/") else None)
    if script is not None:
        argv = [*script, *argv[1:]]
    base = argv[0].rsplit("/", 1)[-1]
    exe = _BINARIES.get(base, argv[0] if argv[0].startswith("/") else f"/usr/bin/{base}")
    if base.startswith("python"):
        exe = _BINARIES["python3"]
    return argv, exe


def _audit_arg(i: int, arg: str) -> str:
    raw = arg.encode()
    # the kernel quotes an argument unless it holds a quote, a blank, a control or a non-ASCII byte
    if any(b == 0x22 or b < 0x21 or b > 0x7E for b in raw):
        return f"a{i}={raw.hex().upper()}"
    return f'a{i}="{arg}"'


def render_auditd(cases: list[Case]) -> str:
    out = []
    for k, c in enumerate(cases):
        argv, exe = linux_argv(c.command)
        stamp = f"{c.when.timestamp():.3f}:{7100 + k}"
        node = "node=web-07.prod.example " if c.shape == "auditd-node" else ""
        comm = shlex.split(c.command)[0].rsplit("/", 1)[-1][:15]
        uid = "0" if not comm.startswith(("cat", "less", "grep", "man", "ls")) else "1001"
        sysc = (f"arch=c000003e syscall=59 success=yes exit=0 a0=55d4c0a1b2c0 a1=55d4c0a1b400 "
                f"a2=55d4c0a1b6a0 a3=0 items=2 ppid={c.pid - 3} pid={c.pid} auid=1001 uid={uid} "
                f"gid=0 euid={uid} suid={uid} fsuid={uid} egid=0 sgid=0 fsgid=0 tty=pts1 ses=12 "
                f'comm="{comm}" exe="{exe}" subj=unconfined key="exec-watch"')  # fmt: skip
        if c.shape == "auditd-enriched":
            user = "root" if uid == "0" else "deploy"
            sysc += (f'\x1dARCH=x86_64 SYSCALL=execve AUID="deploy" UID="{user}" GID="root" '
                     f'EUID="{user}" SUID="{user}" FSUID="{user}" EGID="root" SGID="root" '
                     'FSGID="root"')  # fmt: skip
        args = " ".join(_audit_arg(i, a) for i, a in enumerate(argv))
        title = "\0".join(argv).encode()[:128].hex().upper()
        path = argv[0] if argv[0].startswith("/") else f"/usr/sbin/{argv[0]}"  # as found in PATH
        out += [
            f"{node}type=SYSCALL msg=audit({stamp}): {sysc}",
            f"{node}type=EXECVE msg=audit({stamp}): argc={len(argv)} {args}",
            f'{node}type=CWD msg=audit({stamp}): cwd="/root"',
            f'{node}type=PATH msg=audit({stamp}): item=0 name="{path}" inode={400000 + k} '
            "dev=fd:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
            "cap_fe=0 cap_fver=0",
            f"{node}type=PROCTITLE msg=audit({stamp}): proctitle={title}",
            f"{node}type=EOE msg=audit({stamp}): ",
        ]
    return "\n".join(out) + "\n"


def render_osquery(cases: list[Case]) -> str:
    out = []
    for k, c in enumerate(cases):
        mac = c.platform == "macos"
        argv, exe = (shlex.split(c.command), "") if mac else linux_argv(c.command)
        exe = exe or argv[0]
        host = "mbp-dana.corp.example" if mac else "db-02.prod.example"
        t = int(c.when.timestamp())
        cols = {"auid": "1001", "btime": "0", "cmdline": " ".join(argv), "ctime": "1790000000",
                "cwd": "/Users/dana" if mac else "/root", "egid": "0", "euid": "0", "gid": "0",
                "mode": "0100755", "mtime": "1790000000", "owner_gid": "0", "owner_uid": "0",
                "parent": str(c.pid - 3), "path": exe, "pid": str(c.pid), "time": str(t),
                "uid": "0", "uptime": str(86400 + 37 * k)}  # fmt: skip
        if not mac:
            cols["syscall"] = "execve"
        deco = {"host_uuid": "0F3D1E6A-5B2C-4D7E-8F90-1A2B3C4D5E6F", "hostname": host}
        if mac:
            deco["platform"] = "darwin"
        row = {"name": "pack_it-compliance_process_events", "hostIdentifier": host,
               "calendarTime": c.when.strftime("%a %b %d %H:%M:%S %Y UTC"), "unixTime": t,
               "epoch": 0, "counter": 40 + k, "numerics": False, "decorations": deco,
               "columns": cols, "action": "added"}  # fmt: skip
        out.append(json.dumps(row, separators=(",", ":")))
    return "\n".join(out) + "\n"


def _token(pid: int, version: int, euid: int = 0) -> dict[str, int]:
    return {"pid": pid, "pidversion": version, "ruid": euid, "euid": euid, "rgid": 0, "egid": 0,
            "auid": 501, "asid": 100231}  # fmt: skip


def _es_process(pid: int, version: int, path: str, signing_id: str) -> dict[str, object]:
    return {"audit_token": _token(pid, version), "ppid": pid - 3, "original_ppid": pid - 3,
            "group_id": pid, "session_id": 100231,
            "executable": {"path": path, "path_truncated": False}, "signing_id": signing_id,
            "team_id": None, "cdhash": "5e1f8b0c2d7a4e93b6c0f1a2d3e4b5c6a7f80912",
            "codesigning_flags": 570522385, "is_platform_binary": True, "is_es_client": False,
            "start_time": "2026-11-23T08:59:58.004211Z", "tty": {"path": "/dev/ttys004"},
            "responsible_audit_token": _token(pid - 3, 1, 501),
            "parent_audit_token": _token(pid - 3, 1, 501)}  # fmt: skip


def render_eslogger(cases: list[Case]) -> str:
    out = []
    for k, c in enumerate(cases):
        argv = shlex.split(c.command)
        path = argv[0]
        sid = "com.apple." + path.rsplit("/", 1)[-1].lower()
        target = _es_process(c.pid, 2, path, sid)
        args: object = argv
        if k % 5 == 4:  # some consumers see {count, items}; the reader takes both
            args = {"count": len(argv), "items": [{"value": a} for a in argv]}
        msg = {"schema_version": 1, "version": 7,
               "time": c.when.strftime("%Y-%m-%dT%H:%M:%S.%f000Z"), "mach_time": 91823004511 + k,
               "global_seq_num": 88100 + k, "seq_num": 310 + k, "event_type": 9, "action_type": 1,
               "action": {"result": {"result_type": 0, "result": {"auth": 0}}},
               "thread": {"thread_id": 5510023 + k},
               "process": _es_process(c.pid, 1, "/bin/zsh", "com.apple.zsh"),
               "event": {"exec": {"target": target, "args": args,
                                  "env": ["PATH=/usr/bin:/bin:/usr/sbin:/sbin", "USER=root"],
                                  "cwd": {"path": "/Users/dana", "path_truncated": False},
                                  "fds": [], "script": None, "dyld_exec_path": path,
                                  "image_cputype": 16777228, "image_cpusubtype": 2,
                                  "last_fd": 2}}}  # fmt: skip
        out.append(json.dumps(msg, separators=(",", ":")))
    return "\n".join(out) + "\n"


# -- Windows ------------------------------------------------------------------------------------

_IMAGES = {
    "powershell": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
    "net1": "C:\\Windows\\System32\\net1.exe",
}


def windows_image(command: str) -> str:
    first = command[1 : command.index('"', 1)] if command.startswith('"') else command.split()[0]
    if "\\" in first:
        return first if first.lower().endswith(".exe") else first + ".exe"
    base = first.lower().removesuffix(".exe")
    if base == "start":  # cmd's built-in: the process is cmd.exe
        return "C:\\Windows\\System32\\cmd.exe"
    return _IMAGES.get(base, f"C:\\Windows\\System32\\{base}.exe")


def _sysmon_data(c: Case, k: int) -> dict[str, str]:
    image = windows_image(c.command)
    line = c.command if not c.command.startswith("start ") else f"cmd.exe /c {c.command}"
    return {
        "RuleName": "-", "UtcTime": c.when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        "ProcessGuid": f"{{7b1f0c2e-{k:04x}-6541-2a03-000000004b00}}", "ProcessId": str(c.pid),
        "Image": image, "FileVersion": "10.0.20348.1 (WinBuild.160101.0800)",
        "Description": image.rsplit("\\", 1)[-1], "Product": "Microsoft® Windows® Operating System",
        "Company": "Microsoft Corporation", "OriginalFileName": image.rsplit("\\", 1)[-1].upper(),
        "CommandLine": line, "CurrentDirectory": "C:\\Windows\\system32\\",
        "User": "CORP\\svc_patch", "LogonGuid": "{7b1f0c2e-0000-6541-e703-000000000000}",
        "LogonId": "0x3e7", "TerminalSessionId": "0", "IntegrityLevel": "System",
        "Hashes": "SHA256=9F2C4B1D7E6A5C3B2A1908F7E6D5C4B3A29180F7E6D5C4B3A2918070F6E5D4C3",
        "ParentProcessGuid": "{7b1f0c2e-0001-6541-2a03-000000004b00}",
        "ParentProcessId": str(c.pid - 3), "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "ParentCommandLine": "C:\\Windows\\system32\\cmd.exe /c C:\\ProgramData\\patch\\run.cmd",
        "ParentUser": "CORP\\svc_patch",
    }  # fmt: skip


def render_sysmon(cases: list[Case]) -> str:
    out = []
    for k, c in enumerate(cases):
        rec = {"@timestamp": c.when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
               "event": {"code": "1", "provider": "Microsoft-Windows-Sysmon", "kind": "event",
                         "module": "sysmon", "category": ["process"], "type": ["start"]},
               "host": {"name": "app-win-04.corp.example"},
               "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational",
                          "provider_name": "Microsoft-Windows-Sysmon",
                          "provider_guid": "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}",
                          "event_id": 1, "version": 5, "computer_name": "app-win-04.corp.example",
                          "record_id": 5521300 + k,
                          "process": {"pid": 3316, "thread": {"id": 4120}},
                          "user": {"identifier": "S-1-5-18", "domain": "NT AUTHORITY",
                                   "name": "SYSTEM", "type": "User"},
                          "event_data": _sysmon_data(c, k)}}  # fmt: skip
        out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(out) + "\n"


def render_sysmon_xml(cases: list[Case]) -> str:
    out = ["<Events>"]
    for k, c in enumerate(cases):
        data = "".join(f"<Data Name={quoteattr(n)}>{escape(v)}</Data>"
                       for n, v in _sysmon_data(c, k).items())  # fmt: skip
        when = c.when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
        out.append(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            "<Provider Name='Microsoft-Windows-Sysmon'"
            " Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/>"
            "<EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task>"
            "<Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords>"
            f"<TimeCreated SystemTime='{when}'/><EventRecordID>{771200 + k}</EventRecordID>"
            "<Correlation/><Execution ProcessID='2968' ThreadID='3604'/>"
            "<Channel>Microsoft-Windows-Sysmon/Operational</Channel>"
            "<Computer>dc-03.corp.example</Computer><Security UserID='S-1-5-18'/></System>"
            f"<EventData>{data}</EventData></Event>"
        )  # fmt: skip
    return "\n".join([*out, "</Events>"]) + "\n"


def render_4688(cases: list[Case]) -> str:
    out = []
    for k, c in enumerate(cases):
        image = windows_image(c.command)
        rec = {"Event": {
            "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
            "System": {"Provider": {"#attributes": {
                           "Name": "Microsoft-Windows-Security-Auditing",
                           "Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}"}},
                       "EventID": 4688, "Version": 2, "Level": 0, "Task": 13312, "Opcode": 0,
                       "Keywords": "0x8020000000000000",
                       "TimeCreated": {"#attributes": {
                           "SystemTime": c.when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}},
                       "EventRecordID": 3301900 + k, "Correlation": None,
                       "Execution": {"#attributes": {"ProcessID": 4, "ThreadID": 7212}},
                       "Channel": "Security", "Computer": "fs-01.corp.example", "Security": None},
            "EventData": {"SubjectUserSid": "S-1-5-21-3623811015-3361044348-30300820-1104",
                          "SubjectUserName": "erin.admin", "SubjectDomainName": "CORP",
                          "SubjectLogonId": "0x5a1f3c", "NewProcessId": hex(c.pid),
                          "NewProcessName": image, "TokenElevationType": "%%1937",
                          "ProcessId": hex(c.pid - 3), "CommandLine": c.command,
                          "TargetUserSid": "S-1-0-0", "TargetUserName": "-",
                          "TargetDomainName": "-", "TargetLogonId": "0x0",
                          "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
                          "MandatoryLabel": "S-1-16-12288"}}}  # fmt: skip
        out.append(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(out) + "\n"


def render_generic(cases: list[Case]) -> str:
    out = []
    for c in cases:
        row: dict[str, object] = {
            "time": c.when.strftime("%Y-%m-%dT%H:%M:%SZ"), "host": f"{c.platform}-lab-2",
            "platform": c.platform, "pid": c.pid, "ppid": c.pid - 3,
            "user": "CORP\\frank" if c.platform == "windows" else "frank",
        }  # fmt: skip
        if c.shape == "generic-argv-linux":
            row["argv"] = shlex.split(c.command)
        else:
            row["cmdline"] = c.command
        out.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(out) + "\n"


_RENDER = {
    "auditd.log": render_auditd, "osquery.jsonl": render_osquery,
    "eslogger.jsonl": render_eslogger, "sysmon.jsonl": render_sysmon,
    "sysmon.xml": render_sysmon_xml, "security-4688.jsonl": render_4688,
    "generic.jsonl": render_generic,
}  # fmt: skip


def render(cases: list[Case]) -> dict[str, str]:
    """File name -> text, for every record file and ``expected.jsonl``."""
    files = {name: fn([c for c in cases if c.file == name]) for name, fn in _RENDER.items()}
    files["expected.jsonl"] = "".join(
        json.dumps({"file": c.file, "pid": c.pid, "platform": c.platform, "shape": c.shape,
                    "verdict": c.verdict, "severity": c.severity, "command": c.command},
                   ensure_ascii=False) + "\n"
        for c in cases
    )  # fmt: skip
    return files


def write(files: dict[str, str]) -> None:
    for name, text in files.items():
        (CORPUS / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(render(load_cases()))
    sys.exit(0)
