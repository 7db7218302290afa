# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unit tests' fixtures (ansible_collections.reltio.platform is made importable by tests/conftest.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys


def _patch_module_args_before_2_19():
    """ansible-core < 2.19 (2.16 of `make test-matrix`) has no ``ansible.module_utils.testing``: the same
    ``patch_module_args`` context manager, the way those releases read a module's arguments (``basic._ANSIBLE_ARGS``)."""
    try:
        import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import,import-outside-toplevel
        return
    except ImportError:
        pass
    # pylint: disable=import-outside-toplevel
    import contextlib
    import json
    import types
    from unittest.mock import patch

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        with patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))):
            yield

    testing = types.ModuleType("ansible.module_utils.testing")
    testing.patch_module_args = patch_module_args
    sys.modules[testing.__name__] = testing


_patch_module_args_before_2_19()
