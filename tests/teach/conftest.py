"""Fixtures for the teacher feature: see tests/teach/fixtures.py and tests/teach/builders.py."""

from tests.teach.fixtures import class_teacher, other_teacher, teacher  # noqa: F401
