"""What happens around a stored session: saving its outcome, and the profile's personal limits.

Shared by ``stretchcheck analyze --save``, replay ``--save`` and the live page, so a session
counts the same towards a profile's history whatever its source.
"""

from __future__ import annotations

from collections.abc import Sequence

from pose.personal import comfortable_values, personal_limits
from pose.report import Report
from pose.routines import Catalogue, Limit
from pose.store import Profile, Store


def remember(store: Store, session_id: int, report: Report, profile_id: int | None) -> None:
    """Save a session's results and grow the profile's comfortable ranges from its holds."""
    store.save_results(session_id, report)
    if profile_id is None:
        return
    for stretch, angle, degrees in comfortable_values(report):
        store.update_range(profile_id, stretch, angle, degrees, session_id)


def limits_for(store: Store, profile: Profile, catalogue: Catalogue) -> dict[str, Sequence[Limit]]:
    """Over-range limits from the profile's comfortable ranges (see ``pose.personal``)."""
    return personal_limits(catalogue, store.comfortable_ranges(profile.id),
                           profile.flexion_sensitive)
