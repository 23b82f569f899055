"""StretchCheck: webcam coaching for back-pain stretches.

source -> media clock (``clock``) -> pose (``estimator``, or stored) -> duplicate labels
(``collapse``) -> smoothing -> joint angles (``angles``) -> checks (``coach`` /
``catalogue_checker``) -> events -> overlay, store, report: one frame loop
(``pipeline.FrameLoop``) for the live page, video files, stored sessions and pose traces alike.
"""

__version__ = "0.1.0"
