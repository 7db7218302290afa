# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The report of the role connection_health, on the controller: its records, the report and its files' texts.

One place builds a record (a connection checked, or one whose host stopped before its check), the report (compared
with the previous run's, in one pass over its rows) and the text of each file. The filters
connection_health_records, connection_health_report and connection_health_render and the action
connection_health_report_files are thin over it.

Ansible's templating looks at every value it reads (10,000 rows took minutes); the report holds data only, so the
role's templates are rendered here by a plain Jinja environment: HTML autoescaped, Markdown through ``markdown_cell``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import json
import os
import re
import stat
import time

import jinja2
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.reltio.platform.plugins.module_utils.connection_health import STATUSES, one_line

# Report order: failures first.
ORDER = ("failing", "error", "missing", "healthy")
CHANGES = ("new_failure", "recovered", "unchanged", "first_check")
# How the summary says each change.
SAID = {"new_failure": "newly failing", "recovered": "recovered", "unchanged": "unchanged", "first_check": "first checked"}
TEXT_FIELDS = ("message", "what_to_do")
# The files of the report, by kind; md and html are rendered from the role's template of the same name.
KINDS = ("json", "md", "html")
FILE_NAME = "connection-health.%s"
# The fields that name a connection in the report (its key from one run to the next).
KEY_FIELDS = ("platform_url", "tenant_id", "connection_name")
# The largest previous report read, in bytes: 10,000 rows are about 6 MB.
PREVIOUS_REPORT_BOUND = 64 * 1024 * 1024

_LINES = re.compile(r"[\r\n]+")
# Markdown's own characters: code, emphasis, links and images, tables; and the escape character itself.
_MARKDOWN = re.compile(r"([\\`*_\[\]|])")


class ReportError(ValueError):
    """An input the report cannot be built from; the filters and the action say it their own way."""


# ---- records ------------------------------------------------------------------------------------------------------


def connection_health_records(outcome, connections, host, advice, checked_at):
    """One record a connection of ``connections``, from ``outcome``, the registered result of the host's check task.

    A connection whose check did not run (no ``status`` in its result, or a task refused whole, whose result has no
    ``connections``) is recorded with status error and the outcome's reason.
    """
    if not isinstance(outcome, dict) or not isinstance(connections, list) or not isinstance(host, dict):
        raise ReportError("connection_health_records expects the check's result, the list it checked and the host")
    results = outcome.get("connections") or []
    records = []
    for index, entry in enumerate(connections):
        entry = entry if isinstance(entry, dict) else {}
        # A task refused whole has no result a connection: its reason is each connection's.
        result = results[index] if index < len(results) else outcome
        ran = "status" in result
        reason_code = result.get("reason_code") or "bad_arguments"
        records.append({
            "inventory_hostname": host.get("inventory_hostname"),
            "platform_url": entry.get("platform_url") or host.get("platform_url") or None,
            "tenant_id": result.get("tenant_id", entry.get("tenant_id", host.get("tenant_id"))),
            "connection_name": result.get("connection_name", entry.get("connection_name", host.get("connection_name"))),
            "status": result["status"] if ran else "error",
            "reason_code": reason_code,
            "from_environment": outcome.get("from_environment") or [],
            "connected": result.get("connected") if ran else None,
            "message": result.get("message") if ran else result.get("msg") or "The module gave no message.",
            "checked_at": result.get("checked_at") if ran else checked_at,
            "what_to_do": what_to_do(advice, reason_code, result.get("option")),
        })
    return records


def not_run_records(connections, host, advice, not_run):
    """The records of a host that stopped before its check: as a check that did not run, with ``not_run``'s
    ``reason_code`` and ``message``, and no time."""
    outcome = {"reason_code": not_run["reason_code"], "msg": not_run["message"]}
    return connection_health_records(outcome, connections if isinstance(connections, list) else [{}], host, advice, None)


def what_to_do(advice, reason_code, option):
    """The advice of ``reason_code``; of an advice by option, the one of ``option`` (the first when it names none)."""
    said = advice.get(reason_code)
    if isinstance(said, dict):
        return said.get(option) or next(iter(said.values()), None)
    return said


# ---- the report ---------------------------------------------------------------------------------------------------


def _key(record):
    url = record.get("platform_url")
    return ((url or "").rstrip("/").lower(), record.get("tenant_id"), record.get("connection_name"))


def no_earlier_run(why):
    """The warning of a previous report that is not read: ``why`` says what it is."""
    return "The previous connection health report %s: this run compares with no earlier run." % why


def _previous_records(text, warn):
    """The records of the previous report, by connection; empty when there is none or it cannot be read.

    The file is the controller's, yet anyone who can write the directory wrote it: any JSON is taken apart without a
    traceback, and a report of another shape is a warning.
    """
    text = to_text(text or "").strip()
    if not text:
        return {}
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        warn(no_earlier_run("is not JSON"))
        return {}
    if isinstance(data, dict):
        parts = [data.get("connections") or [], data.get("not_checked") or []]
        records = parts[0] + parts[1] if all(isinstance(part, list) for part in parts) else None
    else:
        records = data if isinstance(data, list) else None
    if records is None or not all(_is_key_of_record(record) for record in records):
        warn(no_earlier_run("is not a report of this role"))
        return {}
    return dict((_key(record), record) for record in records if isinstance(record, dict) and record.get("status") in STATUSES)


def _is_key_of_record(record):
    """Whether the fields that name ``record``'s connection are text or null (when it is a record at all)."""
    text = (str, type(None))
    return not isinstance(record, dict) or all(isinstance(record.get(name), text) for name in KEY_FIELDS)


def _compare(record, before, now):
    """``record`` with ``change`` and ``since``, from the same connection's record of the previous run (or None)."""
    checked_at = record.get("checked_at") or now
    if before is None:
        change, since = "first_check", checked_at
    else:
        was_healthy, is_healthy = before["status"] == "healthy", record["status"] == "healthy"
        if was_healthy and not is_healthy:
            change = "new_failure"
        elif is_healthy and not was_healthy:
            change = "recovered"
        else:
            change = "unchanged"
        same = before["status"] == record["status"]
        since = (before.get("since") or before.get("checked_at") or checked_at) if same else checked_at
    return dict(record, change=change, since=since)


def _summary(counts, changes, checked, partial, kept):
    said = ", ".join("%d %s" % (counts[status], status) for status in ORDER)
    changed = ", ".join("%d %s" % (changes[change], SAID[change]) for change in CHANGES if changes[change])
    text = "%d connection%s checked: %s" % (checked, "" if checked == 1 else "s", said)
    if changed:
        text += "; " + changed
    text += "."
    if partial:
        text += " Partial run: %d connection%s of earlier runs not checked." % (kept, "" if kept == 1 else "s")
    return text


def connection_health_report(records, previous, generated_at, partial, warn):
    """The report of this run's ``records``, compared with ``previous`` (the text of the last report, or empty).

    ``warn`` is told when the previous report is not JSON.
    """
    if not isinstance(records, (list, tuple)):
        raise ReportError("connection_health_report expects a list of records, got %s" % type(records).__name__)
    if not generated_at:
        raise ReportError("connection_health_report needs generated_at")
    earlier = _previous_records(previous, warn)
    rows, seen = [], set()
    counts = dict((status, 0) for status in ORDER)
    changes = dict((change, 0) for change in CHANGES)
    for record in records:
        record = dict(record)
        for field in TEXT_FIELDS:
            if record.get(field) is not None:
                record[field] = one_line(to_text(record[field]))
        key = _key(record)
        row = _compare(record, earlier.get(key), generated_at)
        seen.add(key)
        counts[row["status"]] += 1
        changes[row["change"]] += 1
        rows.append(row)
    rank = dict((status, number) for number, status in enumerate(ORDER))
    rows.sort(key=lambda row: (row["change"] != "new_failure", rank[row["status"]], to_text(row.get("inventory_hostname") or ""),
                               to_text(row.get("tenant_id") or ""), to_text(row.get("connection_name") or "")))
    not_checked = [record for key, record in earlier.items() if key not in seen] if partial else []
    times = set(row.get("checked_at") for row in rows)
    return {
        "generated_at": generated_at,
        "partial": bool(partial),
        "counts": counts,
        "changes": changes,
        "checked_at": times.pop() if len(times) == 1 else None,
        "summary": _summary(counts, changes, len(rows), partial, len(not_checked)),
        "connections": rows,
        "not_checked": not_checked,
    }


# ---- the files ----------------------------------------------------------------------------------------------------


def markdown_cell(value):
    """``value`` as the text of a Markdown table cell: one line, HTML escaped, Markdown's characters escaped."""
    text = _LINES.sub(" ", "" if value is None else to_text(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def plain(value):
    """Plain Python data (Ansible hands plugins its own containers)."""
    return json.loads(json.dumps(value))


def render(report, kind, template="", wording=None):
    """The text of the report's ``kind`` file: JSON, or the role's Markdown or HTML template rendered by plain Jinja.

    ``report`` and ``wording`` are plain data (``plain``).
    """
    if kind == "json":
        return json.dumps(report, indent=2) + "\n"
    if kind not in ("md", "html"):
        raise ReportError("connection_health_render: kind is json, md or html, not %r" % (kind,))
    # trim_blocks as in ansible.builtin.template: a line of a block tag leaves no empty line.
    environment = jinja2.Environment(autoescape=kind == "html", trim_blocks=True, keep_trailing_newline=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["markdown_cell"] = markdown_cell
    context = dict(wording or {}, report=report)
    return environment.from_string(to_text(template)).render(context)


def directory_mode(mode):
    """The mode of a report directory the role creates: the files' ``mode``, with search (x) wherever read is allowed."""
    return mode | ((mode & 0o444) >> 2)


def file_mode(value):
    """The files' mode from ``value``: a number (YAML reads an unquoted 0640 as 416) or a string of octal digits."""
    mode = None
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    elif isinstance(value, str) and re.match(r"^[0-7]{1,4}$", value.strip()):
        mode = int(value.strip(), 8)
    if mode is None or not 0 <= mode <= 0o7777:
        raise ReportError("connection_health_report_mode must be a mode in octal digits, such as \"0640\", not %r" % (value,))
    if mode & 0o7000:
        # setuid, setgid or sticky on a data file, or on the directory made from it, is never what a report wants.
        raise ReportError("connection_health_report_mode %04o sets setuid, setgid or sticky: a report file takes permission "
                          "bits only (such as \"0640\")" % mode)
    return mode


def prepare_directory(path, mode):
    """Make ``path`` ready for the report: refuse a symbolic link; create it, and each missing parent, with
    ``directory_mode(mode)``; leave an existing directory's mode alone."""
    refuse_what_is_not_a_directory(path)
    if os.path.isdir(path):
        return
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for directory in reversed(missing):
        os.mkdir(directory)
        # mkdir's mode is narrowed by the umask: the mode is set after.
        os.chmod(directory, directory_mode(mode))


def refuse_what_is_not_a_directory(path):
    """A ReportError when ``path`` is a symbolic link, or exists and is not a directory."""
    if os.path.islink(path):
        raise ReportError(
            "connection_health_report_dir %s is a symbolic link: the role writes only into a real directory, so that a "
            "link cannot send the report elsewhere. Set connection_health_report_dir to the directory the link points to."
            % path)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise ReportError("connection_health_report_dir %s exists and is not a directory." % path)


def open_directory(path):
    """A descriptor of the directory ``path``, which every later read and write goes through: a link put in its place
    after ``prepare_directory`` looked at it sends nothing elsewhere."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            refuse_what_is_not_a_directory(path)
        raise


def read_previous(directory, name, warn):
    """The text of the last report ``name`` of the directory (a descriptor), or empty: one that is missing, a link or
    not a regular file, or larger than PREVIOUS_REPORT_BOUND is not read (``warn`` is told why)."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=directory)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        warn(no_earlier_run("is not a regular file"))
        return ""
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            warn(no_earlier_run("is not a regular file"))
            return ""
        data = handle.read(PREVIOUS_REPORT_BOUND + 1)
    if len(data) > PREVIOUS_REPORT_BOUND:
        warn(no_earlier_run("is larger than %d bytes" % PREVIOUS_REPORT_BOUND))
        return ""
    return to_text(data, errors="surrogate_or_replace")


def write_atomically(directory, name, text, mode):
    """Write ``text`` to the file ``name`` of the directory (a descriptor) with ``mode``: into a new temporary file of
    the same directory (mode 0600 until it is set), then renamed over ``name``, so that a reader sees the old file or
    the new one, never half of one; a link named ``name`` is replaced, never written through."""
    temporary = ".%s.%s.tmp" % (name, binascii.hexlify(os.urandom(6)).decode("ascii"))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=directory)
        except FileNotFoundError:
            pass
        raise


# ---- the play's records -------------------------------------------------------------------------------------------


def play_records(play_hosts, all_hosts, hostvars, advice, not_run, environment_platform_url):
    """Every record of the run, and whether the run was partial.

    The records of each host of the play (``play_hosts``, ansible_play_hosts_all), read from its
    ``connection_health_results``; a host without them stopped before its check, and each of its connections is
    recorded as not run. Partial: a host of the inventory (``all_hosts``) with a connection to check (a tenant or a
    list) that is not a host of the play. ``hostvars`` maps a host to its variables (Ansible's hostvars).
    """
    records = []
    for host in play_hosts:
        facts = hostvars[host]
        if "connection_health_results" in facts:
            records.extend(_host_records(host, facts["connection_health_results"]))
            continue
        connections = facts["connection_health_connections"] if "connection_health_connections" in facts else [{}]
        records.extend(not_run_records(connections, {
            "inventory_hostname": host,
            "platform_url": _defined(facts, "databricks_connection_platform_url") or environment_platform_url or None,
            "tenant_id": _defined(facts, "databricks_connection_tenant_id"),
            "connection_name": _defined(facts, "databricks_connection_name"),
        }, advice, not_run))
    in_play = set(play_hosts)
    partial = any(host not in in_play and ("databricks_connection_tenant_id" in hostvars[host]
                                           or "connection_health_connections" in hostvars[host]) for host in all_hosts)
    return records, partial


def _host_records(host, results):
    """``results``, a host's connection_health_results, when it is a list of records; else a ReportError naming the
    host (an inventory can set the variable too)."""
    problem = None
    if not isinstance(results, list):
        problem = "not a list"
    else:
        for index, result in enumerate(results):
            if not isinstance(result, dict):
                problem = "item %d is not a record" % index
            elif result.get("status") not in STATUSES:
                problem = "item %d has status %s" % (index, one_line(repr(result.get("status")))[:40])
            if problem:
                break
    if problem:
        raise ReportError("connection_health_results of host %s: %s. The role sets it from the host's check: remove it "
                          "from the inventory and the host's variables." % (host, problem))
    return results


def _defined(facts, name):
    return facts[name] if name in facts else None


def write_report(args, task_vars, warn):
    """Build the report of the play's hosts from ``task_vars``, write its files into ``args["report_dir"]`` with
    ``args["mode"]``; the report. ``args`` are the action's (connection_health_report_files), ``warn`` is told what
    the task should warn of.
    """
    path, mode = args["report_dir"], file_mode(args["mode"])
    records, partial = play_records(task_vars["ansible_play_hosts_all"], task_vars["groups"]["all"], task_vars["hostvars"],
                                    args["advice"], args["not_run"], os.environ.get("RELTIO_PLATFORM_URL"))
    prepare_directory(path, mode)
    directory = open_directory(path)
    try:
        return _write_files(directory, args, records, partial, mode, warn)
    except OSError as exc:
        # The files are named relative to the directory's descriptor: the error names the directory.
        raise ReportError("The report could not be written into connection_health_report_dir %s: %s%s"
                          % (path, exc.strerror or exc, " (%s)" % exc.filename if exc.filename else ""))
    finally:
        os.close(directory)


def _write_files(directory, args, records, partial, mode, warn):
    """The report of ``records``, its files written into ``directory`` (a descriptor)."""
    text = read_previous(directory, FILE_NAME % "json", warn)
    generated_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report = plain(connection_health_report(records, text, generated_at, partial, warn))
    wording = plain(args["wording"])
    for kind in KINDS:
        template = ""
        if kind != "json":
            with open(os.path.join(args["templates"], (FILE_NAME % kind) + ".j2"), "rb") as handle:
                template = to_text(handle.read())
        write_atomically(directory, FILE_NAME % kind, render(report, kind, template, wording), mode)
    return report
