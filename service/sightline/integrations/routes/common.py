"""What the integrations routes share: the app's URL rules, source fetchers and secret box, and problem answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sightline.crypto import SecretBox
from sightline.http.admission import leave_queue
from sightline.http.problems import problem_responses
from sightline.integrations.runs import Fetchers

ONE = problem_responses(404)
WRITE_ONE = problem_responses(404, 409, 412)


def _fetchers(request: Request) -> Fetchers:
    leave_queue(request)  # a source tried or run waits on its server
    fetchers: Fetchers = request.app.state.integration_fetchers
    return fetchers


def _box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.secret_box
    return box


Sources = Annotated[Fetchers, Depends(_fetchers)]
Box = Annotated[SecretBox, Depends(_box)]
