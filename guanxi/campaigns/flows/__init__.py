"""Automated flows: a trigger enrols customers, then steps run in order.

definition.py  check a flow's steps (what the editor calls before saving)
triggers.py    find new enrolments per trigger, set-based
steps.py       what each step kind does for one enrolment
engine.py      tick(), activate(), pause(), retry(): what tasks and views call
presets.py     ready-made flows with their templates
"""
