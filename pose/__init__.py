"""StretchCheck: webcam coaching for back-pain stretches.

frames -> pose (``estimator``) -> joint angles (``angles``) -> checks -> events -> feedback and
storage, in one ``pipeline`` shared by the live page, video analysis and replay.
"""

__version__ = "0.1.0"
