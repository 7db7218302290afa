# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for get-pip.py, for ansible-test on machines that cannot download it.

ansible-test bootstraps pip in each sanity virtual environment by running a
get-pip script from its cache. This one uses the interpreter's own ensurepip,
in a subprocess (in process it would drop the machine's pip configuration),
then installs what it was asked for from the configured package index.
"""

from __future__ import annotations

import subprocess
import sys

UNSUPPORTED = ("--no-setuptools", "--no-wheel")


def main() -> int:
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [arg for arg in sys.argv[1:] if arg not in UNSUPPORTED]
    return subprocess.call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    sys.exit(main())
