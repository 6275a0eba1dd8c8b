"""A package so this folder's conftest imports as ``browser.conftest``.

Without it pytest imports both conftest files under the one name ``conftest``, and
``from conftest import ...`` in tests/ could get this one instead of tests/conftest.py.
"""
