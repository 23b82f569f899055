"""The forward-kinematics body, now in the package as ``pose.body``: re-exported for the tests.

Tests import ``body`` (``from body import Pose, sequence``); everything, private helpers
included, is the package module's.
"""

from pose import body as _body
from pose.body import *  # noqa: F401,F403


def __getattr__(name: str):
    return getattr(_body, name)
