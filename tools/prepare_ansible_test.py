# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put tools/get_pip_standin.py where ansible-test looks for its cached get-pip script.

The pip version is read from the installed ansible-test, so a new ansible-core
needs no change here.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

import ansible_test


def wanted_pip_version() -> str:
    source = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    with open(source, encoding="utf-8") as handle:
        match = re.search(r"\bpip='([0-9.]+)'", handle.read())
    if not match:
        sys.exit("Cannot find the pip version ansible-test bootstraps in %s" % source)
    return match.group(1)


def main() -> None:
    version = wanted_pip_version()
    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    target = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
    shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "get_pip_standin.py"), target)
    print("ansible-test will bootstrap pip %s with %s" % (version, target))


if __name__ == "__main__":
    main()
