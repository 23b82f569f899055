"""MediaPipe Pose (Tasks API) turned into a stream of ``PoseFrame`` objects.

The adapter gives the model's own landmarks; smoothing is the pipeline's next stage
(``pose.smoothing.PoseSmoother``), so stored and traced poses go through the same one.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import cv2
import numpy as np

from pose import privacy
from pose.errors import ModelError
from pose.landmarks import PoseFrame
from pose.model import verified_bundle, verified_person_detector

#: Modules ``import mediapipe`` executes that StretchCheck never calls: its drawing helpers
#: (which import matplotlib.pyplot) and its audio tasks (sounddevice). ``python -X importtime``:
#: they were 0.43 s of mediapipe's 0.64 s import; with them lazy the import takes ~0.15 s of
#: CPU and ~30 MB instead of ~0.58 s and ~97 MB (issue 14).
UNUSED_MODULES = frozenset({"mediapipe.tasks.python.vision.drawing_utils",
                            "mediapipe.tasks.python.vision.drawing_styles",
                            "mediapipe.tasks.python.audio"})


#: Alone in view, the people count runs this many times less often than its set rate.
CALM_COUNT_FACTOR = 2
#: The people count's first look: the person detector alone finds people at or above this score,
#: and only when it finds two or more does the whole landmarker count them. The landmarker counts
#: a person only from a detection of this same detector scoring at least its own 0.6, so 0.5
#: leaves room for the two pictures' small resampling differences (one letterboxed by the graph,
#: one by ``letterboxed``): on 347 frames of A01-A03 and A06 with a second person pasted in at
#: random, 25-100 % of the height, the second best detection scored >= 0.62 wherever the
#: landmarker counted two (33 frames), and the detector alone found two at 0.6 exactly where the
#: landmarker did (2026-12-02; ``tests/test_real_clips.py`` holds the rule on 18 pictures).
FIRST_LOOK_SCORE = 0.5


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds ``UNUSED_MODULES`` as usual but loads them lazily (``importlib.util.LazyLoader``):
    the module runs on first attribute access, so whoever really uses one gets it whole."""

    def find_spec(self, name, path, target=None):
        if name not in UNUSED_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def _import_mediapipe():
    """``import mediapipe`` without running the modules of ``UNUSED_MODULES`` until used."""
    if "mediapipe" not in sys.modules:
        finder = _LazyFinder()
        sys.meta_path.insert(0, finder)
        try:
            import mediapipe.tasks.python  # noqa: F401 (the package's own imports, lazily)
        finally:
            sys.meta_path.remove(finder)
    import mediapipe

    return mediapipe


_quiet_lock = threading.Lock()
_quiet: list = []  # while quiet: [threads inside, the saved stderr descriptor, the sink]


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Keep the model runtime's C-level log lines (dozens on start-up) off the terminal.

    Descriptor 2 belongs to the process: threads loading models side by side
    (``pose.extraction``) share one redirection, the first in saving the terminal and the
    last out restoring it (each restoring its own once left the terminal on a closed sink).
    """
    with _quiet_lock:
        if not _quiet:
            try:
                saved = os.dup(2)
            except OSError:
                saved = -1
            sink = tempfile.TemporaryFile()
            if saved >= 0:
                os.dup2(sink.fileno(), 2)
            _quiet[:] = [0, saved, sink]
        _quiet[0] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet[0] -= 1
            if not _quiet[0]:
                _, saved, sink = _quiet
                if saved >= 0:
                    os.dup2(saved, 2)
                    os.close(saved)
                sink.close()
                _quiet.clear()


@contextlib.contextmanager
def native_log_lines_off() -> Iterator[None]:
    """For a command's length, the model runtime's C-level log lines (descriptor 2) go to a
    sink while Python's own stderr (the one-line errors, warnings, progress) still reaches
    the terminal: it is moved to a copy of descriptor 2 when it writes there.

    The quiet start-up (``_quiet_native_stderr`` around loading a model and its first
    detection) cannot catch a line the runtime logs later, at a moment of its choosing:
    MediaPipe's LiteRT runner logs "Input tensor memory is not aligned ..." once per process
    (``ABSL_LOG_FIRST_N``) on the first frame whose input tensor happens to be misaligned,
    and that line broke ``analyze``'s one-line error (CI, 2026-12-02 and 2026-12-03)."""
    original = sys.stderr
    terminal = -1
    try:
        if original is not None and original.fileno() == 2:
            original.flush()
            terminal = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor (captured), or none open
        terminal = -1
    if terminal >= 0:
        sys.stderr = open(terminal, "w", buffering=1, encoding=original.encoding,
                          errors=original.errors)
    try:
        with _quiet_native_stderr():
            yield
    finally:
        if terminal >= 0:
            sys.stderr.close()
            sys.stderr = original


