"""The log scrubbing of onescreen.errors: every record, however it is made, is written without personal data, and a
record whose arguments do not fit its message is still reported by logging as such (scrubbed)."""

from __future__ import annotations

import io
import logging
import pickle

from onescreen import errors

from conftest import log_scrubbing_installed


def _capture(name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    """A logger that writes only to a string, with no scrubbing filter of its own (as Streamlit's loggers have)."""
    logger, out = logging.getLogger(name), io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    return logger, out, handler


def test_arguments_that_do_not_fit_are_kept_scrubbed_for_loggings_report(log_scrubbing, monkeypatch):
    reported = io.StringIO()
    monkeypatch.setattr("sys.stderr", reported)
    logger, out, handler = _capture("onescreen.test_bad_args")
    phone, note = "138" + "12345678", "王小明" + "来电称 139" + "12345678"   # logging's report quotes this file's lines
    try:
        logger.warning("callback to %s", phone, note)
    finally:
        logger.removeHandler(handler)
    report = reported.getvalue()
    assert out.getvalue() == ""
    assert "not all arguments converted" in report
    assert "Message: 'callback to %s'" in report
    assert "Arguments: ('138****5678', '王**来电称 139****5678')" in report
    assert "13812345678" not in report and "13912345678" not in report and "王小明" not in report


def test_a_bad_records_number_arguments_stay_numbers_unless_personal():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d of %d, %s", (3, 13812345678), None)
    errors.ScrubFilter().filter(record)
    assert record.args == (3, "138****5678")
    mapping = logging.LogRecord("x", logging.INFO, __file__, 1, "%(who)s %(n)d %(x)s", ({"who": "联系人：李明", "n": 7},),
                                None)
    errors.ScrubFilter().filter(mapping)
    assert mapping.args == {"who": "联系人：李*", "n": 7}


def test_a_record_made_by_make_log_record_is_scrubbed(log_scrubbing):
    logger, out, handler = _capture("onescreen.test_make_log_record")
    try:
        logger.handle(logging.makeLogRecord({
            "name": logger.name, "levelno": logging.WARNING, "levelname": "WARNING",
            "msg": "from %s, key=%s", "args": ("王小明来电称 13812345678", "?key=abc123"),
            "exc_text": "Traceback ...\nValueError: 身份证 530302199001011234"}))
    finally:
        logger.removeHandler(handler)
    written = out.getvalue()
    assert written == "from 王**来电称 138****5678, key=?key=***\nTraceback ...\nValueError: 身份证 [身份证号]\n"


def test_a_scrubbed_record_survives_pickling_scrubbed(log_scrubbing):
    """A multiprocessing queue pickles records: the record's class, made at run time, must not stop it."""
    record = logging.getLogger("onescreen.test_pickle").makeRecord(
        "onescreen.test_pickle", logging.INFO, __file__, 1, "call %s", ("13812345678",), None)
    assert pickle.loads(pickle.dumps(record)).getMessage() == "call 138****5678"


def test_the_fixture_puts_the_record_factory_back():
    def plain(*args, **kwargs):
        return logging.LogRecord(*args, **kwargs)

    before = logging.getLogRecordFactory()
    logging.setLogRecordFactory(plain)
    try:
        with log_scrubbing_installed():
            assert getattr(logging.getLogRecordFactory(), "scrubs", False)
        assert logging.getLogRecordFactory() is plain
    finally:
        logging.setLogRecordFactory(before)
