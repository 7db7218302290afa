# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A job's events as ansible-runner writes them (artifacts/<ident>/job_events/*.json) and AWX shows them.

Not every event comes from Ansible's callback: each line an ansible process prints around it, such as a Python
warning on stderr, is a ``verbose`` event, and it has no ``event_data``. AWX shows those too, so every reader here
takes an event without ``event_data`` as one with nothing in it.
"""

from __future__ import annotations

import json
import pathlib

# On PYTHONPATH of a job: its ansible-playbook prints a Python warning to stderr (python_warning/sitecustomize.py).
PYTHON_WARNING = pathlib.Path(__file__).resolve().parent / "python_warning"


def job_events(artifacts):
    """The job's events, in the order they happened."""
    paths = sorted((artifacts / "job_events").glob("*.json"), key=lambda path: int(path.name.split("-")[0]))
    return [json.loads(path.read_text()) for path in paths]


def event_data(event):
    """What the callback recorded of an event: empty for a line printed outside it (``verbose``, ``warning``)."""
    return event.get("event_data") or {}


def stats(events):
    """The play recap (``playbook_on_stats``) of a job."""
    (event,) = [event for event in events if event["event"] == "playbook_on_stats"]
    return event_data(event)


def python_warnings(events):
    """The ``verbose`` events of a Python warning that an ansible process printed to stderr."""
    return [event for event in events if event["event"] == "verbose" and "Warning: " in event.get("stdout", "")]