def _landmarker(model: str, mode, num_poses: int, min_confidence: float):
    _import_mediapipe()
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=verified_bundle(model)),
        running_mode=mode,
        num_poses=num_poses,
        min_pose_detection_confidence=min_confidence,
        min_pose_presence_confidence=min_confidence,
        min_tracking_confidence=min_confidence,
    )
    try:
        with _quiet_native_stderr():
            return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"the pose model {model} could not be loaded: {exc}") from None


#: A pose as the landmarker gives it: (33, 4) float64 normalised x, y (shares of the frame's
#: width and height), visibility and presence (0 where the model gives none); and (33, 3)
#: float64 world landmarks in metres.
ModelPose = tuple[np.ndarray, np.ndarray]


def _pose_of(result) -> ModelPose | None:
    """The first pose of a MediaPipe ``PoseLandmarkerResult``, None if it has none."""
    if not result.pose_landmarks:
        return None
    return (np.array([(p.x, p.y, p.visibility or 0.0, p.presence or 0.0)
                      for p in result.pose_landmarks[0]]),
            np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]]))


def _status_caller(c_lib: ctypes.CDLL) -> Callable[..., None]:
    """``call(function, *args)``: a status-returning MediaPipe C ``function`` of ``c_lib``
    called with ``args`` and its error message argument last, raising what MediaPipe's own
    wrappers raise for its status (``mediapipe_c_utils.handle_status``: ``ValueError``,
    ``RuntimeError``...) and freeing the message, as they do."""
    from mediapipe.tasks.python.core import mediapipe_c_utils

    handle_status, free_error = mediapipe_c_utils.handle_status, c_lib.MpErrorFree

    def call(function, *args: Any) -> None:
        error = ctypes.c_char_p()
        status = function(*args, ctypes.byref(error))
        try:
            handle_status(status, error)
        finally:
            if error.value is not None:
                free_error(error)

    return call


def image_maker() -> Callable[[np.ndarray], Any]:
    """``make(rgb) -> mp.Image``: an SRGB ``mp.Image`` of a contiguous (H, W, 3) uint8 array
    (its own copy of the pixels), made as its constructor makes it, minus the constructor's
    registering of the image library's 25 C signatures again at every call
    (``load_raw_library``): 254 against 327 us of CPU a 640x480 frame, the copy included
    (cold, as between live frames; 2026-12-03). MediaPipe's constructor where its internals
    differ. Raises ``ValueError`` for an array the constructor refuses too."""
    mp = _import_mediapipe()
    try:
        from mediapipe.tasks.python.core import mediapipe_c_bindings
        from mediapipe.tasks.python.vision.core import image as image_module

        c_lib = mediapipe_c_bindings.load_raw_library(image_module._CTYPES_SIGNATURES)
        create, call = c_lib.MpImageCreateFromUint8Data, _status_caller(c_lib)
        image_type = image_module.Image
        srgb, to_bytes = mp.ImageFormat.SRGB, ctypes.POINTER(ctypes.c_uint8)
    except (AttributeError, ImportError):
        return lambda rgb: mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)

    def make(rgb: np.ndarray):
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 \
                or not rgb.flags.c_contiguous:
            raise ValueError(f"an SRGB image is a contiguous (H, W, 3) uint8 array, not "
                             f"{rgb.shape} {rgb.dtype}")
        pointer = ctypes.c_void_p()
        call(create, srgb, rgb.shape[1], rgb.shape[0], rgb.ctypes.data_as(to_bytes), rgb.size,
             ctypes.byref(pointer))
        image = image_type.__new__(image_type)  # as ``Image.create_from_file`` does
        image._lib, image._image_ptr = c_lib, pointer
        return image

    return make


