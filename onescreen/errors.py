"""Errors users see and errors the server logs, both free of personal data.

A page that fails shows our own message with an incident id (``.streamlit/config.toml`` hides
Streamlit's details); the full traceback goes to the server log under the same id, scrubbed by
``masking.scrub_text`` (phones, ID numbers, bank cards, e-mails, plates). :func:`install_log_filter`
scrubs every record that reaches the root or ``streamlit`` loggers' handlers as well.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import traceback
from collections.abc import Callable, Mapping

from onescreen.masking import scrub_number, scrub_text

logger = logging.getLogger("onescreen")
USER_MESSAGE = "页面出错了（事件编号 {incident}）。请把事件编号告诉管理员；详细信息已记入服务器日志。"


class UserFacingError(Exception):
    """An error whose message (Chinese, written by us, free of personal data) tells the user what to do:
    :func:`report` shows it as it is, with the incident id, instead of the generic message."""


# A screen key in an address (``?key=...``, onescreen.auth.key_login): a credential, never written to a log.
_KEY_IN_ADDRESS = re.compile(r"([?&]key=)[^&\s\"']+")


def scrub_key(text: str) -> str:
    """``text`` with the value of any ``key=`` address parameter replaced by ``***``."""
    return _KEY_IN_ADDRESS.sub(r"\1***", text)


def _scrub(text: str) -> str:
    return scrub_text(scrub_key(text))


def _scrub_arg(value):
    """One argument of a record whose message cannot be built, as logging's error report will print it: text and
    other objects become their scrubbed text; a number stays a number (a ``%d`` still fits it) unless it is a phone
    or an ID number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if scrub_number(value) == value else _scrub(str(value))
    return value if value is None or isinstance(value, bool) else _scrub(str(value))


class ScrubFilter(logging.Filter):
    """Masks personal data (and screen keys in addresses) in a record's message and traceback before any handler
    writes it. A record whose arguments do not fit its message (``log("a %s", 1, 2)``) keeps both, each scrubbed, so
    logging still reports the mistake ("not all arguments converted") when a handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg, record.args = _scrub(record.getMessage()), None
        except Exception:
            record.msg = _scrub(str(record.msg))
            if isinstance(record.args, Mapping):
                record.args = {key: _scrub_arg(value) for key, value in record.args.items()}
            elif isinstance(record.args, tuple):
                record.args = tuple(_scrub_arg(value) for value in record.args)
            elif record.args is not None:
                record.args = _scrub_arg(record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _scrub(record.exc_text)
        record.exc_info = None  # the scrubbed exc_text is what gets written
        return True


class _ScrubbedMessage:
    """Mixed into every record the factory makes: its message and traceback text are scrubbed whenever they are read,
    so a record whose attributes are set after it was made (``logging.makeLogRecord`` fills a made record from a
    dict, after the factory scrubbed it) writes nothing personal either."""

    def getMessage(self) -> str:
        return _scrub(super().getMessage())  # type: ignore[misc]

    @property
    def exc_text(self):
        text = self.__dict__.get("exc_text")
        return _scrub(text) if text else text

    @exc_text.setter
    def exc_text(self, text) -> None:
        self.__dict__["exc_text"] = text

    def __reduce__(self):
        # The class is made at run time and cannot be found by name: pickle (a multiprocessing queue) rebuilds the
        # record from its (scrubbed) attributes instead.
        return logging.makeLogRecord, ({**self.__dict__, "exc_text": self.exc_text},)


@functools.lru_cache(maxsize=None)
def _scrubbed_class(cls: type) -> type:
    return type(f"Scrubbed{cls.__name__}", (_ScrubbedMessage, cls), {})


def _scrubbing_factory(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """A log record factory that scrubs each record as it is made (:class:`ScrubFilter`), whatever logger it is for,
    and again whenever its message is read (:class:`_ScrubbedMessage`)."""
    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.__class__ = _scrubbed_class(type(record))
        _SCRUB.filter(record)
        return record

    factory.scrubs = True  # type: ignore[attr-defined]
    return factory


_SCRUB = ScrubFilter()


def install_log_filter() -> None:
    """Scrub every log record as it is made, and attach :class:`ScrubFilter` to the root and ``streamlit`` loggers'
    handlers (once). The record factory is what reaches every logger: Streamlit gives each of its loggers
    (``streamlit.runtime...``, ``uvicorn.error``) a handler of its own and stops it from passing records up, so a filter
    on the root's or ``streamlit``'s handlers never sees theirs."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO)
    if not getattr(logging.getLogRecordFactory(), "scrubs", False):
        logging.setLogRecordFactory(_scrubbing_factory(logging.getLogRecordFactory()))
    for name in (None, "streamlit"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, ScrubFilter) for f in handler.filters):
                handler.addFilter(ScrubFilter())


def new_incident_id() -> str:
    """A short id the user can read out over the phone: ``E-3F9A2C``."""
    return "E-" + secrets.token_hex(3).upper()


def report(error: BaseException) -> str:
    """Log ``error`` (masked traceback) under a new incident id and return the user's message."""
    incident = new_incident_id()
    if isinstance(error, UserFacingError):
        cause = f" (cause: {type(error.__cause__).__name__}: {error.__cause__})" if error.__cause__ else ""
        logger.warning("incident %s: %s%s", incident, scrub_text(str(error)), scrub_text(cause))
        return f"{error}（事件编号 {incident}）"
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    logger.error("incident %s: %s", incident, scrub_text(text))
    return USER_MESSAGE.format(incident=incident)
