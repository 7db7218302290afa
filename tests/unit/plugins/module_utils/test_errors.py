# -*- coding: utf-8 -*-
# Copyright: Contributors to the reltio.platform collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.reltio.platform.plugins.module_utils import errors


def test_fail_kwargs_minimal():
    exc = errors.ReltioError("boom")
    assert str(exc) == "boom"
    assert exc.fail_kwargs() == {"msg": "boom", "reason_code": "unexpected_answer"}


def test_fail_kwargs_full():
    exc = errors.ApiError("bad", status=500, error_code=1234, may_exist=True)
    assert exc.fail_kwargs() == {"msg": "bad", "status": 500, "error_code": 1234, "may_exist": True,
                                 "reason_code": "unexpected_answer"}


def test_fail_kwargs_keeps_falsy_but_set_values():
    exc = errors.ApiError("bad", status=0, error_code=0)
    assert exc.fail_kwargs() == {"msg": "bad", "status": 0, "error_code": 0, "reason_code": "unexpected_answer"}


def test_fail_kwargs_merges_result_and_msg_wins():
    exc = errors.ApiError("the error", status=400)
    exc.result = {"changed": True, "created": True, "msg": "stale", "test": {"connected": False}}
    kwargs = exc.fail_kwargs()
    assert kwargs == {"changed": True, "created": True, "msg": "the error", "status": 400,
                      "test": {"connected": False}, "reason_code": "unexpected_answer"}
    # fail_kwargs does not change the result it was built from.
    assert exc.result["msg"] == "stale"


def test_may_exist_false_is_left_out():
    assert "may_exist" not in errors.TransportError("t").fail_kwargs()


@pytest.mark.parametrize("cls", [errors.ValidationError, errors.AuthenticationError, errors.NotFoundError,
                                 errors.ApiError, errors.TransportError, errors.ConnectionTestFailed])
def test_every_error_is_a_reltio_error(cls):
    assert issubclass(cls, errors.ReltioError)


def test_connection_exists_is_no_error_any_more():
    """That a connection exists is an outcome of create_connection (client.CreateOutcome), not an error."""
    assert not hasattr(errors, "ConnectionExistsError")


def test_transport_error_defaults():
    exc = errors.TransportError("Timed out")
    assert exc.request_sent is True
    assert exc.may_exist is False
    assert exc.status is None
    assert exc.error_code is None
    assert exc.fail_kwargs() == {"msg": "Timed out", "reason_code": "unreachable"}


def test_transport_error_fields():
    exc = errors.TransportError("too large", status=200, may_exist=True, request_sent=False, reason_code="unexpected_answer")
    assert (exc.status, exc.may_exist, exc.request_sent) == (200, True, False)
    assert exc.fail_kwargs() == {"msg": "too large", "status": 200, "may_exist": True, "reason_code": "unexpected_answer"}
    assert "request_sent" not in exc.fail_kwargs()


def test_request_sent_is_per_instance():
    sent, not_sent = errors.TransportError("a"), errors.TransportError("b", request_sent=False)
    assert (sent.request_sent, not_sent.request_sent) == (True, False)


def test_result_is_per_instance():
    first, second = errors.ReltioError("a"), errors.ReltioError("b")
    first.result["changed"] = True
    assert not second.result