def writable_image(width: int, height: int) -> tuple[Any, np.ndarray] | None:
    """``(image, pixels)``: a new SRGB ``mp.Image`` of ``width`` x ``height`` and a writable
    (height, width, 3) uint8 array on the image's own pixels (which it keeps alive), so that a
    frame converted straight into ``pixels`` (OpenCV's ``dst=``) reaches the model with no copy
    of its own. None where this MediaPipe's internals differ or its pixels are not one
    contiguous block (its rows padded: ``numpy_view`` would then show a realigned copy)."""
    try:
        image = image_maker()(np.zeros((height, width, 3), np.uint8))
        if not image._lib.MpImageIsContiguous(image._image_ptr):
            return None
        view = image.numpy_view()  # read-only, on the image's own pixels
    except (AttributeError, ValueError, RuntimeError):
        return None
    block = (ctypes.c_uint8 * view.nbytes).from_address(view.ctypes.data)
    block.image = image  # the pixels live as long as any array on them
    return image, np.frombuffer(block, np.uint8).reshape(height, width, 3)


def video_detector(landmarker) -> Callable[[Any, int], ModelPose | None]:
    """``detect(image, timestamp_ms) -> ModelPose | None``: ``landmarker.detect_for_video``
    (a MediaPipe ``PoseLandmarker`` in video mode, one pose) called from the calling thread,
    its first pose read straight from the C result: the same C functions, numbers and errors
    (``ValueError``, ``RuntimeError``) as the method.

    MediaPipe's Python tasks hand every C call to a worker thread of the task's own and wait
    for it (``mediapipe/tasks/python/core/serial_dispatcher.py``: one thread per task, so that
    a task's calls never overlap). A frame makes two such calls, and the hand-offs cost 0.32 ms
    of CPU a frame, 1.5 % of the model (A06 at 640x480, paced at 30 fps, 40 blocks of 90
    frames alternated; 0.29 ms in a live session's 24 alternated blocks, 2026-12-03). An
    estimator's landmarker is called by one thread at a time (the estimator is not shared
    between threads), which is all the dispatcher ensures, so its two per-frame calls are made
    here directly; opening and closing it still go through MediaPipe. The C result's
    landmarks are read as one array each (236 against 350 us of CPU a frame for MediaPipe's
    objects and the arrays made from them, cold). Where this MediaPipe's internals differ,
    the method is called and its objects read.
    """
    try:
        from mediapipe.tasks.python.components.containers import landmark_c
        from mediapipe.tasks.python.vision import pose_landmarker as task

        c_lib = landmarker._lib._lib  # the ctypes library behind the task's dispatcher
        detect, close_result = (c_lib.MpPoseLandmarkerDetectForVideo,
                                c_lib.MpPoseLandmarkerCloseResult)
        call = _status_caller(c_lib)
        handle, result_c_type = landmarker._handle, task.MpPoseLandmarkerResultC
        norm, world = landmark_c.MpNormalizedLandmarkC, landmark_c.MpLandmarkC
        size = ctypes.sizeof(norm)
        # Each landmark read as float32 slots: x, y (z) first, the scores where they lie, and
        # the bytes that say whether the model gave them.
        if not (size == ctypes.sizeof(world) and size % 4 == 0
                and [norm.x.offset, norm.y.offset] == [world.x.offset, world.y.offset] == [0, 4]
                and world.z.offset == 8 and norm.visibility.offset % 4 == 0
                and norm.presence.offset % 4 == 0):
            raise AttributeError("another landmark layout")
        scores = [norm.visibility.offset // 4, norm.presence.offset // 4]
        given = [norm.has_visibility.offset, norm.has_presence.offset]
    except (AttributeError, ImportError):
        return lambda image, timestamp_ms: _pose_of(
            landmarker.detect_for_video(image, timestamp_ms))

    def detect_for_video(image, timestamp_ms: int) -> ModelPose | None:
        result_c = result_c_type()
        call(detect, handle, image._image_ptr, None, timestamp_ms, ctypes.byref(result_c))
        try:
            if not result_c.pose_landmarks_count:
                return None
            first, first_world = result_c.pose_landmarks[0], result_c.pose_world_landmarks[0]
            n = first.landmarks_count
            raw = ctypes.string_at(first.landmarks, n * size)
            slots = np.frombuffer(raw, np.float32).reshape(n, size // 4)
            flags = np.frombuffer(raw, np.uint8).reshape(n, size)[:, given]
            points = np.empty((n, 4))
            points[:, :2] = slots[:, :2]
            points[:, 2:] = np.where(flags, slots[:, scores], 0.0)
            m = first_world.landmarks_count
            world_slots = np.frombuffer(ctypes.string_at(first_world.landmarks, m * size),
                                        np.float32).reshape(m, size // 4)
            return points, world_slots[:, :3].astype(float)
        finally:
            close_result(ctypes.byref(result_c))

    return detect_for_video


def _person_detector(min_score: float):
    """MediaPipe's ``ObjectDetector`` on the packaged person detector (image mode)."""
    _import_mediapipe()
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.ObjectDetectorOptions(
        base_options=BaseOptions(model_asset_buffer=verified_person_detector()),
        running_mode=vision.RunningMode.IMAGE, score_threshold=min_score, max_results=4)
    try:
        with _quiet_native_stderr():
            return vision.ObjectDetector.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"the person detector could not be loaded: {exc}") from None


def letterboxed(rgb: np.ndarray) -> np.ndarray:
    """An (H, W, 3) picture centred on a black square (S, S, 3), S = max(H, W): what the pose
    model's own detector sees (it letterboxes with zeros), for a detector that stretches its
    input to its square instead."""
    h, w = rgb.shape[:2]
    top, left = (max(h, w) - h) // 2, (max(h, w) - w) // 2
    return cv2.copyMakeBorder(rgb, top, max(h, w) - h - top, left, max(h, w) - w - left,
                              cv2.BORDER_CONSTANT, value=0)


class PoseEstimator:
    """Runs the pose model on RGB frames in video mode.

    Use as a context manager (or call ``close``): the native landmarker must be closed
    explicitly. Frames must come in time order, at session time (``pose.clock``): the model's
    tracking expects strictly increasing timestamps spaced like the frames.

    Other people in view are counted every ``count_people_every_s`` seconds of session time
    (None: never; ``CALM_COUNT_FACTOR`` times less often while the last count saw one person):
    the person detector alone first, and a second landmarker in image mode only when it finds
    two or more (``FIRST_LOOK_SCORE``). With ``count_in_background`` (live)
    that count runs on a thread of its own, so the frame that falls due does not wait for it
    (it cost 28 ms, a dropped frame and a lag spike once a second, issue 14): its result
    counts from the first frame after it finished. Without it (files) the count runs in
    line, so the same video always gives the same counts.
    """

    def __init__(self, model: str = "full", min_confidence: float = 0.5,
                 count_people_every_s: float | None = 1.0,
                 count_in_background: bool = False) -> None:
        _import_mediapipe()
        from mediapipe.tasks.python import vision

        # The native library's usage logger must not reach the network while a landmarker
        # lives (it sends in the background and at close): see pose/privacy.py.
        privacy.hold()
        self._offline = True
        # One tracked person: tracking from frame to frame is what makes the landmarks accurate
        # (asking video mode for two people re-detects every frame and raised A01's error from
        # 5.9 to 7.3 px). Other people are counted apart, once a second, in image mode.
        self._landmarker = self._counter = self._first_look = None
        try:
            self._landmarker = _landmarker(model, vision.RunningMode.VIDEO, 1, min_confidence)
            self._detect = video_detector(self._landmarker)
            self._image = image_maker()
            if count_people_every_s:
                # The landmarker that counts is made when the first look first finds two
                # people (``_landmarker_count``): alone in view it would hold ~90 MB for nothing.
                self._first_look = _person_detector(FIRST_LOOK_SCORE)
        except BaseException:
            self.close()
            raise
        self._count_every_s = count_people_every_s or 0.0
        self._counted_at = -np.inf
        self._crowd_checks = 0
        self._counting: Future[int] | None = None  # the count under way in the background
        self._count_thread = (ThreadPoolExecutor(1, thread_name_prefix="people-count")
                              if count_in_background and self._first_look is not None else None)
        self.people_counts: list[int] = []
        """Every count's result (people found), in the order they were taken."""
        self.model = model
        self._last_ms = -1
        self._warm = False
        self._input: tuple[Any, np.ndarray] | None = None  # ``frame_buffer``'s image and pixels

    def frame_buffer(self, width: int, height: int) -> np.ndarray:
        """A writable (height, width, 3) uint8 array for the next frame's RGB pixels: written
        into (OpenCV's ``dst=``) and handed to ``process``, the frame reaches the model with no
        copy, where any other array is copied into an image of the model's own. The live
        camera's conversion writes here: 0.36 ms of the callback's CPU a 640x480 frame less,
        the copy and a new 921 KB array each frame (2.76 -> 2.40 ms; A06 through
        streamlit-webrtc's track, four alternated pairs, 2026-12-03). The same array comes
        back while the size stays, so each frame overwrites the last."""
        held = self._input
        if held is None or held[1].shape != (height, width, 3):
            held = self._input = (writable_image(width, height)
                                  or (None, np.empty((height, width, 3), np.uint8)))
        return held[1]

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame | None:
        """The pose in one (H, W, 3) uint8 RGB frame at session time ``t_s`` seconds; None if no
        one is seen. Landmarks as the model gives them (not smoothed)."""
        if self._landmarker is None:
            raise RuntimeError("the pose estimator is closed")
        h, w = rgb.shape[:2]
        ts_ms = max(int(round(t_s * 1000.0)), self._last_ms + 1)
        self._last_ms = ts_ms
        # The native frame as it is: the model letterboxes it to its square input itself, so
        # padding it here only cost pixel work (5-9 % of the model at 720p, 16-22 % at 1080p)
        # for the same landmarks (A01: 5.98 px from the reference native, 5.85 px padded, issue
        # 14). The contiguous copy is needed: fed a decoder's row-padded array directly, the
        # model found a pose in 0 of 120 frames.
        held = self._input
        if held is not None and held[0] is not None and rgb is held[1]:
            image, shared = held[0], True  # written into the image itself: ``frame_buffer``
        else:
            image, shared = self._image(np.ascontiguousarray(rgb)), False
        if self._warm:
            found = self._detect(image, ts_ms)
        else:
            # The graph logs a warning the first time it finds a person: keep it quiet too.
            with _quiet_native_stderr():
                found = self._detect(image, ts_ms)
        if found is None:
            return None
        self._warm = True

        raw, world = found
        image_px = raw[:, :2] * (w, h)  # normalised to the frame's own width and height
        visibility = np.minimum(raw[:, 2], raw[:, 3])
        inside = ((image_px[:, 0] >= 0) & (image_px[:, 0] < w)
                  & (image_px[:, 1] >= 0) & (image_px[:, 1] < h))
        visibility = np.where(inside, visibility, 0.0)
        people = self._people(image, t_s, rgb if shared else None)
        return PoseFrame(t_s, image_px, world, visibility, (w, h), people)

    @property
    def landmarker(self):
        """The MediaPipe pose landmarker (video mode) this estimator runs, None once closed:
        for ``pose.live_bench``'s reference on the very model instance a session used."""
        return self._landmarker

    @property
    def last_timestamp_ms(self) -> int:
        """The timestamp (ms) the landmarker was last handed, -1 before the first frame: the
        model takes only later ones."""
        return self._last_ms

    def _people(self, image, t_s: float, shared: np.ndarray | None = None) -> int:
        """How many people are in view: 1, or more once two counts in a row saw several.
        ``shared``: ``image``'s pixels where they are ``frame_buffer``'s, which the next frame
        overwrites."""
        if self._counting is not None and self._counting.done():
            self._tally(self._counting.result())
            self._counting = None
        # Alone in view, count half as often: one person is the usual answer, and a count
        # costs most of a model's frame (the detector's ~14 ms at 640x480, ~0.25 ms a frame at
        # once every 2 s; the detector works on its own 224x224 input, so a smaller picture
        # would save only the copies). Once a count saw several, the next follows
        # at the full rate, so several people are flagged 2-3 s after the second one walks in
        # (the first count within 2 s, the confirming one a second later) and cleared within
        # a second of them leaving, when the counter sees them at once. Through Chromium's
        # video coding it often misses a visitor the first time: the Live page flagged one
        # pasted into the picture after 5.1-5.5 s and one walking in after 7.0-7.6 s (3
        # trials each with a fake camera, 2026-12-02). Counting less often alone in a still
        # picture was tried and dropped: it delayed a small visitor the counter finds only
        # now and then by more than it saved (issue 14, 623471d).
        every = self._count_every_s * (1 if self._crowd_checks else CALM_COUNT_FACTOR)
        if (self._first_look is not None and self._counting is None
                and t_s - self._counted_at >= every):
            self._counted_at = t_s
            if self._count_thread is not None:  # on pixels of its own while frames go on
                own = image if shared is None else self._image(shared)
                self._counting = self._count_thread.submit(self._count, own)
            else:
                self._tally(self._count(image))
        return 2 if self._crowd_checks >= 2 else 1

    def _count(self, image) -> int:
        """People in ``image`` (an ``mp.Image``). The person detector alone costs ~14 ms where
        the landmarker in image mode costs ~32 (its detector, then the landmarks of each person
        found: A06 at 640x480, 2026-12-02), so it looks first. Where it finds two or more the
        landmarker's count is the answer; where it finds fewer, its own count is (0 or 1): the
        landmarker counts only from this detector's detections scoring 0.6 or more, so it
        would not have counted two either (measured: ``FIRST_LOOK_SCORE``)."""
        first_look = self._first_look
        if first_look is None:
            return 0
        square = self._image(letterboxed(image.numpy_view()))
        found = len(first_look.detect(square).detections)
        return found if found < 2 else self._landmarker_count(image)

    def _landmarker_count(self, image) -> int:
        """People the landmarker finds in ``image`` (image mode, up to 4, confidence 0.6),
        made at its first use (on the count's own thread when counting in the background; from
        the bundle already checked and held in memory)."""
        counter = self._counter
        if counter is None:
            from mediapipe.tasks.python import vision

            counter = self._counter = _landmarker(self.model, vision.RunningMode.IMAGE, 4, 0.6)
        return len(counter.detect(image).pose_landmarks)

    def _tally(self, found: int) -> None:
        self.people_counts.append(found)
        self._crowd_checks = self._crowd_checks + 1 if found > 1 else 0

    def wait_for_count(self) -> None:
        """Wait until a count under way in the background has finished and take its result
        (which counts from the next frame, as it would have anyway)."""
        if self._counting is not None:
            counting, self._counting = self._counting, None
            self._tally(counting.result())

    def close(self) -> None:
        try:
            thread = getattr(self, "_count_thread", None)
            if thread is not None:
                self._count_thread = None
                thread.shutdown(wait=True)  # a count under way ends before its counter closes
            self._input = None
            for name in ("_landmarker", "_counter", "_first_look"):
                task = getattr(self, name, None)
                if task is not None:
                    setattr(self, name, None)
                    with _quiet_native_stderr():
                        task.close()
        finally:
            if getattr(self, "_offline", False):
                self._offline = False
                privacy.release()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

