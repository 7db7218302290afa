# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""On PYTHONPATH of the AWX-style jobs of the tests: every ansible-playbook prints a Python warning to stderr as it
starts, as each ansible command did with cryptography 51 and ansible-core 2.19 ("CryptographyDeprecationWarning: DSA
is deprecated ..."). ansible-runner records such a line as a ``verbose`` event, without ``event_data``; the tests must
read the job's events as AWX does, whatever a new release prints."""

import os
import sys
import warnings


class CryptographyDeprecationWarning(UserWarning):
    """Named as cryptography's (a UserWarning too), so that the job's output looks as it did."""


if os.path.basename(sys.argv[0]) == "ansible-playbook":
    warnings.warn("DSA is deprecated (the tests' stand-in for cryptography 51's warning)", CryptographyDeprecationWarning)
